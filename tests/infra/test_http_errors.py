"""Every error is answered as RFC 9457 problem details (issue 2, item 6)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

PROBLEM = "application/problem+json"
REGIME = "/api/v1/procurement/regime"


class TestProblemDetails:
    async def test_unknown_path_is_404_problem_with_security_headers(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.get("/does-not-exist")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == 404
        assert body["instance"] == "/does-not-exist"
        assert body["trace_id"] == response.headers["x-request-id"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]

    async def test_wrong_method_is_405_problem(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.delete("/health/live")
        assert response.status_code == 405
        assert response.headers["content-type"] == PROBLEM

    async def test_wrong_media_type_is_415_problem(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.post(
            REGIME, content=b"contract=works", headers={"content-type": "text/plain"}
        )
        assert response.status_code == 415
        assert response.headers["content-type"] == PROBLEM
        assert "application/json" in response.json()["detail"]

    async def test_oversized_body_is_413_problem(
        self, client: AsyncTestClient[Litestar], settings
    ) -> None:
        body = (
            b'{"contract": "works", "estimated_value": "1", "x": "'
            + b"a" * (settings.http.max_body_bytes + 1)
            + b'"}'
        )
        response = await client.post(
            REGIME, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM

    async def test_malformed_json_is_400_problem(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.post(
            REGIME, content=b'{"contract": ', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"contract": "bridges", "estimated_value": "10"}, "contract"),
            ({"contract": "works"}, "estimated_value"),
            ({"contract": "works", "estimated_value": "-5"}, None),
            ({"contract": "works", "estimated_value": "NaN"}, None),
            ({"contract": "works", "estimated_value": "1", "surprise": 1}, None),
        ],
    )
    async def test_invalid_payload_is_422_problem_naming_the_field(
        self, client: AsyncTestClient[Litestar], payload: dict[str, object], field: str | None
    ) -> None:
        response = await client.post(REGIME, json=payload)
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid"
        if field:
            assert any(e["field"] == field for e in body["errors"])

    async def test_well_formed_request_id_is_kept_and_bad_one_replaced(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        kept = await client.get("/health/live", headers={"x-request-id": "abc-12345678"})
        assert kept.headers["x-request-id"] == "abc-12345678"
        replaced = await client.get("/health/live", headers={"x-request-id": "<script>"})
        assert replaced.headers["x-request-id"] != "<script>"
        assert len(replaced.headers["x-request-id"]) == 32
