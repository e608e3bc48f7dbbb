"""The pre-qualification part of the instance profile: which evidence a supplier must provide.

Every state decides its own catalogue of evidence types (DESIGN.md §2): the name and legal
basis of each document, the categories (works, supplies, services) that need it, how long an
item counts, whether it must carry a qualified electronic signature or seal, and how many items
are needed. The catalogue is data in the profile's ``[prequalification]`` table, so the code
holds no list of documents. Validity follows §§ 187(1), 188(2), (3) BGB: a period of months
from the issue date ends on the day with the same number, or on the last day of a shorter month.
"""

from __future__ import annotations

__all__ = [
    "CPV_DIVISIONS",
    "Category",
    "EvidenceForm",
    "EvidenceType",
    "FromIssue",
    "MaxAge",
    "Prequalification",
    "StatedExpiry",
    "Unlimited",
    "ValidityProblem",
    "ValidityRule",
    "add_months",
    "category_of_division",
]

import calendar
import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, ClassVar, Literal

import msgspec

Category = Literal["works", "supplies", "services"]
EvidenceForm = Literal["document", "self-declaration"]
ValidityProblem = Literal["expired", "missing-expiry", "issued-in-future"]
Language = Literal["de", "en"]
"""As ``infra.profile.Language``; repeated since ``infra.profile`` imports this module."""

Months = Annotated[int, msgspec.Meta(ge=1, le=120)]

CPV_DIVISIONS: dict[Category, frozenset[str]] = {
    "works": frozenset({"45"}),
    "supplies": frozenset(
        {"03", "09", "14", "15", "16", "18", "19", "22", "24", "30", "31", "32"}
        | {"33", "34", "35", "37", "38", "39", "41", "42", "43", "44", "48"}
    ),
    "services": frozenset(
        {"50", "51", "55", "60", "63", "64", "65", "66", "70", "71", "72", "73"}
        | {"75", "76", "77", "79", "80", "85", "90", "92", "98"}
    ),
}
"""The CPV divisions (first two digits of a CPV code) of each category; together all 45."""


def category_of_division(division: str) -> Category | None:
    """The category of a two-digit CPV division (``"45"`` → ``"works"``), ``None`` if unknown."""
    for category, divisions in CPV_DIVISIONS.items():
        if division in divisions:
            return category
    return None


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month.

    2026-11-30 plus 3 months is 2027-02-28; 2027-11-29 plus 3 months is 2028-02-29.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class _Rule(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="kind"
):
    """How long an item of evidence counts; ``kind`` in the profile names the rule."""

    needs_stated_expiry: ClassVar[bool] = False

    def _own_end(self, issued: date) -> date | None:
        """The last valid day by the rule alone, ``None`` if the rule sets no end."""
        return None

    def expires_on(self, issued: date, stated_expiry: date | None) -> date | None:
        """The last day on which the item counts, ``None`` if it never expires.

        A stated expiry always caps the rule: a document that says it ends sooner ends sooner.

        Raises:
            ValueError: the rule needs the stated expiry and none is given.
        """
        if self.needs_stated_expiry and stated_expiry is None:
            raise ValueError("the document's stated expiry is required for this evidence type")
        ends = [end for end in (self._own_end(issued), stated_expiry) if end is not None]
        return min(ends, default=None)

    def problem_at(
        self, issued: date, stated_expiry: date | None, on: date
    ) -> ValidityProblem | None:
        """Why the item does not count on day ``on``, or ``None`` if it does."""
        if issued > on:
            return "issued-in-future"
        if self.needs_stated_expiry and stated_expiry is None:
            return "missing-expiry"
        end = self.expires_on(issued, stated_expiry)
        if end is not None and on > end:
            return "expired"
        return None


class MaxAge(_Rule, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="max-age"):
    """Not older than: the item counts until its issue date plus ``months`` or ``days``.

    Used where the procurement rules want a recent document (a register extract not older than
    three months). Exactly one of ``months`` and ``days`` is given.
    """

    months: Months | None = None
    days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None

    def __post_init__(self) -> None:
        if (self.months is None) == (self.days is None):
            raise ValueError("months: give exactly one of months and days")

    def _own_end(self, issued: date) -> date | None:
        if self.months is not None:
            return add_months(issued, self.months)
        assert self.days is not None  # checked in __post_init__
        return issued + timedelta(days=self.days)


class FromIssue(_Rule, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="from-issue"):
    """Valid for ``months`` from the issue date (a declaration renewed every year)."""

    months: Months

    def _own_end(self, issued: date) -> date | None:
        return add_months(issued, self.months)


class StatedExpiry(
    _Rule, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="stated-expiry"
):
    """The document states its own expiry (tax office, ISO certificate); the supplier enters it."""

    needs_stated_expiry: ClassVar[bool] = True


class Unlimited(_Rule, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="unlimited"):
    """Counts until replaced (a trade registration), unless the document states an expiry."""


ValidityRule = MaxAge | FromIssue | StatedExpiry | Unlimited


class EvidenceType(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One kind of evidence a supplier provides for pre-qualification."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9-]+$", max_length=64)]
    """Stable identifier (``tax-clearance``); stored with every uploaded item."""
    name: dict[Language, Annotated[str, msgspec.Meta(min_length=1)]]
    """The name shown to suppliers and reviewers; German and English are both required."""
    legal_basis: Annotated[str, msgspec.Meta(min_length=1)]
    """Short citation of the norms that allow asking for it (``§ 44 Abs. 1 VgV``)."""
    categories: Annotated[tuple[Category, ...], msgspec.Meta(min_length=1)]
    """The categories whose applicants need it."""
    validity: ValidityRule
    """How long an item counts."""
    mandatory: bool
    """Whether an application in one of ``categories`` needs it (else it is optional)."""
    qualified_signature: bool
    """Whether an uploaded PDF must carry a qualified electronic signature or seal (eIDAS)."""
    min_items: Annotated[int, msgspec.Meta(ge=1, le=20)] = 1
    """How many items are needed (three references)."""
    form: EvidenceForm = "document"
    """``document``: a PDF upload; ``self-declaration``: answered as a questionnaire or ESPD."""

    def __post_init__(self) -> None:
        for lang in ("de", "en"):
            if lang not in self.name:
                raise ValueError(f"name: needs a text for language {lang!r}")
        for category in self.categories:
            if self.categories.count(category) > 1:
                raise ValueError(f"categories: {category!r} is given twice")


class Prequalification(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The state's evidence catalogue and the periods around a pre-qualification certificate."""

    evidence: tuple[EvidenceType, ...]
    """The evidence types in the order they are shown; exactly one is the self-declaration."""
    certificate_validity_months: Annotated[int, msgspec.Meta(ge=1, le=36)] = 12
    """How long a certificate is valid from its approval."""
    reminder_days: Annotated[
        tuple[Annotated[int, msgspec.Meta(ge=1, le=365)], ...], msgspec.Meta(min_length=1)
    ] = (30, 14, 7)
    """Days before an item or the certificate expires on which the supplier is reminded;
    strictly descending."""
    change_request_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    """Days the supplier gets to answer a reviewer's change request."""

    def __post_init__(self) -> None:
        codes = [item.code for item in self.evidence]
        for code in codes:
            if codes.count(code) > 1:
                raise ValueError(f"evidence: code {code!r} is given twice")
        declarations = [item.code for item in self.evidence if item.form == "self-declaration"]
        if len(declarations) != 1:
            raise ValueError(
                "evidence: exactly one type must have form 'self-declaration', "
                f"found {len(declarations)}"
            )
        if any(later >= earlier for earlier, later in itertools.pairwise(self.reminder_days)):
            raise ValueError("reminder_days: must be strictly descending")

    @property
    def self_declaration(self) -> EvidenceType:
        """The one evidence type answered as a self-declaration (exclusion grounds)."""
        return next(item for item in self.evidence if item.form == "self-declaration")

    def evidence_type(self, code: str) -> EvidenceType:
        """The evidence type with ``code``.

        Raises:
            KeyError: no type has that code.
        """
        for item in self.evidence:
            if item.code == code:
                return item
        raise KeyError(code)

    def required_for(self, categories: Iterable[str]) -> tuple[EvidenceType, ...]:
        """The types needed by any of ``categories``: mandatory first, else in profile order.

        A string that is no category matches nothing.
        """
        wanted = set(categories)
        matching = [item for item in self.evidence if wanted.intersection(item.categories)]
        return tuple(sorted(matching, key=lambda item: not item.mandatory))
