"""The information of the unsuccessful bidders (§ 134 Abs. 1 GWB) and the start of the standstill.

The job ``procurement.dispatch_award_letters``, queued by the approval of the award, writes one
letter to every bidder whose bid in force is not to be awarded a lot it offers (excluded bids
included): per lot the name of the company to be awarded, why the recipient's bid is not, the
authority's reasons and the earliest date of the contract. Each letter is sealed by the
platform, stored, sent by mail with the PDF and shown to the company on the platform. The moment
the job runs is the dispatch: the standstill is computed from it
(:func:`procurement.award.standstill.standstill_period`), written on every letter and on the
proposal, and the job ``procurement.end_standstill`` is queued for the first moment of the day
of contract (:mod:`procurement.award.conclusion`).

Idempotent: the job works under a lock on the proposal and does nothing once the letters are
dispatched; a worker killed midway rolls everything back (letters, mails, the standstill), so a
re-run sends each letter once.
"""

from __future__ import annotations

__all__ = ["END_STANDSTILL", "EndStandstill", "dispatch_letters", "end_key", "letter_facts"]

import asyncio
import uuid
from datetime import datetime
from decimal import Decimal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.clock import Clock
from infra.identity.models import Organisation, User
from infra.jobs import outbox
from infra.mail.outbox import queue_mail
from infra.settings import Settings
from procurement.award.letter_document import (
    InformationLetter,
    LetterLot,
    render_information_letter,
)
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    AwardLot,
    AwardProposal,
    InformationLetterRow,
    RankEntryRow,
)
from procurement.award.standstill import StandstillPeriod, standstill_period
from procurement.bids import vault
from procurement.bids.models import Bid, Submission
from procurement.bids.opening import in_force
from procurement.periods import Calendar
from procurement.tenders.models import Lot, Tender, TenderStatus
from procurement.tenders.repository import TenderRepository
from signatures.seal import sealer_from_settings
from signatures.trust import load_trust_store

END_STANDSTILL = "procurement.end_standstill"


class EndStandstill(msgspec.Struct, frozen=True, kw_only=True):
    tender_id: str


def end_key(tender_id: uuid.UUID, dispatched_at: datetime) -> str:
    """The dedupe key of the end-of-standstill job of one dispatch (moved or cancelled by it)."""
    return f"standstill-end:{tender_id}:{dispatched_at.isoformat()}"


def _points(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _lost_lot(
    lot: int,
    *,
    winner: AwardLot,
    winner_name: str,
    title: str,
    assessment: Assessment | None,
    ranks: dict[tuple[int, uuid.UUID], RankEntryRow],
    counts: dict[int, int],
    bid_id: uuid.UUID,
) -> LetterLot:
    """What the letter says about one lot the recipient does not get."""
    if assessment is not None and assessment.status == AssessmentStatus.EXCLUDED:
        reason = assessment.reason or ""
        outcome = (
            f"Ihr Angebot wurde von der Wertung ausgeschlossen: {reason} / "
            f"Your bid was excluded from the evaluation: {reason}"
        )
    elif (own := ranks.get((lot, bid_id))) is not None:
        best = ranks.get((lot, winner.bid_id))
        theirs = _points(best.total) if best else "—"
        outcome = (
            f"Ihr Angebot belegt Rang {own.rank} von {counts[lot]} ({_points(own.total)} "
            f"Punkte; das erfolgreiche Angebot {theirs} Punkte). / Your bid ranks "
            f"{own.rank} of {counts[lot]} ({own.total:.2f} points; the successful bid "
            f"{best.total if best else '—'} points)."
        )
    else:
        outcome = (
            "Ihr Angebot wurde für dieses Los nicht berücksichtigt. / Your bid was not "
            "considered for this lot."
        )
    return LetterLot(lot_number=lot, lot_title=title, winner_name=winner_name, outcome=outcome)


async def letter_facts(
    session: AsyncSession,
    *,
    settings: Settings,
    tender: Tender,
    proposal: AwardProposal,
    period: StandstillPeriod,
    key: bytes,
) -> list[tuple[Bid, InformationLetter]]:
    """Each unsuccessful bidder with what its letter states."""
    winners = {
        w.lot: w
        for w in await session.scalars(select(AwardLot).where(AwardLot.tender_id == tender.id))
    }
    names = {
        w.organisation_id: ((await session.get(Organisation, w.organisation_id)) or Organisation())
        for w in winners.values()
    }
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    ranks = {
        (r.lot, r.bid_id): r
        for r in await session.scalars(
            select(RankEntryRow).where(RankEntryRow.tender_id == tender.id)
        )
    }
    counts: dict[int, int] = {}
    for lot, _bid in ranks:
        counts[lot] = counts.get(lot, 0) + 1
    assessments = {
        a.bid_id: a
        for a in await session.scalars(select(Assessment).where(Assessment.tender_id == tender.id))
    }
    instance = settings.profile.instance
    authority = await TenderRepository(session).authority_name(tender.authority_id)
    # Numbered on from the letters of an earlier decision (voided by an upheld review).
    sent = await session.scalar(
        select(func.count())
        .select_from(InformationLetterRow)
        .where(InformationLetterRow.tender_id == tender.id)
    )
    letters: list[tuple[Bid, InformationLetter]] = []
    for bid, submission in await in_force(session, tender.id):
        offered = sorted({o.lot for o in vault.manifest_of(submission, key).content.lots})
        lost = [lot for lot in offered if lot in winners and winners[lot].bid_id != bid.id]
        if not lost:
            continue
        company = await session.get(Organisation, bid.organisation_id)
        lots = tuple(
            _lost_lot(
                lot,
                winner=winners[lot],
                winner_name=names[winners[lot].organisation_id].legal_name,
                title=titles.get(lot, tender.title),
                assessment=assessments.get(bid.id),
                ranks=ranks,
                counts=counts,
                bid_id=bid.id,
            )
            for lot in lost
        )
        letters.append(
            (
                bid,
                InformationLetter(
                    letter_number=f"{tender.number}-I-{(sent or 0) + len(letters) + 1:02d}",
                    tender_number=tender.number,
                    tender_title=tender.title,
                    authority_name=authority,
                    company_name=company.legal_name if company else "",
                    dispatched_at=period.dispatched_at,
                    lots=lots,
                    reasons=proposal.reasons,
                    electronic=period.electronic,
                    standstill_days=period.days,
                    standstill_first_day=period.first_day,
                    standstill_last_day=period.last_day,
                    contract_from=period.contract_from,
                    review_body=settings.profile.award.review_body,
                    instance_name={str(k): v for k, v in instance.name.items()},
                    operator={str(k): v for k, v in instance.operator.items()},
                    state=instance.state,
                ),
            )
        )
    return letters


def _mail_body(letter: InformationLetter, url: str, platform: str) -> str:
    day = letter.contract_from.strftime("%d.%m.%Y")
    return (
        f"Guten Tag,\n\nin der Ausschreibung {letter.tender_number} „{letter.tender_title}“ "
        f"soll der Zuschlag nicht auf Ihr Angebot erteilt werden. Die Information nach § 134 "
        f"GWB mit dem Namen des erfolgreichen Unternehmens, den Gründen und dem frühesten "
        f"Zeitpunkt des Vertragsschlusses ({day}) ist als elektronisch versiegeltes PDF "
        f"beigefügt und auf der Plattform abrufbar:\n{url}\n\n----- English -----\n\nHello,\n\n"
        f'in the tender {letter.tender_number} "{letter.tender_title}" the contract is not to '
        f"be awarded on your bid. The information pursuant to Section 134 GWB, with the name "
        f"of the successful company, the reasons and the earliest date of the contract "
        f"({letter.contract_from.isoformat()}), is attached as an electronically sealed PDF "
        f"and on the platform:\n{url}\n\n-- \n{platform}\n"
    )


async def dispatch_letters(
    session: AsyncSession, tender_id: uuid.UUID, *, settings: Settings, clock: Clock
) -> str:
    """Send the information letters and start the standstill; ``dispatched``, ``skipped``
    (sent already) or ``missing`` (no approved proposal, or the tender moved on)."""
    proposal = await session.get(AwardProposal, tender_id, with_for_update=True)
    tender = await session.get(Tender, tender_id)
    if proposal is None or proposal.approved_at is None or tender is None:
        return "missing"
    if proposal.dispatched_at is not None:
        return "skipped"
    if tender.status != TenderStatus.AWARD_PROPOSED:
        return "missing"
    now = clock.now()
    period = standstill_period(settings.profile, now, electronic=proposal.electronic)
    key = await vault.data_key(
        session, vault.kek_from_settings(settings), tender.id, now=now, create=False
    )
    assert key is not None
    letters = await letter_facts(
        session, settings=settings, tender=tender, proposal=proposal, period=period, key=key
    )
    if letters:
        trust = await asyncio.to_thread(load_trust_store, settings, at=now)
        sealer = sealer_from_settings(settings, clock=clock, trust=trust)
    url = f"{settings.public_url.rstrip('/')}/angebote/{tender.id}"
    platform = settings.profile.instance.name["de"]
    for bid, facts in letters:
        pdf = await asyncio.to_thread(render_information_letter, facts)
        sealed = await sealer.seal(pdf, reason="Information nach § 134 GWB / Section 134 GWB")
        session.add(
            InformationLetterRow(
                tender_id=tender.id,
                bid_id=bid.id,
                organisation_id=bid.organisation_id,
                number=facts.letter_number,
                pdf=sealed,
                dispatched_at=period.dispatched_at,
                contract_from=period.contract_from,
            )
        )
        for address in await _addresses(session, bid):
            await queue_mail(
                session,
                to=address,
                subject=(
                    f"Information nach § 134 GWB: {tender.number} / "
                    "Information pursuant to Section 134 GWB"
                ),
                body=_mail_body(facts, url, platform),
                now=now,
                attachment=(f"{facts.letter_number}.pdf", sealed),
            )
    proposal.dispatched_at = period.dispatched_at
    proposal.standstill_last_day = period.last_day
    proposal.contract_from = period.contract_from
    proposal.contract_from_moment = period.contract_from_moment
    run_at = period.contract_from_moment
    if not letters:
        # Nobody to inform (every bidder is to be awarded): no standstill to wait out.
        proposal.standstill_last_day = None
        proposal.contract_from = Calendar(settings.profile).local_date(now)
        proposal.contract_from_moment = now
        run_at = now
    await outbox.enqueue(
        session,
        END_STANDSTILL,
        EndStandstill(tender_id=str(tender.id)),
        run_at=run_at,
        now=now,
        dedupe_key=end_key(tender.id, period.dispatched_at),
    )
    await record(
        session,
        now=now,
        action="tender.information_sent",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=None,
        organisation_id=tender.authority_id,
        after={
            "letters": [facts.letter_number for _bid, facts in letters],
            "electronic": proposal.electronic,
            "last_day": period.last_day.isoformat(),
            "contract_from": (proposal.contract_from or period.contract_from).isoformat(),
        },
    )
    return "dispatched"


async def _addresses(session: AsyncSession, bid: Bid) -> list[str]:
    """The company's contact address and the person who submitted the bid in force."""
    company = await session.get(Organisation, bid.organisation_id)
    submitter_id = await session.scalar(
        select(Submission.by).where(Submission.bid_id == bid.id, Submission.superseded_at.is_(None))
    )
    submitter = await session.get(User, submitter_id) if submitter_id else None
    return sorted(
        {a for a in (company and company.contact_email, submitter and submitter.email) if a}
    )
