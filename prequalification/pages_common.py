"""What the pre-qualification pages of the company and of the office share.

The words the pages use for the domain's codes (application and evidence states, signature
verdicts and labels, the officer's flags, the checklist states), as English msgids marked with
``N_`` that the templates translate; the messages shown for the domain's refusals; the evidence
types of an application grouped with their checklist state and items (:func:`type_blocks`); and
the 403 page for someone who may not use a part (:func:`forbidden`).
"""

from __future__ import annotations

__all__ = [
    "APPLICATION_STATUS",
    "CATEGORY_NAMES",
    "CHECK_STATES",
    "EVIDENCE_STATUS",
    "FLAGS",
    "LABELS",
    "OUTCOMES",
    "VERDICTS",
    "Failure",
    "TypeBlock",
    "error_message",
    "forbidden",
    "refused",
    "type_blocks",
    "words",
]

from datetime import date
from typing import Any

import msgspec
from babel.dates import format_date
from litestar.response import Template

from infra.errors import DomainError
from infra.identity.pages.common import Req
from infra.profile import Profile
from infra.profile_prequalification import EvidenceType, FromIssue, MaxAge, StatedExpiry
from infra.web.forms import Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification.exclusion import GROUNDS
from prequalification.schemas import ApplicationView, ChecklistItem, EvidenceView

APPLICATION_STATUS: dict[str, tuple[str, str]] = {
    "draft": (
        N_("Draft"),
        N_(
            "You are putting the application together: upload the evidence, answer the "
            "self-declaration and submit the application. Nobody at the office sees it yet."
        ),
    ),
    "submitted": (
        N_("Submitted"),
        N_(
            "The application is with the pre-qualification office and waits for an officer. "
            "You cannot change it now."
        ),
    ),
    "in_review": (
        N_("In review"),
        N_(
            "An officer of the pre-qualification office is reviewing the application. You will "
            "be told the result by e-mail."
        ),
    ),
    "changes_requested": (
        N_("Changes requested"),
        N_(
            "The office asks you to revise the application. Replace or add what is asked for "
            "and submit the application again."
        ),
    ),
    "approved": (
        N_("Approved"),
        N_("The application is approved: the company is pre-qualified."),
    ),
    "rejected": (
        N_("Rejected by the office"),
        N_("The office rejected the application. The reasons are given below."),
    ),
}
"""Application status → (name, what it means for the company)."""

EVIDENCE_STATUS: dict[str, str] = {
    "checking": N_("The signatures are being checked"),
    "checked": N_("Checked, awaiting the office's decision"),
    "unreadable": N_("The file cannot be read"),
    "accepted": N_("Accepted by the office"),
    "rejected": N_("Rejected by the office"),
    "superseded": N_("Replaced or withdrawn"),
}

VERDICTS: dict[str, tuple[str, str, str]] = {
    "accepted": (
        "success",
        N_("Accepted"),
        N_("Every signature is valid and the document was not changed afterwards."),
    ),
    "rejected": (
        "danger",
        N_("Rejected"),
        N_("At least one signature is not valid, or the document was changed afterwards."),
    ),
    "needs_review": (
        "warning",
        N_("Needs review"),
        N_("Nothing failed outright, but a person must look at the document."),
    ),
    "no_signature": (
        "info",
        N_("No signature"),
        N_("The document carries no electronic signature."),
    ),
}
"""Signature verdict → (KERN alert kind, name, explanation); the texts of the signature page."""

LABELS: dict[str, str] = {
    "QESig": N_("qualified electronic signature"),
    "QESeal": N_("qualified electronic seal"),
    "AdESig-QC": N_("advanced electronic signature based on a qualified certificate"),
    "AdESeal-QC": N_("advanced electronic seal based on a qualified certificate"),
    "AdESig": N_("advanced electronic signature"),
    "AdESeal": N_("advanced electronic seal"),
    "Indeterminate QESig": N_("possibly a qualified electronic signature (not determined)"),
    "Indeterminate QESeal": N_("possibly a qualified electronic seal (not determined)"),
    "Indeterminate AdESig-QC": N_(
        "possibly an advanced electronic signature based on a qualified certificate "
        "(not determined)"
    ),
    "Indeterminate AdESeal-QC": N_(
        "possibly an advanced electronic seal based on a qualified certificate (not determined)"
    ),
    "Indeterminate AdES": N_("possibly an advanced electronic signature or seal (not determined)"),
    "Not AdES": N_("not an advanced electronic signature or seal"),
}
"""The qualification label of a signature (eIDAS), explained."""

FLAGS: dict[str, str] = {
    "qualified-signature-missing": N_(
        "Qualified signature missing: this type of evidence must carry a valid qualified "
        "electronic signature or seal."
    ),
    "signer-not-representative": N_("The signer is not a registered person of the company."),
    "signature-rejected": N_("The signature is not valid."),
    "signature-needs-review": N_("The signature must be looked at by a person."),
    "unreadable": N_("The file cannot be read as a PDF document."),
    "expired": N_("The document has expired."),
    "rejected": N_("The office rejected it."),
}
"""The officer's flags on an item and the problems of a checklist entry, in words."""

CHECK_STATES: dict[str, tuple[str, str]] = {
    "missing": ("danger", N_("Missing")),
    "checking": ("info", N_("Being checked")),
    "problem": ("warning", N_("Problem")),
    "complete": ("success", N_("Complete")),
    "not-provided": ("info", N_("Not provided")),
}
"""Checklist state → (KERN badge kind, name); ``not-provided`` is an optional item missing."""

CATEGORY_NAMES: dict[str, str] = {
    "works": N_("Construction works"),
    "supplies": N_("Supplies"),
    "services": N_("Services"),
}

OUTCOMES: dict[str, tuple[str, str, str]] = {
    "pass": (
        "success",
        N_("No exclusion ground"),
        N_("No ground for exclusion applies or still counts."),
    ),
    "fail": (
        "danger",
        N_("Mandatory exclusion ground"),
        N_(
            "A mandatory ground for exclusion applies within its period. An officer decides "
            "on the application."
        ),
    ),
    "discretionary": (
        "warning",
        N_("Decision of the office needed"),
        N_(
            "A ground applies on which the office decides at its discretion (optional ground, "
            "self-cleaning, or taxes paid or committed)."
        ),
    ),
}
"""Outcome of the self-declaration's assessment → (KERN kind, name, explanation)."""

_ERRORS: dict[str, str] = {
    "application-not-found": N_("There is no such application. Please reload the page."),
    "evidence-not-found": N_(
        "This document is no longer part of the application. Please reload the page."
    ),
    "invalid-scope": N_(
        "Every CPV division must belong to a category you chose, and every chosen category "
        "needs at least one of its divisions."
    ),
    "application-already-open": N_(
        "An open application of your company already covers one of these categories. "
        "Continue that application."
    ),
    "application-wrong-state": N_(
        "This is not possible in the application's current state. Please reload the page."
    ),
    "application-changed": N_(
        "The application changed since you loaded the page. Please reload it and decide again."
    ),
    "application-incomplete": N_("Mandatory items are missing or not accepted yet."),
    "not-a-prequalification-office": N_(
        "Only officers of a designated pre-qualification office review applications."
    ),
    "own-organisation": N_(
        "You belong to the applying company: another officer must review this application."
    ),
    "document-too-large": N_("The file is larger than allowed."),
}

_REFUSALS: dict[str, str] = {
    "unknown-type": N_("This type of evidence is not part of the application."),
    "self-declaration": N_("The self-declaration is answered in its form, not uploaded."),
    "expired": N_(
        "The document has already expired under the validity rule of its type. Upload a "
        "current one."
    ),
    "missing-expiry": N_("Enter the expiry date the document states."),
    "issued-in-future": N_("The issue date lies in the future."),
    "signature-required": N_(
        "This type of evidence must carry a qualified electronic signature or seal, and the "
        "file carries no signature at all."
    ),
    "empty": N_("The file is empty."),
    "not-pdf": N_("The file is not a PDF document. Upload the evidence as a PDF."),
}
"""Evidence refused (``EvidenceRefused.reason``) or unreadable (``UnreadableDocument.reason``)."""

_BY_DETAIL: list[tuple[str, str, str]] = [
    (
        "application-wrong-state",
        "unreadable file cannot be accepted",
        N_(
            "An unreadable file cannot be accepted: reject it, so that the company uploads it "
            "again."
        ),
    ),
    (
        "application-wrong-state",
        "once its signature check ran",
        N_("This document can be decided once its signature check has run. Reload the page."),
    ),
]

_FALLBACK = N_("The action could not be completed. Please reload the page and try again.")


def error_message(error: DomainError) -> str:
    """The msgid to show for a refusal of the pre-qualification or signature domain."""
    reason = getattr(error, "reason", None) or error.extra.get("reason")
    if error.code in ("evidence-refused", "unreadable-document") and reason in _REFUSALS:
        return _REFUSALS[str(reason)]
    for code, fragment, message in _BY_DETAIL:
        if error.code == code and fragment in error.detail:
            return message
    return _ERRORS.get(error.code, _FALLBACK)


class Failure(msgspec.Struct, frozen=True):
    """A refused form: which form (its id prefix), its errors and the status to answer with."""

    prefix: str
    errors: Errors
    status: int
    first_field: str = ""
    """Where an error of the whole form links to (after the prefix)."""
    missing: tuple[str, ...] = ()
    """Evidence type codes a refused submission or approval lacks."""


def refused(prefix: str, field: str, error: DomainError, first_field: str = "") -> Failure:
    """The failure of a form refused by the domain, the message at ``field``."""
    missing = error.extra.get("missing")
    return Failure(
        prefix=prefix,
        errors={field: error_message(error)},
        status=int(error.status_code),
        first_field=first_field or field,
        missing=tuple(missing) if isinstance(missing, list | tuple) else (),
    )


class TypeBlock(msgspec.Struct, frozen=True, kw_only=True):
    """One evidence type of an application: the catalogue entry, its checklist entry, its items."""

    type: EvidenceType
    check: ChecklistItem
    items: list[EvidenceView]
    """The current items (replaced and withdrawn ones are left out)."""
    validity: str
    """``max-age-months``, ``max-age-days``, ``from-issue``, ``stated-expiry`` or ``unlimited``."""
    period: int | None
    """The number of months or days of the validity rule."""

    @property
    def needs_expiry(self) -> bool:
        return self.validity == "stated-expiry"


def _validity(evidence_type: EvidenceType) -> tuple[str, int | None]:
    rule = evidence_type.validity
    if isinstance(rule, MaxAge):
        return ("max-age-months", rule.months) if rule.months else ("max-age-days", rule.days)
    if isinstance(rule, FromIssue):
        return "from-issue", rule.months
    if isinstance(rule, StatedExpiry):
        return "stated-expiry", None
    return "unlimited", None


def type_blocks(profile: Profile, view: ApplicationView) -> list[TypeBlock]:
    """The application's evidence types in checklist order, each with its current items."""
    blocks = []
    for check in view.checklist:
        evidence_type = profile.prequalification.evidence_type(check.type_code)
        validity, period = _validity(evidence_type)
        blocks.append(
            TypeBlock(
                type=evidence_type,
                check=check,
                items=[
                    item
                    for item in view.evidence
                    if item.type_code == check.type_code and item.status != "superseded"
                ],
                validity=validity,
                period=period,
            )
        )
    return blocks


def words(request: Req) -> dict[str, Any]:
    """The context every pre-qualification page gets: the words for codes, a date formatter."""
    language = negotiate_language(request)

    def day(value: date | str) -> str:
        """A date (or an ISO date as stored in JSON) in the page's language."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return format_date(value, format="medium", locale=language)

    return {
        "application_status": APPLICATION_STATUS,
        "evidence_status": EVIDENCE_STATUS,
        "verdicts": VERDICTS,
        "labels": LABELS,
        "flags": FLAGS,
        "check_states": CHECK_STATES,
        "category_names": CATEGORY_NAMES,
        "outcomes": OUTCOMES,
        "ground_by_code": {ground.code: ground for ground in GROUNDS},
        "day": day,
    }


def forbidden(request: Req, reason: str) -> Template:
    """The 403 page of someone who may not use this part of pre-qualification."""
    return page(request, "prequalification/forbidden.html", status_code=403, reason=reason)
