"""The job side of an evidence upload: verify its signatures and note what the officer must see.

Runs in ``prequalification.check_evidence`` (it loads pyHanko through
:mod:`signatures.checking`, which the request side never imports). The signature report is
kept on the evidence row; the findings become flags the officer sees beside the item:

- ``unreadable`` — not a readable PDF (encrypted, corrupt, over a limit);
- ``signature-rejected`` / ``signature-needs-review`` — the signature verdict;
- ``qualified-signature-missing`` — the type requires a qualified signature or seal and no
  accepted signature is labelled ``QESig``/``QESeal``;
- ``signer-not-representative`` — a personal signature (not a seal) by someone who is not a
  registered person of the company (owners and members). Documents issued by third parties
  (tax offices, insurers) carry the issuer's seal, which is why seals are not matched.
"""

from __future__ import annotations

__all__ = ["run_evidence_check"]

import uuid
from datetime import datetime

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.profile import Profile
from prequalification.applications import EvidenceFiles
from prequalification.models import Evidence, EvidenceStatus
from prequalification.repository import PrequalificationRepository
from signatures.checking import verify_document
from signatures.errors import UnreadableDocument
from signatures.schemas import DocumentReport, Label, Verdict
from signatures.service import encode_report
from signatures.trust import TrustStore
from signatures.verify import Limits

QUALIFIED = (Label.QESIG, Label.QESEAL)
SEALS = (Label.QESEAL, Label.ADESEAL_QC, Label.ADESEAL, Label.INDETERMINATE_QESEAL)
_RANK = {label: rank for rank, label in enumerate(Label)}


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def findings(
    report: DocumentReport, *, qualified_required: bool, representatives: list[str]
) -> tuple[list[str], Label | None]:
    """The officer's flags and the best label among the signatures."""
    flags: list[str] = []
    if report.verdict == Verdict.REJECTED:
        flags.append("signature-rejected")
    elif report.verdict == Verdict.NEEDS_REVIEW:
        flags.append("signature-needs-review")
    labels = [sig.label for sig in report.signatures]
    best = min(labels, key=lambda label: _RANK[label]) if labels else None
    accepted = report.verdict == Verdict.ACCEPTED
    if qualified_required and not (accepted and any(label in QUALIFIED for label in labels)):
        flags.append("qualified-signature-missing")
    people = {_fold(name) for name in representatives}
    for sig in report.signatures:
        if sig.label in SEALS or sig.signer is None:
            continue
        if _fold(sig.signer.name) not in people:
            flags.append("signer-not-representative")
            break
    return flags, best


async def run_evidence_check(
    session: AsyncSession,
    evidence_id: uuid.UUID,
    *,
    profile: Profile,
    files: EvidenceFiles,
    now: datetime,
    trust: TrustStore,
    limits: Limits,
) -> str:
    """Verify a pending item at ``now`` and keep the result; idempotent.

    Returns:
        ``checked``, ``unreadable``, ``skipped`` (already done) or ``missing``.
    """
    repo = PrequalificationRepository(session)
    evidence: Evidence | None = await repo.evidence(evidence_id, for_update=True)
    if evidence is None:
        return "missing"
    if evidence.verdict is not None or evidence.failure_reason is not None:
        return "skipped"
    document = await anyio.to_thread.run_sync(files.path(evidence_id).read_bytes)
    evidence_type = profile.prequalification.evidence_type(evidence.type_code)
    try:
        verification = await verify_document(document, None, trust=trust, at=now, limits=limits)
    except UnreadableDocument as exc:
        evidence.failure_reason = exc.reason
        evidence.flags = msgspec.json.encode(["unreadable"]).decode()
        if evidence.status == EvidenceStatus.CHECKING:
            evidence.status = EvidenceStatus.UNREADABLE
        return "unreadable"
    report = verification.report
    flags, best = findings(
        report,
        qualified_required=evidence_type.qualified_signature,
        representatives=list(await repo.representatives(evidence.organisation_id)),
    )
    evidence.verdict = report.verdict
    evidence.label = best
    evidence.signers = msgspec.json.encode(
        [sig.signer.name for sig in report.signatures if sig.signer is not None]
    ).decode()
    evidence.report = encode_report(report).decode()
    evidence.flags = msgspec.json.encode(flags).decode()
    if evidence.status == EvidenceStatus.CHECKING:
        evidence.status = EvidenceStatus.CHECKED
    return "checked"
