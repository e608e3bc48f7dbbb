"""The HTTP edge: unexpected errors leak nothing, security headers depend on TLS (item 6)."""

from __future__ import annotations

import logging

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.app import create_app
from infra.clock import ManualClock
from infra.settings import Settings
from tests.support import LoopClient


@get("/api/v1/boom", include_in_schema=False)
async def _boom() -> None:
    raise RuntimeError("password=hunter2 at /srv/secret/path.py")


class TestUnexpectedErrors:
    async def test_unexpected_error_is_500_problem_without_internals_and_logged_with_trace_id(
        self, own_app: Litestar, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Given a handler that fails in a way nobody foresaw
        own_app.register(_boom)

        # When it is called
        with caplog.at_level(logging.ERROR, logger="vergabe.errors"):
            async with LoopClient(own_app) as client:
                response = await client.get("/api/v1/boom")

        # Then the client learns only that it failed, and the trace id to quote
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "hunter2" not in response.text
        assert "secret" not in response.text
        assert "Traceback" not in response.text
        trace_id = response.json()["trace_id"]
        assert trace_id == response.headers["x-request-id"]
        # and the log has the whole story under the same id
        (record,) = [r for r in caplog.records if r.name == "vergabe.errors"]
        assert record.trace_id == trace_id  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert "hunter2" in str(record.exc_info[1])


class TestSecurityHeaders:
    async def test_no_hsts_without_tls(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.get("/health/live")
        assert "strict-transport-security" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"

    async def test_hsts_behind_tls(
        self, settings: Settings, clock: ManualClock, engine: AsyncEngine
    ) -> None:
        behind_tls = msgspec.structs.replace(
            settings, http=msgspec.structs.replace(settings.http, behind_tls=True)
        )
        app = create_app(behind_tls, clock=clock, engine=engine)
        async with LoopClient(app) as client:
            response = await client.get("/health/live")
        assert response.headers["strict-transport-security"].startswith("max-age=")
