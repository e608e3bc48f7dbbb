"""The job side of a signature check: validate the stored files and keep the report.

Kept apart from :mod:`signatures.service` (the request side) because it loads pyHanko, which
takes seconds to import: API processes and commands that never validate do not pay for it.
"""

from __future__ import annotations

__all__ = ["run_check", "verify_document"]

from datetime import datetime

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from signatures.errors import UnreadableDocument
from signatures.models import CheckStatus
from signatures.repository import CheckRepository
from signatures.service import CheckFiles, encode_report
from signatures.trust import TrustStore
from signatures.verify import Limits, Verification, verify_detached, verify_pdf


async def verify_document(
    document: bytes, signature: bytes | None, *, trust: TrustStore, at: datetime, limits: Limits
) -> Verification:
    """Validate a PDF, or ``document`` against its detached ``signature``, at ``at``."""
    if signature is None:
        return await verify_pdf(document, trust=trust, at=at, limits=limits)
    return await verify_detached(document, signature, trust=trust, at=at, limits=limits)


async def run_check(
    session: AsyncSession,
    check_id: str,
    *,
    files: CheckFiles,
    now: datetime,
    trust: TrustStore,
    limits: Limits,
) -> str:
    """Validate a pending check at ``now`` and keep its report; idempotent.

    Unreadable input ends the check as ``failed`` with the reason (no retry); any other error
    propagates, so the job is retried.

    Returns:
        ``done``, ``failed``, ``skipped`` (already finished) or ``missing`` (purged).
    """
    check = await CheckRepository(session).get_for_update(check_id)
    if check is None:
        return "missing"
    if check.status != CheckStatus.PENDING:
        return "skipped"
    document = await anyio.to_thread.run_sync(files.document(check_id).read_bytes)
    signature = (
        await anyio.to_thread.run_sync(files.signature(check_id).read_bytes)
        if check.detached
        else None
    )
    try:
        verification = await verify_document(
            document, signature, trust=trust, at=now, limits=limits
        )
    except UnreadableDocument as exc:
        check.status = CheckStatus.FAILED
        check.failure_reason, check.failure_de, check.failure_en = exc.reason, exc.de, exc.en
    else:
        check.status = CheckStatus.DONE
        check.report = encode_report(verification.report).decode()
        check.etsi_report = verification.etsi_xml
    check.finished_at = now
    return str(check.status)
