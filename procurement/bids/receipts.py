"""Receipts: the mail sent with each submission or withdrawal, and the job that renders and seals
the receipt PDF.

The mail leaves in the transaction that stores the submission (the outbox), so a company that got
a 201 also gets its mail. It states the tender, the kind, the exact receipt time (UTC and the
instance's time zone), the receipt number and the SHA-256 of the whole bid; it names no document
and no price, since mail crosses servers the platform does not control. The sealed PDF, which
lists each document with its SHA-256, is made by ``procurement.seal_receipt`` within seconds
(sealing takes a timestamp, and is kept out of the closing-minute rush) and is stored sealed with
the tender's data key: only the company reads it, through the platform.
"""

from __future__ import annotations

__all__ = ["queue_receipt_mail", "receipt_facts", "seal_receipt"]

import asyncio
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.models import Membership, Organisation, Role, User
from infra.identity.principal import Principal
from infra.mail.outbox import queue_mail
from infra.profile import Profile
from infra.settings import Settings
from procurement.bids import vault
from procurement.bids.documents import ReceiptDocument, ReceiptEntry
from procurement.bids.models import Bid, Submission, SubmissionKind
from procurement.bids.schemas import Manifest
from procurement.tenders.models import Tender
from procurement.tenders.repository import TenderRepository

_KIND_DE = {
    SubmissionKind.SUBMISSION: "Angebot eingegangen",
    SubmissionKind.RESUBMISSION: "Geändertes Angebot eingegangen",
    SubmissionKind.WITHDRAWAL: "Angebot zurückgezogen",
}
_KIND_EN = {
    SubmissionKind.SUBMISSION: "bid received",
    SubmissionKind.RESUBMISSION: "revised bid received",
    SubmissionKind.WITHDRAWAL: "bid withdrawn",
}


def _times(profile: Profile, moment: datetime) -> tuple[str, str]:
    local = moment.astimezone(ZoneInfo(profile.instance.timezone))
    return (
        f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f} UTC",
        f"{local:%d.%m.%Y, %H:%M:%S.%f} ({profile.instance.timezone}, UTC{local:%z})",
    )


async def _recipients(
    session: AsyncSession, organisation_id: uuid.UUID, by: Principal
) -> list[str]:
    """The person who acted; for an API token, the company's owners."""
    if by.email:
        return [by.email]
    return list(
        await session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.OWNER,
                User.disabled_at.is_(None),
            )
            .order_by(User.email)
        )
    )


async def queue_receipt_mail(
    session: AsyncSession,
    *,
    profile: Profile,
    public_url: str,
    tender: Tender,
    bid: Bid,
    submission: Submission,
    by: Principal,
) -> None:
    """Queue the receipt mail in the submitting transaction."""
    kind = SubmissionKind(submission.kind)
    utc, local = _times(profile, submission.received_at)
    url = f"{public_url.rstrip('/')}/angebote/{tender.id}"
    subject = f"{_KIND_DE[kind]}: {tender.number} / {_KIND_EN[kind].capitalize()}"
    if kind == SubmissionKind.WITHDRAWAL:
        de_what = "Ihr Angebot wurde zurückgezogen; es wird nicht geöffnet."
        en_what = "Your bid was withdrawn; it will not be opened."
    else:
        de_what = (
            "Ihr Angebot ist fristgerecht eingegangen. Es bleibt verschlüsselt, bis zwei "
            "Vertreter der Vergabestelle es nach Ablauf der Angebotsfrist gemeinsam öffnen."
        )
        en_what = (
            "Your bid was received in time. It stays encrypted until two representatives of "
            "the contracting authority open it together after the submission deadline."
        )
    body = (
        f"Guten Tag,\n\n{de_what}\n\nAusschreibung: {tender.number} „{tender.title}“\n"
        f"Eingangsnummer: {submission.receipt_number}\nEingang: {local}\n           {utc}\n"
        f"SHA-256 des Angebots: {submission.bid_sha256}\n\nDie gesiegelte Eingangsbestätigung "
        f"(PDF) finden Sie auf der Plattform:\n{url}\n\n----- English -----\n\nHello,\n\n"
        f'{en_what}\n\nTender: {tender.number} "{tender.title}"\n'
        f"Receipt number: {submission.receipt_number}\nReceived: {utc}\n"
        f"SHA-256 of the bid: {submission.bid_sha256}\n\nThe sealed receipt (PDF) is on the "
        f"platform:\n{url}\n\n-- \n{profile.instance.name['de']}\n"
        f"{profile.instance.operator['de']}\n"
    )
    for address in await _recipients(session, bid.organisation_id, by):
        await queue_mail(
            session, to=address, subject=subject, body=body, now=submission.received_at
        )


async def receipt_facts(
    session: AsyncSession,
    profile: Profile,
    submission: Submission,
    manifest: Manifest,
) -> ReceiptDocument:
    """What the receipt PDF states, from the rows and the opened manifest."""
    tender = await session.get(Tender, submission.tender_id)
    bid = await session.get(Bid, submission.bid_id)
    if tender is None or bid is None or tender.submission_deadline is None:
        raise LookupError(f"submission {submission.id} has no tender or bid")
    company = await session.get(Organisation, bid.organisation_id)
    person = await session.get(User, submission.by) if submission.by else None
    instance = profile.instance
    return ReceiptDocument(
        receipt_number=submission.receipt_number,
        kind=SubmissionKind(submission.kind).value,
        tender_number=tender.number,
        tender_title=tender.title,
        authority_name=await TenderRepository(session).authority_name(tender.authority_id),
        company_name=company.legal_name if company else "",
        submitted_by=(person.name or person.email) if person else "API",
        received_at=submission.received_at,
        submission_deadline=tender.submission_deadline,
        bid_sha256=submission.bid_sha256,
        lots=tuple(offer.lot for offer in manifest.content.lots),
        documents=tuple(
            ReceiptEntry(position=position, filename=d.filename, size=d.size, sha256=d.sha256)
            for position, d in enumerate(manifest.documents, start=1)
        ),
        instance_name={str(k): v for k, v in instance.name.items()},
        operator={str(k): v for k, v in instance.operator.items()},
        state=instance.state,
    )


async def seal_receipt(
    session: AsyncSession, submission_id: uuid.UUID, *, settings: Settings, clock: Clock
) -> str:
    """Render, seal and keep the receipt PDF of a submission; ``sealed``, ``skipped`` (already
    there) or ``missing``. A failure raises, and the job is retried."""
    submission = (
        await session.scalars(
            select(Submission).where(Submission.id == submission_id).with_for_update()
        )
    ).first()
    if submission is None:
        return "missing"
    if submission.receipt_pdf is not None:
        return "skipped"
    # pyHanko and fpdf2 are loaded by the worker only, never on the request side.
    from procurement.bids.documents import render_receipt
    from signatures.seal import sealer_from_settings
    from signatures.trust import load_trust_store

    kek = vault.kek_from_settings(settings)
    key = await vault.data_key(session, kek, submission.tender_id, now=clock.now(), create=False)
    if key is None:
        return "missing"
    manifest = vault.manifest_of(submission, key)
    facts = await receipt_facts(session, settings.profile, submission, manifest)
    pdf = render_receipt(facts)
    trust = await asyncio.to_thread(load_trust_store, settings, at=clock.now())
    sealer = sealer_from_settings(settings, clock=clock, trust=trust)
    sealed = await sealer.seal(pdf, reason="Eingangsbestätigung / Receipt")
    submission.receipt_pdf = vault.seal(key, sealed, vault.receipt_context(submission.id))
    return "sealed"
