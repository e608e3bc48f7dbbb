"""The "check a signature" API through the real app, with the real job pipeline.

Uploads go through ``POST /api/v1/signature-checks``; the embedded worker validates them when
the scheduler releases the job (a scheduler tick here), with the test PKI's trusted list in the
instance's trust cache, at the tests' present.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.app import create_app
from infra.clock import ManualClock
from infra.settings import Settings
from signatures.models import SignatureCheck
from tests.jobs.conftest import eventually
from tests.signatures.factories import make_pdf, sign_cades_detached, sign_pdf
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.support import LoopClient
from workers.process import JobProcess

URL = "/api/v1/signature-checks"
PROBLEM = "application/problem+json"


@pytest.fixture
def trusted(settings: Settings, pki: TestPki) -> Settings:
    """The instance trusts the test PKI (its trusted list is in the trust cache)."""
    install_test_trust(settings, pki)
    return settings


@pytest.fixture
async def worker(trusted: Settings, clock: ManualClock) -> AsyncIterator[JobProcess]:
    process = JobProcess(trusted, clock, worker=True, scheduler=False, periodic=())
    await process.start()
    yield process
    await process.stop()


@pytest.fixture(scope="module")
def qes_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")


async def _upload(client: LoopClient, document: bytes, signature: bytes | None = None) -> Any:
    files = {"document": ("angebot.pdf", document, "application/pdf")}
    if signature is not None:
        files["signature"] = ("angebot.p7s", signature, "application/pkcs7-signature")
    return await client.post(URL, files=files)


async def _finished(
    client: LoopClient, worker: JobProcess, engine: AsyncEngine, location: str
) -> dict[str, Any]:
    """Release the job to the worker and wait (bounded) until the check has finished."""
    await worker.scheduler(engine).tick()

    async def finished() -> bool:
        return bool((await client.get(location)).json()["status"] != "pending")

    await eventually(finished, "the signature check finished")
    result: dict[str, Any] = (await client.get(location)).json()
    return result


class TestUploadAndResult:
    async def test_signed_pdf_is_accepted_with_its_details_and_reports(
        self, client: LoopClient, worker: JobProcess, engine: AsyncEngine, qes_pdf: bytes
    ) -> None:
        # When a PDF with a qualified signature is uploaded
        response = await _upload(client, qes_pdf)
        # Then it is accepted for checking, with the status URL
        assert response.status_code == 202
        body = response.json()
        location = response.headers["location"]
        assert location == f"{URL}/{body['id']}" == body["status_url"]
        assert body["status"] == "pending"
        pending = await client.get(location)
        assert pending.json()["status"] == "pending"
        assert pending.json()["report"] is None
        assert pending.headers["cache-control"] == "no-store"
        # And once the worker has run, the verdict and each signature's details are there
        check = await _finished(client, worker, engine, location)
        assert check["status"] == "done"
        report = check["report"]
        assert report["verdict"] == "accepted", report
        (signature,) = report["signatures"]
        assert signature["label"] == "QESig"
        assert signature["indication"] == "TOTAL-PASSED"
        assert signature["level"] == "PAdES-B-LTA"
        assert signature["signer"]["name"]
        # And both reports download
        as_json = await client.get(check["report_json_url"])
        assert as_json.headers["content-type"].startswith("application/json")
        assert "attachment" in as_json.headers["content-disposition"]
        assert as_json.json() == report
        as_xml = await client.get(check["report_xml_url"])
        assert as_xml.headers["content-type"].startswith("application/xml")
        assert etree.QName(etree.fromstring(as_xml.content)).localname == "ValidationReport"

    async def test_file_with_detached_signature_is_checked(
        self, client: LoopClient, worker: JobProcess, engine: AsyncEngine, pki: TestPki
    ) -> None:
        data = b"Angebot, als Text\n"
        response = await _upload(client, data, sign_cades_detached(pki, data))
        assert response.status_code == 202
        check = await _finished(client, worker, engine, response.headers["location"])
        assert check["detached"] is True
        (signature,) = check["report"]["signatures"]
        assert signature["coverage"] == "detached"
        assert signature["signer"]["name"] == pki.cert("signer-qes").subject.native["common_name"]
        # a plain CAdES-B-T carries no revocation data, and validation never fetches any
        assert check["report"]["verdict"] == "needs_review"
        assert signature["indication"] == "INDETERMINATE"

    async def test_unsigned_pdf_has_no_signature(
        self, client: LoopClient, worker: JobProcess, engine: AsyncEngine
    ) -> None:
        response = await _upload(client, make_pdf())
        check = await _finished(client, worker, engine, response.headers["location"])
        assert check["report"]["verdict"] == "no_signature"
        assert check["report"]["signatures"] == []

    async def test_corrupt_pdf_fails_with_the_reason_and_has_no_report(
        self, client: LoopClient, worker: JobProcess, engine: AsyncEngine
    ) -> None:
        response = await _upload(client, b"%PDF-1.7\n" + b"\x00kaputt" * 50)
        assert response.status_code == 202
        location = response.headers["location"]
        check = await _finished(client, worker, engine, location)
        assert check["status"] == "failed"
        assert check["report"] is None
        assert check["problem"]["code"] == "unreadable-document"
        assert check["problem"]["reason"] == "corrupt"
        for suffix in ("/report.json", "/report.xml"):
            refused = await client.get(location + suffix)
            assert refused.status_code == 409
            assert refused.json()["code"] == "signature-check-not-finished"


class TestRefusals:
    async def test_not_a_pdf_is_refused_at_once_and_nothing_stored(
        self, client: LoopClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await _upload(client, b"GIF89a" + b"\0" * 100)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "unreadable-document"
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(SignatureCheck)) == 0

    async def test_unknown_and_malformed_ids_are_not_found(self, client: LoopClient) -> None:
        for check_id in ("A" * 22, "nope", "A" * 22 + "/report.xml"):
            response = await client.get(f"{URL}/{check_id}")
            assert response.status_code == 404
            assert response.headers["content-type"].startswith(PROBLEM)
            assert response.json()["code"] == "signature-check-not-found"

    async def test_json_body_is_an_unsupported_media_type(self, client: LoopClient) -> None:
        response = await client.post(URL, json={"document": "JVBERi0="})
        assert response.status_code == 415
        assert response.headers["content-type"].startswith(PROBLEM)

    @pytest.mark.parametrize(
        "body",
        [
            b"garbage",
            b'--xyz\r\nContent-Disposition: form-data; name="document"; filename="a"\r\n',
            b'--xyz\r\nContent-Disposition: form-data; name="signature"\r\n\r\n\x89PNG\r\n'
            b"--xyz--\r\n",
        ],
    )
    async def test_malformed_multipart_is_a_bad_request(
        self, client: LoopClient, body: bytes
    ) -> None:
        response = await client.post(
            URL, content=body, headers={"content-type": "multipart/form-data; boundary=xyz"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(PROBLEM)

    async def test_form_without_document_is_unprocessable(self, client: LoopClient) -> None:
        response = await client.post(URL, files={"other": ("a.pdf", make_pdf())})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)

    async def test_uploads_are_throttled_per_client(self, client: LoopClient) -> None:
        statuses = [(await _upload(client, b"not a pdf")).status_code for _ in range(21)]
        assert statuses[:20] == [422] * 20
        assert statuses[20] == 429


class TestSizeLimit:
    @pytest.fixture
    async def small(
        self, settings: Settings, clock: ManualClock, engine: AsyncEngine
    ) -> AsyncIterator[LoopClient]:
        limits = msgspec.structs.replace(settings.signatures, max_document_bytes=4096)
        app: Litestar = create_app(
            msgspec.structs.replace(settings, signatures=limits), clock=clock, engine=engine
        )
        async with LoopClient(app, lifespan=False) as client:
            yield client

    async def test_file_over_the_limit_is_413_and_nothing_stored(
        self, small: LoopClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await _upload(small, make_pdf(padding_bytes=8000))
        assert response.status_code == 413
        assert response.json()["code"] == "document-too-large"
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(SignatureCheck)) == 0

    async def test_body_over_the_request_limit_is_413(self, small: LoopClient) -> None:
        response = await _upload(small, make_pdf(padding_bytes=200_000))
        assert response.status_code == 413
        assert response.headers["content-type"].startswith(PROBLEM)


class TestSchema:
    async def test_operations_are_documented(self, client: LoopClient) -> None:
        schema = (await client.get("/schema/openapi.json")).json()
        create = schema["paths"][URL]["post"]
        assert create["operationId"] == "signature_check_create"
        assert create["tags"] == ["signatures"]
        assert {"202", "413", "415", "422", "429"} <= set(create["responses"])
        assert "multipart/form-data" in create["requestBody"]["content"]
        operations = {
            operation["operationId"]
            for path, item in schema["paths"].items()
            if path.startswith(URL)
            for operation in item.values()
        }
        assert operations == {
            "signature_check_create",
            "signature_check_get",
            "signature_check_report_json",
            "signature_check_report_xml",
        }
