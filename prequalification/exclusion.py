"""The self-declaration on the exclusion grounds of §§ 123, 124 GWB and its assessment.

The catalogue :data:`GROUNDS` (:mod:`prequalification.exclusion_grounds`) holds one entry per
ground a supplier declares on: the mandatory grounds of § 123 Abs. 1 and 4 GWB and the optional
grounds of § 124 Abs. 1 Nr. 1–9 GWB.
:func:`assess` turns a complete :class:`SelfDeclaration` into an :class:`Assessment`: ``pass``,
``fail`` or ``discretionary`` overall and a finding per ground. ``fail`` and ``discretionary`` are
never decided here: they go to a person (the officer), who decides on exclusion, on the
sufficiency of self-cleaning (§ 125 GWB) and on the optional grounds (§ 124 GWB: "können").

The periods of § 126 GWB come from the instance profile (``mandatory_years``,
``optional_years``: at most 5 and 3 years). They are computed like a period of the BGB
(§§ 187 Abs. 1, 188 Abs. 2 BGB, § 31 VwVfG): the conviction or the event is the starting event,
its day is not counted, and the period ends at the end of the day that corresponds to it by
number N years later (the last day of February where 29 February has no counterpart,
§ 188 Abs. 3 BGB). A conviction of 10 March 2020 therefore still counts on 10 March 2025 and no
longer counts from 11 March 2025 (:attr:`Finding.counts_until` is that last day).

Grounds that describe a present state (insolvency, a conflict of interest, a prior involvement
in the procedure) count as long as the state lasts: § 126 GWB does not let them expire while the
supplier declares them.

Exclusions under other laws (§ 124 Abs. 2 GWB: § 21 AEntG, § 98c AufenthG, § 19 MiLoG,
§ 21 SchwarzArbG, § 22 LkSG) are not part of this declaration.
"""

from __future__ import annotations

__all__ = [
    "GROUNDS",
    "GROUND_CODES",
    "Assessment",
    "Finding",
    "Ground",
    "GroundAnswer",
    "IncompleteDeclaration",
    "MalformedDeclaration",
    "Outcome",
    "SelfDeclaration",
    "assess",
    "decode_declaration",
    "ground",
    "summarise",
]

import datetime as dt
from collections import Counter
from http import HTTPStatus
from typing import ClassVar, Literal

import msgspec

from infra.profile_prequalification import add_months
from prequalification.errors import PrequalificationError
from prequalification.exclusion_grounds import GROUND_CODES, GROUNDS, Ground, Kind, ground

Outcome = Literal["pass", "fail", "discretionary"]
ReasonCode = Literal[
    "not-applicable", "expired", "mandatory", "self-cleaning", "paid-or-committed", "optional"
]


class GroundAnswer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The supplier's answer on one ground."""

    code: str
    """The ground's code, one of :data:`GROUND_CODES`."""
    applies: bool
    """``True``: the ground applies (the supplier answers the question with "yes")."""
    date: dt.date | None = None
    """Date of the conviction (§ 123 grounds), of the decision (taxes) or of the event
    (§ 124 grounds; for a present state: since when). Required when the ground applies."""
    self_cleaning: bool = False
    """The supplier declares measures of self-cleaning under § 125 GWB."""
    explanation: str | None = None
    """The supplier's explanation (what happened, which measures were taken)."""
    paid_or_committed: bool = False
    """Only for ``tax-social-security``: the company has paid or committed itself to pay,
    including interest and penalties (§ 123 Abs. 4 Satz 2 GWB). Ignored on other grounds."""


class SelfDeclaration(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The supplier's answers, exactly one per ground of :data:`GROUNDS`."""

    answers: tuple[GroundAnswer, ...]


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for one ground and why."""

    ground: str
    """The ground's code."""
    kind: Kind
    outcome: Outcome
    reason: ReasonCode
    """Stable reason code: ``not-applicable``, ``expired`` (§ 126 GWB), ``mandatory``,
    ``self-cleaning`` (§ 125 GWB), ``paid-or-committed`` (§ 123 Abs. 4 Satz 2 GWB) or
    ``optional`` (§ 124 GWB)."""
    de: str
    """The reason, in German."""
    en: str
    """The reason, in English."""
    counts_until: dt.date | None = None
    """The last day the ground counts under § 126 GWB (for a ground that applies and is
    neither expired nor a present state)."""


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    """The assessment of a self-declaration."""

    outcome: Outcome
    """The worst outcome of the findings: ``fail`` > ``discretionary`` > ``pass``."""
    findings: tuple[Finding, ...]
    """One finding per ground, in the order of :data:`GROUNDS`."""


class IncompleteDeclaration(PrequalificationError):
    """The declaration cannot be assessed: grounds missing, answered twice, unknown or
    applying without a date, or a date in the future."""

    status_code: ClassVar[int] = HTTPStatus.UNPROCESSABLE_ENTITY
    code: ClassVar[str] = "incomplete-declaration"
    title: ClassVar[str] = "The self-declaration is incomplete"

    def __init__(
        self,
        *,
        missing: tuple[str, ...] = (),
        duplicate: tuple[str, ...] = (),
        unknown: tuple[str, ...] = (),
        undated: tuple[str, ...] = (),
        future: tuple[str, ...] = (),
    ) -> None:
        parts = [
            f"{label}: {', '.join(codes)}"
            for label, codes in (
                ("not answered", missing),
                ("answered more than once", duplicate),
                ("unknown", unknown),
                ("applies but has no date", undated),
                ("dated in the future", future),
            )
            if codes
        ]
        super().__init__(
            "The self-declaration cannot be assessed. " + "; ".join(parts) + ".",
            missing=missing,
            duplicate=duplicate,
            unknown=unknown,
            undated=undated,
            future=future,
        )
        self.missing = missing
        """Grounds without an answer."""
        self.duplicate = duplicate
        """Grounds answered more than once."""
        self.unknown = unknown
        """Answer codes that name no ground."""
        self.undated = undated
        """Grounds that apply but carry no date."""
        self.future = future
        """Grounds whose date lies after the day of the assessment."""

    def with_answers(
        self, answers: tuple[GroundAnswer, ...], sme_size: str | None
    ) -> IncompleteDeclaration:
        """The same error carrying the answers an import could map (problem members
        ``answers`` and ``sme_size``), so that a form can be completed with them."""
        self.extra["answers"] = [msgspec.to_builtins(answer) for answer in answers]
        self.extra["sme_size"] = sme_size
        return self


class MalformedDeclaration(PrequalificationError):
    """The payload is not a self-declaration at all (wrong shape or types)."""

    status_code: ClassVar[int] = HTTPStatus.UNPROCESSABLE_ENTITY
    code: ClassVar[str] = "malformed-declaration"
    title: ClassVar[str] = "The self-declaration is malformed"


def decode_declaration(data: object) -> SelfDeclaration:
    """A :class:`SelfDeclaration` from decoded JSON (dates as ISO strings).

    Only the shape is checked here; completeness is :func:`assess`'s concern.

    Raises:
        MalformedDeclaration: wrong shape, a wrong type or an unknown field; the message names
            the place (``$.answers[0].applies``).
    """
    try:
        return msgspec.convert(data, SelfDeclaration)
    except msgspec.ValidationError as exc:
        raise MalformedDeclaration(str(exc)) from None


_RANK: dict[Outcome, int] = {"pass": 0, "discretionary": 1, "fail": 2}
_KNOWN = frozenset(GROUND_CODES)


def _check(declaration: SelfDeclaration, on: dt.date) -> dict[str, GroundAnswer]:
    counts = Counter(a.code for a in declaration.answers)
    unknown = tuple(sorted(c for c in counts if c not in _KNOWN))
    duplicate = tuple(c for c in GROUND_CODES if counts[c] > 1)
    missing = tuple(c for c in GROUND_CODES if counts[c] == 0)
    known = [a for a in declaration.answers if a.code in _KNOWN]
    undated = tuple(a.code for a in known if a.applies and a.date is None)
    future = tuple(a.code for a in known if a.applies and a.date is not None and a.date > on)
    if unknown or duplicate or missing or undated or future:
        raise IncompleteDeclaration(
            missing=missing, duplicate=duplicate, unknown=unknown, undated=undated, future=future
        )
    return {a.code: a for a in declaration.answers}


def _finding(g: Ground, answer: GroundAnswer, on: dt.date, years: int) -> Finding:
    if not answer.applies:
        return Finding(
            ground=g.code,
            kind=g.kind,
            outcome="pass",
            reason="not-applicable",
            de="Der Ausschlussgrund liegt nicht vor.",
            en="The ground does not apply.",
        )
    assert answer.date is not None  # checked by _check
    until = None if g.ongoing else add_months(answer.date, 12 * years)
    if until is not None and on > until:
        return Finding(
            ground=g.code,
            kind=g.kind,
            outcome="pass",
            reason="expired",
            de=f"Der Ausschlussgrund liegt vor, darf nach § 126 GWB aber nur {years} Jahre, bis "
            f"zum {until:%d.%m.%Y}, berücksichtigt werden.",
            en=f"The ground applies but may only be taken into account for {years} years, until "
            f"{until.isoformat()}: expired per § 126 GWB.",
        )
    outcome, reason, de, en = _counting(g, answer)
    return Finding(
        ground=g.code,
        kind=g.kind,
        outcome=outcome,
        reason=reason,
        de=de,
        en=en,
        counts_until=until,
    )


def _counting(g: Ground, answer: GroundAnswer) -> tuple[Outcome, ReasonCode, str, str]:
    """Outcome, reason and texts for a ground that applies and still counts."""
    if g.kind == "optional":
        cleaning_de = ", auch über die Selbstreinigung (§ 125 GWB)" if answer.self_cleaning else ""
        cleaning_en = ", including the self-cleaning (§ 125 GWB)" if answer.self_cleaning else ""
        return (
            "discretionary",
            "optional",
            "Fakultativer Ausschlussgrund nach § 124 GWB: Über den Ausschluss entscheidet die "
            f"Prüfstelle nach pflichtgemäßem Ermessen{cleaning_de}.",
            "Optional ground under § 124 GWB: the reviewing office decides on exclusion at its "
            f"discretion{cleaning_en}.",
        )
    if g.code == "tax-social-security" and answer.paid_or_committed:
        return (
            "discretionary",
            "paid-or-committed",
            "Das Unternehmen hat gezahlt oder sich zur Zahlung verpflichtet (§ 123 Abs. 4 Satz 2 "
            "GWB): Der Ausschluss entfällt, sobald die Prüfstelle den Nachweis geprüft hat.",
            "The company has paid or committed itself to pay (§ 123(4) second sentence GWB): "
            "there is no exclusion once the reviewing office has checked the evidence.",
        )
    if answer.self_cleaning:
        return (
            "discretionary",
            "self-cleaning",
            "Zwingender Ausschlussgrund mit erklärter Selbstreinigung: Die Prüfstelle bewertet "
            "die Maßnahmen nach § 125 GWB.",
            "Mandatory ground with declared self-cleaning: the reviewing office assesses the "
            "measures under § 125 GWB.",
        )
    return (
        "fail",
        "mandatory",
        "Zwingender Ausschlussgrund nach § 123 GWB innerhalb der Frist des § 126 GWB.",
        "Mandatory ground under § 123 GWB within the period of § 126 GWB.",
    )


def assess(
    declaration: SelfDeclaration, *, on: dt.date, mandatory_years: int, optional_years: int
) -> Assessment:
    """Assess a self-declaration on the day ``on``.

    Args:
        declaration: the supplier's answers, exactly one per ground.
        on: the day of the assessment (Europe/Berlin calendar day).
        mandatory_years: § 126 Nr. 1 GWB period for § 123 grounds (at most 5), from the profile.
        optional_years: § 126 Nr. 2 GWB period for § 124 grounds (at most 3), from the profile.

    Returns:
        A finding per ground and the worst outcome overall.

    Raises:
        IncompleteDeclaration: a ground is missing, answered twice or unknown, applies without
            a date, or is dated after ``on``.
        ValueError: a period is not a positive number of years.
    """
    if mandatory_years < 1 or optional_years < 1:
        raise ValueError("the periods of § 126 GWB must be at least one year")
    answers = _check(declaration, on)
    findings = tuple(
        _finding(
            g, answers[g.code], on, mandatory_years if g.kind == "mandatory" else optional_years
        )
        for g in GROUNDS
    )
    outcome = max((f.outcome for f in findings), key=_RANK.__getitem__)
    return Assessment(outcome=outcome, findings=findings)


def summarise(assessment: Assessment) -> tuple[str, str]:
    """A short text for the officer (German, English): the outcome and the grounds that count."""
    counting = [f for f in assessment.findings if f.outcome != "pass"]
    headline = {
        "pass": ("Keine Ausschlussgründe.", "No exclusion grounds."),
        "fail": (
            "Zwingender Ausschlussgrund: Ausschluss zu prüfen.",
            "Mandatory exclusion ground: exclusion to be decided.",
        ),
        "discretionary": (
            "Ermessensentscheidung erforderlich.",
            "A discretionary decision is needed.",
        ),
    }[assessment.outcome]
    de = " ".join([headline[0], *(f"{ground(f.ground).title_de}: {f.de}" for f in counting)])
    en = " ".join([headline[1], *(f"{ground(f.ground).title_en}: {f.en}" for f in counting)])
    return de, en
