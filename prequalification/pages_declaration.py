"""The company's self-declaration on the exclusion grounds: its form and the ESPD import.

Part of the application page (:mod:`prequalification.pages_company`). The form answers every
ground of :data:`prequalification.exclusion.GROUNDS` (yes or no, the date when yes, self-cleaning,
"paid or committed" for taxes, an explanation); each wrong field is named. An ESPD response is
checked against the ESPD schema, whose errors are listed with line and column; one that leaves
grounds open fills the form with what it answers and names the open questions, so that the
company completes them and saves (nothing is stored before every ground is answered).
"""

from __future__ import annotations

__all__ = ["ROUTES"]

from datetime import date
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Response, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import FORM_POST, Req, redirect, savepoint, state
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_
from prequalification import applications, espd, exclusion
from prequalification.models import Application
from prequalification.pages_common import Failure, error_message
from prequalification.pages_company import (
    APPLICATION,
    BASE,
    VALID_DATE,
    ApplicationId,
    own_application,
    parse_day,
    render_application,
)

_ANSWER = N_("Answer the question with yes or no.")
_ENTER_DATE = N_("Enter the date: the ground applies.")
_FUTURE_DATE = N_("The date must not lie in the future.")
_TOO_LONG = N_("The explanation can have at most 4000 characters.")
_STILL_OPEN = N_("Still open: the ESPD does not answer this question.")
_CHOOSE_ESPD = N_("Choose the ESPD file (XML) to import.")
_MAX_EXPLANATION = 4000


def _answer_values(answers: tuple[exclusion.GroundAnswer, ...]) -> dict[str, dict[str, Any]]:
    return {
        answer.code: {
            "applies": "yes" if answer.applies else "no",
            "date": answer.date.isoformat() if answer.date else "",
            "self_cleaning": answer.self_cleaning,
            "paid_or_committed": answer.paid_or_committed,
            "explanation": answer.explanation or "",
        }
        for answer in answers
    }


def _parse_declaration(
    form: FormMultiDict, on: date
) -> tuple[dict[str, dict[str, Any]], tuple[exclusion.GroundAnswer, ...], Errors]:
    """The answers of the declaration form, the values to show again and the errors per field."""
    values: dict[str, dict[str, Any]] = {}
    answers = []
    errors: Errors = {}
    for ground in exclusion.GROUNDS:
        code = ground.code
        applies = str(form.get(f"{code}-applies") or "")
        raw_date = str(form.get(f"{code}-date") or "").strip()
        explanation = str(form.get(f"{code}-explanation") or "").strip()
        applies = applies if applies in ("yes", "no") else ""
        self_cleaning = bool(form.get(f"{code}-self_cleaning"))
        paid = bool(form.get(f"{code}-paid_or_committed")) and code == "tax-social-security"
        values[code] = {
            "applies": applies,
            "date": raw_date,
            "self_cleaning": self_cleaning,
            "paid_or_committed": paid,
            "explanation": explanation,
        }
        if not applies:
            errors[f"{code}-applies"] = _ANSWER
            continue
        day = None
        if applies == "yes":
            try:
                day = parse_day(raw_date)
            except ValueError:
                errors[f"{code}-date"] = VALID_DATE
                continue
            if day is None:
                errors[f"{code}-date"] = _ENTER_DATE
            elif day > on:
                errors[f"{code}-date"] = _FUTURE_DATE
        if len(explanation) > _MAX_EXPLANATION:
            errors[f"{code}-explanation"] = _TOO_LONG
        answers.append(
            exclusion.GroundAnswer(
                code=code,
                applies=applies == "yes",
                date=day,
                self_cleaning=self_cleaning,
                explanation=explanation or None,
                paid_or_committed=paid,
            )
        )
    return values, tuple(answers), errors


def _incomplete_errors(error: exclusion.IncompleteDeclaration) -> Errors:
    errors: Errors = {}
    for code in (*error.missing, *error.duplicate):
        errors[f"{code}-applies"] = _ANSWER
    for code in error.undated:
        errors[f"{code}-date"] = _ENTER_DATE
    for code in error.future:
        errors[f"{code}-date"] = _FUTURE_DATE
    return errors or {FORM: error_message(error)}


async def _declare(
    request: Req,
    session: AsyncSession,
    application: Application,
    answers: tuple[exclusion.GroundAnswer, ...],
    *,
    source: str,
    sme_size: str | None,
) -> DomainError | None:
    """Record the declaration; the domain's refusal if it refused (nothing is stored then)."""
    app = state(request)
    try:
        async with savepoint(session):
            await applications.declare(
                session,
                profile=app.settings.profile,
                application=application,
                declaration=exclusion.SelfDeclaration(answers=answers),
                source=source,
                sme_size=sme_size,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        return error
    return None


def _sme_size(raw: object) -> str | None:
    value = str(raw or "")
    return value if value in ("micro", "small", "medium", "large", "sme") else None


@post(APPLICATION + "/eigenerklaerung", guards=[person], name="pq:declare", **FORM_POST)
async def declare(request: Req, session: DbSession, application_id: ApplicationId) -> Response[Any]:
    """The self-declaration from its form: every ground answered, assessed at once."""
    application = await own_application(request, session, application_id, lock=True)
    form = await request.form()
    app = state(request)
    on = applications.today(app.settings.profile, app.clock.now())
    values, answers, errors = _parse_declaration(form, on)
    source = "espd" if form.get("source") == "espd" else "form"
    sme_size = _sme_size(form.get("sme_size")) if source == "espd" else None
    if not errors:
        refused = await _declare(
            request, session, application, answers, source=source, sme_size=sme_size
        )
        if refused is None:
            return redirect(f"{BASE}/antraege/{application.id}", notice="declared")
        errors = (
            _incomplete_errors(refused)
            if isinstance(refused, exclusion.IncompleteDeclaration)
            else {FORM: error_message(refused)}
        )
    failure = Failure(prefix="decl-", errors=errors, status=422, first_field="heading")
    return await render_application(
        request,
        session,
        application,
        failure=failure,
        declaration=values,
        declaration_source=(source, sme_size or ""),
    )


@post(APPLICATION + "/eigenerklaerung/espd", guards=[person], name="pq:espd", **FORM_POST)
async def import_espd(
    request: Req, session: DbSession, application_id: ApplicationId
) -> Response[Any]:
    """The self-declaration from an ESPD response; an incomplete one fills the form instead."""
    application = await own_application(request, session, application_id, lock=True)
    form = await request.form()
    document = form.get("document")
    if not isinstance(document, UploadFile) or not document.filename:
        failure = Failure(
            prefix="espd-", errors={"document": _CHOOSE_ESPD}, status=422, first_field="document"
        )
        return await render_application(request, session, application, failure=failure)
    raw = await document.read(espd.MAX_ESPD_BYTES + 1)
    try:
        imported = await anyio.to_thread.run_sync(partial(espd.parse_espd_response, raw))
    except espd.InvalidEspd as error:
        failure = Failure(
            prefix="espd-",
            errors={"document": error_message(error)},
            status=int(error.status_code),
            first_field="document",
        )
        return await render_application(
            request, session, application, failure=failure, espd_error=error
        )
    prefilled = _answer_values(imported.answers)
    source = ("espd", imported.sme_size or "")
    if imported.missing:
        errors = {f"{code}-applies": _STILL_OPEN for code in imported.missing}
        failure = Failure(prefix="decl-", errors=errors, status=422, first_field="heading")
        return await render_application(
            request,
            session,
            application,
            failure=failure,
            declaration=prefilled,
            declaration_source=source,
            espd_open=imported.missing,
        )
    refused = await _declare(
        request,
        session,
        application,
        imported.answers,
        source="espd",
        sme_size=imported.sme_size,
    )
    if refused is None:
        return redirect(f"{BASE}/antraege/{application.id}", notice="espd-imported")
    errors = (
        _incomplete_errors(refused)
        if isinstance(refused, exclusion.IncompleteDeclaration)
        else {FORM: error_message(refused)}
    )
    failure = Failure(prefix="decl-", errors=errors, status=422, first_field="heading")
    return await render_application(
        request,
        session,
        application,
        failure=failure,
        declaration=prefilled,
        declaration_source=source,
    )


ROUTES: list[ControllerRouterHandler] = [declare, import_espd]
