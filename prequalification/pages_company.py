"""The company's pre-qualification pages: its applications, one application, the forms on it.

``/praequalifizierung`` lists the applications of the logged-in person's companies (owners and
members of a supplier) and starts a new one. ``/praequalifizierung/antraege/<id>`` shows an
application: its status in plain words, the checklist, every document with its signature result,
an upload form per evidence type, the self-declaration (its form and the ESPD import are
:mod:`prequalification.pages_declaration`) and the submit button. Every form is a plain POST
with the CSRF token that works without JavaScript and calls the same service function as the
JSON API (:mod:`prequalification.controllers`); a refusal is shown on the page, a success
redirects (303). While a document is being checked the page fetches ``…/stand`` every second
with htmx, which swaps the checklist and the documents in (out of band), until every signature
result is there. The upload forms carry a ``<progress>`` that ``/static/upload-progress.js``
drives while the file is sent.
"""

from __future__ import annotations

__all__ = [
    "APPLICATION",
    "BASE",
    "ROUTES",
    "VALID_DATE",
    "ApplicationId",
    "own_application",
    "parse_day",
    "render_application",
]

import uuid
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, PAGE, FormBody, Req, redirect, savepoint, state
from infra.profile_prequalification import Language
from infra.web.forms import FORM, Errors, Rule, check_form
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification import applications, espd, exclusion
from prequalification.applications import EDITABLE, EvidenceFiles
from prequalification.cpv_names import division_name, divisions_by_category
from prequalification.errors import ApplicationNotFound
from prequalification.guards import COMPANY_PEOPLE
from prequalification.models import Application
from prequalification.pages_common import Failure, error_message, forbidden, type_blocks, words
from prequalification.repository import PrequalificationRepository
from prequalification.schemas import ApplicationCreate, ApplicationView

BASE = "/praequalifizierung"
APPLICATION = BASE + "/antraege/{application_id:uuid}"
ApplicationId = FromPath[uuid.UUID]

NOTICES: dict[str, str] = {
    "created": N_(
        "The application has been started. Upload the evidence and answer the self-declaration."
    ),
    "uploaded": N_("The document has been uploaded. Its signatures are being checked."),
    "withdrawn": N_("The document has been withdrawn."),
    "declared": N_("The self-declaration has been saved."),
    "espd-imported": N_("The self-declaration has been taken over from the ESPD."),
    "submitted": N_("The application has been submitted to the pre-qualification office."),
}
_NO_COMPANY = N_(
    "Only the owners and members of a registered company apply for pre-qualification. Log in "
    "with the account of your company, or ask its owner for an invitation."
)
CREATE_RULES = {
    "categories": Rule(N_("Choose at least one category."), N_("Choose categories from the list.")),
    "cpv_divisions": Rule(
        N_("Choose at least one CPV division."), N_("Choose CPV divisions from the list.")
    ),
}
_CHOOSE_COMPANY = N_("Choose the company that applies.")
_CHOOSE_PDF = N_("Choose the PDF file to upload.")
_ENTER_ISSUED = N_("Enter the date the document was issued.")
_ENTER_EXPIRY = N_("Enter the expiry date the document states.")
VALID_DATE = N_("Enter a valid date.")


class CreateForm(msgspec.Struct, kw_only=True):
    organisation_id: str = ""
    categories: list[str] | str = []
    cpv_divisions: list[str] | str = []

    @property
    def category_list(self) -> list[str]:
        return [self.categories] if isinstance(self.categories, str) else list(self.categories)

    @property
    def division_list(self) -> list[str]:
        return (
            [self.cpv_divisions]
            if isinstance(self.cpv_divisions, str)
            else list(self.cpv_divisions)
        )


def _companies(request: Req) -> list[uuid.UUID]:
    """The companies the logged-in person applies for (owner or member of a supplier)."""
    return sorted(
        organisation_id
        for organisation_id, membership in principal_of(request).memberships.items()
        if membership.kind == "supplier" and membership.role in COMPANY_PEOPLE
    )


async def own_application(
    request: Req, session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False
) -> Application:
    """An application of one of the person's companies; any other answers 404."""
    application = await applications.get_application(session, application_id, for_update=lock)
    if application.organisation_id not in _companies(request):
        raise ApplicationNotFound("There is no such application.")
    return application


def _list_context(request: Req) -> dict[str, Any]:
    return {
        **words(request),
        "division_groups": divisions_by_category(negotiate_language(request)),
    }


async def _list_page(
    request: Req,
    session: AsyncSession,
    *,
    failure: Failure | None = None,
    form: CreateForm | None = None,
    open_application: str | None = None,
) -> Template:
    repo = PrequalificationRepository(session)
    companies = []
    for organisation_id in _companies(request):
        organisation = await repo.organisation(organisation_id)
        rows = await repo.applications_of(organisation_id)
        companies.append(
            (
                organisation_id,
                organisation.legal_name if organisation else "",
                [(row, applications._scope(row)[0]) for row in rows],
            )
        )
    return page(
        request,
        "prequalification/applications.html",
        status_code=failure.status if failure else 200,
        companies=companies,
        company_options=[(str(org_id), name) for org_id, name, _rows in companies],
        form=form or CreateForm(),
        errors=failure.errors if failure else {},
        open_application=open_application,
        **_list_context(request),
    )


@get(BASE, guards=[person], name="pq:applications", **PAGE)
async def applications_page(request: Req, session: DbSession) -> Template:
    if not _companies(request):
        return forbidden(request, _NO_COMPANY)
    return await _list_page(request, session)


@post(BASE + "/antraege", guards=[person], name="pq:create", **FORM_POST)
async def create(
    request: Req, session: DbSession, data: Annotated[CreateForm, FormBody]
) -> Response[Any]:
    companies = _companies(request)
    if not companies:
        return forbidden(request, _NO_COMPANY)
    values = {"categories": data.category_list, "cpv_divisions": data.division_list}
    checked, errors = check_form(ApplicationCreate, values, CREATE_RULES)
    organisation_id = companies[0] if len(companies) == 1 else None
    if len(companies) > 1:
        try:
            organisation_id = uuid.UUID(data.organisation_id)
        except ValueError:
            organisation_id = None
        if organisation_id not in companies:
            errors = {"organisation_id": _CHOOSE_COMPANY, **errors}
    if checked is None or organisation_id is None or errors:
        failure = Failure(prefix="new-", errors=errors, status=422, first_field="categories")
        return await _list_page(request, session, failure=failure, form=data)
    try:
        async with savepoint(session):
            application = await applications.create_application(
                session,
                profile=state(request).settings.profile,
                organisation_id=organisation_id,
                data=checked,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        field = "cpv_divisions" if error.code == "invalid-scope" else FORM
        failure = Failure(
            prefix="new-",
            errors={field: error_message(error)},
            status=int(error.status_code),
            first_field="categories",
        )
        opened = error.extra.get("application_id")
        return await _list_page(
            request,
            session,
            failure=failure,
            form=data,
            open_application=str(opened) if opened else None,
        )
    return redirect(f"{BASE}/antraege/{application.id}", notice="created")


def _declaration_values(view: ApplicationView) -> dict[str, dict[str, Any]]:
    """The stored answers as the form shows them."""
    if view.declaration is None:
        return {}
    values = {}
    for answer in view.declaration.answers:
        code = str(answer.get("code"))
        applies = answer.get("applies")
        values[code] = {
            "applies": "yes" if applies is True else "no" if applies is False else "",
            "date": str(answer.get("date") or ""),
            "self_cleaning": bool(answer.get("self_cleaning")),
            "paid_or_committed": bool(answer.get("paid_or_committed")),
            "explanation": str(answer.get("explanation") or ""),
        }
    return values


async def render_application(
    request: Req,
    session: AsyncSession,
    application: Application,
    *,
    template: str = "prequalification/application.html",
    failure: Failure | None = None,
    upload: dict[str, str] | None = None,
    declaration: dict[str, dict[str, Any]] | None = None,
    declaration_source: tuple[str, str] = ("form", ""),
    espd_error: espd.InvalidEspd | None = None,
    espd_open: tuple[str, ...] = (),
) -> Template:
    app = state(request)
    profile = app.settings.profile
    view = await applications.application_view(session, profile, application, app.clock.now())
    blocks = type_blocks(profile, view)
    names = {block.type.code: block.type.name for block in blocks}
    certificate = await PrequalificationRepository(session).certificate_of_application(view.id)
    renewable = (
        view.status == "approved"
        and certificate is not None
        and certificate.status in ("valid", "suspended")
    )
    language: Language = "en" if negotiate_language(request) == "en" else "de"
    missing = [
        names[item.type_code][language]
        for item in view.checklist
        if item.mandatory and item.state == "missing"
    ]
    return page(
        request,
        template,
        status_code=failure.status if failure else 200,
        view=view,
        blocks=blocks,
        names=names,
        editable=view.status in EDITABLE,
        renewable=renewable,
        checking=any(item.status == "checking" for item in view.evidence),
        missing=missing,
        refused_missing=[
            names[code][language] if code in names else code
            for code in (failure.missing if failure else ())
        ],
        divisions=[(code, division_name(code, language)) for code in view.cpv_divisions],
        document_base=(
            f"/api/v1/organisations/{view.organisation_id}/pq-applications/{view.id}/evidence"
        ),
        base=f"{BASE}/antraege/{view.id}",
        grounds=exclusion.GROUNDS,
        decl_values=declaration if declaration is not None else _declaration_values(view),
        declaration_source=declaration_source,
        espd_error=espd_error,
        espd_open=[exclusion.ground(code) for code in espd_open],
        upload=upload or {},
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **words(request),
    )


@get(APPLICATION, guards=[person], name="pq:application", **PAGE)
async def application_page(
    request: Req, session: DbSession, application_id: ApplicationId
) -> Template:
    return await render_application(
        request, session, await own_application(request, session, application_id)
    )


@get(APPLICATION + "/stand", guards=[person], name="pq:application-status", **PAGE)
async def application_status(
    request: Req, session: DbSession, application_id: ApplicationId
) -> Template:
    """The checklist and the documents, which htmx polls for while documents are checked."""
    application = await own_application(request, session, application_id)
    return await render_application(
        request, session, application, template="prequalification/_live.html"
    )


def parse_day(raw: object) -> date | None:
    """An ISO date from a form field; ``ValueError`` when it is not one."""
    text = str(raw or "").strip()
    return date.fromisoformat(text) if text else None


def _upload_fields(form: FormMultiDict) -> tuple[Errors, date | None, date | None]:
    errors: Errors = {}
    document = form.get("document")
    if not isinstance(document, UploadFile) or not document.filename:
        errors["document"] = _CHOOSE_PDF
    issued = expiry = None
    try:
        issued = parse_day(form.get("issued_on"))
        if issued is None:
            errors["issued_on"] = _ENTER_ISSUED
    except ValueError:
        errors["issued_on"] = VALID_DATE
    try:
        expiry = parse_day(form.get("stated_expiry"))
    except ValueError:
        errors["stated_expiry"] = VALID_DATE
    return errors, issued, expiry


_UPLOAD_FIELDS = {
    "expired": "issued_on",
    "issued-in-future": "issued_on",
    "missing-expiry": "stated_expiry",
    "application-wrong-state": FORM,
}


@post(APPLICATION + "/nachweise", guards=[person], name="pq:upload", **FORM_POST)
async def upload(request: Req, session: DbSession, application_id: ApplicationId) -> Response[Any]:
    """One PDF of evidence; the signature check is queued and the page polls for its result."""
    application = await own_application(request, session, application_id, lock=True)
    form = await request.form()
    profile = state(request).settings.profile
    codes = [t.code for t in profile.prequalification.evidence if t.form == "document"]
    type_code = str(form.get("type_code") or "")
    prefix = f"upload-{type_code}-" if type_code in codes else "upload-"
    errors, issued, expiry = _upload_fields(form)
    if (
        type_code in codes
        and "stated_expiry" not in errors
        and expiry is None
        and profile.prequalification.evidence_type(type_code).validity.needs_stated_expiry
    ):
        errors["stated_expiry"] = _ENTER_EXPIRY
    values = {
        "type_code": type_code,
        "issued_on": str(form.get("issued_on") or ""),
        "stated_expiry": str(form.get("stated_expiry") or ""),
    }
    if errors or issued is None:
        failure = Failure(prefix=prefix, errors=errors, status=422, first_field="document")
        return await render_application(
            request, session, application, failure=failure, upload=values
        )
    document = form.get("document")
    assert isinstance(document, UploadFile)  # checked by _upload_fields
    app = state(request)
    try:
        async with savepoint(session):
            await applications.upload_evidence(
                session,
                profile=profile,
                files=EvidenceFiles(app.settings.storage.root),
                application=application,
                type_code=type_code,
                issued_on=issued,
                stated_expiry=expiry,
                filename=document.filename or "dokument.pdf",
                document=document.file,
                limit=app.settings.signatures.max_document_bytes,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        reason = str(error.extra.get("reason") or getattr(error, "reason", "") or "")
        field = _UPLOAD_FIELDS.get(reason) or _UPLOAD_FIELDS.get(error.code) or "document"
        failure = Failure(
            prefix=prefix,
            errors={field: error_message(error)},
            status=int(error.status_code),
            first_field="document",
        )
        return await render_application(
            request, session, application, failure=failure, upload=values
        )
    return redirect(f"{BASE}/antraege/{application.id}", notice="uploaded")


@post(
    APPLICATION + "/nachweise/{evidence_id:uuid}/zurueckziehen",
    guards=[person],
    name="pq:withdraw",
    **FORM_POST,
)
async def withdraw(
    request: Req,
    session: DbSession,
    application_id: ApplicationId,
    evidence_id: FromPath[uuid.UUID],
) -> Response[Any]:
    application = await own_application(request, session, application_id, lock=True)
    try:
        async with savepoint(session):
            await applications.remove_evidence(
                session,
                application=application,
                evidence_id=evidence_id,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        failure = Failure(
            prefix="",
            errors={FORM: error_message(error)},
            status=int(error.status_code),
            first_field="evidence-heading",
        )
        return await render_application(request, session, application, failure=failure)
    return redirect(f"{BASE}/antraege/{application.id}", notice="withdrawn")


@post(APPLICATION + "/einreichen", guards=[person], name="pq:submit", **FORM_POST)
async def submit(request: Req, session: DbSession, application_id: ApplicationId) -> Response[Any]:
    application = await own_application(request, session, application_id, lock=True)
    app = state(request)
    try:
        async with savepoint(session):
            await applications.submit(
                session,
                profile=app.settings.profile,
                application=application,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        missing = error.extra.get("missing")
        failure = Failure(
            prefix="submit-",
            errors={FORM: error_message(error)},
            status=int(error.status_code),
            first_field="heading",
            missing=tuple(missing) if isinstance(missing, list) else (),
        )
        return await render_application(request, session, application, failure=failure)
    return redirect(f"{BASE}/antraege/{application.id}", notice="submitted")


ROUTES: list[ControllerRouterHandler] = [
    applications_page,
    create,
    application_page,
    application_status,
    upload,
    withdraw,
    submit,
]
