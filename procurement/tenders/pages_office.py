"""The officers' tender pages: the authority's tenders, the editor of a draft, a tender's page.

Officers of a contracting authority reach them in person. ``/vergabestelle/ausschreibungen``
lists the tenders of their authority, drafts included, with status and deadlines; an officer of
several authorities chooses one first (``?vergabestelle=<id>``). ``…/neu`` is the editor of a
new draft, ``…/<id>/bearbeiten`` that of a draft (:mod:`procurement.tenders.pages_form` reads
it); ``…/<id>`` is the tender's page for its officers: its state, what to do next, and after
publication the questions inbox, the amendments and the cancellation
(:mod:`procurement.tenders.pages_changes`). Another authority's tender answers 404.

Every form is a plain POST with the CSRF token and calls the same service function as the
JSON API (:mod:`procurement.tenders.controllers`) inside a savepoint: a refusal is shown on the
page and changes nothing, a success redirects (303). The editor carries the tender's version;
when the tender changed meanwhile the page answers 409 and says to reload.
"""

from __future__ import annotations

__all__ = [
    "ROUTES",
    "STALE",
    "editor_context",
    "editor_page",
    "refused_content",
    "render_tender",
    "with_row",
]

import uuid
from typing import Annotated, Any, cast

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, Req, redirect, savepoint, state
from infra.web.forms import FORM
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification.cpv_names import divisions_by_category
from procurement.errors import InvalidTender, TenderChanged, TenderNotFound
from procurement.tenders import authoring, cancellation, clarifications
from procurement.tenders.models import OPEN_STATUSES, Tender, TenderStatus
from procurement.tenders.pages_common import (
    CONTRACT_KINDS,
    CRITERION_KINDS,
    METHODS,
    OFFICE,
    PUBLIC,
    Failure,
    error_message,
    forbidden,
    officer_authorities,
    officer_tender,
    version_of,
    words,
)
from procurement.tenders.pages_form import problem_errors, read_content
from procurement.tenders.pages_values import (
    MAX_CRITERIA,
    MAX_LOTS,
    CriterionRow,
    EditorValues,
    LotRow,
    values_from_form,
    values_from_view,
    with_rows,
)
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import CancellationGround, Check

TENDER = OFFICE + "/{tender_id:uuid}"
TenderId = FromPath[uuid.UUID]
STALE = "stale-heading"
"""The id of the notice that the tender changed; a stale form's error links to it."""
NOTICES: dict[str, str] = {
    "created": N_("The draft has been created. Add the documents, then check it for publication."),
    "saved": N_("The draft has been saved."),
    "published": N_("The tender has been published."),
    "answered": N_("The answer has been published and sent to everyone interested."),
    "amended": N_("The amendment has been published and sent to everyone interested."),
    "cancelled": N_("The tender has been cancelled; everyone interested has been told."),
}
CHOOSE = N_("Please choose")
_NOT_OFFICER = N_(
    "Only officers of a contracting authority write tenders. Log in with the account of your "
    "authority, or ask its administrator to make you an officer."
)


def _choice(request: Req, raw: str) -> uuid.UUID | None:
    """The authority the officer works for: the one asked for, or their only one."""
    authorities = officer_authorities(request)
    if raw:
        try:
            chosen = uuid.UUID(raw)
        except ValueError:
            return None
        return chosen if chosen in authorities else None
    return authorities[0] if len(authorities) == 1 else None


@get(OFFICE, guards=[person], name="tenders:office", **PAGE)
async def list_page(
    request: Req,
    session: DbSession,
    vergabestelle: Annotated[str, QueryParameter(max_length=40)] = "",
) -> Template:
    """The tenders of the officer's authority; a chooser for an officer of several."""
    authorities = officer_authorities(request)
    if not authorities:
        return forbidden(request, _NOT_OFFICER)
    repo = TenderRepository(session)
    authority = _choice(request, vergabestelle)
    if authority is None:
        if vergabestelle:
            raise TenderNotFound("There is no such authority of yours.")
        names = [(org, await repo.authority_name(org)) for org in authorities]
        return page(request, "tenders/choose.html", authorities=names, **words(request))
    return page(
        request,
        "tenders/office_list.html",
        authority_id=authority,
        authority_name=await repo.authority_name(authority),
        several=len(authorities) > 1,
        tenders=await repo.tenders_of(authority),
        **words(request),
    )


def editor_context(request: Req) -> dict[str, Any]:
    """What every editor page needs besides its values: the choices and the words."""
    language = negotiate_language(request)
    profile = state(request).settings.profile
    return {
        **words(request),
        "evidence_options": [
            (item.code, item.name["en" if language == "en" else "de"])
            for item in profile.prequalification.evidence
        ],
        "division_groups": divisions_by_category(language),
        "contract_kind_options": [("", CHOOSE), *CONTRACT_KINDS.items()],
        "criterion_kind_options": [("", CHOOSE), *CRITERION_KINDS.items()],
        "method_options": [("", CHOOSE), *METHODS.items()],
    }


def editor_page(
    request: Req,
    *,
    mode: str,
    values: EditorValues,
    action: str,
    back_url: str,
    status_code: int = 200,
    failure: Failure | None = None,
    **context: Any,
) -> Template:
    """The editor of a new draft, a draft or an amendment, with the refusal if any."""
    context.setdefault("view", None)
    context.setdefault("version", None)
    context.setdefault("authority_id", None)
    context.setdefault("authority_name", "")
    context.setdefault("summary", "")
    context.setdefault("material", False)
    context.setdefault("refusals", [])
    return page(
        request,
        "tenders/editor.html",
        status_code=failure.status if failure else status_code,
        mode=mode,
        values=with_rows(values),
        action=action,
        back_url=back_url,
        errors=failure.errors if failure else {},
        error_anchor=failure.first_field if failure else "",
        stale=bool(failure and failure.first_field == STALE),
        reload_url=back_url if mode == "new" else request.url.path,
        **context,
        **editor_context(request),
    )


def with_row(values: EditorValues, action: str) -> EditorValues | None:
    """The values with one more row of lots or criteria, if that is what the button asked."""
    if action == "add-lot" and len(values.lots) < MAX_LOTS:
        return msgspec.structs.replace(values, lots=[*values.lots, LotRow()])
    if action == "add-criterion" and len(values.criteria) < MAX_CRITERIA:
        return msgspec.structs.replace(values, criteria=[*values.criteria, CriterionRow()])
    return None


def refused_content(error: DomainError, language: str, values: EditorValues) -> Failure:
    """The failure of an editor the domain refused (stale version, broken rule, state)."""
    if isinstance(error, TenderChanged):
        return Failure("", {FORM: error_message(error)}, int(error.status_code), STALE)
    if isinstance(error, InvalidTender):
        lot_rows = [i for i, row in enumerate(values.lots) if not row.blank]
        criterion_rows = [i for i, row in enumerate(values.criteria) if not row.blank]
        errors = problem_errors(error.extra.get("problems", []), language, lot_rows, criterion_rows)
        return Failure("", errors or {FORM: error_message(error)}, 422, "title")
    return Failure("", {FORM: error_message(error)}, int(error.status_code), "title")


@get(OFFICE + "/neu", guards=[person], name="tenders:new", **PAGE)
async def new_page(
    request: Req,
    session: DbSession,
    vergabestelle: Annotated[str, QueryParameter(max_length=40)] = "",
) -> Response[Any]:
    if not officer_authorities(request):
        return forbidden(request, _NOT_OFFICER)
    authority = _choice(request, vergabestelle)
    if authority is None:
        return redirect(OFFICE)
    return editor_page(
        request,
        mode="new",
        values=EditorValues(),
        action=OFFICE + "/neu",
        back_url=OFFICE,
        authority_id=authority,
        authority_name=await TenderRepository(session).authority_name(authority),
    )


@post(OFFICE + "/neu", guards=[person], name="tenders:create", **FORM_POST)
async def create(request: Req, session: DbSession) -> Response[Any]:
    """Create a draft, or show the editor with one more row or with the errors."""
    if not officer_authorities(request):
        return forbidden(request, _NOT_OFFICER)
    form = await request.form()
    authority = _choice(request, str(form.get("authority_id") or ""))
    if authority is None:
        raise TenderNotFound("There is no such authority of yours.")
    values = values_from_form(form)
    options: dict[str, Any] = {
        "mode": "new",
        "action": OFFICE + "/neu",
        "back_url": OFFICE,
        "authority_id": authority,
        "authority_name": await TenderRepository(session).authority_name(authority),
    }
    more = with_row(values, str(form.get("action") or ""))
    if more is not None:
        return editor_page(request, values=more, **options)
    app = state(request)
    language = negotiate_language(request)
    content, errors = read_content(values, app.settings.profile, language, app.clock.now())
    if content is None:
        return editor_page(
            request, values=values, failure=Failure("", errors, 422, "title"), **options
        )
    try:
        async with savepoint(session):
            tender = await authoring.create_draft(
                session,
                profile=app.settings.profile,
                authority_id=authority,
                content=content,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = refused_content(error, language, values)
        return editor_page(request, values=values, failure=failure, **options)
    return redirect(f"{OFFICE}/{tender.id}", notice="created")


@get(TENDER + "/bearbeiten", guards=[person], name="tenders:edit", **PAGE)
async def edit_page(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    tender = await officer_tender(request, session, tender_id)
    if tender.status != TenderStatus.DRAFT:
        return redirect(f"{OFFICE}/{tender.id}")
    app = state(request)
    view = await authoring.tender_view(session, app.settings.profile, tender, app.clock.now())
    return editor_page(
        request,
        mode="edit",
        values=values_from_view(
            view, negotiate_language(request), app.settings.profile.instance.timezone
        ),
        action=f"{OFFICE}/{tender.id}/bearbeiten",
        back_url=f"{OFFICE}/{tender.id}",
        view=view,
        version=view.version,
        authority_name=view.authority_name,
    )


@post(TENDER + "/bearbeiten", guards=[person], name="tenders:update", **FORM_POST)
async def update(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """Save the draft with the version the officer saw (409 when it changed meanwhile)."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    app = state(request)
    form = await request.form()
    values = values_from_form(form)
    view = await authoring.tender_view(session, app.settings.profile, tender, app.clock.now())
    version = version_of(form.get("version"))
    options: dict[str, Any] = {
        "mode": "edit",
        "action": f"{OFFICE}/{tender.id}/bearbeiten",
        "back_url": f"{OFFICE}/{tender.id}",
        "view": view,
        "version": version,
        "authority_name": view.authority_name,
    }
    more = with_row(values, str(form.get("action") or ""))
    if more is not None:
        return editor_page(request, values=more, **options)
    language = negotiate_language(request)
    content, errors = read_content(values, app.settings.profile, language, app.clock.now())
    if content is None:
        return editor_page(
            request, values=values, failure=Failure("", errors, 422, "title"), **options
        )
    try:
        async with savepoint(session):
            await authoring.update_draft(
                session,
                profile=app.settings.profile,
                tender=tender,
                version=version,
                content=content,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = refused_content(error, language, values)
        return editor_page(request, values=values, failure=failure, **options)
    return redirect(f"{OFFICE}/{tender.id}", notice="saved")


async def render_tender(
    request: Req,
    session: AsyncSession,
    tender: Tender,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    warnings: list[Check] | None = None,
) -> Template:
    """The tender's page for its officers, with the refusal of one of its forms if any (or
    with the notice and the warnings of an amendment that was made)."""
    app = state(request)
    now = app.clock.now()
    view = await authoring.tender_view(session, app.settings.profile, tender, now)
    published = tender.status != TenderStatus.DRAFT
    language = negotiate_language(request)
    grounds = [
        (
            code,
            f"{cancellation.legal_basis(tender, cast('CancellationGround', code))}: "
            + (ground.title_en if language == "en" else ground.title_de),
        )
        for code, ground in cancellation.GROUNDS.items()
    ]
    documents = f"/api/v1/organisations/{tender.authority_id}/tenders/{tender.id}/documents"
    is_open = tender.status == TenderStatus.PUBLISHED and (
        tender.submission_deadline is None or tender.submission_deadline > now
    )
    return page(
        request,
        "tenders/office_tender.html",
        status_code=failure.status if failure else 200,
        view=view,
        base=f"{OFFICE}/{tender.id}",
        public_url=f"{PUBLIC}/{tender.id}",
        document_href=lambda document: f"{documents}/{document.id}",
        replace_options=[(str(d.key), d.title) for d in view.documents],
        questions=await clarifications.inbox(session, tender) if published else [],
        answer_due=clarifications.answer_due(app.settings.profile, tender),
        is_open=is_open,
        cancellable=published and tender.status in OPEN_STATUSES,
        grounds=grounds,
        stale=bool(failure and failure.first_field == STALE),
        values=values or {},
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(notice or request.query_params.get("notice") or ""),
        late_answer=request.query_params.get("late") == "1",
        warnings=warnings or [],
        **words(request),
    )


@get(TENDER, guards=[person], name="tenders:office-tender", **PAGE)
async def tender_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    return await render_tender(request, session, await officer_tender(request, session, tender_id))


ROUTES: list[ControllerRouterHandler] = [
    list_page,
    new_page,
    create,
    edit_page,
    update,
    tender_page,
]
