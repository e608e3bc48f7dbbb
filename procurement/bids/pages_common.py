"""What the bid pages of the companies and of the officers share.

The words the pages use for the domain's codes (the state of a bid, the kinds of receipt, the
purposes of a document) as English msgids marked with ``N_`` that the templates translate; the
messages shown for the domain's refusals (:func:`error_message`) and for what a bid still lacks
(:func:`missing_texts`: the domain states it in English with values, so it is translated here,
in Python, and shown as it is); the formatters of the bid pages (:func:`bid_words`: the tender
pages' formatters, a moment to the second in the instance's time zone and in UTC, an amount in
the page's notation); the form of the company's offer (:class:`OfferValues`,
:func:`read_offer`: prices in German notation ``612.345,67`` or plain ``612345.67``, checked
field by field and then against the domain's rules of :func:`procurement.bids.drafting.
validate_content`); and which companies the logged-in person acts for (:func:`companies`,
:func:`chosen_company`).
"""

from __future__ import annotations

__all__ = [
    "BASE",
    "BID_STATUS",
    "COMPANY",
    "NO_COMPANY",
    "PURPOSES",
    "RECEIPT_KINDS",
    "Acting",
    "OfferValues",
    "accepting",
    "acting_for",
    "amount_text",
    "api_base",
    "bid_tender",
    "bid_words",
    "chosen_company",
    "companies",
    "error_message",
    "lot_numbers",
    "missing_texts",
    "offer_values",
    "problem_errors",
    "purpose_options",
    "read_offer",
    "receipt_path",
    "values_of_content",
]

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date, format_datetime
from litestar.datastructures import FormMultiDict
from sqlalchemy.ext.asyncio import AsyncSession

from infra.errors import DomainError
from infra.identity.guards import principal_of
from infra.identity.models import Role
from infra.identity.pages.common import Req
from infra.web.forms import FORM, Errors
from infra.web.i18n import N_, negotiate_language, translations
from prequalification.pages_common import LABELS, VERDICTS
from procurement.bids import drafting
from procurement.bids.schemas import BidContent, Declarations, LotOffer
from procurement.errors import BidNotFound, TenderNotFound
from procurement.tenders.models import Lot, Tender, TenderStatus
from procurement.tenders.pages_common import words
from procurement.tenders.pages_form import parse_amount

BASE = "/angebote"
"""The company's bid pages."""
COMPANY = "unternehmen"
"""The query parameter (and hidden form field) naming the company a person of several acts for."""
NO_COMPANY = N_(
    "Only the owners and members of a registered company submit bids. Log in with the account "
    "of your company, or ask its owner for an invitation."
)

BID_STATUS: dict[str, tuple[str, str]] = {
    "none": ("info", N_("No bid yet")),
    "draft": ("info", N_("Draft, not submitted")),
    "submitted": ("success", N_("Submitted")),
    "withdrawn": ("warning", N_("Withdrawn")),
}
"""State of a company's bid → (KERN badge kind, name)."""
RECEIPT_KINDS: dict[str, str] = {
    "submission": N_("Bid received"),
    "resubmission": N_("Revised bid received"),
    "withdrawal": N_("Bid withdrawn"),
}
PURPOSES: dict[str, str] = {
    "offer": N_("Offer letter and price sheet"),
    "other": N_("Other document"),
}
"""The purposes of a document every tender takes (besides its evidence types)."""

_ERRORS: dict[str, str] = {
    "tender-not-found": N_("There is no such tender. Please reload the page."),
    "bid-not-found": N_("There is no such bid. Please reload the page."),
    "document-not-found": N_("This document is no longer part of the bid. Please reload the page."),
    "bid-changed": N_(
        "The bid was changed since you loaded the page, perhaps by a colleague. Nothing was "
        "saved: please check the page and enter your changes again."
    ),
    "deadline-passed": N_(
        "The submission deadline has passed: the platform takes no more bids on this tender."
    ),
    "wrong-tender-state": N_("The tender takes no bids in its current state."),
    "invalid-bid": N_("The bid cannot be submitted yet: see what is still missing."),
    "eligibility-missing": N_("The bid cannot be submitted yet: see what is still missing."),
    "bids-sealed": N_(
        "The bids stay sealed until two officers of the authority have opened them after the "
        "submission deadline."
    ),
}
_REASONS: dict[str, str] = {
    "too-large": N_("The file is larger than allowed."),
    "empty": N_("The file is empty."),
    "too-many": N_("The bid holds as many documents as allowed: remove one first."),
    "not-submitted": N_("There is no submitted bid to withdraw."),
    "already-opened": N_("The bids of this tender have been opened already."),
    "cancelled": N_("The tender is cancelled; its bids are not opened."),
    "not-published": N_("Only the bids of a published tender can be opened."),
    "deadline-not-passed": N_("The bids can be opened only after the submission deadline."),
    "started-by-other": N_(
        "Another officer has started the opening meanwhile: confirm it as the second officer."
    ),
    "not-started": N_("Nobody has started the opening: start it first."),
    "expired": N_(
        "The opening was started too long ago and ran out. Start it again; another officer "
        "must then confirm it in time."
    ),
    "same-officer": N_(
        "You started the opening yourself. The bids are opened by two different officers: "
        "another officer of your authority must confirm it."
    ),
}
"""A refusal's ``reason`` (a document refused, a withdrawal, an opening refused)."""
_FALLBACK = N_("The action could not be completed. Please reload the page and try again.")

_PRICE = N_("Enter the price in euros, for example 612.345,67.")
_STATIC_PROBLEMS: dict[str, str] = {
    "A price is a positive number of euros.": N_("A price is a positive number of euros."),
    "The price is implausibly large.": N_("The price is implausibly large."),
    "A price has at most two decimal places (cents).": N_(
        "A price has at most two decimal places (cents)."
    ),
}
"""The domain's messages on prices (drafting.validate_content) that are catalog messages."""
_SELF_CLEANING = N_("Describe the measures of self-cleaning (§ 125 GWB).")
_SELF_CLEANING_LONG = N_("The description may have at most 5,000 characters.")
_CERTIFICATE_LONG = N_("A certificate number has at most 40 characters.")
_EXCLUSION = N_("Choose one of the answers.")
_NO_CERTIFICATE = "The company holds no valid pre-qualification certificate."
_PROBLEM_FIELD = re.compile(r"^lots\[(\d+)\]\.(lot|price)$")

_MISSING: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^Offer a price for at least one lot\.$"),
        N_("Offer a price for at least one lot."),
    ),
    (
        re.compile(r"^Add the offer letter"),
        N_("Upload the offer letter (a document for “Offer letter and price sheet”)."),
    ),
    (
        re.compile(r"^Declare whether a ground for exclusion"),
        N_("Declare whether a ground for exclusion (§§ 123, 124 GWB) applies."),
    ),
    (
        re.compile(r"^Accept the binding period until (?P<day>\d{4}-\d\d-\d\d)"),
        N_("Accept the binding period until %(day)s."),
    ),
    (
        re.compile(r"^The company holds no certificate (?P<number>.+)\.$"),
        N_("Your company holds no certificate %(number)s."),
    ),
    (
        re.compile(r"^The company holds no valid pre-qualification certificate\.$"),
        N_("Your company holds no valid pre-qualification certificate."),
    ),
    (
        re.compile(r"^Certificate (?P<number>.+) does not cover (?P<codes>.+)\.$"),
        N_("Certificate %(number)s does not cover %(codes)s."),
    ),
    (
        re.compile(r"^Certificate (?P<number>.+) is (?P<status>[a-z ]+)\.$"),
        N_("Certificate %(number)s is not valid now."),
    ),
    (
        re.compile(r"^Without a certificate .*\((?P<codes>[a-z0-9, -]+)\)\.$"),
        N_(
            "Without a certificate covering the tender's scope the bid must include these "
            "documents: %(names)s."
        ),
    ),
]
"""What the domain says a bid lacks (submission.missing_for_submission and
eligibility_problems) → the msgid to show it with."""


def error_message(error: DomainError) -> str:
    """The msgid to show for a refusal of the bid domain."""
    reason = error.extra.get("reason") or (
        "not-submitted" if error.extra.get("status") == "not-submitted" else None
    )
    if isinstance(reason, str) and reason in _REASONS:
        return _REASONS[reason]
    return _ERRORS.get(error.code, _FALLBACK)


def companies(request: Req) -> list[uuid.UUID]:
    """The companies the logged-in person bids for (owner or member of a supplier)."""
    return sorted(
        organisation_id
        for organisation_id, membership in principal_of(request).memberships.items()
        if membership.kind == "supplier" and membership.role in (Role.OWNER, Role.MEMBER)
    )


def chosen_company(request: Req, raw: object) -> uuid.UUID | None:
    """The company the person acts for: the one named, or their only one."""
    mine = companies(request)
    text = str(raw or "").strip()
    if text:
        try:
            chosen = uuid.UUID(text)
        except ValueError:
            return None
        return chosen if chosen in mine else None
    return mine[0] if len(mine) == 1 else None


def amount_text(value: Decimal, language: str) -> str:
    """An amount as the form shows it: ``612.345,67`` in German, ``612345.67`` in English."""
    if language == "en":
        return f"{value:.2f}"
    whole, _, cents = f"{value:,.2f}".partition(".")
    return whole.replace(",", ".") + "," + cents


def purpose_options(tender: Tender, evidence_names: Mapping[str, str]) -> list[tuple[str, str]]:
    """What a document of a bid on ``tender`` may be for: the offer, another document, or one
    of the evidence types the tender asks of companies without a certificate (msgids for the
    first two, names for the others)."""
    codes = msgspec.json.decode(tender.evidence_types or "[]", type=list[str])
    return [*PURPOSES.items(), *((code, evidence_names.get(code, code)) for code in codes)]


def bid_words(request: Req) -> dict[str, Any]:
    """The context every bid page gets: the tender pages' words and formatters, the bid's
    words, a moment to the second in the instance's zone (``precise``) and in UTC (``utc``),
    and the name of a document's purpose (``purpose``)."""
    context = words(request)
    language = negotiate_language(request)
    zone = ZoneInfo(request.app.state.settings.profile.instance.timezone)
    locale = "en_GB" if language == "en" else "de"
    precise_format = (
        "EEE d MMM yyyy, HH:mm:ss (z)"
        if language == "en"
        else "EEE, dd.MM.yyyy, HH:mm:ss 'Uhr' (z)"
    )
    catalog = translations(language)
    evidence_names: dict[str, str] = context["evidence_names"]

    def precise(value: datetime) -> str:
        return format_datetime(value, precise_format, tzinfo=zone, locale=locale)

    def utc(value: datetime) -> str:
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"

    def purpose(code: str) -> str:
        if code in PURPOSES:
            return catalog.gettext(PURPOSES[code])
        return evidence_names.get(code, code)

    return {
        **context,
        "bid_status": BID_STATUS,
        "receipt_kinds": RECEIPT_KINDS,
        "verdicts": VERDICTS,
        "labels": LABELS,
        "precise": precise,
        "utc": utc,
        "purpose": purpose,
    }


def missing_texts(
    messages: list[str], language: str, evidence_names: Mapping[str, str]
) -> list[str]:
    """What a bid lacks, in the page's language (plain text: the template escapes it)."""
    catalog = translations(language)
    locale = "en_GB" if language == "en" else "de"
    if any(message.startswith("Without a certificate") for message in messages):
        # The evidence says what to do; that the company holds no certificate goes without saying.
        messages = [message for message in messages if message != _NO_CERTIFICATE]
    texts = []
    for message in messages:
        for pattern, msgid in _MISSING:
            found = pattern.search(message)
            if found is None:
                continue
            values = dict(found.groupdict())
            if "day" in values:
                values["day"] = format_date(
                    date.fromisoformat(values["day"]), format="long", locale=locale
                )
            if "codes" in values and "names" in msgid:
                codes = [code.strip() for code in values.pop("codes").split(",")]
                values["names"] = "; ".join(evidence_names.get(code, code) for code in codes)
            texts.append(catalog.gettext(msgid) % values)
            break
        else:
            texts.append(message)
    return texts


class OfferValues(msgspec.Struct, kw_only=True):
    """The offer as the form shows it (strings)."""

    prices: dict[int, str] = {}
    """Lot number → the price as entered."""
    exclusion: str = ""
    """``none`` (no ground for exclusion applies), ``applies`` or empty (not answered)."""
    self_cleaning: str = ""
    binding_period_accepted: bool = False
    certificate_number: str = ""


def lot_numbers(lots: list[Lot]) -> list[int]:
    """The lots a bid may offer: the tender's, or lot 1 of a tender without lots."""
    return [lot.number for lot in lots] or [1]


def offer_values(form: FormMultiDict, lots: list[Lot]) -> OfferValues:
    def text(name: str, limit: int) -> str:
        return str(form.get(name) or "")[:limit]

    return OfferValues(
        prices={number: text(f"price-{number}", 60) for number in lot_numbers(lots)},
        exclusion=text("exclusion", 20),
        self_cleaning=text("self_cleaning", 6000),
        binding_period_accepted=form.get("binding_period_accepted") == "yes",
        certificate_number=text("certificate_number", 100),
    )


def values_of_content(content: BidContent, lots: list[Lot], language: str) -> OfferValues:
    """The stored working copy as the form shows it."""
    prices = {offer.lot: amount_text(offer.price, language) for offer in content.lots}
    declarations = content.declarations
    exclusion = {True: "none", False: "applies", None: ""}[declarations.no_exclusion_grounds]
    return OfferValues(
        prices={number: prices.get(number, "") for number in lot_numbers(lots)},
        exclusion=exclusion,
        self_cleaning=declarations.self_cleaning,
        binding_period_accepted=declarations.binding_period_accepted,
        certificate_number=content.certificate_number or "",
    )


def problem_errors(problems: list[dict[str, str]], offered: list[int]) -> Errors:
    """The domain's problems (``drafting.validate_content``) at the form's fields; ``offered``
    holds the lot of each offer in the order the content lists them."""
    errors: Errors = {}
    for problem in problems:
        field, message = str(problem.get("field")), str(problem.get("message"))
        found = _PROBLEM_FIELD.match(field)
        if found and int(found.group(1)) < len(offered):
            errors.setdefault(
                f"price-{offered[int(found.group(1))]}", _STATIC_PROBLEMS.get(message, _PRICE)
            )
        elif field == "declarations.self_cleaning":
            errors.setdefault("self_cleaning", _SELF_CLEANING)
        else:
            errors.setdefault(FORM, _FALLBACK)
    return errors


def read_offer(values: OfferValues, lots: list[Lot]) -> tuple[BidContent | None, Errors]:
    """The content the form describes, or ``None`` and the errors at the form's fields (in the
    form's order; a price is checked against the domain's rules at once, so that one submission
    shows every wrong field)."""
    errors: Errors = {}
    offers = []
    for number in lot_numbers(lots):
        text = values.prices.get(number, "").strip()
        if not text:
            continue
        try:
            offer = LotOffer(lot=number, price=parse_amount(text))
        except ValueError:
            errors[f"price-{number}"] = _PRICE
            continue
        errors.update(
            problem_errors(drafting.validate_content(BidContent(lots=[offer]), lots), [number])
        )
        offers.append(offer)
    if values.exclusion not in ("", "none", "applies"):
        errors["exclusion"] = _EXCLUSION
    self_cleaning = values.self_cleaning.strip()
    if len(self_cleaning) > 5000:
        errors["self_cleaning"] = _SELF_CLEANING_LONG
    elif values.exclusion == "applies" and not self_cleaning:
        errors["self_cleaning"] = _SELF_CLEANING
    certificate = values.certificate_number.strip()
    if len(certificate) > 40:
        errors["certificate_number"] = _CERTIFICATE_LONG
    content = BidContent(
        lots=offers,
        certificate_number=certificate or None,
        declarations=Declarations(
            no_exclusion_grounds={"none": True, "applies": False}.get(values.exclusion),
            self_cleaning=self_cleaning if values.exclusion == "applies" else "",
            binding_period_accepted=values.binding_period_accepted,
        ),
    )
    for field, message in problem_errors(
        drafting.validate_content(content, lots), [offer.lot for offer in offers]
    ).items():
        errors.setdefault(field, message)
    return (None, errors) if errors else (content, {})


@dataclass(frozen=True)
class Acting:
    """The company a person acts for on a bid page, and how its pages are addressed."""

    company: uuid.UUID
    several: bool
    """The person acts for several companies: every address and form names the company."""

    @property
    def query(self) -> str:
        """What the addresses of the company's pages end with (``?unternehmen=…`` or empty)."""
        return f"?{COMPANY}={self.company}" if self.several else ""

    @property
    def params(self) -> dict[str, str]:
        """The query parameters of a redirect to one of the company's pages."""
        return {COMPANY: str(self.company)} if self.several else {}


def acting_for(request: Req, raw: object) -> Acting:
    """The company named by ``raw`` (a query parameter or form field), or the person's only
    one.

    Raises:
        BidNotFound: the person does not act for that company, or for several and names none
            (the pages ask first, so that only a hand-made address gets here).
    """
    company = chosen_company(request, raw)
    if company is None:
        raise BidNotFound("There is no such bid of yours.")
    return Acting(company=company, several=len(companies(request)) > 1)


async def bid_tender(session: AsyncSession, tender_id: uuid.UUID) -> Tender:
    """A published tender (in any state after publication); drafts are nobody's business."""
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.status == TenderStatus.DRAFT or tender.published_at is None:
        raise TenderNotFound("There is no such tender.")
    return tender


def accepting(tender: Tender, now: datetime) -> bool:
    """Whether the tender takes bids now (published, its deadline not passed)."""
    deadline = tender.submission_deadline
    return tender.status == TenderStatus.PUBLISHED and (deadline is None or now < deadline)


def api_base(company: uuid.UUID, tender_id: uuid.UUID) -> str:
    """The address of the company's bid in the API (its documents and receipt PDFs)."""
    return f"/api/v1/organisations/{company}/bids/{tender_id}"


def receipt_path(tender_id: uuid.UUID, submission_id: uuid.UUID) -> str:
    """The page of a receipt of the company's bid."""
    return f"{BASE}/{tender_id}/eingangsbestaetigungen/{submission_id}"
