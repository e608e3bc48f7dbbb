"""What the award pages share: their address, the words for the award's codes, the messages for
its refusals, and the rendering of the award page with the refusal of one form.

The award page (``/vergabestelle/ausschreibungen/<id>/zuschlag``, the address the mail at the
end of the standstill links to) shows the award of a tender as :func:`procurement.award.
award_views.award_view` gives it, and the forms the caller may send at its stage: the proposal
(from the ranking in force), the competition register query, the approval by a second officer,
the review applications, the contracts and the completion. The forms are
:mod:`procurement.award.pages_award` and :mod:`procurement.award.pages_award_contract`; who may
use them is :func:`procurement.award.pages_common.evaluation_tender` (officers and evaluators
read, officers act, anyone else gets 404).
"""

from __future__ import annotations

__all__ = [
    "AWARD",
    "NOTICES",
    "OUTCOMES",
    "STAGES",
    "amount_text",
    "award_base",
    "award_message",
    "award_refusal",
    "day_or_none",
    "form_failure",
    "form_text",
    "render_award",
]

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from litestar.datastructures import FormMultiDict
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.identity.guards import principal_of
from infra.identity.pages.common import Req, state
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from procurement.award import award_views, conflicts, contracts, ranking, register
from procurement.award.award_schemas import AwardView, RegisterQueryView
from procurement.award.models import AwardProposal
from procurement.award.pages_common import Caller, error_message, evaluation_words, kek, refused
from procurement.award.schemas import RankingView
from procurement.errors import ConflictOfInterest, DeclarationRequired, EvaluationRefused
from procurement.periods import Calendar
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.pages_common import OFFICE, Failure
from procurement.tenders.pages_form import parse_day

AWARD = OFFICE + "/{tender_id:uuid}/zuschlag"
"""The award of a tender (the end-of-standstill mail links here)."""

STAGES: dict[str, tuple[str, str]] = {
    "evaluation": ("info", N_("The bids are being evaluated; no award has been proposed.")),
    "proposed": (
        "warning",
        N_("The award has been proposed and awaits the approval of a second officer."),
    ),
    "dispatching": (
        "info",
        N_("The award has been approved; the information letters are being sent."),
    ),
    "standstill": (
        "warning",
        N_("The standstill period runs (§ 134 GWB): no contract may be concluded yet."),
    ),
    "held": (
        "danger",
        N_("A review application is pending: the contract may not be concluded (§ 169 GWB)."),
    ),
    "contract-possible": (
        "success",
        N_("The standstill period has ended: the contract may be concluded."),
    ),
    "awarded": ("success", N_("The contracts have been concluded: the tender is awarded.")),
    "completed": ("success", N_("The tender is completed.")),
}
"""The award's stage → (KERN alert kind, its description)."""
OUTCOMES: dict[str, str] = {
    "dismissed": N_("Dismissed: the award may go ahead"),
    "withdrawn": N_("Withdrawn: the award may go ahead"),
    "upheld": N_("Upheld: the decision is void and the evaluation resumes"),
}
"""The outcomes of a review application (:class:`~procurement.award.award_schemas.
ReviewResolution`) with their names."""
NOTICES: dict[str, str] = {
    "proposed": N_("The award has been proposed. A second officer of the authority approves it."),
    "queried": N_("The answer of the competition register has been recorded."),
    "approved": N_("The award has been approved; the information letters are being sent."),
    "review": N_("The review application has been recorded; it holds the contract."),
    "resolved": N_("The outcome of the review application has been recorded."),
    "contract": N_("The contract has been recorded."),
    "completed": N_("The tender has been marked completed."),
}

_REASONS: dict[str, str] = {
    "not-ranked": N_(
        "No ranking is in force: compute it on the ranking page once every bid is decided and "
        "scored."
    ),
    "no-proposal": N_("No award has been proposed."),
    "approved": N_("The award decision has been approved already."),
    "tie-unresolved": N_(
        "Several bids share the first place in a lot: choose one of them and say why in the note."
    ),
    "register-query-missing": N_(
        "Query the competition register about the company to be awarded first (§ 6 WRegG)."
    ),
    "register-entries": N_(
        "The competition register reports entries: say in the register note why the company is "
        "not excluded all the same (self-cleaning, § 125 GWB)."
    ),
    "standstill-running": N_(
        "The standstill period runs: the contract may be concluded only after it has ended "
        "(§ 134 Abs. 2 GWB)."
    ),
    "review-pending": N_(
        "A review application is pending: the contract may not be concluded before the "
        "chamber's decision (§ 169 Abs. 1 GWB)."
    ),
    "not-proposed": N_("This step follows the approved award decision."),
    "concluded": N_("The lot has its contract already."),
    "resolved": N_("The review application is resolved already."),
    "not-awarded": N_("This step follows the conclusion of every contract."),
}
_CODES: dict[str, str] = {
    "four-eyes-required": N_(
        "You proposed this award: a second officer of the authority must approve it (four eyes)."
    ),
    "invalid-award": N_("Please check your entries."),
}


def award_message(error: DomainError) -> str:
    """The msgid to show for a refusal of the award's services."""
    reason = error.extra.get("reason")
    if error.code in ("award-refused", "evaluation-refused") and isinstance(reason, str):
        found = _REASONS.get(reason)
        if found:
            return found
    return _CODES.get(error.code) or error_message(error)


def award_base(tender: Tender) -> str:
    """The address of the tender's award page."""
    return f"{OFFICE}/{tender.id}/zuschlag"


def form_text(form: FormMultiDict, name: str, limit: int = 6000) -> str:
    """A field of the form, cut to ``limit`` characters, without surrounding space."""
    return str(form.get(name) or "")[:limit].strip()


def amount_text(value: Decimal, language: str) -> str:
    """An amount as the contract form shows it: ``512.345,67`` in German, plain in English."""
    if language == "en":
        return f"{value:.2f}"
    return format_decimal(value, format="#,##0.00", locale="de")


async def _ranking(request: Req, session: AsyncSession, tender: Tender) -> RankingView | None:
    app = state(request)
    try:
        return await ranking.ranking(
            session,
            profile=app.settings.profile,
            tender=tender,
            kek=kek(request),
            by=principal_of(request),
            now=app.clock.now(),
        )
    except (EvaluationRefused, DeclarationRequired, ConflictOfInterest):
        return None


def _register(view: AwardView, proposal: AwardProposal | None) -> dict[str, Any]:
    """The companies the register must be asked about, the answers since the proposal."""
    required: dict[uuid.UUID, tuple[str, Decimal]] = {}
    for winner in view.winners:
        if winner.register_query_required:
            name, total = required.get(winner.organisation_id, (winner.company_name, Decimal()))
            required[winner.organisation_id] = (name, total + winner.value)
    latest: dict[uuid.UUID, RegisterQueryView] = {}
    if proposal is not None:
        for query in view.register_queries:
            if query.queried_at >= proposal.proposed_at:
                latest[query.organisation_id] = query
    return {
        "register_companies": [
            {"id": str(org), "name": name, "value": value}
            for org, (name, value) in sorted(required.items(), key=lambda kv: kv[1][0])
        ],
        "register_missing": [org for org in required if org not in latest],
        "register_entries": any(query.entries for query in latest.values()),
    }


def _elsewhere(failure: Failure, approval_shown: bool) -> Failure:
    """The refusal of a form the page no longer shows (the award moved on, or the form was
    never offered): its message, linked to the state of the award."""
    if failure.prefix == "approve-" and approval_shown and set(failure.errors) == {FORM}:
        return failure
    message = next(iter(failure.errors.values()), "")
    return Failure("", {FORM: message}, failure.status, "stage-heading")


async def render_award(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    *,
    failure: Failure | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    """The award page for the caller, with the refusal of one form if any."""
    app, tender, principal = state(request), caller.tender, principal_of(request)
    now = app.clock.now()
    view = await award_views.award_view(
        session, profile=app.settings.profile, tender=tender, now=now
    )
    proposal = await session.get(AwardProposal, tender.id)
    declaration = await conflicts.declaration_of(session, tender.id, principal.user_id)
    declared = declaration is not None and not declaration.conflict
    evaluating = tender.status == TenderStatus.IN_EVALUATION
    pending = proposal is None or proposal.approved_at is None
    acting = caller.officer and declared
    rank = await _ranking(request, session, tender) if acting and evaluating and pending else None
    awarded = tender.status in (TenderStatus.AWARDED, TenderStatus.COMPLETED)
    concluded = {contract.lot for contract in view.contracts}
    own = proposal is not None and proposal.proposed_by == principal.user_id
    proposable = acting and evaluating and pending and rank is not None
    approvable = acting and evaluating and view.stage == "proposed"
    reviewable = caller.officer and tender.status == TenderStatus.AWARD_PROPOSED
    open_lots = (
        [w for w in view.winners if w.lot not in concluded]
        if caller.officer and view.stage == "contract-possible"
        else []
    )
    registry = _register(view, proposal)
    shown = {
        "propose-": proposable,
        "register-": approvable and bool(registry["register_companies"]),
        "approve-": approvable and not own,
        "review-": reviewable,
        "complete-": caller.officer and view.stage == "awarded",
        **{f"resolve-{r.id}-": reviewable and r.outcome is None for r in view.reviews},
        **{f"contract-{w.lot}-": True for w in open_lots},
    }
    if failure is not None and not shown.get(failure.prefix, False):
        failure = _elsewhere(failure, view.stage == "proposed" and evaluating)
    language = negotiate_language(request)
    api = f"/api/v1/organisations/{tender.authority_id}/tenders/{tender.id}/award"
    return page(
        request,
        "award/award.html",
        status_code=failure.status if failure else 200,
        tender=tender,
        view=view,
        officer=caller.officer,
        declared=declared,
        conflict=declaration is not None and declaration.conflict,
        ranking=rank,
        proposable=proposable,
        queryable=approvable,
        approvable=approvable,
        own_proposal=own,
        portal=register.adapter_for(app.settings).name == "portal",
        reviewable=reviewable,
        open_lots=open_lots,
        completable=shown["complete-"],
        publication=await contracts.publication(session, tender) if awarded else None,
        outcomes=OUTCOMES,
        stages=STAGES,
        today=Calendar(app.settings.profile).local_date(now),
        amount=lambda value: amount_text(value, language),
        letter_href=lambda letter: f"{api}/letters/{letter.id}",
        base=award_base(tender),
        evaluation_url=caller.base,
        tender_url=f"{OFFICE}/{tender.id}",
        values=values or {},
        errors=failure.errors if failure else {},
        error_prefix=failure.prefix if failure else "",
        error_anchor=failure.first_field if failure else "",
        notice=NOTICES.get(request.query_params.get("notice") or ""),
        **registry,
        **evaluation_words(request),
    )


async def award_refusal(
    request: Req,
    session: AsyncSession,
    caller: Caller,
    error: DomainError,
    *,
    failure: Failure,
    values: dict[str, str] | None = None,
) -> Template:
    """Record the refused attempt and show the page with the form's errors."""
    await refused(request, session, caller.tender, error)
    return await render_award(request, session, caller, failure=failure, values=values)


def form_failure(
    prefix: str, error: DomainError, anchor: str, errors: Errors | None = None
) -> Failure:
    """The failure of a form refused by the service: ``errors`` at its fields, or the message
    of the refusal for the whole form."""
    return Failure(prefix, errors or {FORM: award_message(error)}, int(error.status_code), anchor)


def day_or_none(text: str) -> date | None:
    """A date from a form field (ISO or German), ``None`` if empty or not a date."""
    try:
        return parse_day(text)
    except ValueError:
        return None
