"""Procurement actors: closing a tender at its deadline and the sweep that repairs a missed one;
sealing a bid receipt, checking a bid document's signatures, writing the opening minutes."""

from __future__ import annotations

__all__ = [
    "CHECK_BID_DOCUMENT",
    "CLOSE_TENDER",
    "DISPATCH_LETTERS",
    "END_STANDSTILL",
    "SEAL_RECEIPT",
    "SWEEP_TENDERS",
    "WRITE_MINUTES",
]

import logging
import uuid

from infra.jobs.specs import ActorSpec, JobContext
from procurement.award import letters, proposals
from procurement.award.letters import EndStandstill
from procurement.award.proposals import DispatchLetters
from procurement.bids import opening, submission
from procurement.bids.opening import WriteMinutes
from procurement.bids.submission import CheckBidDocument, SealReceipt
from procurement.tenders import closing

log = logging.getLogger("vergabe.procurement")


async def _close(context: JobContext, payload: closing.CloseTender) -> None:
    closed = await closing.close(
        context.session, tender_id=uuid.UUID(payload.tender_id), now=context.clock.now()
    )
    log.info("tender closing", extra={"tender_id": payload.tender_id, "closed": closed})


CLOSE_TENDER = ActorSpec(name=closing.CLOSE_TENDER, payload_type=closing.CloseTender, fn=_close)


async def _sweep(context: JobContext, _payload: closing.SweepTenders) -> None:
    from procurement.award.conclusion import end_overdue

    now = context.clock.now()
    closed = await closing.close_overdue(context.session, now=now)
    if closed:
        log.warning("tenders closed by the sweep", extra={"closed": closed})
    ended = await end_overdue(context.session, now=now, public_url=context.settings.public_url)
    if ended:
        log.warning("standstill periods ended by the sweep", extra={"ended": ended})


SWEEP_TENDERS = ActorSpec(name=closing.SWEEP_TENDERS, payload_type=closing.SweepTenders, fn=_sweep)


async def _seal_receipt(context: JobContext, payload: SealReceipt) -> None:
    from procurement.bids.receipts import seal_receipt

    outcome = await seal_receipt(
        context.session,
        uuid.UUID(payload.submission_id),
        settings=context.settings,
        clock=context.clock,
    )
    log.info("bid receipt", extra={"submission_id": payload.submission_id, "outcome": outcome})


SEAL_RECEIPT = ActorSpec(name=submission.SEAL_RECEIPT, payload_type=SealReceipt, fn=_seal_receipt)


async def _check_document(context: JobContext, payload: CheckBidDocument) -> None:
    from procurement.bids.jobs import check_bid_document

    outcome = await check_bid_document(
        context.session,
        uuid.UUID(payload.document_id),
        required=payload.required,
        settings=context.settings,
        clock=context.clock,
    )
    log.info("bid document checked", extra={"document_id": payload.document_id, "outcome": outcome})


CHECK_BID_DOCUMENT = ActorSpec(
    name=submission.CHECK_BID_DOCUMENT, payload_type=CheckBidDocument, fn=_check_document
)


async def _write_minutes(context: JobContext, payload: WriteMinutes) -> None:
    from procurement.bids.jobs import write_minutes

    outcome = await write_minutes(
        context.session,
        uuid.UUID(payload.tender_id),
        settings=context.settings,
        clock=context.clock,
    )
    log.info("opening minutes", extra={"tender_id": payload.tender_id, "outcome": outcome})


WRITE_MINUTES = ActorSpec(name=opening.WRITE_MINUTES, payload_type=WriteMinutes, fn=_write_minutes)


async def _dispatch_letters(context: JobContext, payload: DispatchLetters) -> None:
    outcome = await letters.dispatch_letters(
        context.session,
        uuid.UUID(payload.tender_id),
        settings=context.settings,
        clock=context.clock,
    )
    log.info("award letters", extra={"tender_id": payload.tender_id, "outcome": outcome})


DISPATCH_LETTERS = ActorSpec(
    name=proposals.DISPATCH_LETTERS, payload_type=DispatchLetters, fn=_dispatch_letters
)


async def _end_standstill(context: JobContext, payload: EndStandstill) -> None:
    from procurement.award.conclusion import end_standstill

    outcome = await end_standstill(
        context.session,
        uuid.UUID(payload.tender_id),
        now=context.clock.now(),
        public_url=context.settings.public_url,
        requeue=True,
    )
    log.info("standstill end", extra={"tender_id": payload.tender_id, "outcome": outcome})


END_STANDSTILL = ActorSpec(
    name=letters.END_STANDSTILL, payload_type=EndStandstill, fn=_end_standstill
)
