"""The award page's forms after the approval (issue 8, item 7): review applications, contracts
and the completion.

While the decision stands between approval and contract an officer records a review
application the chamber notified (it holds the contract, § 169 GWB) and later its outcome
(dismissed or withdrawn: the award goes ahead; upheld: the evaluation resumes). Once the
standstill has ended an officer records the contract of each awarded lot (the day it was
concluded, from the day of contract to today, and its value, by default the award's); with the
last one the tender is awarded, and an officer marks it completed.

Like :mod:`procurement.award.pages_award`: CSRF-protected POSTs calling the API's service
functions in a savepoint; a refusal is shown and recorded, a success redirects (303).
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import uuid
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Response, post
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import Req, redirect, savepoint, state
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_
from procurement.award import conclusion, contracts
from procurement.award.award_schemas import ContractIn, ReviewIn, ReviewResolution
from procurement.award.pages_award_common import (
    AWARD,
    OUTCOMES,
    award_base,
    award_refusal,
    day_or_none,
    form_failure,
    form_text,
    render_award,
)
from procurement.award.pages_common import AUDITED_FORM, evaluation_tender
from procurement.bids.drafting import price_problem
from procurement.periods import Calendar
from procurement.tenders.pages_common import Failure
from procurement.tenders.pages_form import parse_amount

TenderId = FromPath[uuid.UUID]
_APPLICANT = N_("Name the applicant (2 to 300 characters).")
_REFERENCE = N_("Give the chamber's reference (2 to 100 characters).")
_RECEIVED = N_("Give the day the chamber's notice was received, not after today.")
_OUTCOME = N_("Choose the outcome.")
_LONG = N_("The text may have at most 5,000 characters.")
_CONCLUDED = N_(
    "Give the day the contract was concluded: not before the day of contract and not after today."
)
_NO_LOT = N_("The decision awards no such lot. Please reload the page.")
_VALUE = N_("Give the net value in euros, more than zero with at most two decimals, or leave it.")


@post(AWARD + "/nachpruefung", guards=[person], name="award:review", **AUDITED_FORM)
async def record_review(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer records a review application the chamber notified."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    values = {
        "applicant": form_text(form, "applicant", 400),
        "reference": form_text(form, "reference", 200),
        "received_on": form_text(form, "received_on", 20),
    }
    app = state(request)
    today = Calendar(app.settings.profile).local_date(app.clock.now())
    received = day_or_none(values["received_on"])
    errors: Errors = {}
    if not 2 <= len(values["applicant"]) <= 300:
        errors["applicant"] = _APPLICANT
    if not 2 <= len(values["reference"]) <= 100:
        errors["reference"] = _REFERENCE
    if received is None or received > today:
        errors["received_on"] = _RECEIVED
    if errors or received is None:
        failure = Failure("review-", errors, 422, "applicant")
        return await render_award(request, session, caller, failure=failure, values=values)
    data = ReviewIn(
        applicant=values["applicant"], reference=values["reference"], received_on=received
    )
    try:
        async with savepoint(session):
            await conclusion.record_review(
                session,
                tender=caller.tender,
                data=data,
                by=principal_of(request),
                now=app.clock.now(),
                today=today,
            )
    except DomainError as error:
        mapped = {"received_on": _RECEIVED} if error.code == "invalid-award" else None
        failure = form_failure("review-", error, "applicant", mapped)
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="review")


@post(
    AWARD + "/nachpruefung/{review_id:uuid}/ausgang",
    guards=[person],
    name="award:resolve",
    **AUDITED_FORM,
)
async def resolve_review(
    request: Req, session: DbSession, tender_id: TenderId, review_id: FromPath[uuid.UUID]
) -> Response[Any]:
    """An officer records the chamber's outcome of a review application."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    values = {"outcome": form_text(form, "outcome", 20), "note": form_text(form, "note")}
    prefix = f"resolve-{review_id}-"
    errors: Errors = {}
    if values["outcome"] not in OUTCOMES:
        errors["outcome"] = _OUTCOME
    if len(values["note"]) > 5000:
        errors["note"] = _LONG
    if errors:
        failure = Failure(prefix, errors, 422, "outcome")
        return await render_award(request, session, caller, failure=failure, values=values)
    app = state(request)
    data = msgspec.convert(values, ReviewResolution)
    try:
        async with savepoint(session):
            await conclusion.resolve_review(
                session,
                tender=caller.tender,
                review_id=review_id,
                data=data,
                by=principal_of(request),
                now=app.clock.now(),
                public_url=app.settings.public_url,
            )
    except DomainError as error:
        failure = form_failure(prefix, error, "outcome")
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="resolved")


def _value(text: str) -> Decimal | str | None:
    """The contract's value from the form: ``None`` when empty, the msgid when wrong."""
    if not text:
        return None
    try:
        value = parse_amount(text)
    except ValueError:
        return _VALUE
    if price_problem(value):
        return _VALUE
    return value


@post(
    AWARD + "/vertraege/{lot:int}",
    guards=[person],
    name="award:contract",
    **AUDITED_FORM,
)
async def conclude(
    request: Req, session: DbSession, tender_id: TenderId, lot: FromPath[int]
) -> Response[Any]:
    """An officer records the contract of an awarded lot."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    values = {
        "concluded_on": form_text(form, "concluded_on", 20),
        "value": form_text(form, "value", 40),
    }
    prefix = f"contract-{lot}-"
    concluded = day_or_none(values["concluded_on"])
    value = _value(values["value"])
    errors: Errors = {}
    if concluded is None:
        errors["concluded_on"] = _CONCLUDED
    if isinstance(value, str):
        errors["value"] = value
    if not 1 <= lot <= 999:
        errors = {FORM: _NO_LOT}
    if errors or concluded is None or isinstance(value, str):
        failure = Failure(prefix, errors, 422, "concluded_on")
        return await render_award(request, session, caller, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await contracts.conclude(
                session,
                tender=caller.tender,
                data=ContractIn(lot=lot, concluded_on=concluded, value=value),
                by=principal_of(request),
                now=app.clock.now(),
                today=Calendar(app.settings.profile).local_date(app.clock.now()),
                public_url=app.settings.public_url,
            )
    except DomainError as error:
        fields = {"concluded_on": _CONCLUDED, "value": _VALUE}
        mapped = {
            str(item.get("field")): fields[str(item.get("field"))]
            for item in error.extra.get("errors") or []
            if isinstance(item, dict) and str(item.get("field")) in fields
        }
        failure = form_failure(prefix, error, "concluded_on", mapped)
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="contract")


@post(AWARD + "/abschluss", guards=[person], name="award:complete", **AUDITED_FORM)
async def complete(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer marks the awarded tender completed."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    try:
        async with savepoint(session):
            await contracts.complete(
                session,
                tender=caller.tender,
                by=principal_of(request),
                now=state(request).clock.now(),
            )
    except DomainError as error:
        failure = form_failure("complete-", error, "form")
        return await award_refusal(request, session, caller, error, failure=failure)
    return redirect(award_base(caller.tender), notice="completed")


ROUTES: list[ControllerRouterHandler] = [record_review, resolve_review, conclude, complete]
