"""Signature checks as use cases: store and queue, validate once, read, purge."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.jobs.models import Job
from signatures import checking, service
from signatures.errors import UnreadableDocument
from signatures.models import CheckStatus, SignatureCheck
from signatures.schemas import Verdict
from signatures.trust import TrustStore, build_trust_store, load_certificates
from signatures.verify import Limits
from tests.signatures.factories import make_pdf, sign_cades_detached, sign_pdf
from tests.signatures.pki import PKI_NOW, TestPki

LIMITS = Limits()


@pytest.fixture(scope="module")
def anchors_only(pki: TestPki) -> TrustStore:
    """The test root as a plain anchor: signatures validate, nothing is qualified."""
    return build_trust_store(anchors=load_certificates(pki.pem(["root"])), at=PKI_NOW)


@pytest.fixture(scope="module")
def signed(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), level="B-T")


@pytest.fixture
def files(tmp_path: Path) -> service.CheckFiles:
    return service.CheckFiles(tmp_path)


async def _create(
    sessions: async_sessionmaker[AsyncSession],
    files: service.CheckFiles,
    document: bytes,
    signature: bytes | None = None,
    *,
    limit: int = 1024 * 1024,
) -> str:
    async with sessions() as session, session.begin():
        check = await service.create_check(
            session,
            files=files,
            document=io.BytesIO(document),
            signature=io.BytesIO(signature) if signature is not None else None,
            limit=limit,
            now=PKI_NOW,
        )
        return check.id


async def _run(
    sessions: async_sessionmaker[AsyncSession],
    files: service.CheckFiles,
    check_id: str,
    trust: TrustStore,
) -> str:
    async with sessions() as session, session.begin():
        return await checking.run_check(
            session, check_id, files=files, now=PKI_NOW, trust=trust, limits=LIMITS
        )


async def _check(sessions: async_sessionmaker[AsyncSession], check_id: str) -> SignatureCheck:
    async with sessions() as session:
        return await service.get_check(session, check_id)


class TestCreateCheck:
    async def test_stores_hashes_and_queues_the_validation_in_one_transaction(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        signed: bytes,
    ) -> None:
        # When a signed PDF is uploaded
        check_id = await _create(sessions, files, signed)
        # Then it is stored under an unguessable id, with its hash and size, and queued
        check = await _check(sessions, check_id)
        assert len(check_id) == 22
        assert check.status == CheckStatus.PENDING
        assert files.document(check_id).read_bytes() == signed
        assert check.document_size == len(signed)
        assert check.document_sha256 == __import__("hashlib").sha256(signed).hexdigest()
        async with sessions() as session:
            job = await session.scalar(select(Job).where(Job.actor == service.VALIDATE))
        assert job is not None
        assert msgspec.json.decode(job.payload) == {"check_id": check_id}

    async def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_kept(
        self, sessions: async_sessionmaker[AsyncSession], files: service.CheckFiles
    ) -> None:
        with pytest.raises(UnreadableDocument) as refused:
            await _create(sessions, files, b"PK\x03\x04 a zip archive" + b"\0" * 2000)
        assert refused.value.reason == "not-pdf"
        assert not files.directory.exists() or list(files.directory.iterdir()) == []
        async with sessions() as session:
            assert await session.scalar(select(SignatureCheck)) is None
            assert await session.scalar(select(Job)) is None

    async def test_a_pdf_header_after_the_first_kilobyte_is_not_found(
        self, sessions: async_sessionmaker[AsyncSession], files: service.CheckFiles
    ) -> None:
        with pytest.raises(UnreadableDocument) as refused:
            await _create(sessions, files, b" " * 1024 + make_pdf())
        assert refused.value.reason == "not-pdf"

    async def test_an_empty_file_is_refused(
        self, sessions: async_sessionmaker[AsyncSession], files: service.CheckFiles
    ) -> None:
        with pytest.raises(UnreadableDocument) as refused:
            await _create(sessions, files, b"")
        assert refused.value.reason == "empty"

    async def test_a_file_over_the_limit_is_refused_and_its_part_removed(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        signed: bytes,
    ) -> None:
        with pytest.raises(service.DocumentTooLarge):
            await _create(sessions, files, signed, limit=len(signed) - 1)
        assert list(files.directory.iterdir()) == []

    async def test_a_detached_signature_is_stored_beside_any_kind_of_file(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        pki: TestPki,
    ) -> None:
        data = b"Angebot als Textdatei\n"
        check_id = await _create(sessions, files, data, sign_cades_detached(pki, data))
        check = await _check(sessions, check_id)
        assert check.detached
        assert files.signature(check_id).read_bytes()[:1] == b"\x30"


class TestRunCheck:
    async def test_validates_at_the_given_time_and_keeps_both_reports(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        signed: bytes,
        anchors_only: TrustStore,
    ) -> None:
        # Given a stored check of a PDF signed by the test PKI
        check_id = await _create(sessions, files, signed)
        # When the job runs it
        assert await _run(sessions, files, check_id, anchors_only) == "done"
        # Then the report and the ETSI XML report are kept
        view = service.check_view(await _check(sessions, check_id))
        assert view.status == "done"
        assert view.report is not None
        assert view.report.validation_time == PKI_NOW
        assert view.report.sha256 == (await _check(sessions, check_id)).document_sha256
        assert len(view.report.signatures) == 1
        assert view.report.signatures[0].signer is not None
        assert view.report_xml_url == f"/api/v1/signature-checks/{check_id}/report.xml"
        assert b"ValidationReport" in ((await _check(sessions, check_id)).etsi_report or b"")

    async def test_a_finished_check_is_left_alone(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        signed: bytes,
        anchors_only: TrustStore,
    ) -> None:
        check_id = await _create(sessions, files, signed)
        await _run(sessions, files, check_id, anchors_only)
        first = await _check(sessions, check_id)
        # When the job is delivered again, with other trust
        assert await _run(sessions, files, check_id, TrustStore()) == "skipped"
        # Then the report stays as it was
        assert (await _check(sessions, check_id)).report == first.report

    async def test_an_unreadable_pdf_fails_the_check_with_its_reason(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        anchors_only: TrustStore,
    ) -> None:
        check_id = await _create(sessions, files, b"%PDF-1.7\n" + b"\x00garbage" * 100)
        assert await _run(sessions, files, check_id, anchors_only) == "failed"
        view = service.check_view(await _check(sessions, check_id))
        assert view.report is None
        assert view.problem is not None
        assert view.problem.code == "unreadable-document"
        assert view.problem.reason == "corrupt"
        assert view.problem.de
        assert view.problem.en

    async def test_a_detached_signature_is_validated_against_its_file(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        pki: TestPki,
        anchors_only: TrustStore,
    ) -> None:
        data = b"Angebot als Textdatei\n"
        check_id = await _create(sessions, files, data, sign_cades_detached(pki, data))
        assert await _run(sessions, files, check_id, anchors_only) == "done"
        view = service.check_view(await _check(sessions, check_id))
        assert view.report is not None
        assert [s.coverage for s in view.report.signatures] == ["detached"]
        assert view.report.verdict != Verdict.NO_SIGNATURE

    async def test_a_purged_check_is_nothing_to_do(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        anchors_only: TrustStore,
    ) -> None:
        assert await _run(sessions, files, "A" * 22, anchors_only) == "missing"


class TestGetCheck:
    @pytest.mark.parametrize("check_id", ["A" * 22, "short", "../../etc/passwd", "A" * 200])
    async def test_unknown_or_malformed_ids_are_not_found(
        self, sessions: async_sessionmaker[AsyncSession], check_id: str
    ) -> None:
        async with sessions() as session:
            with pytest.raises(service.CheckNotFound):
                await service.get_check(session, check_id)


class TestPurgeChecks:
    async def test_old_checks_go_with_their_files_and_young_ones_stay(
        self,
        sessions: async_sessionmaker[AsyncSession],
        files: service.CheckFiles,
        signed: bytes,
    ) -> None:
        # Given a check of the tests' present and an orphaned file of yesterday
        young = await _create(sessions, files, signed)
        orphan = files.document("o" * 22)
        orphan.write_bytes(b"%PDF-")
        yesterday = (PKI_NOW - timedelta(days=1)).timestamp()
        os.utime(orphan, (yesterday, yesterday))
        os.utime(files.document(young), (PKI_NOW.timestamp(), PKI_NOW.timestamp()))
        # When housekeeping purges what is older than an hour ago
        async with sessions() as session, session.begin():
            purged = await service.purge_checks(
                session, files=files, before=PKI_NOW - timedelta(hours=1)
            )
        # Then the young check stays and the orphan is gone
        assert purged == 0
        assert files.document(young).exists()
        assert not orphan.exists()
        # And when its time has come, the check goes too, with its file
        async with sessions() as session, session.begin():
            purged = await service.purge_checks(
                session, files=files, before=PKI_NOW + timedelta(hours=1)
            )
        assert purged == 1
        assert not files.document(young).exists()
        async with sessions() as session:
            with pytest.raises(service.CheckNotFound):
                await service.get_check(session, young)
