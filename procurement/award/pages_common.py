"""What the evaluation pages share: who may use them, the words for the evaluation's codes, the
messages for its refusals, and the record of a refusal.

Officers and evaluators of the tender's authority reach the evaluation (:func:`evaluation_tender`,
like the API's guards ``evaluators``); only officers decide, start, ask and rank
(``officer=True``: an evaluator is refused with 403 like by the API's guard ``officers``).
Anyone else, and a tender not published, answers 404 and reveals nothing. The words are English
msgids marked with ``N_`` that the templates translate; :func:`error_message` turns a refusal of
the evaluation's services into the msgid shown on the page, and :func:`refused` records the
refused attempt in the audit trail (``tender.refused``), as the API records its refusals.
"""

from __future__ import annotations

__all__ = [
    "ASSESSMENT_STATUS",
    "AUDITED_FORM",
    "AUDITED_PAGE",
    "ELIGIBILITY",
    "EVALUATION",
    "GROUNDS",
    "LIST",
    "REQUEST_KINDS",
    "SIGNATURE",
    "Caller",
    "error_message",
    "evaluation_authorities",
    "evaluation_tender",
    "evaluation_words",
    "field_errors",
    "kek",
    "points_text",
    "refused",
]

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.errors import AUDIT_REFUSALS, DomainError
from infra.identity.errors import AccessDenied
from infra.identity.guards import principal_of
from infra.identity.models import Role
from infra.identity.pages.common import FORM_POST, PAGE, Req, state
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_, negotiate_language
from procurement.bids import vault
from procurement.bids.pages_common import bid_words
from procurement.errors import TenderNotFound
from procurement.tenders import authoring
from procurement.tenders.models import Tender
from procurement.tenders.pages_common import OFFICE
from procurement.tenders.repository import TenderRepository

LIST = "/vergabestelle/wertung"
"""The tenders being evaluated of the person's authorities."""
EVALUATION = OFFICE + "/{tender_id:uuid}/wertung"
"""The evaluation of a tender (its overview; the scoring form and the ranking below it)."""
AUDITED_PAGE: dict[str, Any] = {**PAGE, "opt": {AUDIT_REFUSALS: "tender"}}
AUDITED_FORM: dict[str, Any] = {**FORM_POST, "opt": {**FORM_POST["opt"], AUDIT_REFUSALS: "tender"}}
"""Options of the evaluation's routes: a refusal the page does not show itself (404, 403) is
recorded in the audit trail like the API's."""

ASSESSMENT_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("info", N_("Awaiting a decision")),
    "admitted": ("success", N_("Admitted")),
    "excluded": ("danger", N_("Excluded")),
}
"""The decision on a bid → (KERN badge kind, name)."""
SIGNATURE: dict[str, str] = {
    "not-required": N_("not required"),
    "ok": N_("as required"),
    "pending": N_("check still running"),
    "failed": N_("not as required"),
}
ELIGIBILITY: dict[str, str] = {
    "not-required": N_("not required"),
    "certificate": N_("pre-qualified (certificate)"),
    "evidence": N_("evidence documents to be examined"),
    "missing": N_("missing"),
}
GROUNDS: dict[str, str] = {
    "late": N_("Received late (§ 57 Abs. 1 Nr. 1 VgV)"),
    "incomplete": N_("Documents missing or not supplied (§ 57 Abs. 1 Nr. 2 VgV)"),
    "signature": N_("Not in the required form (§ 53 VgV)"),
    "eligibility": N_("Not suitable (§ 122 GWB)"),
    "exclusion-grounds": N_("Ground for exclusion (§§ 123, 124 GWB)"),
    "abnormally-low": N_("Abnormally low price not explained (§ 60 Abs. 3 VgV)"),
    "other": N_("Another reason, given in words"),
}
"""The grounds of :data:`procurement.award.schemas.ExclusionGround` with their names."""
REQUEST_KINDS: dict[str, str] = {
    "documents": N_("Missing or incomplete documents (§ 56 Abs. 2 VgV)"),
    "explanation": N_("Explanation of the price (§ 60 Abs. 1 VgV)"),
}

_ERRORS: dict[str, str] = {
    "tender-not-found": N_("There is no such tender. Please reload the page."),
    "bid-not-found": N_("The evaluation has no such bid. Please reload the page."),
    "request-not-found": N_("There is no such request. Please reload the page."),
    "declaration-required": N_(
        "Declare first that no conflict of interest exists for you in this procedure (§ 6 VgV)."
    ),
    "conflict-of-interest": N_(
        "You declared a conflict of interest in this procedure and take no part in its "
        "evaluation (§ 6 VgV)."
    ),
    "invalid-decision": N_("Please check your entries."),
    "invalid-score": N_("Please check your entries."),
    "points-out-of-scale": N_("The points lie outside the criterion's scale."),
    "scores-missing": N_(
        "The ranking cannot be computed yet: every quality criterion needs the points of at "
        "least one evaluator for every admitted bid in each lot it offers."
    ),
    "bids-sealed": N_(
        "The bids stay sealed until two officers of the authority have opened them after the "
        "submission deadline."
    ),
}
_REASONS: dict[str, str] = {
    "not-started": N_("The evaluation of this tender has not been started."),
    "not-opened": N_("The bids of this tender are not opened yet."),
    "finished": N_("The evaluation of this tender is over."),
    "no-bids": N_("The tender has no sealed bids."),
    "late-bid": N_(
        "A bid received after the submission deadline cannot be admitted (§ 57 Abs. 1 Nr. 1 VgV)."
    ),
    "excluded": N_("The bid is excluded."),
    "undecided-bids": N_("Admit or exclude every bid before computing the ranking."),
    "no-admitted-bids": N_("No bid is admitted: there is nothing to rank."),
    "conflict-declared": N_(
        "A declared conflict of interest cannot be withdrawn; the procurement file keeps it."
    ),
}
_FALLBACK = N_("The action could not be completed. Please reload the page and try again.")


def error_message(error: DomainError) -> str:
    """The msgid to show for a refusal of the evaluation's services."""
    reason = error.extra.get("reason")
    if isinstance(reason, str) and reason in _REASONS:
        return _REASONS[reason]
    return _ERRORS.get(error.code, _FALLBACK)


def field_errors(error: DomainError, fields: dict[str, tuple[str, str]]) -> Errors:
    """The refusal's errors at the form's fields: ``fields`` maps the domain's field name to
    the form's field and its msgid; anything else is an error of the whole form."""
    errors: Errors = {}
    for item in error.extra.get("errors") or []:
        found = fields.get(str(item.get("field"))) if isinstance(item, dict) else None
        if found:
            errors.setdefault(found[0], found[1])
    return errors or {FORM: error_message(error)}


@dataclass(frozen=True)
class Caller:
    """The tender and the logged-in person's part in its evaluation."""

    tender: Tender
    officer: bool
    """An officer of the authority (decides); otherwise an evaluator (reads and scores)."""

    @property
    def base(self) -> str:
        """The address of the evaluation's overview."""
        return f"{OFFICE}/{self.tender.id}/wertung"


def evaluation_authorities(request: Req) -> list[uuid.UUID]:
    """The authorities the logged-in person is an officer or evaluator of."""
    return sorted(
        organisation_id
        for organisation_id, membership in principal_of(request).memberships.items()
        if membership.kind == "authority" and membership.role in (Role.OFFICER, Role.EVALUATOR)
    )


async def evaluation_tender(
    request: Req,
    session: AsyncSession,
    tender_id: uuid.UUID,
    *,
    officer: bool = False,
    lock: bool = False,
) -> Caller:
    """A published tender of an authority the person is an officer or evaluator of.

    Raises:
        TenderNotFound: another authority's tender, a draft, or none (404, reveals nothing).
        AccessDenied: ``officer`` and the person is an evaluator (403).
    """
    tender = await TenderRepository(session).tender(tender_id)
    membership = principal_of(request).role_in(tender.authority_id) if tender else None
    if (
        tender is None
        or membership is None
        or membership.kind != "authority"
        or membership.role not in (Role.OFFICER, Role.EVALUATOR)
        or tender.published_at is None
    ):
        raise TenderNotFound("There is no such tender.")
    is_officer = membership.role == Role.OFFICER
    if officer and not is_officer:
        raise AccessDenied("Only officers may do this.")
    if lock:
        tender = await authoring.get_tender_of(
            session, tender.authority_id, tender_id, for_update=True
        )
    return Caller(tender=tender, officer=is_officer)


async def refused(request: Req, session: AsyncSession, tender: Tender, error: DomainError) -> None:
    """Record the refused attempt (Annex IV (g)), as the API does for its refusals."""
    app = state(request)
    await record(
        session,
        now=app.clock.now(),
        action="tender.refused",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=principal_of(request).user_id,
        organisation_id=tender.authority_id,
        after={
            "method": request.method,
            "path": request.url.path,
            "code": error.code,
            "reason": str(error.extra.get("reason") or ""),
            "status": int(error.status_code),
        },
    )


def kek(request: Req) -> vault.KeyEncryptionKey:
    """The key that opens the tender's data key (the bids are read through it)."""
    return vault.kek_from_settings(state(request).settings)


def points_text(value: Decimal, language: str) -> str:
    """Points as the form shows them: ``7,5`` in German, ``7.5`` in English."""
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")
    return text.replace(".", ",") if language != "en" else text


def evaluation_words(request: Req) -> dict[str, Any]:
    """The context every evaluation page gets: the bid pages' words and the evaluation's."""
    language = negotiate_language(request)
    return {
        **bid_words(request),
        "points": lambda value: points_text(value, language),
        "assessment_status": ASSESSMENT_STATUS,
        "signature_names": SIGNATURE,
        "eligibility_names": ELIGIBILITY,
        "grounds": GROUNDS,
        "request_kinds": REQUEST_KINDS,
    }
