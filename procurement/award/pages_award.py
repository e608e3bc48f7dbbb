"""The award page of officers and evaluators (issue 8, item 7): the decision from the proposal to
the approval.

``/vergabestelle/ausschreibungen/<id>/zuschlag`` shows where the award stands and its winners
per lot (:mod:`procurement.award.pages_award_common` renders it). Once the ranking is in force
an officer proposes the award with its reasons (optionally another ranked bid for a lot, with a
note); an officer queries the competition register about each company whose awards reach the
threshold (§ 6 WRegG; on the register's portal the officer records the reference and the
answer); a second officer approves (four eyes: the proposer is told so), and the information
letters go out (§ 134 GWB). The standstill, the review applications, the contracts and the
completion are :mod:`procurement.award.pages_award_contract`.

Every form is a plain POST with the CSRF token and calls the same service function as the JSON
API (:mod:`procurement.award.controllers_award`) inside a savepoint: a refusal is shown on the
page, recorded (``tender.refused``) and changes nothing; a success redirects (303).
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import re
import uuid
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from infra.errors import DomainError
from infra.http import DbSession
from infra.identity.guards import person, principal_of
from infra.identity.pages.common import Req, redirect, savepoint, state
from infra.web.forms import Errors
from infra.web.i18n import N_
from procurement.award import pages_award_contract, proposals, register
from procurement.award.award_schemas import (
    Approval,
    ManualRegisterAnswer,
    Proposal,
    WinnerChoice,
)
from procurement.award.pages_award_common import (
    AWARD,
    award_base,
    award_refusal,
    form_failure,
    form_text,
    render_award,
)
from procurement.award.pages_common import AUDITED_FORM, AUDITED_PAGE, evaluation_tender, kek
from procurement.tenders.pages_common import Failure

TenderId = FromPath[uuid.UUID]
_REASONS = N_(
    "Give the reasons of the decision in words (at least 10 characters); the unsuccessful "
    "bidders read them."
)
_CHOICE = N_("Choose a bid of the ranking for the lot.")
_CHOICE_NOTE = N_(
    "Say in the note why this bid is chosen (at least 10 characters), or take the first-ranked."
)
_LONG = N_("The text may have at most 5,000 characters.")
_REFERENCE = N_("Give the register's reference of the query (3 to 100 characters).")
_ENTRIES = N_("Say whether the register reports entries about the company.")
_ANSWER = N_("The answer may have at most 20,000 characters.")
_ELECTRONIC = N_("Say how the information letters are sent.")
_REGISTER_NOTE = N_(
    "The register reports entries: say why the company is not excluded (at least 10 characters)."
)
_LOT = re.compile(r"^winner-(\d{1,3})$")
_LOT_IN_MESSAGE = re.compile(r"lot (\d{1,3})")


@get(AWARD, guards=[person], name="award:award", **AUDITED_PAGE)
async def award_page(request: Req, session: DbSession, tender_id: TenderId) -> Template:
    """Where the award stands, and the forms of its next step."""
    return await render_award(
        request, session, await evaluation_tender(request, session, tender_id)
    )


def _choices(form: Any) -> tuple[list[WinnerChoice], Errors, dict[str, str]]:
    """The bids chosen per lot instead of the first-ranked, with their notes."""
    choices: list[WinnerChoice] = []
    errors: Errors = {}
    values: dict[str, str] = {}
    for key in sorted(form.keys()):
        found = _LOT.match(key)
        if not found:
            continue
        lot = int(found.group(1))
        chosen, note = form_text(form, key, 40), form_text(form, f"note-{lot}")
        values[key], values[f"note-{lot}"] = chosen, note
        if not chosen:
            continue
        try:
            bid = uuid.UUID(chosen)
        except ValueError:
            errors[key] = _CHOICE
            continue
        if len(note) > 5000:
            errors[f"note-{lot}"] = _LONG
            continue
        if lot >= 1:
            choices.append(WinnerChoice(lot=lot, bid_id=bid, note=note))
    return choices, errors, values


def _lot_errors(error: DomainError) -> Errors:
    """The refused choices at the lots' fields (``lot 2: say why`` → ``winner-2``)."""
    errors: Errors = {}
    lot = error.extra.get("lot")
    if isinstance(lot, int):
        errors[f"winner-{lot}"] = _CHOICE_NOTE
    for item in error.extra.get("errors") or []:
        found = _LOT_IN_MESSAGE.search(str(item.get("message") if isinstance(item, dict) else ""))
        if found:
            errors.setdefault(f"winner-{found.group(1)}", _CHOICE_NOTE)
    return errors


@post(AWARD + "/vorschlag", guards=[person], name="award:propose", **AUDITED_FORM)
async def propose(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer proposes the award from the ranking in force."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    reasons = form_text(form, "reasons")
    choices, errors, values = _choices(form)
    values["reasons"] = reasons
    if not 10 <= len(reasons) <= 5000:
        errors = {"reasons": _REASONS, **errors}
    if errors:
        failure = Failure("propose-", errors, 422, "reasons")
        return await render_award(request, session, caller, failure=failure, values=values)
    app = state(request)
    try:
        async with savepoint(session):
            await proposals.propose(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                data=Proposal(reasons=reasons, winners=choices),
                kek=kek(request),
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = form_failure("propose-", error, "reasons", _lot_errors(error))
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="proposed")


def _answers(form: Any) -> tuple[list[ManualRegisterAnswer], Errors, dict[str, str]]:
    """The register's answers an officer received on its portal, one per company."""
    answers: list[ManualRegisterAnswer] = []
    errors: Errors = {}
    values: dict[str, str] = {}
    for company in form.getall("company", []):
        try:
            organisation_id = uuid.UUID(str(company))
        except ValueError:
            continue
        key = str(organisation_id)
        reference = form_text(form, f"reference-{key}", 200)
        entries = form_text(form, f"entries-{key}", 10)
        answer = form_text(form, f"answer-{key}", 21_000)
        values |= {f"reference-{key}": reference, f"entries-{key}": entries}
        values[f"answer-{key}"] = answer
        if not 3 <= len(reference) <= 100:
            errors[f"reference-{key}"] = _REFERENCE
        if entries not in ("yes", "no"):
            errors[f"entries-{key}"] = _ENTRIES
        if len(answer) > 20_000:
            errors[f"answer-{key}"] = _ANSWER
        if not errors:
            answers.append(
                ManualRegisterAnswer(
                    organisation_id=organisation_id,
                    reference=reference,
                    entries=entries == "yes",
                    answer=answer,
                )
            )
    return answers, errors, values


@post(AWARD + "/wettbewerbsregister", guards=[person], name="award:register", **AUDITED_FORM)
async def query_register(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """An officer queries the competition register (§ 6 WRegG), or records its answers."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    app = state(request)
    adapter = register.adapter_for(app.settings)
    answers, errors, values = _answers(await request.form())
    if errors:
        failure = Failure("register-", errors, 422, next(iter(errors)))
        return await render_award(request, session, caller, failure=failure, values=values)
    try:
        async with savepoint(session):
            await proposals.query_register(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                adapter=adapter,
                answers=answers if adapter.name == "portal" else [],
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        failure = form_failure("register-", error, "form")
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="queried")


@post(AWARD + "/freigabe", guards=[person], name="award:approve", **AUDITED_FORM)
async def approve(request: Req, session: DbSession, tender_id: TenderId) -> Response[Any]:
    """A second officer approves the proposed award; the information letters go out."""
    caller = await evaluation_tender(request, session, tender_id, officer=True, lock=True)
    form = await request.form()
    values = {
        "electronic": form_text(form, "electronic", 10),
        "register_note": form_text(form, "register_note"),
    }
    errors: Errors = {}
    if values["electronic"] not in ("yes", "no"):
        errors["electronic"] = _ELECTRONIC
    if len(values["register_note"]) > 5000:
        errors["register_note"] = _LONG
    if errors:
        failure = Failure("approve-", errors, 422, "electronic")
        return await render_award(request, session, caller, failure=failure, values=values)
    app = state(request)
    data = Approval(electronic=values["electronic"] == "yes", register_note=values["register_note"])
    try:
        async with savepoint(session):
            await proposals.approve(
                session,
                profile=app.settings.profile,
                tender=caller.tender,
                data=data,
                by=principal_of(request),
                now=app.clock.now(),
            )
    except DomainError as error:
        mapped = (
            {"register_note": _REGISTER_NOTE}
            if error.extra.get("reason") == "register-entries"
            else None
        )
        failure = form_failure("approve-", error, "form", mapped)
        return await award_refusal(request, session, caller, error, failure=failure, values=values)
    return redirect(award_base(caller.tender), notice="approved")


ROUTES: list[ControllerRouterHandler] = [
    award_page,
    propose,
    query_register,
    approve,
    *pages_award_contract.ROUTES,
]
