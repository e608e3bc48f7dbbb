"""The officers' forms on a published tender: answers, amendments, cancellation.

On the tender's page (:func:`procurement.tenders.pages_office.render_tender`) an officer answers
each question of the inbox (``…/fragen/<id>/antwort``; an answer later than § 20 Abs. 3 VgV
allows is published all the same and the page says to extend the deadline), adds or replaces a
document as an amendment of its own (``…/aenderung/unterlagen``) and cancels the procedure on a
ground of § 63 Abs. 1 VgV (``…/aufhebung``). ``…/aenderung`` is the editor prefilled with the
tender's content, with the summary and the "material change" box: the whole content as it
shall be goes to :func:`procurement.tenders.amendments.amend`. Each form carries the version it
was rendered with (409 when the tender changed meanwhile); an amendment whose checks warn is
answered with the tender's page showing the warnings, one without warnings with a redirect.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from typing import Annotated, Any, cast

import msgspec
from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.profile import Profile
from infra.web.forms import FORM, Rule, check_form
from infra.web.i18n import N_, negotiate_language
from procurement import periods
from procurement.errors import AmendmentRefused, TenderChanged
from procurement.tenders import amendments, authoring, cancellation, clarifications
from procurement.tenders.authoring import DocumentFiles
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.pages_common import (
    OFFICE,
    Failure,
    error_message,
    officer_tender,
    version_of,
)
from procurement.tenders.pages_form import read_content
from procurement.tenders.pages_office import (
    STALE,
    editor_page,
    refused_content,
    render_tender,
    with_row,
)
from procurement.tenders.pages_values import EditorValues, values_from_form, values_from_view
from procurement.tenders.schemas import (
    AnswerIn,
    CancellationGround,
    Summary,
    TenderContent,
    TenderView,
)

TENDER = OFFICE + "/{tender_id:uuid}"
TenderId = FromPath[uuid.UUID]
ANSWER_RULES = {
    "text": Rule(N_("Write the answer."), N_("The answer may have at most 10,000 characters."))
}
CANCEL_RULES = {
    "version": Rule(N_("Reload the page."), N_("Reload the page.")),
    "ground": Rule(N_("Choose the ground."), N_("Choose the ground.")),
    "reason": Rule(
        N_("Give the reasons: the companies read them."),
        N_("The reasons need between 10 and 5000 characters."),
    ),
}
_SUMMARY_MISSING = N_("Summarise the change: everyone interested reads it.")
_SUMMARY_INVALID = N_("The summary needs between 3 and 5000 characters.")
_CHOOSE_FILE = N_("Choose the file to upload.")
_AMENDMENT_REFUSALS: dict[str, tuple[str, str]] = {
    "no-change": (
        "summary",
        N_("The content is the same as the tender's: there is nothing to amend."),
    ),
    "new-procedure": (
        "estimated_value",
        N_(
            "An amendment cannot change the procedure, the kind of contract or, by the value, "
            "the rules that apply: that would be a new procedure."
        ),
    ),
    "deadlines": (
        "submission_deadline",
        N_("The deadlines cannot be set like this: see the checks named above."),
    ),
}


def _refusal_texts(
    profile: Profile,
    error: AmendmentRefused,
    tender: Tender,
    content: TenderContent,
    language: str,
) -> list[str]:
    """The refusing deadline checks of an amendment in the page's language (the refusal names
    their codes; the checks counted as the amendment counts them give the words)."""
    codes = {str(check.get("code")) for check in error.extra.get("checks") or []}
    if not codes or tender.published_at is None or tender.regime is None:
        return []
    assert content.submission_deadline is not None  # a refusal of another kind otherwise
    found = periods.check_deadlines(
        profile,
        regime=cast("periods.Regime", tender.regime),
        procedure=content.procedure,
        urgent=content.urgent,
        dispatch=tender.published_at,
        submission_deadline=content.submission_deadline,
        clarification_deadline=content.clarification_deadline,
        binding_until=content.binding_until,
    )
    return [
        check.message_en if language == "en" else check.message_de
        for check in found
        if check.code in codes
    ]


class AnswerForm(msgspec.Struct, kw_only=True):
    text: str = ""


class CancelForm(msgspec.Struct, kw_only=True):
    version: str = ""
    ground: str = ""
    reason: str = ""


class _Cancel(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    ground: CancellationGround
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=5_000)]


def _failed(error: DomainError, prefix: str, field: str) -> Failure:
    """A refusal of one form of the tender's page (a stale version: the reload notice)."""
    if isinstance(error, TenderChanged):
        return Failure("", {FORM: error_message(error)}, int(error.status_code), STALE)
    return Failure(prefix, {field: error_message(error)}, int(error.status_code), field)


@post(
    TENDER + "/fragen/{question_id:uuid}/antwort",
    guards=[person],
    name="tenders:answer",
    **FORM_POST,
)
async def answer(
    request: Req,
    session: DbSession,
    tender_id: TenderId,
    question_id: FromPath[uuid.UUID],
    data: Annotated[AnswerForm, FormBody],
) -> Response[Any]:
    """Answer a question once: published without the asker and mailed to the interested."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    prefix = f"answer-{question_id}-"
    values = {"text": data.text}
    checked, errors = check_form(AnswerIn, values, ANSWER_RULES)
    if checked is None:
        failure = Failure(prefix, errors, 422, "text")
        return await render_tender(request, session, tender, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            _question, timing = await clarifications.answer(
                session,
                public_url=app.settings.public_url,
                profile=app.settings.profile,
                tender=tender,
                question_id=question_id,
                text=checked.text,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = _failed(error, prefix, "text")
        return await render_tender(request, session, tender, failure=failure, values=values)
    return redirect(f"{OFFICE}/{tender.id}", notice="answered", late="1" if timing.late else "")


async def _amendment_editor(
    request: Req,
    tender: Tender,
    view: TenderView,
    values: EditorValues,
    *,
    summary: str = "",
    material: bool = False,
    version: int,
    failure: Failure | None = None,
    refusals: list[str] | None = None,
) -> Template:
    return editor_page(
        request,
        mode="amend",
        values=values,
        action=f"{OFFICE}/{tender.id}/aenderung",
        back_url=f"{OFFICE}/{tender.id}",
        failure=failure,
        view=view,
        version=version,
        authority_name=view.authority_name,
        summary=summary,
        material=material,
        refusals=refusals or [],
    )


@get(TENDER + "/aenderung", guards=[person], name="tenders:amend-form", **PAGE)
async def amendment_page(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """The editor prefilled with the published tender's content."""
    tender = await officer_tender(request, session, tender_id)
    if tender.status != TenderStatus.PUBLISHED:
        return redirect(f"{OFFICE}/{tender.id}")
    app = state(request)
    view = await authoring.tender_view(session, app.settings.profile, tender, app.clock.now())
    language = negotiate_language(request)
    values = values_from_view(view, language, app.settings.profile.instance.timezone)
    return await _amendment_editor(request, tender, view, values, version=view.version)


@post(TENDER + "/aenderung", guards=[person], name="tenders:amend", **FORM_POST)
async def amend(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """Publish an amendment: the whole content as it shall be, a summary, material or not."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    app = state(request)
    now = app.clock.now()
    language = negotiate_language(request)
    form = await request.form()
    view = await authoring.tender_view(session, app.settings.profile, tender, now)
    values = values_from_form(form)
    summary = str(form.get("summary") or "")
    material = form.get("material") == "yes"
    version = version_of(form.get("version"))
    options: dict[str, Any] = {"summary": summary, "material": material, "version": version}
    more = with_row(values, str(form.get("action") or ""))
    if more is not None:
        return await _amendment_editor(request, tender, view, more, **options)
    content, errors = read_content(values, app.settings.profile, language, now)
    try:
        checked_summary = msgspec.convert(summary.strip(), Summary)
    except msgspec.ValidationError:
        checked_summary = None
        errors = {**errors, "summary": _SUMMARY_INVALID if summary.strip() else _SUMMARY_MISSING}
    if content is None or checked_summary is None:
        failure = Failure("", errors, 422, "title")
        return await _amendment_editor(request, tender, view, values, failure=failure, **options)
    try:
        async with savepoint(session):
            _amendment, warnings = await amendments.amend(
                session,
                public_url=app.settings.public_url,
                profile=app.settings.profile,
                tender=tender,
                version=version,
                content=content,
                summary=checked_summary,
                material=material,
                by=principal_of(request),
                now=now,
            )
    except AmendmentRefused as error:
        field, message = _AMENDMENT_REFUSALS.get(
            str(error.extra.get("reason")), ("title", error_message(error))
        )
        refusals = _refusal_texts(app.settings.profile, error, tender, content, language)
        failure = Failure("", {field: message}, int(error.status_code), field)
        return await _amendment_editor(
            request, tender, view, values, failure=failure, refusals=refusals, **options
        )
    except DomainError as error:
        failure = refused_content(error, language, values)
        return await _amendment_editor(request, tender, view, values, failure=failure, **options)
    if warnings:
        return await render_tender(request, session, tender, notice="amended", warnings=warnings)
    return redirect(f"{OFFICE}/{tender.id}", notice="amended")


@post(TENDER + "/aenderung/unterlagen", guards=[person], name="tenders:amend-document", **FORM_POST)
async def amend_document(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """A document added to (or replacing one of) a published tender, as an amendment."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    form = await request.form()
    values = {key: str(form.get(key) or "") for key in ("title", "replaces", "summary", "material")}
    errors = {}
    document = form.get("document")
    if not isinstance(document, UploadFile) or not document.filename:
        errors["document"] = _CHOOSE_FILE
    summary = values["summary"].strip()
    if not 3 <= len(summary) <= 5_000:
        errors["summary"] = _SUMMARY_INVALID if summary else _SUMMARY_MISSING
    replaces = None
    if values["replaces"]:
        try:
            replaces = uuid.UUID(values["replaces"])
        except ValueError:
            errors["replaces"] = N_("Choose a document from the list.")
    if errors or not isinstance(document, UploadFile):
        failure = Failure("doc-", errors, 422, "document")
        return await render_tender(request, session, tender, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await amendments.amend_document(
                session,
                public_url=app.settings.public_url,
                profile=app.settings.profile,
                files=DocumentFiles(app.settings.storage.root),
                tender=tender,
                version=version_of(form.get("version")),
                title=values["title"][:200],
                filename=(document.filename or "dokument")[:255],
                media_type=(document.content_type or "application/octet-stream")[:100],
                stream=document.file,
                limit=app.settings.signatures.max_document_bytes,
                replaces=replaces,
                summary=summary,
                material=values["material"] == "yes",
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        field = "replaces" if error.code == "document-not-found" else "document"
        failure = _failed(error, "doc-", field)
        return await render_tender(request, session, tender, failure=failure, values=values)
    return redirect(f"{OFFICE}/{tender.id}", notice="amended")


@post(TENDER + "/aufhebung", guards=[person], name="tenders:cancel", **FORM_POST)
async def cancel(
    request: Req, session: DbSession, tender_id: TenderId, data: Annotated[CancelForm, FormBody]
) -> Response[Any]:
    """Cancel the procedure on a ground of § 63 Abs. 1 VgV, with the reasons."""
    tender = await officer_tender(request, session, tender_id, lock=True)
    values = {"ground": data.ground, "reason": data.reason}
    checked, errors = check_form(
        _Cancel, {"version": str(version_of(data.version)), **values}, CANCEL_RULES
    )
    if checked is None:
        failure = Failure("cancel-", errors, 422, "ground")
        return await render_tender(request, session, tender, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await cancellation.cancel(
                session,
                public_url=app.settings.public_url,
                profile=app.settings.profile,
                tender=tender,
                version=checked.version,
                ground=checked.ground,
                reason=checked.reason,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = _failed(error, "cancel-", "ground")
        return await render_tender(request, session, tender, failure=failure, values=values)
    return redirect(f"{OFFICE}/{tender.id}", notice="cancelled")


ROUTES: list[ControllerRouterHandler] = [
    answer,
    amendment_page,
    amend,
    amend_document,
    cancel,
]
