"""The award API: the authority's side under
``/api/v1/organisations/{organisation_id}/tenders/{tender_id}/award`` and the bidder's result
under ``/api/v1/organisations/{organisation_id}/bids/{tender_id}/result``.

Officers propose the award, query the competition register, approve (a second officer), record
review applications and their outcome, contracts and the completion; officers and evaluators
read the award and its letters. A company reads its own result and its own letters once the
decision is approved. Every refused request is recorded in the audit trail.
"""

from __future__ import annotations

__all__ = ["ROUTES", "BidResult", "TenderAward"]

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from infra.http import DbSession
from infra.identity.guards import principal_of
from procurement.award import (
    award_views,
    conclusion,
    contracts,
    proposals,
    register,
)
from procurement.award.award_schemas import (
    Approval,
    AwardView,
    CompanyResultView,
    ContractIn,
    ManualRegisterAnswer,
    Proposal,
    PublicationView,
    ReviewIn,
    ReviewResolution,
)
from procurement.award.controllers import (
    AUDITED,
    PathId,
    app_state,
    evaluators,
    kek_of,
    tender_in_path,
)
from procurement.award.controllers import officers as officers_guard
from procurement.bids.controllers import NO_STORE, attachment, company
from procurement.periods import Calendar
from procurement.tenders.models import Tender

Req = Request[Any, Any, Any]


class RegisterQueryIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Answers received on the register's portal, where the instance has no adapter to its
    interface (one per company); empty where the adapter queries the register itself."""

    answers: Annotated[list[ManualRegisterAnswer], msgspec.Meta(max_length=100)] = []


async def _view(request: Req, session: AsyncSession, tender: Tender) -> AwardView:
    state = app_state(request)
    return await award_views.award_view(
        session, profile=state.settings.profile, tender=tender, now=state.clock.now()
    )


def _today(request: Req) -> Any:
    state = app_state(request)
    return Calendar(state.settings.profile).local_date(state.clock.now())


class TenderAward(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tenders/{tender_id:uuid}/award"
    tags = ("award",)

    @get("", operation_id="award_get", guards=[evaluators], opt=AUDITED)
    async def read(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[AwardView]:
        """The award: proposal, approval, register queries, letters, standstill, reviews,
        contracts."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        return Response(await _view(request, session, tender), headers=NO_STORE)

    @post(
        "/proposal",
        operation_id="award_propose",
        status_code=201,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def propose(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[Proposal],
    ) -> AwardView:
        """Propose the award from the ranking in force (409 ``evaluation-refused`` without a
        ranking, ``award-refused``/``tie-unresolved`` for equal first places)."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await proposals.propose(
            session,
            profile=state.settings.profile,
            tender=tender,
            data=data,
            kek=kek_of(request),
            by=principal_of(request),
            now=state.clock.now(),
        )
        return await _view(request, session, tender)

    @post(
        "/register-queries",
        operation_id="award_register_query",
        status_code=201,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def query_register(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[RegisterQueryIn],
    ) -> AwardView:
        """Query the competition register about each company whose awards reach the
        threshold (§ 6 WRegG); each query and answer recorded."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await proposals.query_register(
            session,
            profile=state.settings.profile,
            tender=tender,
            adapter=register.adapter_for(state.settings),
            answers=data.answers,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return await _view(request, session, tender)

    @post(
        "/approval",
        operation_id="award_approve",
        status_code=200,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def approve(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[Approval],
    ) -> AwardView:
        """Approve the proposed award (403 ``four-eyes-required`` for the proposer); the
        information letters go out at once and the standstill starts."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await proposals.approve(
            session,
            profile=state.settings.profile,
            tender=tender,
            data=data,
            by=principal_of(request),
            now=state.clock.now(),
        )
        return await _view(request, session, tender)

    @get(
        "/letters/{letter_id:uuid}",
        operation_id="award_letter_pdf",
        guards=[evaluators],
        media_type="application/pdf",
        opt=AUDITED,
    )
    async def letter(
        self,
        session: DbSession,
        organisation_id: PathId,
        tender_id: PathId,
        letter_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """A sealed information letter as sent."""
        await tender_in_path(session, organisation_id, tender_id)
        row = await award_views.company_letter(
            session, organisation_id=None, tender_id=tender_id, letter_id=letter_id
        )
        return attachment(row.pdf, f"{row.number}.pdf", "application/pdf")

    @post(
        "/reviews",
        operation_id="award_review_record",
        status_code=201,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def record_review(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[ReviewIn],
    ) -> AwardView:
        """Record a review application the chamber notified: it holds the contract."""
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await conclusion.record_review(
            session,
            tender=tender,
            data=data,
            by=principal_of(request),
            now=app_state(request).clock.now(),
            today=_today(request),
        )
        return await _view(request, session, tender)

    @post(
        "/reviews/{review_id:uuid}/resolution",
        operation_id="award_review_resolve",
        status_code=200,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def resolve_review(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        review_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewResolution],
    ) -> AwardView:
        """Record the chamber's outcome: dismissed or withdrawn lets the award go ahead,
        upheld resumes the evaluation."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await conclusion.resolve_review(
            session,
            tender=tender,
            review_id=review_id,
            data=data,
            by=principal_of(request),
            now=state.clock.now(),
            public_url=state.settings.public_url,
        )
        return await _view(request, session, tender)

    @post(
        "/contracts",
        operation_id="award_contract",
        status_code=201,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def conclude(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[ContractIn],
    ) -> AwardView:
        """Record the contract of a lot (409 ``award-refused``/``standstill-running`` before
        the standstill has ended, ``review-pending`` while a review is pending)."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await contracts.conclude(
            session,
            tender=tender,
            data=data,
            by=principal_of(request),
            now=state.clock.now(),
            today=_today(request),
            public_url=state.settings.public_url,
        )
        return await _view(request, session, tender)

    @post(
        "/completion",
        operation_id="award_complete",
        status_code=200,
        guards=[officers_guard],
        opt=AUDITED,
    )
    async def complete(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> AwardView:
        """Mark the awarded tender completed."""
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await contracts.complete(
            session, tender=tender, by=principal_of(request), now=app_state(request).clock.now()
        )
        return await _view(request, session, tender)

    @get("/publication", operation_id="award_publication", guards=[evaluators], opt=AUDITED)
    async def publication(
        self, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> PublicationView:
        """The award data, ready for the notice on the award."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        return await contracts.publication(session, tender)


class BidResult(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/bids/{tender_id:uuid}/result"
    tags = ("bids",)

    @get("", operation_id="bid_result", guards=[company], opt=AUDITED)
    async def result(
        self, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[CompanyResultView]:
        """The outcome of the company's bid and its letters (once the decision is approved)."""
        view = await award_views.company_result(
            session, organisation_id=organisation_id, tender_id=tender_id
        )
        return Response(view, headers=NO_STORE)

    @get(
        "/letters/{letter_id:uuid}",
        operation_id="bid_result_letter_pdf",
        guards=[company],
        media_type="application/pdf",
        opt=AUDITED,
    )
    async def letter(
        self,
        session: DbSession,
        organisation_id: PathId,
        tender_id: PathId,
        letter_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The company's sealed information letter (§ 134 GWB)."""
        row = await award_views.company_letter(
            session, organisation_id=organisation_id, tender_id=tender_id, letter_id=letter_id
        )
        return attachment(row.pdf, f"{row.number}.pdf", "application/pdf")


ROUTES = (TenderAward, BidResult)
