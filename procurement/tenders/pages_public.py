"""The public tender pages: the search, a tender's page, its documents and the question form.

``/ausschreibungen`` is the search anyone may use: a GET form (words, CPV code, NUTS region,
procedure, kind of contract, a range of the submission deadline in the instance's time zone,
open or all) whose query is the address, so a result can be bookmarked; results come newest
first, a page at a time with a "next page" link carrying the search's cursor
(:func:`procurement.tenders.search.search_tenders`); the Atom feed of new tenders is linked in
the page and in its head. ``/ausschreibungen/<id>`` shows everything public of a published
tender: its facts, lots, criteria, suitability, documents, amendments and the published
answers, never who asked. Its documents are downloaded by people who are logged in
(``…/unterlagen/<document id>``, recorded by :func:`procurement.tenders.downloads.open_document`
so that the company hears of amendments and answers); anonymous visitors are led to the login,
which brings them back. A person of a company asks a question on the page until the deadline
for questions (``…/fragen``); after it the page says so.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import File, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of, public
from infra.identity.models import Role
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.web.forms import FORM, Errors, Rule, check_form
from infra.web.i18n import N_
from infra.web.rendering import page
from procurement.errors import TenderNotFound
from procurement.tenders import authoring, clarifications, search
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.downloads import open_document
from procurement.tenders.models import PUBLIC_STATUSES, Tender, TenderStatus
from procurement.tenders.pages_common import (
    CONTRACT_KINDS,
    PROCEDURES,
    PUBLIC,
    Failure,
    error_message,
    words,
)
from procurement.tenders.pages_form import parse_day
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import ProcedureType, TenderKind, Text

TENDER = PUBLIC + "/{tender_id:uuid}"
TenderId = FromPath[uuid.UUID]
FEED = "/api/v1/tenders/feed.atom"
PAGE_SIZE = 20
_PUBLIC: dict[str, Any] = {**PAGE, "guards": [public]}
NOTICES: dict[str, str] = {
    "asked": N_(
        "Your question has been sent to the contracting authority. The answer is published "
        "on this page without naming your company."
    ),
}
STATUS_OPTIONS = [("open", N_("Open for bids")), ("all", N_("All published tenders"))]
_SEARCH_ERRORS: dict[str, str] = {
    "text": N_("Enter at most 200 characters."),
    "cpv": N_("Enter a CPV code or its first digits, for example 45 or 45210000-2."),
    "nuts": N_("Enter a NUTS code or its beginning, for example DE5 or DE501."),
    "deadline_from": N_("Enter the date as day, month and year."),
    "deadline_to": N_("Enter the date as day, month and year."),
    "cursor": N_("The page is no longer valid: start the search again."),
}
QUESTION_RULES = {
    "text": Rule(N_("Write your question."), N_("The question may have at most 10,000 characters."))
}
_CHOOSE_COMPANY = N_("Choose the company you ask for.")


class SearchForm(msgspec.Struct, kw_only=True):
    """The search as the form shows it (strings)."""

    text: str = ""
    cpv: str = ""
    nuts: str = ""
    procedure: str = ""
    contract_kind: str = ""
    deadline_from: str = ""
    deadline_to: str = ""
    status: str = "open"


def _day_bounds(
    form: SearchForm, zone: ZoneInfo, errors: Errors
) -> tuple[datetime | None, datetime | None]:
    """The first and the last moment of the days of the deadline range, in ``zone``."""
    bounds: list[datetime | None] = []
    for field, shift in (("deadline_from", 0), ("deadline_to", 1)):
        try:
            day = parse_day(getattr(form, field))
        except ValueError:
            errors[field] = _SEARCH_ERRORS[field]
            bounds.append(None)
            continue
        if day is None:
            bounds.append(None)
            continue
        start = datetime.combine(day + timedelta(days=shift), time(), tzinfo=zone)
        bounds.append(start - timedelta(microseconds=1) if shift else start)
    return bounds[0], bounds[1]


@get(PUBLIC, name="tenders:search", **_PUBLIC)
async def search_page(
    request: Req,
    session: DbSession,
    *,
    text: Annotated[str, QueryParameter(max_length=400)] = "",
    cpv: Annotated[str, QueryParameter(max_length=20)] = "",
    nuts: Annotated[str, QueryParameter(max_length=10)] = "",
    procedure: Annotated[str, QueryParameter(max_length=30)] = "",
    contract_kind: Annotated[str, QueryParameter(max_length=20)] = "",
    deadline_from: Annotated[str, QueryParameter(max_length=20)] = "",
    deadline_to: Annotated[str, QueryParameter(max_length=20)] = "",
    status: Annotated[str, QueryParameter(max_length=10)] = "open",
    cursor: Annotated[str, QueryParameter(max_length=search.MAX_CURSOR)] = "",
) -> Template:
    """Search the published tenders; the filters are the query, so a result can be kept."""
    app = state(request)
    form = SearchForm(
        text=text.strip(),
        cpv=cpv.strip(),
        nuts=nuts.strip().upper(),
        procedure=procedure if procedure in PROCEDURES else "",
        contract_kind=contract_kind if contract_kind in CONTRACT_KINDS else "",
        deadline_from=deadline_from.strip(),
        deadline_to=deadline_to.strip(),
        status="all" if status == "all" else "open",
    )
    errors: Errors = {}
    after, before = _day_bounds(form, ZoneInfo(app.settings.profile.instance.timezone), errors)
    found = None
    if not errors:
        query = search.TenderQuery(
            text=form.text or None,
            cpv=form.cpv or None,
            nuts=form.nuts or None,
            procedure=cast("ProcedureType", form.procedure) if form.procedure else None,
            contract_kind=cast("TenderKind", form.contract_kind) if form.contract_kind else None,
            deadline_from=after,
            deadline_to=before,
            status="all" if form.status == "all" else "open",
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
        try:
            found = await search.search_tenders(session, query=query, now=app.clock.now())
        except search.InvalidSearch as error:
            for problem in error.extra.get("errors", []):
                field = str(problem.get("field"))
                message = _SEARCH_ERRORS.get(field, _SEARCH_ERRORS["cursor"])
                errors.setdefault(field if field in _SEARCH_ERRORS else FORM, message)
    filters = {k: v for k, v in msgspec.structs.asdict(form).items() if v and k != "status"}
    if form.status == "all":
        filters["status"] = "all"
    items = found.items if found else []
    return page(
        request,
        "tenders/search.html",
        status_code=422 if errors else 200,
        form=form,
        errors=errors,
        items=items,
        excerpts=await search.excerpts(session, [item.id for item in items], length=240),
        searched=bool(filters) or bool(cursor),
        next_url=(
            PUBLIC + "?" + urlencode({**filters, "cursor": found.next_cursor})
            if found and found.next_cursor
            else None
        ),
        first_url=PUBLIC + ("?" + urlencode(filters) if filters else "") if cursor else None,
        feed_url=FEED,
        status_options=STATUS_OPTIONS,
        procedure_options=[("", N_("Any procedure")), *PROCEDURES.items()],
        kind_options=[("", N_("Any kind of contract")), *CONTRACT_KINDS.items()],
        **words(request),
    )


async def _public_tender(
    session: AsyncSession, tender_id: uuid.UUID, *, lock: bool = False
) -> Tender:
    tender = await TenderRepository(session).tender(tender_id, for_update=lock)
    if tender is None or tender.status not in PUBLIC_STATUSES or tender.published_at is None:
        raise TenderNotFound("There is no such tender.")
    return tender


def _companies(request: Req) -> list[uuid.UUID]:
    """The companies the logged-in person asks for (owner or member of a supplier)."""
    return sorted(
        organisation_id
        for organisation_id, membership in principal_of(request).memberships.items()
        if membership.kind == "supplier" and membership.role in (Role.OWNER, Role.MEMBER)
    )


async def _detail_page(
    request: Req,
    session: AsyncSession,
    tender: Tender,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    app = state(request)
    now = app.clock.now()
    view = await authoring.tender_view(session, app.settings.profile, tender, now)
    principal = principal_of(request)
    companies = _companies(request) if principal.kind == "user" else []
    names = await TenderRepository(session).organisation_names(set(companies))
    question_deadline = tender.clarification_deadline or tender.submission_deadline
    base = f"{PUBLIC}/{tender.id}"
    return page(
        request,
        "tenders/detail.html",
        status_code=failure.status if failure else 200,
        view=view,
        base=base,
        answers=await clarifications.published_answers(session, tender),
        logged_in=principal.kind == "user",
        login_url="/login?" + urlencode({"next": base}),
        document_href=lambda document: f"{base}/unterlagen/{document.id}",
        company_options=[(str(org), names.get(org, "")) for org in companies],
        question_deadline=question_deadline,
        questions_open=tender.status == TenderStatus.PUBLISHED
        and question_deadline is not None
        and now < question_deadline,
        bids_open=tender.status == TenderStatus.PUBLISHED
        and (tender.submission_deadline is None or now < tender.submission_deadline),
        values=values or {},
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **words(request),
    )


@get(TENDER, name="tenders:detail", **_PUBLIC)
async def detail_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    return await _detail_page(request, session, await _public_tender(session, tender_id))


@get(
    TENDER + "/unterlagen/{document_id:uuid}",
    guards=[person],
    name="tenders:download",
    media_type="application/octet-stream",
    include_in_schema=False,
)
async def download(
    request: Req, session: DbSession, tender_id: TenderId, document_id: FromPath[uuid.UUID]
) -> File:
    """A document of a published tender for a logged-in person; the company is noted as
    interested (it hears of amendments and answers)."""
    tender = await _public_tender(session, tender_id)
    app = state(request)
    return await open_document(
        session,
        DocumentFiles(app.settings.storage.root),
        tender,
        document_id,
        reader=principal_of(request),
        now=app.clock.now(),
    )


class QuestionForm(msgspec.Struct, kw_only=True):
    organisation_id: str = ""
    text: str = ""


class _Question(msgspec.Struct, frozen=True, kw_only=True):
    text: Text


@post(TENDER + "/fragen", guards=[person], name="tenders:ask", **FORM_POST)
async def ask(
    request: Req, session: DbSession, tender_id: TenderId, data: Annotated[QuestionForm, FormBody]
) -> Response[Any]:
    """A company's question on a published tender, before the deadline for questions."""
    tender = await _public_tender(session, tender_id, lock=True)
    values = {"organisation_id": data.organisation_id, "text": data.text}
    companies = _companies(request)
    checked, errors = check_form(_Question, {"text": data.text}, QUESTION_RULES)
    company = companies[0] if len(companies) == 1 else None
    if len(companies) > 1:
        chosen = next((c for c in companies if str(c) == data.organisation_id), None)
        if chosen is None:
            errors = {"organisation_id": _CHOOSE_COMPANY, **errors}
        company = chosen
    if company is None and not errors:
        errors = {FORM: N_("Only the people of a registered company ask questions.")}
    if checked is None or company is None or errors:
        failure = Failure("question-", errors, 422, "text")
        return await _detail_page(request, session, tender, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await clarifications.ask(
                session,
                public_url=app.settings.public_url,
                profile=app.settings.profile,
                tender=tender,
                organisation_id=company,
                by=principal_of(request),
                text=checked.text,
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = Failure("question-", {FORM: error_message(error)}, int(error.status_code), "text")
        return await _detail_page(request, session, tender, failure=failure, values=values)
    return redirect(f"{PUBLIC}/{tender.id}", notice="asked")


ROUTES: list[ControllerRouterHandler] = [search_page, detail_page, download, ask]
