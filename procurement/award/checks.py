"""The formal and eligibility checks of a submitted bid, computed from its opened manifest.

- **Received in time**: the receipt time of the submission in force lies before the
  submission deadline (checked at receipt already; checked again for the file).
- **Complete**: what a submission needs (:func:`procurement.bids.submission.missing_for_submission`:
  prices, the offer letter, the declaration on exclusion grounds, the binding period) — and a
  declared ground of exclusion, which an officer must assess (§§ 123–125 GWB).
- **Signed as required** (§ 53 VgV): where the tender asks for an advanced or qualified
  signature, every ``offer`` document must meet it by the signature check's result; a check
  still running is ``pending``.
- **Eligibility**: asked of the pre-qualification register for the time of the submission
  deadline (:func:`prequalification.register.qualification_at`), for each category and CPV
  division the tender names; failing that, the documents of each evidence type the tender asks
  of companies without a certificate (``evidence``: an officer examines them).
"""

from __future__ import annotations

__all__ = ["CheckResult", "check_bid"]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.profile import Profile
from prequalification.register import qualification_at
from procurement.bids import vault
from procurement.bids.models import BidDocument, Submission
from procurement.bids.schemas import DocumentMeta, Manifest, SignatureSummary
from procurement.bids.submission import missing_for_submission
from procurement.tenders.models import Tender


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of the checks of one bid."""

    received_in_time: bool
    complete: bool
    signature: str
    """``not-required``, ``ok``, ``pending`` or ``failed``."""
    eligibility: str
    """``not-required``, ``certificate``, ``evidence`` or ``missing``."""
    certificate_number: str | None
    findings: list[str]
    """What was found wanting, in words."""

    @property
    def passed(self) -> bool:
        return not self.findings


def _codes(raw: str) -> list[str]:
    try:
        return msgspec.json.decode(raw, type=list[str])
    except msgspec.DecodeError:
        return []


async def _signature(
    session: AsyncSession, tender: Tender, manifest: Manifest, key: bytes
) -> tuple[str, list[str]]:
    if tender.bid_signature == "text":
        return "not-required", []
    offers = [d for d in manifest.documents if d.requirement == "offer"]
    rows = {
        row.id: row
        for row in await session.scalars(
            select(BidDocument).where(BidDocument.id.in_([d.id for d in offers]))
        )
    }
    state, findings = "ok", []
    for document in offers:
        row = rows.get(document.id)
        if row is None or row.checked is None:
            state = "pending" if state == "ok" else state
            continue
        plain = vault.open_sealed(key, row.checked, vault.check_context(row.id))
        summary = msgspec.json.decode(plain, type=SignatureSummary)
        if not summary.meets_requirement:
            state = "failed"
            findings.append(
                f"The offer document {document.filename} does not bear the "
                f"{tender.bid_signature} signature the tender requires (§ 53 VgV)."
            )
    if state == "pending":
        findings.append("The signature check of the offer documents has not finished yet.")
    return state, findings


async def _eligibility(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    organisation_id: uuid.UUID,
    manifest: Manifest,
    at: datetime,
) -> tuple[str, str | None, list[str]]:
    categories, divisions = _codes(tender.pq_categories), _codes(tender.pq_divisions)
    evidence = _codes(tender.evidence_types)
    if not (categories or divisions or evidence):
        return "not-required", manifest.content.certificate_number, []
    findings: list[str] = []
    if categories or divisions:
        answers = [
            await qualification_at(
                session, profile=profile, organisation_id=organisation_id, at=at, category=code
            )
            for code in categories
        ] + [
            await qualification_at(
                session, profile=profile, organisation_id=organisation_id, at=at, cpv_division=code
            )
            for code in divisions
        ]
        lacking = [a.category or a.cpv_division or "" for a in answers if not a.qualified]
        if not lacking:
            return "certificate", answers[0].certificate_number, []
        findings.append(
            "The company was not pre-qualified at the submission deadline for "
            f"{', '.join(lacking)}."
        )
    given = {document.requirement for document in manifest.documents}
    missing = [code for code in evidence if code not in given]
    if evidence and not missing:
        return "evidence", None, []
    if missing:
        findings.append(
            "Without a certificate, the bid lacks the documents of these evidence types: "
            f"{', '.join(missing)}."
        )
    return "missing", None, findings


async def check_bid(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    submission: Submission,
    manifest: Manifest,
    key: bytes,
) -> CheckResult:
    """Check the bid as submitted (``manifest`` of the submission in force)."""
    deadline = tender.submission_deadline
    in_time = deadline is not None and submission.received_at < deadline
    findings: list[str] = []
    if not in_time:
        findings.append("The bid was received after the submission deadline.")
    metas = [
        DocumentMeta(
            filename=d.filename,
            media_type=d.media_type,
            size=d.size,
            sha256=d.sha256,
            requirement=d.requirement,
        )
        for d in manifest.documents
    ]
    incomplete = missing_for_submission(tender, manifest.content, metas)
    findings += incomplete
    declarations = manifest.content.declarations
    if declarations.no_exclusion_grounds is False:
        findings.append(
            "The company declares that a ground of exclusion applies; assess its self-cleaning "
            f"(§ 125 GWB): {declarations.self_cleaning or '—'}"
        )
    signature, unsigned = await _signature(session, tender, manifest, key)
    findings += unsigned
    eligibility, number, unproved = await _eligibility(
        session,
        profile=profile,
        tender=tender,
        organisation_id=manifest.organisation_id,
        manifest=manifest,
        at=deadline or submission.received_at,
    )
    findings += unproved
    return CheckResult(
        received_in_time=in_time,
        complete=not incomplete,
        signature=signature,
        eligibility=eligibility,
        certificate_number=number,
        findings=findings,
    )
