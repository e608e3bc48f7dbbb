"""The evaluation API: the authority's side under
``/api/v1/organisations/{organisation_id}/tenders/{tender_id}/evaluation`` and the bidder's
answers to requests under ``/api/v1/organisations/{organisation_id}/bids/{tender_id}/requests``.

Officers start the evaluation, decide on bids, ask bidders and compute the ranking; officers and
evaluators declare on conflicts of interest, read the bids and give points. Everyone in person
(no API token evaluates). Content is shown, and points are taken, only from those who declared
the absence of conflicts of interest (403 ``declaration-required``). Every refused request is
recorded in the audit trail (``tender.refused``), every decision and read by the services.
"""

from __future__ import annotations

__all__ = ["ROUTES", "BidRequests", "TenderEvaluation"]

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import AUDIT_REFUSALS
from infra.http import DbSession
from infra.identity.guards import member_of, principal_of
from infra.identity.models import Role
from procurement.award import conflicts, decisions, evaluation, ranking, requests, scores
from procurement.award.schemas import (
    Admission,
    Answer,
    AssessmentView,
    CompanyRequestView,
    DeclarationIn,
    DeclarationView,
    EvaluationView,
    Exclusion,
    RankingView,
    RequestIn,
    RequestView,
    ScoreSheet,
    ScoreView,
)
from procurement.bids import vault
from procurement.bids.controllers import NO_STORE, company
from procurement.errors import TenderNotFound
from procurement.tenders.authoring import get_tender_of
from procurement.tenders.models import Tender

Req = Request[Any, Any, Any]
AUDITED = {AUDIT_REFUSALS: "tender"}
officers = member_of(Role.OFFICER)
"""Officers of the authority in the path, in person: they decide."""
evaluators = member_of(Role.OFFICER, Role.EVALUATOR)
"""Officers and evaluators of the authority in the path, in person: they read and score."""
PathId = FromPath[uuid.UUID]


async def tender_in_path(
    session: AsyncSession, organisation_id: uuid.UUID, tender_id: uuid.UUID, *, lock: bool = False
) -> Tender:
    tender = await get_tender_of(session, organisation_id, tender_id, for_update=lock)
    if tender.published_at is None:
        raise TenderNotFound("The tender has not been published; it has no bids.")
    return tender


def app_state(request: Req) -> Any:
    return request.app.state


def kek_of(request: Req) -> vault.KeyEncryptionKey:
    return vault.kek_from_settings(app_state(request).settings)


class TenderEvaluation(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/tenders/{tender_id:uuid}/evaluation"
    tags = ("evaluation",)

    @get("", operation_id="evaluation_get", guards=[evaluators], opt=AUDITED)
    async def read(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[EvaluationView]:
        """The state of the evaluation: counts, declarations, the ranking's time; no content."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        view = await evaluation.overview(session, tender, principal_of(request))
        return Response(view, headers=NO_STORE)

    @post("", operation_id="evaluation_start", status_code=201, guards=[officers], opt=AUDITED)
    async def start(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> EvaluationView:
        """Start the evaluation of the opened bids and check each bid (409
        ``evaluation-refused`` before the opening)."""
        state, by = app_state(request), principal_of(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await evaluation.start(
            session,
            profile=state.settings.profile,
            tender=tender,
            kek=kek_of(request),
            by=by,
            now=state.clock.now(),
        )
        return await evaluation.overview(session, tender, by)

    @post(
        "/checks", operation_id="evaluation_checks", status_code=200, guards=[officers], opt=AUDITED
    )
    async def checks(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> EvaluationView:
        """Compute the checks again for the bids without a decision (a signature check that
        has finished since, documents supplied on request)."""
        state, by = app_state(request), principal_of(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        await evaluation.refresh_checks(
            session,
            profile=state.settings.profile,
            tender=tender,
            kek=kek_of(request),
            by=by,
            now=state.clock.now(),
        )
        return await evaluation.overview(session, tender, by)

    @post(
        "/declaration",
        operation_id="evaluation_declare",
        status_code=201,
        guards=[evaluators],
        opt=AUDITED,
    )
    async def declare(
        self,
        request: Req,
        session: DbSession,
        organisation_id: PathId,
        tender_id: PathId,
        data: JSONBody[DeclarationIn],
    ) -> DeclarationView:
        """Declare that no conflict of interest exists for you in this procedure, or that one
        does (§ 6 VgV); required before reading or scoring the bids."""
        state, by = app_state(request), principal_of(request)
        tender = await tender_in_path(session, organisation_id, tender_id)
        row = await conflicts.declare(
            session, tender=tender, data=data, by=by, now=state.clock.now()
        )
        return DeclarationView(
            user_id=row.user_id,
            name=by.name or by.email or "",
            conflict=row.conflict,
            declared_at=row.declared_at,
        )

    @get("/bids", operation_id="evaluation_bids", guards=[evaluators], opt=AUDITED)
    async def bids(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[list[AssessmentView]]:
        """Every bid with its checks, the decision on it and its prices (403
        ``declaration-required`` without a declaration); each read is recorded."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        views = await evaluation.assessments(
            session,
            tender=tender,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )
        return Response(views, headers=NO_STORE)

    @post(
        "/bids/{bid_id:uuid}/admission",
        operation_id="evaluation_bid_admit",
        status_code=200,
        guards=[officers],
        opt=AUDITED,
    )
    async def admit(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[Admission],
    ) -> AssessmentView:
        """Admit the bid (a bid with a finding only with a ``note``; a late bid never)."""
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        return await decisions.admit(
            session,
            tender=tender,
            bid_id=bid_id,
            note=data.note,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )

    @post(
        "/bids/{bid_id:uuid}/exclusion",
        operation_id="evaluation_bid_exclude",
        status_code=200,
        guards=[officers],
        opt=AUDITED,
    )
    async def exclude(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[Exclusion],
    ) -> AssessmentView:
        """Exclude the bid, with its ground and the recorded reason."""
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        return await decisions.exclude(
            session,
            tender=tender,
            bid_id=bid_id,
            ground=data.ground,
            reason=data.reason,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )

    @put(
        "/bids/{bid_id:uuid}/scores",
        operation_id="evaluation_scores_put",
        guards=[evaluators],
        opt=AUDITED,
    )
    async def put_scores(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[ScoreSheet],
    ) -> list[ScoreView]:
        """Your points for the bid in a lot, on quality criteria (422 ``points-out-of-scale``
        outside 0 to the criterion's maximum; nothing is stored then)."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        return await scores.put_scores(
            session,
            tender=tender,
            bid_id=bid_id,
            sheet=data,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )

    @get("/scores", operation_id="evaluation_scores_own", guards=[evaluators], opt=AUDITED)
    async def own_scores(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[list[ScoreView]]:
        """Your own points (evaluators score independently: nobody sees another's here)."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        views = await scores.own_scores(session, tender, principal_of(request))
        return Response(views, headers=NO_STORE)

    @post(
        "/ranking", operation_id="evaluation_rank", status_code=200, guards=[officers], opt=AUDITED
    )
    async def rank(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> RankingView:
        """Compute the ranking of the admitted bids per lot (409 ``scores-missing`` or
        ``evaluation-refused`` while bids are undecided)."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id, lock=True)
        return await ranking.rank(
            session,
            profile=state.settings.profile,
            tender=tender,
            kek=kek_of(request),
            by=principal_of(request),
            now=state.clock.now(),
        )

    @get("/ranking", operation_id="evaluation_ranking", guards=[evaluators], opt=AUDITED)
    async def ranking(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[RankingView]:
        """The ranking in force, with prices (each read recorded)."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id)
        view = await ranking.ranking(
            session,
            profile=state.settings.profile,
            tender=tender,
            kek=kek_of(request),
            by=principal_of(request),
            now=state.clock.now(),
        )
        return Response(view, headers=NO_STORE)

    @post(
        "/bids/{bid_id:uuid}/requests",
        operation_id="evaluation_request_create",
        status_code=201,
        guards=[officers],
        opt=AUDITED,
    )
    async def ask(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        bid_id: FromPath[uuid.UUID],
        data: JSONBody[RequestIn],
    ) -> RequestView:
        """Ask the bidder for missing documents (§ 56 VgV) or a price explanation (§ 60 VgV),
        with a deadline; the company is told by mail and answers on the platform."""
        state = app_state(request)
        tender = await tender_in_path(session, organisation_id, tender_id)
        return await requests.create(
            session,
            profile=state.settings.profile,
            public_url=state.settings.public_url,
            tender=tender,
            bid_id=bid_id,
            data=data,
            by=principal_of(request),
            now=state.clock.now(),
        )

    @get("/requests", operation_id="evaluation_requests", guards=[evaluators], opt=AUDITED)
    async def asked(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[list[RequestView]]:
        """The requests to bidders with their answers (each answer read is recorded)."""
        tender = await tender_in_path(session, organisation_id, tender_id)
        views = await requests.for_tender(
            session,
            tender=tender,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )
        return Response(views, headers=NO_STORE)


class BidRequests(Controller):
    path = "/api/v1/organisations/{organisation_id:uuid}/bids/{tender_id:uuid}/requests"
    tags = ("bids",)

    @get("", operation_id="bid_requests_list", guards=[company], opt=AUDITED)
    async def list_requests(
        self, request: Req, session: DbSession, organisation_id: PathId, tender_id: PathId
    ) -> Response[list[CompanyRequestView]]:
        """The authority's requests to the company about its bid (§§ 56, 60 VgV)."""
        views = await requests.for_company(
            session,
            organisation_id=organisation_id,
            tender_id=tender_id,
            kek=kek_of(request),
            now=app_state(request).clock.now(),
        )
        return Response(views, headers=NO_STORE)

    @post(
        "/{request_id:uuid}/answer",
        operation_id="bid_request_answer",
        status_code=200,
        guards=[company],
        opt=AUDITED,
    )
    async def answer(
        self,
        request: Req,
        session: DbSession,
        *,
        organisation_id: PathId,
        tender_id: PathId,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[Answer],
    ) -> CompanyRequestView:
        """Answer a request before its deadline (409 ``request-closed`` after it, or twice)."""
        return await requests.answer(
            session,
            organisation_id=organisation_id,
            tender_id=tender_id,
            request_id=request_id,
            text=data.text,
            kek=kek_of(request),
            by=principal_of(request),
            now=app_state(request).clock.now(),
        )


ROUTES = (TenderEvaluation, BidRequests)
