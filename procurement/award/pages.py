"""The evaluation pages of officers and evaluators (issue 8, item 7): the overview of a tender's
evaluation with the declaration on conflicts of interest, the evaluation matrix, the decisions
and the requests to bidders; the scoring form and the ranking are
:mod:`procurement.award.pages_scores`.

``/vergabestelle/wertung`` lists the tenders with opened bids of every authority the person is
an officer or evaluator of (the evaluators' way in: they have no tender pages).
``/vergabestelle/ausschreibungen/<id>/wertung`` is reached from it and from the tender's page.
It says whether the evaluation has started (officers start it once the bids are opened), and
asks the person first to declare on conflicts of interest (§ 6 VgV): before that no bid content
is shown.
After the declaration it shows the matrix, one row per bid with its checks (received in time,
complete, signature, eligibility, findings) and the decision on it; officers admit a bid (with
a note where a check found something), exclude it (ground and reason), compute the checks
again and ask a bidder for documents or an explanation (§§ 56, 60 VgV) with a deadline.

Every form is a plain POST with the CSRF token and calls the same service function as the JSON
API (:mod:`procurement.award.controllers`) inside a savepoint: a refusal is shown on the page,
recorded (``tender.refused``) and changes nothing; a success redirects (303). Officers and
evaluators of the tender's authority reach the pages, only officers decide
(:func:`procurement.award.pages_common.evaluation_tender`); anyone else gets 404.
"""

from __future__ import annotations

__all__ = ["ROUTES", "render_overview", "routes"]

import re
import uuid
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import PAGE, Req, redirect, savepoint, state
from infra.settings import Settings
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_
from infra.web.rendering import page
from procurement.award import conflicts, decisions, evaluation, requests
from procurement.award.conflicts import OPENED_OR_LATER
from procurement.award.models import Evaluation
from procurement.award.pages_common import (
    AUDITED_FORM,
    AUDITED_PAGE,
    EVALUATION,
    GROUNDS,
    LIST,
    REQUEST_KINDS,
    Caller,
    error_message,
    evaluation_authorities,
    evaluation_tender,
    evaluation_words,
    field_errors,
    kek,
    refused,
)
from procurement.award.schemas import DeclarationIn, RequestIn
from procurement.tenders.models import TenderStatus
from procurement.tenders.pages_common import OFFICE, Failure, forbidden, words
from procurement.tenders.pages_form import parse_day
from procurement.tenders.repository import TenderRepository

TenderId = FromPath[uuid.UUID]
BidId = FromPath[uuid.UUID]
NOTICES: dict[str, str] = {
    "started": N_("The evaluation has started and every bid has been checked."),
    "declared": N_("Your declaration on conflicts of interest has been recorded."),
    "checked": N_("The checks of the bids without a decision have been computed again."),
    "admitted": N_("The bid has been admitted."),
    "excluded": N_("The bid has been excluded."),
    "asked": N_("The request has been sent; the company has been told by e-mail."),
}
MATRIX = "matrix-heading"
EVALUATION_HEADING = "evaluation-heading"
_NOT_OPENED = (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED)
_CHOOSE_ANSWER = N_("Choose one of the answers.")
_DETAILS = N_("Say which conflict of interest exists.")
_NOTE = N_("The checks found something wanting: say in a note why the bid is admitted.")
_GROUND = N_("Choose the ground of the exclusion.")
_REASON = N_("Record the reason of the exclusion in words (at least 10 characters).")
_KIND = N_("Choose what you ask for.")
_TEXT = N_("Say what you ask for in words (at least 10 characters).")
_DEADLINE = N_("Give a deadline in the future as date and time.")
_NOT_EVALUATING = N_(
    "Only officers and evaluators of a contracting authority evaluate bids. Log in with the "
    "account of your authority, or ask its administrator for the role."
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


async def render_overview(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    """The overview of the evaluation for the caller, with the refusal of one form if any."""
    app = state(request)
    tender, principal = caller.tender, principal_of(request)
    view = await evaluation.overview(session, tender, principal)
    declaration = await conflicts.declaration_of(session, tender.id, principal.user_id)
    started = await session.get(Evaluation, tender.id) is not None
    may_read = view.declared and started and tender.status not in _NOT_OPENED
    bids = (
        await evaluation.assessments(
            session, tender=tender, kek=kek(request), by=principal, now=app.clock.now()
        )
        if may_read
        else []
    )
    asked = (
        await requests.for_tender(
            session, tender=tender, kek=kek(request), by=principal, now=app.clock.now()
        )
        if may_read
        else []
    )
    evaluating = tender.status == TenderStatus.IN_EVALUATION
    return page(
        request,
        "award/overview.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        view=view,
        officer=caller.officer,
        declaration=declaration,
        declarable=tender.status
        in (TenderStatus.OPENED, TenderStatus.IN_EVALUATION, TenderStatus.AWARD_PROPOSED),
        not_opened=tender.status in _NOT_OPENED,
        startable=caller.officer and tender.status == TenderStatus.OPENED,
        deciding=caller.officer and evaluating and view.declared,
        evaluating=evaluating,
        may_read=may_read,
        bids=bids,
        asked=asked,
        company_of={bid.bid_id: bid.company_name for bid in bids},
        ground_options=[("", N_("Please choose")), *GROUNDS.items()],
        kind_options=list(REQUEST_KINDS.items()),
        base=caller.base,
        tender_url=f"{OFFICE}/{tender.id}",
        values=values or {},
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **evaluation_words(request),
    )


async def _refusal(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    error: DomainError,
    *,
    failure: Failure,
    values: dict[str, str] | None = None,
) -> Template:
    await refused(request, session, caller.tender, error)
    return await render_overview(request, session, caller, failure=failure, values=values)


def _text(form: FormMultiDict, name: str, limit: int = 6000) -> str:
    return str(form.get(name) or "")[:limit]


@get(LIST, guards=[person], name="award:list", **PAGE)
async def list_page(request: Req, session: DbSession) -> Template:
    """The tenders in or after their opening of the person's authorities."""
    authorities = evaluation_authorities(request)
    if not authorities:
        return forbidden(request, _NOT_EVALUATING)
    repo = TenderRepository(session)
    names = await repo.organisation_names(set(authorities))
    groups = [
        (
            names.get(authority, ""),
            [t for t in await repo.tenders_of(authority) if t.status in OPENED_OR_LATER],
        )
        for authority in authorities
    ]
    return page(request, "award/list.html", groups=groups, office=OFFICE, **words(request))


@get(EVALUATION, guards=[person], name="award:overview", **AUDITED_PAGE)
async def overview_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """The state of the evaluation, the declaration, and after it the bids."""
    return await render_overview(
        request, session, await evaluation_tender(request, session, tender_id)
    )


@post(EVALUATION + "/beginn", guards=[person], name="award:start", **AUDITED_FORM)
async def start(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer starts the evaluation of the opened bids; each bid is checked."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    app = state(request)
    try:
        async with savepoint(session):
            await evaluation.start(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                kek=kek(request),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = Failure(
            "", {FORM: error_message(error)}, int(error.status_code), EVALUATION_HEADING
        )
        return await _refusal(request, session, caller, error, failure=failure)
    return redirect(caller.base, notice="started")


@post(EVALUATION + "/pruefung", guards=[person], name="award:checks", **AUDITED_FORM)
async def checks(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer has the checks of the undecided bids computed again."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    app = state(request)
    try:
        async with savepoint(session):
            await evaluation.refresh_checks(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                kek=kek(request),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = Failure("", {FORM: error_message(error)}, int(error.status_code), MATRIX)
        return await _refusal(request, session, caller, error, failure=failure)
    return redirect(caller.base, notice="checked")


@post(EVALUATION + "/erklaerung", guards=[person], name="award:declare", **AUDITED_FORM)
async def declare(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """The person declares that no conflict of interest exists for them, or that one does."""
    caller = await evaluation_tender(request, session, tender_id)
    form = await request.form()
    answer, details = _text(form, "conflict", 10), _text(form, "details").strip()
    values = {"conflict": answer, "details": details}
    errors: Errors = {}
    if answer not in ("none", "conflict"):
        errors["conflict"] = _CHOOSE_ANSWER
    elif answer == "conflict" and not details:
        errors["details"] = _DETAILS
    elif len(details) > 5000:
        errors["details"] = N_("The text may have at most 5,000 characters.")
    if errors:
        failure = Failure("decl-", errors, 422, "conflict")
        return await render_overview(request, session, caller, failure=failure, values=values)
    data = DeclarationIn(conflict=answer == "conflict", details=details)
    try:
        async with savepoint(session):
            await conflicts.declare(
                session,
                tender=caller.tender,
                data=data,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        mapped = field_errors(error, {"details": ("details", _DETAILS)})
        failure = Failure("decl-", mapped, int(error.status_code), "conflict")
        return await _refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(caller.base, notice="declared")


@post(
    EVALUATION + "/angebote/{bid_id:uuid}/zulassung",
    guards=[person],
    name="award:admit",
    **AUDITED_FORM,
)
async def admit(
    request: Req, session: DbSession, tender_id: TenderId, bid_id: BidId
) -> Response[Any]:
    """An officer admits a bid (with a note where a check found something wanting)."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    note = _text(form, "note").strip()
    prefix = f"admit-{bid_id}-"
    if len(note) > 5000:
        failure = Failure(
            prefix, {"note": N_("The text may have at most 5,000 characters.")}, 422, "note"
        )
        return await render_overview(
            request, session, caller, failure=failure, values={"note": note}
        )
    app = state(request)
    try:
        async with savepoint(session):
            await decisions.admit(
                session,
                tender=caller.tender,
                bid_id=bid_id,
                note=note,
                kek=kek(request),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        mapped = field_errors(error, {"note": ("note", _NOTE)})
        failure = Failure(prefix, mapped, int(error.status_code), "note")
        return await _refusal(
            request, session, caller, error, failure=failure, values={"note": note}
        )
    return redirect(caller.base, notice="admitted")


@post(
    EVALUATION + "/angebote/{bid_id:uuid}/ausschluss",
    guards=[person],
    name="award:exclude",
    **AUDITED_FORM,
)
async def exclude(
    request: Req, session: DbSession, tender_id: TenderId, bid_id: BidId
) -> Response[Any]:
    """An officer excludes a bid, with its ground and the recorded reason."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    ground, reason = _text(form, "ground", 40), _text(form, "reason").strip()
    values = {"ground": ground, "reason": reason}
    prefix = f"exclude-{bid_id}-"
    errors: Errors = {}
    if ground not in GROUNDS:
        errors["ground"] = _GROUND
    if not 10 <= len(reason) <= 5000:
        errors["reason"] = _REASON
    if errors:
        failure = Failure(prefix, errors, 422, "ground")
        return await render_overview(request, session, caller, failure=failure, values=values)
    try:
        async with savepoint(session):
            await decisions.exclude(
                session,
                tender=caller.tender,
                bid_id=bid_id,
                ground=ground,
                reason=reason,
                kek=kek(request),
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        mapped = field_errors(error, {"reason": ("reason", _REASON)})
        failure = Failure(prefix, mapped, int(error.status_code), "ground")
        return await _refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(caller.base, notice="excluded")


def _deadline(day_text: str, time_text: str, zone: ZoneInfo) -> datetime | None:
    """The aware UTC time of a date and a time in ``zone``; ``None`` if either is wrong."""
    try:
        day = parse_day(day_text)
    except ValueError:
        return None
    found = _TIME.match(time_text.strip())
    if day is None or not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        return None
    local = datetime.combine(day, time(int(found.group(1)), int(found.group(2))), tzinfo=zone)
    return local.astimezone(UTC)


@post(
    EVALUATION + "/angebote/{bid_id:uuid}/nachfrage",
    guards=[person],
    name="award:ask",
    **AUDITED_FORM,
)
async def ask(
    request: Req, session: DbSession, tender_id: TenderId, bid_id: BidId
) -> Response[Any]:
    """An officer asks the bidder for documents or an explanation, with a deadline."""
    caller = await evaluation_tender(request, session, tender_id, officer=True)
    form = await request.form()
    app = state(request)
    values = {
        "kind": _text(form, "kind", 20),
        "text": _text(form, "text").strip(),
        "deadline": _text(form, "deadline", 20),
        "deadline_time": _text(form, "deadline_time", 10),
    }
    prefix = f"ask-{bid_id}-"
    zone = ZoneInfo(app.settings.profile.instance.timezone)
    deadline = _deadline(values["deadline"], values["deadline_time"], zone)
    errors: Errors = {}
    if values["kind"] not in REQUEST_KINDS:
        errors["kind"] = _KIND
    if not 10 <= len(values["text"]) <= 5000:
        errors["text"] = _TEXT
    if deadline is None or deadline <= app.clock.now():
        errors["deadline"] = _DEADLINE
    if errors or deadline is None:
        failure = Failure(prefix, errors, 422, "kind")
        return await render_overview(request, session, caller, failure=failure, values=values)
    data = msgspec.convert(
        {"kind": values["kind"], "text": values["text"], "deadline": deadline}, RequestIn
    )
    try:
        async with savepoint(session):
            await requests.create(
                session,
                profile=app.settings.profile,
                public_url=app.settings.public_url,
                tender=caller.tender,
                bid_id=bid_id,
                data=data,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        mapped = field_errors(error, {"deadline": ("deadline", _DEADLINE)})
        failure = Failure(prefix, mapped, int(error.status_code), "kind")
        return await _refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(caller.base, notice="asked")


ROUTES: list[ControllerRouterHandler] = [
    list_page,
    overview_page,
    start,
    checks,
    declare,
    admit,
    exclude,
    ask,
]


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The evaluation pages (``settings`` for the same shape as the other domains' pages)."""
    from procurement.award import pages_award, pages_scores

    del settings
    return [*ROUTES, *pages_scores.ROUTES, *pages_award.ROUTES]
