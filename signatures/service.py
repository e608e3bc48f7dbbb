"""Signature checks as use cases: store an upload, validate it in a job, read it, purge it.

A request stores and hashes the upload and queues the job ``signatures.validate`` in the same
transaction (:func:`create_check`); the job validates at its own present with the trust of that
moment (:func:`signatures.checking.run_check`, kept apart so that the request side never loads
pyHanko); :func:`check_view` is what API, page and tests read. Files live in
``<storage>/signature-checks/`` named by the check id, and are purged with their rows
(:func:`purge_checks`). Nothing here commits: the request or the job owns the transaction.
"""

from __future__ import annotations

__all__ = [
    "VALIDATE",
    "CheckFiles",
    "CheckNotFinished",
    "CheckNotFound",
    "DocumentTooLarge",
    "ValidateCheck",
    "check_view",
    "create_check",
    "encode_report",
    "get_check",
    "purge_checks",
]

import hashlib
import os
import re
import secrets
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import NamedTuple, Protocol, cast

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.jobs import outbox
from signatures.errors import (
    CheckNotFinished,
    CheckNotFound,
    DocumentTooLarge,
    SignatureError,
    UnreadableDocument,
)
from signatures.models import CheckStatus, SignatureCheck
from signatures.repository import CheckRepository
from signatures.schemas import DocumentReport
from signatures.schemas_api import CheckProblem, CheckView, Status

VALIDATE = "signatures.validate"
API_PATH = "/api/v1/signature-checks"
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SNIFF_BYTES = 1024
_CHUNK = 1024 * 1024


class Readable(Protocol):
    """A file opened for reading in binary mode (an upload's spooled temporary file)."""

    def read(self, n: int = ..., /) -> bytes: ...


class ValidateCheck(msgspec.Struct, frozen=True):
    """Payload of ``signatures.validate``."""

    check_id: str


class Stored(NamedTuple):
    sha256: str
    size: int


class CheckFiles:
    """Where the uploads of checks are kept: ``<root>/signature-checks/<id>.pdf|.p7s``."""

    def __init__(self, storage_root: Path) -> None:
        self.directory = storage_root / "signature-checks"

    def document(self, check_id: str) -> Path:
        return self.directory / f"{check_id}.pdf"

    def signature(self, check_id: str) -> Path:
        return self.directory / f"{check_id}.p7s"

    def remove(self, check_id: str) -> None:
        for path in (self.document(check_id), self.signature(check_id)):
            path.unlink(missing_ok=True)

    def purge_older(self, before: datetime) -> int:
        """Delete files (also orphans of a rolled-back upload) last written before ``before``."""
        if not self.directory.is_dir():
            return 0
        purged = 0
        for entry in self.directory.iterdir():
            try:
                if entry.stat().st_mtime < before.timestamp():
                    entry.unlink()
                    purged += 1
            except FileNotFoundError:
                continue
        return purged


def store_upload(source: Readable, destination: Path, *, limit: int, pdf: bool) -> Stored:
    """Copy ``source`` to ``destination`` (complete or absent), hashing and counting.

    Raises:
        UnreadableDocument: empty, or (``pdf``) no ``%PDF-`` in the first 1024 bytes; nothing
            is written then.
        DocumentTooLarge: more than ``limit`` bytes; the partial file is removed.
    """
    head = source.read(_SNIFF_BYTES)
    if not head:
        raise UnreadableDocument("empty")
    if pdf and b"%PDF-" not in head:
        raise UnreadableDocument("not-pdf")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial_path = destination.with_suffix(destination.suffix + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        with partial_path.open("wb") as handle:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise DocumentTooLarge(f"A file may have at most {limit} bytes.", limit=limit)
                digest.update(chunk)
                handle.write(chunk)
                chunk = source.read(_CHUNK)
            handle.flush()
            os.fsync(handle.fileno())
        partial_path.rename(destination)
    finally:
        partial_path.unlink(missing_ok=True)
    return Stored(sha256=digest.hexdigest(), size=size)


async def create_check(
    session: AsyncSession,
    *,
    files: CheckFiles,
    document: Readable,
    signature: Readable | None,
    limit: int,
    now: datetime,
) -> SignatureCheck:
    """Store the upload and queue its validation, in the session's transaction.

    Args:
        document: the PDF (or, with ``signature``, the signed file of any kind).
        signature: a detached CAdES signature over ``document``.
        limit: most bytes per file (``settings.signatures.max_document_bytes``).
    """
    check_id = secrets.token_urlsafe(16)
    store = partial(store_upload, limit=limit)
    try:
        stored = await anyio.to_thread.run_sync(
            partial(store, document, files.document(check_id), pdf=signature is None)
        )
        if signature is not None:
            await anyio.to_thread.run_sync(
                partial(store, signature, files.signature(check_id), pdf=False)
            )
    except SignatureError:
        files.remove(check_id)
        raise
    check = SignatureCheck(
        id=check_id,
        created_at=now,
        status=CheckStatus.PENDING,
        document_sha256=stored.sha256,
        document_size=stored.size,
        detached=signature is not None,
    )
    CheckRepository(session).add(check)
    await session.flush()
    await outbox.enqueue(
        session,
        VALIDATE,
        ValidateCheck(check_id=check_id),
        run_at=now,
        now=now,
        dedupe_key=f"signature-check:{check_id}",
        max_attempts=3,
    )
    return check


def encode_report(report: DocumentReport) -> bytes:
    """The report as JSON (the stored report, the download, the CLI's ``--json``)."""
    return msgspec.json.encode(report)


async def get_check(session: AsyncSession, check_id: str) -> SignatureCheck:
    """The check ``check_id``; :class:`CheckNotFound` for a malformed or unknown id."""
    check = await CheckRepository(session).get(check_id) if _ID.match(check_id) else None
    if check is None:
        raise CheckNotFound("There is no signature check with this id (checks are kept a day).")
    return check


def check_view(check: SignatureCheck) -> CheckView:
    """What API and page show of a check."""
    url = f"{API_PATH}/{check.id}"
    done = check.status == CheckStatus.DONE
    problem = None
    if check.status == CheckStatus.FAILED:
        problem = CheckProblem(
            code=UnreadableDocument.code,
            reason=check.failure_reason or "corrupt",
            de=check.failure_de or "",
            en=check.failure_en or "",
        )
    return CheckView(
        id=check.id,
        status=cast(Status, check.status),
        status_url=url,
        created_at=check.created_at,
        finished_at=check.finished_at,
        document_sha256=check.document_sha256,
        document_size=check.document_size,
        detached=check.detached,
        report=msgspec.json.decode(check.report, type=DocumentReport) if check.report else None,
        problem=problem,
        report_json_url=f"{url}/report.json" if done else None,
        report_xml_url=f"{url}/report.xml" if done else None,
    )


async def purge_checks(session: AsyncSession, *, files: CheckFiles, before: datetime) -> int:
    """Delete checks created before ``before`` and their files; returns how many checks."""
    repository = CheckRepository(session)
    check_ids = await repository.created_before(before)
    deleted = await repository.delete(check_ids)
    for check_id in check_ids:
        files.remove(check_id)
    files.purge_older(before)
    return deleted
