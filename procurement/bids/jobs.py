"""The bid jobs that come after a request: checking a document's signature (sealed until the
opening) and writing the opening minutes. Each is idempotent: a result already there is kept.

- ``procurement.check_bid_document``: queued with each submission when the tender asks for
  signed bids (§ 53 (3) VgV). The worker opens the document, verifies it with the signatures
  domain at that moment (DESIGN.md §4) and keeps the summary *sealed* on the document row: the
  authority sees it after the opening, never before (issue 7, item 5).
- ``procurement.write_minutes``: queued by the confirmation of an opening; renders the minutes
  (§ 55 (2) VgV) from the opened bids, seals them electronically and stores them sealed with the
  tender's data key (they name every price).
"""

from __future__ import annotations

__all__ = ["check_bid_document", "minutes_facts", "write_minutes"]

import asyncio
import uuid
from datetime import timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.models import AuditEvent
from infra.clock import Clock
from infra.identity.models import Organisation, User
from infra.settings import Settings
from procurement.bids import vault
from procurement.bids.documents import MinutesBid, MinutesDocument, MinutesLot, render_minutes
from procurement.bids.models import Bid, BidDocument, BidStatus, Opening
from procurement.bids.opening import in_force
from procurement.bids.schemas import SignatureSummary
from procurement.tenders.models import Lot, Tender
from procurement.tenders.repository import TenderRepository
from signatures.checking import verify_document
from signatures.errors import UnreadableDocument
from signatures.schemas import Label, Verdict
from signatures.seal import sealer_from_settings
from signatures.trust import load_trust_store
from signatures.verify import Limits

_QUALIFIED = {Label.QESIG, Label.QESEAL}
_LATE_OPENING = timedelta(hours=24)


async def check_bid_document(
    session: AsyncSession,
    document_id: uuid.UUID,
    *,
    required: str,
    settings: Settings,
    clock: Clock,
) -> str:
    """Verify a bid document's signatures and keep the sealed summary; ``checked``,
    ``skipped`` or ``missing``."""
    row = (
        await session.scalars(
            select(BidDocument).where(BidDocument.id == document_id).with_for_update()
        )
    ).first()
    if row is None:
        return "missing"
    if row.checked is not None:
        return "skipped"
    now = clock.now()
    kek = vault.kek_from_settings(settings)
    key = await vault.data_key(session, kek, row.tender_id, now=now, create=False)
    if key is None:
        return "missing"
    files = vault.BidFiles(settings.storage.root)
    data = vault.open_sealed(key, files.read(row.tender_id, row.id), vault.document_context(row.id))
    trust = await asyncio.to_thread(load_trust_store, settings, at=now)
    limits = Limits.from_settings(settings.signatures)
    try:
        verification = await verify_document(data, None, trust=trust, at=now, limits=limits)
    except UnreadableDocument as exc:
        summary = SignatureSummary(
            verdict=None,
            label=None,
            signers=[],
            required=required,
            meets_requirement=False,
            reason=exc.reason,
        )
    else:
        report = verification.report
        labels = {sig.label for sig in report.signatures}
        accepted = report.verdict == Verdict.ACCEPTED and bool(report.signatures)
        meets = accepted and (required != "qualified" or bool(labels & _QUALIFIED))
        summary = SignatureSummary(
            verdict=str(report.verdict),
            label=str(min(labels, key=list(Label).index)) if labels else None,
            signers=[sig.signer.name for sig in report.signatures if sig.signer is not None],
            required=required,
            meets_requirement=meets,
            reason=None if report.signatures else "no-signature",
        )
    row.checked = vault.seal(key, msgspec.json.encode(summary), vault.check_context(row.id))
    return "checked"


async def minutes_facts(
    session: AsyncSession, tender: Tender, opening: Opening, settings: Settings, key: bytes | None
) -> MinutesDocument:
    """What the minutes state: the opened bids in order of receipt, and anything unusual."""
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    bids = []
    anomalies = []
    for position, (bid, submission) in enumerate(await in_force(session, tender.id), start=1):
        assert key is not None
        manifest = vault.manifest_of(submission, key)
        company = await session.get(Organisation, bid.organisation_id)
        signatures = None
        if tender.bid_signature != "text":
            rows = [await session.get(BidDocument, d.id) for d in manifest.documents]
            summaries = [
                msgspec.json.decode(
                    vault.open_sealed(key, r.checked, vault.check_context(r.id)),
                    type=SignatureSummary,
                )
                for r in rows
                if r is not None and r.checked is not None
            ]
            good = sum(s.meets_requirement for s in summaries)
            total = len(manifest.documents)
            signatures = f"{good} von {total} Dokumenten erfüllen die Signaturanforderung"
            if len(summaries) < total:
                signatures += f" ({total - len(summaries)} noch nicht geprüft)"
            if good < total:
                anomalies.append(
                    f"Angebot {position} ({company.legal_name if company else ''}): "
                    f"{total - good} Dokument(e) ohne die geforderte Signatur."
                )
        bids.append(
            MinutesBid(
                position=position,
                company_name=company.legal_name if company else "",
                received_at=submission.received_at,
                receipt_number=submission.receipt_number,
                lots=tuple(
                    MinutesLot(
                        lot_number=o.lot,
                        lot_title=titles.get(o.lot, tender.title),
                        price=o.price,
                    )
                    for o in manifest.content.lots
                ),
                documents=len(manifest.documents),
                signatures=signatures,
            )
        )
    withdrawn = await session.scalar(
        select(func.count())
        .select_from(Bid)
        .where(Bid.tender_id == tender.id, Bid.status == BidStatus.WITHDRAWN)
    )
    refused = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_id == str(tender.id), AuditEvent.action.like("%.refused"))
    )
    if refused:
        anomalies.append(
            f"{refused} zurückgewiesene Zugriffsversuche vor der Öffnung im Prüfprotokoll "
            f"/ {refused} refused access attempts before the opening in the audit trail."
        )
    assert tender.submission_deadline is not None
    assert opening.confirmed_at is not None
    if opening.confirmed_at - tender.submission_deadline > _LATE_OPENING:
        anomalies.append(
            "Die Öffnung fand mehr als 24 Stunden nach Ablauf der Angebotsfrist statt "
            "/ The opening took place more than 24 hours after the deadline."
        )
    instance = settings.profile.instance
    started = await session.get(User, opening.started_by) if opening.started_by else None
    confirmed = await session.get(User, opening.confirmed_by) if opening.confirmed_by else None
    return MinutesDocument(
        minutes_number=f"{tender.number}-N",
        tender_number=tender.number,
        tender_title=tender.title,
        authority_name=await TenderRepository(session).authority_name(tender.authority_id),
        submission_deadline=tender.submission_deadline,
        started_at=opening.started_at,
        started_by=started.name if started else "—",
        confirmed_at=opening.confirmed_at,
        confirmed_by=confirmed.name if confirmed else "—",
        bids=tuple(bids),
        withdrawn=withdrawn or 0,
        anomalies=tuple(anomalies),
        instance_name={str(k): v for k, v in instance.name.items()},
        operator={str(k): v for k, v in instance.operator.items()},
        state=instance.state,
    )


async def write_minutes(
    session: AsyncSession, tender_id: uuid.UUID, *, settings: Settings, clock: Clock
) -> str:
    """Render and seal the opening minutes; ``written``, ``skipped`` or ``missing``."""
    opening = (
        await session.scalars(
            select(Opening).where(Opening.tender_id == tender_id).with_for_update()
        )
    ).first()
    tender = await session.get(Tender, tender_id)
    if opening is None or opening.confirmed_at is None or tender is None:
        return "missing"
    if opening.minutes_pdf is not None:
        return "skipped"
    now = clock.now()
    kek = vault.kek_from_settings(settings)
    # created if no company ever prepared a bid: the minutes are stored sealed all the same
    key = await vault.data_key(session, kek, tender.id, now=now, create=True)
    assert key is not None
    facts = await minutes_facts(session, tender, opening, settings, key)
    pdf = render_minutes(facts)
    trust = await asyncio.to_thread(load_trust_store, settings, at=now)
    sealer = sealer_from_settings(settings, clock=clock, trust=trust)
    signed = await sealer.seal(pdf, reason="Öffnungsniederschrift / Opening minutes")
    # They name every price: sealed with the data key like the bids (read through the API only).
    opening.minutes_pdf = vault.seal(key, signed, vault.minutes_context(tender.id))
    return "written"
