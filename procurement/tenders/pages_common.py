"""What the tender pages of the officers and of the public share.

The words the pages use for the domain's codes (procedures with their German names, kinds of
contract and authority, tender states, regimes, award criteria, the checklist's verdicts) as
English msgids marked with ``N_`` that the templates translate; the messages shown for the
domain's refusals (:func:`error_message`); the formatters of the tender pages (times in the
instance's time zone, amounts in euro, file sizes) in :func:`words`; who is an officer of which
authority (:func:`officer_authorities`, :func:`officer_tender`); and the 403 page
(:func:`forbidden`).
"""

from __future__ import annotations

__all__ = [
    "AUTHORITY_KINDS",
    "CHECK_STATES",
    "CONTRACT_KINDS",
    "CRITERION_KINDS",
    "EU_PROCEDURES",
    "METHODS",
    "NATIONAL_PROCEDURES",
    "OFFICE",
    "PROCEDURES",
    "PUBLIC",
    "REGIMES",
    "STATUS",
    "Failure",
    "error_message",
    "forbidden",
    "officer_authorities",
    "officer_tender",
    "version_of",
    "words",
]

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.identity.guards import principal_of
from infra.identity.models import Role
from infra.identity.pages.common import Req
from infra.web.forms import Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification.cpv_names import division_name
from procurement.errors import TenderNotFound
from procurement.tenders import authoring
from procurement.tenders.models import Tender
from procurement.tenders.repository import TenderRepository

OFFICE = "/vergabestelle/ausschreibungen"
"""The officers' pages of tenders."""
PUBLIC = "/ausschreibungen"
"""The public pages of tenders."""

EU_PROCEDURES: dict[str, str] = {
    "open": N_("Open procedure"),
    "restricted": N_("Restricted procedure"),
    "negotiated": N_("Negotiated procedure with prior call for competition"),
    "competitive-dialogue": N_("Competitive dialogue"),
}
"""The EU procedures (GWB part 4, VgV)."""
NATIONAL_PROCEDURES: dict[str, str] = {
    "public-tender": N_("Public tender (national)"),
    "restricted-tender": N_("Restricted tender (national)"),
    "negotiated-award": N_("Negotiated award (national)"),
}
"""The national procedures below the EU thresholds (UVgO, VOB/A part 1)."""
PROCEDURES: dict[str, str] = {**EU_PROCEDURES, **NATIONAL_PROCEDURES}

CONTRACT_KINDS: dict[str, str] = {
    "works": N_("Construction works"),
    "supplies": N_("Supplies"),
    "services": N_("Services"),
}
AUTHORITY_KINDS: dict[str, str] = {
    "sub_central": N_("Sub-central authority (Land, municipality)"),
    "central": N_("Top or upper federal authority"),
    "sector": N_("Sector contracting entity"),
}
REGIMES: dict[str, str] = {
    "eu": N_("EU procedure (GWB part 4, VgV)"),
    "national": N_("National rules (UVgO, VOB/A part 1)"),
}
STATUS: dict[str, tuple[str, str]] = {
    "draft": ("info", N_("Draft")),
    "published": ("success", N_("Published")),
    "closed": ("info", N_("Closed for submissions")),
    "opened": ("info", N_("Bids opened")),
    "in_evaluation": ("info", N_("In evaluation")),
    "award_proposed": ("info", N_("Award proposed (standstill)")),
    "awarded": ("success", N_("Awarded")),
    "completed": ("info", N_("Completed")),
    "cancelled": ("danger", N_("Cancelled")),
}
"""Tender status → (KERN badge kind, name)."""
CRITERION_KINDS: dict[str, str] = {"price": N_("Price"), "quality": N_("Quality")}
METHODS: dict[str, str] = {
    "lowest-price-ratio": N_("Lowest price ÷ price × maximum points"),
    "linear": N_("Linear between the lowest and the highest price"),
    "points": N_("Points given by the evaluators"),
}
CHECK_STATES: dict[str, tuple[str, str]] = {
    "ok": ("success", N_("Fulfilled")),
    "warning": ("warning", N_("Warning")),
    "refusal": ("danger", N_("Refuses publication")),
}
"""A check of the publication checklist → (KERN kind, name)."""

_ERRORS: dict[str, str] = {
    "tender-not-found": N_("There is no such tender. Please reload the page."),
    "document-not-found": N_(
        "This document is no longer part of the tender. Please reload the page."
    ),
    "tender-changed": N_(
        "The tender changed since you loaded the page. Please reload it and enter your "
        "changes again."
    ),
    "wrong-tender-state": N_(
        "This is not possible in the tender's current state. Please reload the page."
    ),
    "publication-refused": N_("The tender cannot be published yet: see the checks that refuse it."),
    "clarification-closed": N_("The tender takes no more questions."),
    "question-not-found": N_("There is no such question. Please reload the page."),
    "question-answered": N_(
        "The question has been answered already; a correction is made by an amendment."
    ),
    "amendment-refused": N_("The amendment cannot be made like this."),
    "no-thresholds-for-date": N_(
        "The platform has no EU thresholds for today. Please tell the operator."
    ),
}
_DOCUMENT_REFUSALS: dict[str, str] = {
    "too-large": N_("The file is larger than allowed."),
    "empty": N_("The file is empty."),
}
_FALLBACK = N_("The action could not be completed. Please reload the page and try again.")


def error_message(error: DomainError) -> str:
    """The msgid to show for a refusal of the tender domain."""
    reason = error.extra.get("reason")
    if error.code == "invalid-document" and reason in _DOCUMENT_REFUSALS:
        return _DOCUMENT_REFUSALS[str(reason)]
    return _ERRORS.get(error.code, _FALLBACK)


class Failure(msgspec.Struct, frozen=True):
    """A refused form: which form (its id prefix), its errors and the status to answer with."""

    prefix: str
    errors: Errors
    status: int
    first_field: str
    """Where an error of the whole form links to (after the prefix)."""


def version_of(raw: object) -> int:
    """The version a form was rendered with (``-1`` for anything else: refused as stale)."""
    try:
        return int(str(raw))
    except ValueError:
        return -1


def officer_authorities(request: Req) -> list[uuid.UUID]:
    """The authorities the logged-in person is an officer of."""
    return sorted(
        organisation_id
        for organisation_id, membership in principal_of(request).memberships.items()
        if membership.kind == "authority" and membership.role == Role.OFFICER
    )


async def officer_tender(
    request: Req, session: AsyncSession, tender_id: uuid.UUID, *, lock: bool = False
) -> Tender:
    """A tender of one of the person's authorities; any other answers 404 (reveals nothing)."""
    tender = await TenderRepository(session).tender(tender_id)
    if tender is None or tender.authority_id not in officer_authorities(request):
        raise TenderNotFound("There is no such tender.")
    if lock:
        return await authoring.get_tender_of(
            session, tender.authority_id, tender_id, for_update=True
        )
    return tender


def words(request: Req) -> dict[str, Any]:
    """The context every tender page gets: the words for codes and the formatters."""
    language = negotiate_language(request)
    profile = request.app.state.settings.profile
    zone = ZoneInfo(profile.instance.timezone)
    locale = "en_GB" if language == "en" else "de"
    moment_format = (
        "EEE d MMM yyyy, HH:mm (z)" if language == "en" else ("EEE, dd.MM.yyyy, HH:mm 'Uhr' (z)")
    )

    def moment(value: datetime) -> str:
        """A time in the instance's zone, with the weekday and the zone's name."""
        return format_datetime(value, moment_format, tzinfo=zone, locale=locale)

    def day(value: date) -> str:
        return format_date(value, format="medium", locale=locale)

    def money(value: Decimal) -> str:
        return format_currency(value, "EUR", locale=locale)

    def size(value: int) -> str:
        if value < 1024:
            return f"{value} B"
        if value < 1024 * 1024:
            return format_decimal(value / 1024, format="#,##0.0", locale=locale) + " KB"
        return format_decimal(value / (1024 * 1024), format="#,##0.0", locale=locale) + " MB"

    evidence_names = {
        item.code: item.name["en" if language == "en" else "de"]
        for item in profile.prequalification.evidence
    }
    return {
        "procedures": PROCEDURES,
        "eu_procedures": EU_PROCEDURES,
        "national_procedures": NATIONAL_PROCEDURES,
        "contract_kinds": CONTRACT_KINDS,
        "authority_kinds": AUTHORITY_KINDS,
        "regimes": REGIMES,
        "tender_status": STATUS,
        "criterion_kinds": CRITERION_KINDS,
        "methods": METHODS,
        "check_states": CHECK_STATES,
        "evidence_names": evidence_names,
        "division": lambda code: division_name(code, language),
        "moment": moment,
        "day": day,
        "money": money,
        "size": size,
    }


def forbidden(request: Req, reason: str) -> Template:
    """The 403 page of someone who may not use this part of the tenders."""
    return page(request, "tenders/forbidden.html", status_code=403, reason=reason)
