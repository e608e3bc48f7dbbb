"""The scoring form and the ranking of the evaluation pages (issue 8, item 7).

``…/wertung/punkte`` is the scoring form of the person evaluating: for each admitted bid, for
each lot it offers, one form with the points (on the criterion's scale, ``7,5`` or ``7.5``) and
the justification for each quality criterion. It shows only the person's own points: evaluators
score independently (:func:`procurement.award.scores.own_scores`); a sheet is stored by
:func:`procurement.award.scores.put_scores`, which takes all of it or nothing (points outside
the scale are shown at their field). ``…/wertung/rangfolge`` shows the ranking in force per lot
(rank, company, total, the points on each criterion, the price, ties and abnormally low prices)
and lets an officer compute it; a refusal (bids without a decision, points missing) says what
is lacking. Both pages show nothing before the person has declared that no conflict of interest
exists for them.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import Req, redirect, savepoint, state
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from procurement.award import conflicts, evaluation, ranking, scores
from procurement.award.models import Assessment, AssessmentStatus
from procurement.award.pages_common import (
    AUDITED_FORM,
    AUDITED_PAGE,
    EVALUATION,
    Caller,
    error_message,
    evaluation_tender,
    evaluation_words,
    kek,
    points_text,
    refused,
)
from procurement.award.schemas import RankingView, ScoreIn, ScoreSheet
from procurement.errors import EvaluationRefused
from procurement.tenders.models import AwardCriterion, TenderStatus
from procurement.tenders.pages_common import Failure
from procurement.tenders.repository import TenderRepository

TenderId = FromPath[uuid.UUID]
NOTICES: dict[str, str] = {
    "scored": N_("Your points have been saved."),
    "ranked": N_("The ranking has been computed."),
}
_NUMBER = re.compile(r"^-?\d{1,6}([.,]\d+)?$")
_POINTS = N_("Enter the points as a number, for example 7.5.")
_OUT_OF_SCALE = N_("The points lie outside the criterion's scale (from 0 to its maximum).")
_PLACES = N_("Give the points with at most two decimal places.")
_NOTHING = N_("Enter the points for at least one criterion.")
_LONG = N_("The text may have at most 5,000 characters.")


async def _declared(session: AsyncSession, caller: Caller, request: Req) -> bool:
    """Whether the person has declared that no conflict of interest exists for them."""
    row = await conflicts.declaration_of(session, caller.tender.id, principal_of(request).user_id)
    return row is not None and not row.conflict


def _undeclared(request: Req, caller: Caller, template: str) -> Template:
    return page(
        request,
        template,
        status_code=403,
        tender=caller.tender,
        officer=caller.officer,
        undeclared=True,
        base=caller.base,
        errors={},
        error_prefix="",
        error_anchor="",
        notice=None,
        **evaluation_words(request),
    )


async def _quality(session: AsyncSession, tender_id: uuid.UUID) -> list[AwardCriterion]:
    return [c for c in await scores.criteria_of(session, tender_id) if c.kind == "quality"]


async def _render_scores(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    tender, principal, app = caller.tender, principal_of(request), state(request)
    language = negotiate_language(request)
    evaluating = tender.status == TenderStatus.IN_EVALUATION
    bids = (
        await evaluation.assessments(
            session, tender=tender, kek=kek(request), by=principal, now=app.clock.now()
        )
        if evaluating
        else []
    )
    criteria = await _quality(session, tender.id)
    own = {
        (s.bid_id, s.lot, s.criterion): s
        for s in await scores.own_scores(session, tender, principal)
    }
    sheets = []
    for bid in bids:
        if bid.status != AssessmentStatus.ADMITTED:
            continue
        for lot in bid.lots:
            prefix = f"score-{bid.bid_id}-{lot.lot}-"
            failed = failure is not None and failure.prefix == prefix
            shown: dict[str, str] = {}
            for criterion in criteria:
                given = own.get((bid.bid_id, lot.lot, criterion.position))
                key = str(criterion.position)
                if failed:
                    shown[f"points-{key}"] = (values or {}).get(f"points-{key}", "")
                    shown[f"justification-{key}"] = (values or {}).get(f"justification-{key}", "")
                elif given is not None:
                    shown[f"points-{key}"] = points_text(given.points, language)
                    shown[f"justification-{key}"] = given.justification
            sheets.append({"bid": bid, "lot": lot, "prefix": prefix, "values": shown})
    return page(
        request,
        "award/scores.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        officer=caller.officer,
        undeclared=False,
        evaluating=evaluating,
        criteria=criteria,
        sheets=sheets,
        pending=sum(1 for bid in bids if bid.status == AssessmentStatus.PENDING),
        base=caller.base,
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **evaluation_words(request),
    )


@get(EVALUATION + "/punkte", guards=[person], name="award:scores", **AUDITED_PAGE)
async def scores_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """The person's own points on each admitted bid, lot and quality criterion."""
    caller = await evaluation_tender(request, session, tender_id)
    if not await _declared(session, caller, request):
        return _undeclared(request, caller, "award/scores.html")
    return await _render_scores(request, session, caller)


def _read_sheet(
    form: Any, criteria: list[AwardCriterion]
) -> tuple[list[ScoreIn], Errors, dict[str, str]]:
    """The points the form names, the errors at its fields, and its values as entered."""
    items: list[ScoreIn] = []
    errors: Errors = {}
    values: dict[str, str] = {}
    for criterion in criteria:
        key = str(criterion.position)
        points = str(form.get(f"points-{key}") or "")[:40].strip()
        justification = str(form.get(f"justification-{key}") or "")[:6000].strip()
        values[f"points-{key}"], values[f"justification-{key}"] = points, justification
        if not points and not justification:
            continue
        if len(justification) > 5000:
            errors[f"justification-{key}"] = _LONG
        if not _NUMBER.match(points):
            errors[f"points-{key}"] = _POINTS
            continue
        try:
            value = Decimal(points.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            errors[f"points-{key}"] = _POINTS
            continue
        items.append(
            ScoreIn(criterion=criterion.position, points=value, justification=justification)
        )
    if not items and not errors and criteria:
        errors[f"points-{criteria[0].position}"] = _NOTHING
    return items, errors, values


def _score_errors(error: DomainError, items: list[ScoreIn]) -> Errors:
    """The refused sheet's errors at the form's fields (``scores[i].points`` → ``points-n``)."""
    errors: Errors = {}
    for problem in error.extra.get("errors") or []:
        found = re.match(r"^scores\[(\d+)\]\.(points|criterion)$", str(problem.get("field")))
        if found and int(found.group(1)) < len(items):
            position = items[int(found.group(1))].criterion
            message = _PLACES if error.code == "invalid-score" else _OUT_OF_SCALE
            errors.setdefault(f"points-{position}", message)
    return errors or {FORM: error_message(error)}


@post(EVALUATION + "/punkte", guards=[person], name="award:score", **AUDITED_FORM)
async def score(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """The person's points for one bid in one lot (all of them are stored, or none)."""
    caller = await evaluation_tender(request, session, tender_id)
    form = await request.form()
    try:
        bid_id, lot = uuid.UUID(str(form.get("bid"))), int(str(form.get("lot")))
    except ValueError:
        failure = Failure(
            "", {FORM: N_("There is no such bid. Please reload the page.")}, 404, "scores-heading"
        )
        return await _render_scores(request, session, caller, failure=failure)
    prefix = f"score-{bid_id}-{lot}-"
    criteria = await _quality(session, caller.tender.id)
    items, errors, values = _read_sheet(form, criteria)
    first = f"points-{criteria[0].position}" if criteria else "points"
    if errors:
        failure = Failure(prefix, errors, 422, first)
        return await _render_scores(request, session, caller, failure=failure, values=values)
    try:
        async with savepoint(session):
            await scores.put_scores(
                session,
                tender=caller.tender,
                bid_id=bid_id,
                sheet=ScoreSheet(lot=lot, scores=items),
                kek=kek(request),
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        await refused(request, session, caller.tender, error)
        if not await _declared(session, caller, request):
            return _undeclared(request, caller, "award/scores.html")
        failure = Failure(prefix, _score_errors(error, items), int(error.status_code), first)
        return await _render_scores(request, session, caller, failure=failure, values=values)
    return redirect(f"{caller.base}/punkte", notice="scored")


async def _companies(session: AsyncSession, tender_id: uuid.UUID) -> dict[str, str]:
    """The company of each bid of the evaluation, by the bid's id (names only, no content)."""
    rows = list(await session.scalars(select(Assessment).where(Assessment.tender_id == tender_id)))
    names = await TenderRepository(session).organisation_names({r.organisation_id for r in rows})
    return {str(r.bid_id): names.get(r.organisation_id, "") for r in rows}


async def _render_ranking(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    *,
    failure: Failure | None = None,
    error: DomainError | None = None,
) -> Template:
    app, tender = state(request), caller.tender
    view: RankingView | None = None
    try:
        view = await ranking.ranking(
            session,
            profile=app.settings.profile,
            tender=tender,
            kek=kek(request),
            by=principal_of(request),
            now=app.clock.now(),
        )
    except EvaluationRefused:
        view = None  # no ranking in force
    companies = await _companies(session, tender.id) if error is not None else {}
    missing = [
        {**item, "company": companies.get(str(item.get("bid")), "")}
        for item in (error.extra.get("missing") or [] if error is not None else [])
        if isinstance(item, dict)
    ]
    undecided = [
        companies.get(str(bid), "")
        for bid in (error.extra.get("bids") or [] if error is not None else [])
    ]
    return page(
        request,
        "award/ranking.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        officer=caller.officer,
        undeclared=False,
        ranking=view,
        rankable=caller.officer and tender.status == TenderStatus.IN_EVALUATION,
        missing=missing,
        undecided=undecided,
        base=caller.base,
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **evaluation_words(request),
    )


@get(EVALUATION + "/rangfolge", guards=[person], name="award:ranking", **AUDITED_PAGE)
async def ranking_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """The ranking in force per lot (each read of the prices recorded)."""
    caller = await evaluation_tender(request, session, tender_id)
    if not await _declared(session, caller, request):
        return _undeclared(request, caller, "award/ranking.html")
    return await _render_ranking(request, session, caller)


@post(EVALUATION + "/rangfolge", guards=[person], name="award:rank", **AUDITED_FORM)
async def rank(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer computes the ranking of the admitted bids per lot."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    app = state(request)
    try:
        async with savepoint(session):
            await ranking.rank(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                kek=kek(request),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        await refused(request, session, caller.tender, error)
        failure = Failure(
            "", {FORM: error_message(error)}, int(error.status_code), "ranking-heading"
        )
        if not await _declared(session, caller, request):
            return _undeclared(request, caller, "award/ranking.html")
        return await _render_ranking(request, session, caller, failure=failure, error=error)
    return redirect(f"{caller.base}/rangfolge", notice="ranked")


ROUTES: list[ControllerRouterHandler] = [scores_page, score, ranking_page, rank]
