"""The pre-qualification office's pages: the queue and the review of one application.

Officers of an authority reach them (:func:`prequalification.guards.authority_officer`); only
officers of a designated pre-qualification office (:func:`prequalification.review.office_of`)
see more than a page that says so (403), and never an application of their own organisation.
``/praequalifizierung/pruefung`` is the queue, oldest submission first, with the age in days;
``/praequalifizierung/pruefung/<id>`` shows every document with its signature result and flags,
a link to the PDF, the self-declaration with its assessment, and the officer's forms: take the
application into review, accept or reject each item and the self-declaration with a reason,
request changes, approve, reject. Every form carries the version of the application it was
rendered with; when the application changed meanwhile the decision is refused and the page
says to reload, so that nobody decides a state they have not seen.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import principal_of
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.web.forms import FORM, Errors, Rule, check_form
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification import applications, exclusion, review
from prequalification.cpv_names import division_name
from prequalification.errors import NotAPrequalificationOffice, OwnOrganisation, StaleVersion
from prequalification.guards import authority_officer
from prequalification.models import Application
from prequalification.pages_common import (
    Failure,
    error_message,
    forbidden,
    refused,
    type_blocks,
    words,
)
from prequalification.schemas import ReasonText

BASE = "/praequalifizierung/pruefung"
APPLICATION = BASE + "/{application_id:uuid}"
ApplicationId = FromPath[uuid.UUID]
STALE = "stale-heading"
"""The id of the notice that the application changed; a stale form's error links to it."""
NOTICES: dict[str, str] = {
    "started": N_("You have taken the application into review."),
    "accepted": N_("The document has been accepted."),
    "rejected": N_("The document has been rejected."),
    "declaration-accepted": N_("The self-declaration has been accepted."),
    "declaration-rejected": N_("The self-declaration has been rejected."),
    "changes-requested": N_("The company has been asked to revise the application."),
    "approved": N_("The application is approved and the certificate has been issued."),
    "application-rejected": N_("The application has been rejected."),
}
_REASON = Rule(
    N_("Give the reason: the company reads it."),
    N_("The reason needs between 3 and 4000 characters."),
)
DECISION_RULES = {
    "decision": Rule(N_("Choose accept or reject."), N_("Choose accept or reject.")),
    "reason": _REASON,
}
MESSAGE_RULES = {
    "message": Rule(
        N_("Say what the company has to fix."),
        N_("The message needs between 3 and 4000 characters."),
    )
}
REASON_RULES = {"reason": _REASON}


class DecisionForm(msgspec.Struct, kw_only=True):
    version: str = ""
    decision: str = ""
    reason: str = ""


class MessageForm(msgspec.Struct, kw_only=True):
    version: str = ""
    message: str = ""


class ReasonForm(msgspec.Struct, kw_only=True):
    version: str = ""
    reason: str = ""


class VersionForm(msgspec.Struct, kw_only=True):
    version: str = ""


class _Message(msgspec.Struct, frozen=True, kw_only=True):
    message: ReasonText


class _Reason(msgspec.Struct, frozen=True, kw_only=True):
    reason: ReasonText


class _Decision(msgspec.Struct, frozen=True, kw_only=True):
    """An item decision as the form sends it (the version travels beside it)."""

    decision: Literal["accept", "reject"]
    reason: ReasonText


class _Refused(Exception):
    """A page answer instead of the review page (someone who may not review)."""

    def __init__(self, answer: Template) -> None:
        self.answer = answer


async def _office(request: Req, session: AsyncSession) -> uuid.UUID:
    try:
        return await review.office_of(session, principal_of(request))
    except NotAPrequalificationOffice as error:
        raise _Refused(forbidden(request, error_message(error))) from None


async def _application(
    request: Req, session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False
) -> Application:
    await _office(request, session)
    application = await applications.get_application(session, application_id, for_update=lock)
    try:
        review._not_own(principal_of(request), application)
    except OwnOrganisation as error:
        raise _Refused(forbidden(request, error_message(error))) from None
    return application


@get(BASE, guards=[authority_officer], name="pq:queue", **PAGE)
async def queue_page(request: Req, session: DbSession) -> Template:
    try:
        await _office(request, session)
    except _Refused as refusal:
        return refusal.answer
    entries = await review.queue(session, state(request).clock.now())
    return page(request, "prequalification/queue.html", entries=entries, **words(request))


async def _review_page(
    request: Req,
    session: AsyncSession,
    application: Application,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    app = state(request)
    profile = app.settings.profile
    view = await applications.application_view(session, profile, application, app.clock.now())
    blocks = type_blocks(profile, view)
    language = negotiate_language(request)
    names = {
        block.type.code: block.type.name["en" if language == "en" else "de"] for block in blocks
    }
    findings = view.declaration.findings if view.declaration else []
    return page(
        request,
        "prequalification/review.html",
        status_code=failure.status if failure else 200,
        view=view,
        blocks=blocks,
        checking=any(item.status == "checking" for item in view.evidence),
        divisions=[(code, division_name(code, language)) for code in view.cpv_divisions],
        counting=[f for f in findings if f.get("reason") != "not-applicable"],
        ground_titles={
            g.code: g.title_en if language == "en" else g.title_de for g in exclusion.GROUNDS
        },
        document_base=f"/api/v1/prequalification/applications/{view.id}/evidence",
        base=f"{BASE}/{view.id}",
        refused_missing=[names.get(code, code) for code in (failure.missing if failure else ())],
        stale=bool(failure and failure.first_field == STALE),
        values=values or {},
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **words(request),
    )


@get(APPLICATION, guards=[authority_officer], name="pq:review", **PAGE)
async def review_page(request: Req, session: DbSession, application_id: ApplicationId) -> Template:
    try:
        application = await _application(request, session, application_id)
    except _Refused as refusal:
        return refusal.answer
    return await _review_page(request, session, application)


async def _failed(
    request: Req,
    session: AsyncSession,
    application: Application,
    error: DomainError,
    *,
    prefix: str,
    field: str,
    values: dict[str, str] | None = None,
) -> Template:
    """The review page again with the refusal at the form ``prefix``."""
    if isinstance(error, StaleVersion):
        failure = Failure(
            prefix="",
            errors={FORM: error_message(error)},
            status=int(error.status_code),
            first_field=STALE,
        )
    else:
        failure = refused(prefix, field, error, "heading" if field == FORM else field)
    return await _review_page(request, session, application, failure=failure, values=values)


def _invalid(prefix: str, errors: Errors, first_field: str) -> Failure:
    return Failure(prefix=prefix, errors=errors, status=422, first_field=first_field)


@post(APPLICATION + "/uebernehmen", guards=[authority_officer], name="pq:start", **FORM_POST)
async def start(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    data: Annotated[VersionForm, FormBody],
) -> Response[Any]:
    """Take a submitted application into review ("Bearbeitung übernehmen")."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    try:
        async with savepoint(session):
            await review.start_review(
                session,
                application=application,
                version=_version(data.version),
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        return await _failed(request, session, application, error, prefix="start-", field=FORM)
    return redirect(f"{BASE}/{application.id}", notice="started")


@post(
    APPLICATION + "/nachweise/{evidence_id:uuid}/entscheidung",
    guards=[authority_officer],
    name="pq:decide-evidence",
    **FORM_POST,
)
async def decide_evidence(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    evidence_id: FromPath[uuid.UUID],
    data: Annotated[DecisionForm, FormBody],
) -> Response[Any]:
    """Accept or reject one document, with the reason the company reads."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    prefix = f"item-{evidence_id}-"
    values = {"reason": data.reason}
    checked, errors = check_form(
        _Decision, {"decision": data.decision, "reason": data.reason}, DECISION_RULES
    )
    if checked is None:
        failure = _invalid(prefix, errors, "reason")
        return await _review_page(request, session, application, failure=failure, values=values)
    try:
        async with savepoint(session):
            await review.decide_evidence(
                session,
                profile=state(request).settings.profile,
                application=application,
                evidence_id=evidence_id,
                version=_version(data.version),
                accept=checked.decision == "accept",
                reason=checked.reason,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        return await _failed(
            request, session, application, error, prefix=prefix, field="reason", values=values
        )
    notice = "accepted" if checked.decision == "accept" else "rejected"
    return redirect(f"{BASE}/{application.id}", notice=notice)


@post(
    APPLICATION + "/eigenerklaerung/entscheidung",
    guards=[authority_officer],
    name="pq:decide-declaration",
    **FORM_POST,
)
async def decide_declaration(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    data: Annotated[DecisionForm, FormBody],
) -> Response[Any]:
    """Accept or reject the self-declaration (needed when it was not assessed ``pass``)."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    values = {"reason": data.reason}
    checked, errors = check_form(
        _Decision, {"decision": data.decision, "reason": data.reason}, DECISION_RULES
    )
    if checked is None:
        failure = _invalid("decl-", errors, "reason")
        return await _review_page(request, session, application, failure=failure, values=values)
    try:
        async with savepoint(session):
            await review.decide_declaration(
                session,
                application=application,
                version=_version(data.version),
                accept=checked.decision == "accept",
                reason=checked.reason,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        return await _failed(
            request, session, application, error, prefix="decl-", field="reason", values=values
        )
    notice = "declaration-accepted" if checked.decision == "accept" else "declaration-rejected"
    return redirect(f"{BASE}/{application.id}", notice=notice)


@post(
    APPLICATION + "/nachbesserung",
    guards=[authority_officer],
    name="pq:request-changes",
    **FORM_POST,
)
async def request_changes(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    data: Annotated[MessageForm, FormBody],
) -> Response[Any]:
    """Send the application back to the company with what to fix."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    values = {"message": data.message}
    checked, errors = check_form(_Message, {"message": data.message}, MESSAGE_RULES)
    if checked is None:
        failure = _invalid("changes-", errors, "message")
        return await _review_page(request, session, application, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await review.request_changes(
                session,
                profile=app.settings.profile,
                base_url=app.settings.public_url,
                application=application,
                version=_version(data.version),
                message=checked.message,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        return await _failed(
            request, session, application, error, prefix="changes-", field="message", values=values
        )
    return redirect(f"{BASE}/{application.id}", notice="changes-requested")


def _version(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return -1


@post(APPLICATION + "/genehmigen", guards=[authority_officer], name="pq:approve", **FORM_POST)
async def approve(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    data: Annotated[VersionForm, FormBody],
) -> Response[Any]:
    """Approve: the certificate is issued at once."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    app = state(request)
    try:
        async with savepoint(session):
            await review.approve(
                session,
                profile=app.settings.profile,
                base_url=app.settings.public_url,
                application=application,
                version=_version(data.version),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        return await _failed(request, session, application, error, prefix="approve-", field=FORM)
    return redirect(f"{BASE}/{application.id}", notice="approved")


@post(APPLICATION + "/ablehnen", guards=[authority_officer], name="pq:reject", **FORM_POST)
async def reject(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    data: Annotated[ReasonForm, FormBody],
) -> Response[Any]:
    """Reject the application with the reasons the company reads."""
    try:
        application = await _application(request, session, application_id, lock=True)
    except _Refused as refusal:
        return refusal.answer
    values = {"reason": data.reason}
    checked, errors = check_form(_Reason, {"reason": data.reason}, REASON_RULES)
    if checked is None:
        failure = _invalid("reject-", errors, "reason")
        return await _review_page(request, session, application, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await review.reject(
                session,
                profile=app.settings.profile,
                base_url=app.settings.public_url,
                application=application,
                version=_version(data.version),
                reason=checked.reason,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        return await _failed(
            request, session, application, error, prefix="reject-", field="reason", values=values
        )
    return redirect(f"{BASE}/{application.id}", notice="application-rejected")


ROUTES: list[ControllerRouterHandler] = [
    queue_page,
    review_page,
    start,
    decide_evidence,
    decide_declaration,
    request_changes,
    approve,
    reject,
]
