"""The self-declaration on the exclusion grounds of §§ 123, 124 GWB and its assessment.

The catalogue :data:`GROUNDS` holds one entry per ground a supplier declares on: the mandatory
grounds of § 123 Abs. 1 and 4 GWB and the optional grounds of § 124 Abs. 1 Nr. 1–9 GWB, each with
a stable code, its legal reference and the question the self-declaration asks (German, English).
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

from prequalification.errors import PrequalificationError

Kind = Literal["mandatory", "optional"]
Outcome = Literal["pass", "fail", "discretionary"]
ReasonCode = Literal[
    "not-applicable", "expired", "mandatory", "self-cleaning", "paid-or-committed", "optional"
]


class Ground(msgspec.Struct, frozen=True, kw_only=True):
    """One exclusion ground of the self-declaration."""

    code: str
    """Stable code (``corruption``), the key of an answer."""
    kind: Kind
    """``mandatory`` (§ 123 GWB) or ``optional`` (§ 124 GWB)."""
    reference: str
    """The legal reference, e.g. ``§ 123 Abs. 1 Nr. 3 GWB i. V. m. § 261 StGB``."""
    title_de: str
    title_en: str
    question_de: str
    """The question as the self-declaration asks it; "yes" means the ground applies."""
    question_en: str
    date_de: str
    """What the date of an answer is (conviction, decision or event)."""
    date_en: str
    ongoing: bool = False
    """The ground is a present state: it counts while it lasts, § 126 GWB does not expire it."""


_ATTRIBUTED_DE = (
    "Ist eine Person, deren Verhalten dem Unternehmen zuzurechnen ist (§ 123 Abs. 3 GWB), "
    "rechtskräftig verurteilt oder gegen das Unternehmen eine Geldbuße nach § 30 OWiG "
    "rechtskräftig festgesetzt worden wegen einer Straftat nach {offence}, oder nach "
    "vergleichbaren Vorschriften anderer Staaten (§ 123 Abs. 2 GWB)?"
)
_ATTRIBUTED_EN = (
    "Has a person whose conduct is attributable to the company (§ 123(3) GWB) been convicted by "
    "final judgment, or has a fine under § 30 OWiG been imposed on the company with final "
    "effect, for an offence under {offence}, or under comparable provisions of other states "
    "(§ 123(2) GWB)?"
)
_CONVICTION = ("Datum der rechtskräftigen Verurteilung", "Date of the final conviction")
_EVENT = ("Datum des Ereignisses", "Date of the event")
_SINCE = ("Seit wann (Datum des Ereignisses)", "Since when (date of the event)")


def _mandatory(
    code: str, reference: str, title: tuple[str, str], offence: tuple[str, str]
) -> Ground:
    return Ground(
        code=code,
        kind="mandatory",
        reference=reference,
        title_de=title[0],
        title_en=title[1],
        question_de=_ATTRIBUTED_DE.format(offence=offence[0]),
        question_en=_ATTRIBUTED_EN.format(offence=offence[1]),
        date_de=_CONVICTION[0],
        date_en=_CONVICTION[1],
    )


def _optional(
    code: str,
    number: int,
    title: tuple[str, str],
    question: tuple[str, str],
    *,
    ongoing: bool = False,
) -> Ground:
    date = _SINCE if ongoing else _EVENT
    return Ground(
        code=code,
        kind="optional",
        reference=f"§ 124 Abs. 1 Nr. {number} GWB",
        title_de=title[0],
        title_en=title[1],
        question_de=question[0],
        question_en=question[1],
        date_de=date[0],
        date_en=date[1],
        ongoing=ongoing,
    )


_EU_BUDGET_DE = (
    "soweit sich die Straftat gegen den Haushalt der Europäischen Union oder gegen Haushalte "
    "richtet, die von der Europäischen Union oder in ihrem Auftrag verwaltet werden"
)
_EU_BUDGET_EN = (
    "where the offence is directed against the budget of the European Union or budgets managed "
    "by or on behalf of the European Union"
)

GROUNDS: tuple[Ground, ...] = (
    _mandatory(
        "criminal-organisation",
        "§ 123 Abs. 1 Nr. 1 GWB i. V. m. §§ 129, 129b StGB",
        ("Bildung krimineller Vereinigungen", "Participation in a criminal organisation"),
        (
            "§ 129 StGB (Bildung krimineller Vereinigungen), auch in Verbindung mit § 129b StGB "
            "(Vereinigungen im Ausland)",
            "§ 129 StGB (forming criminal organisations), also with § 129b StGB (organisations "
            "abroad)",
        ),
    ),
    _mandatory(
        "terrorism",
        "§ 123 Abs. 1 Nr. 1 und 2 GWB i. V. m. §§ 129a, 129b, 89c StGB",
        ("Terroristische Straftaten", "Terrorist offences and terrorist financing"),
        (
            "§ 129a StGB (Bildung terroristischer Vereinigungen), auch in Verbindung mit "
            "§ 129b StGB (Vereinigungen im Ausland), oder § 89c StGB (Terrorismusfinanzierung), "
            "auch wegen Teilnahme oder wegen Bereitstellung oder Sammlung finanzieller Mittel für "
            "eine Tat nach § 89a Abs. 2 Nr. 2 StGB",
            "§ 129a StGB (forming terrorist organisations), also with § 129b StGB (organisations "
            "abroad), or § 89c StGB (terrorist financing), including participation in it or "
            "providing or collecting funds for an offence under § 89a(2) no. 2 StGB",
        ),
    ),
    _mandatory(
        "money-laundering",
        "§ 123 Abs. 1 Nr. 3 GWB i. V. m. § 261 StGB",
        ("Geldwäsche", "Money laundering"),
        ("§ 261 StGB (Geldwäsche)", "§ 261 StGB (money laundering)"),
    ),
    _mandatory(
        "fraud",
        "§ 123 Abs. 1 Nr. 4 GWB i. V. m. § 263 StGB",
        ("Betrug zulasten von EU-Haushalten", "Fraud against EU budgets"),
        (f"§ 263 StGB (Betrug), {_EU_BUDGET_DE}", f"§ 263 StGB (fraud) {_EU_BUDGET_EN}"),
    ),
    _mandatory(
        "subsidy-fraud",
        "§ 123 Abs. 1 Nr. 5 GWB i. V. m. § 264 StGB",
        ("Subventionsbetrug zulasten von EU-Haushalten", "Subsidy fraud against EU budgets"),
        (
            f"§ 264 StGB (Subventionsbetrug), {_EU_BUDGET_DE}",
            f"§ 264 StGB (subsidy fraud) {_EU_BUDGET_EN}",
        ),
    ),
    _mandatory(
        "corruption",
        "§ 123 Abs. 1 Nr. 6 bis 9 GWB i. V. m. §§ 299, 299a, 299b, 108e, 333, 334, 335a StGB, "
        "Art. 2 § 2 IntBestG",
        ("Bestechung", "Corruption"),
        (
            "§ 299 StGB (Bestechlichkeit und Bestechung im geschäftlichen Verkehr), §§ 299a, 299b "
            "StGB (im Gesundheitswesen), § 108e StGB (Bestechlichkeit und Bestechung von "
            "Mandatsträgern), §§ 333, 334 StGB (Vorteilsgewährung und Bestechung), jeweils auch in "
            "Verbindung mit § 335a StGB, oder Art. 2 § 2 IntBestG (Bestechung ausländischer "
            "Abgeordneter)",
            "§ 299 StGB (taking and giving bribes in business dealings), §§ 299a, 299b StGB (in "
            "the health sector), § 108e StGB (bribery of elected officials), §§ 333, 334 StGB "
            "(granting an advantage and bribery), also with § 335a StGB, or Art. 2 § 2 IntBestG "
            "(bribery of foreign members of parliament)",
        ),
    ),
    _mandatory(
        "human-trafficking",
        "§ 123 Abs. 1 Nr. 10 GWB i. V. m. §§ 232, 232a Abs. 1 bis 5, 232b bis 233a StGB",
        ("Menschenhandel und Ausbeutung", "Human trafficking and exploitation"),
        (
            "§§ 232, 232a Abs. 1 bis 5, 232b bis 233a StGB (Menschenhandel, Zwangsprostitution, "
            "Zwangsarbeit, Ausbeutung der Arbeitskraft, Ausbeutung unter Ausnutzung einer "
            "Freiheitsberaubung)",
            "§§ 232, 232a(1) to (5), 232b to 233a StGB (human trafficking, forced prostitution, "
            "forced labour, labour exploitation, exploitation involving deprivation of liberty)",
        ),
    ),
    Ground(
        code="tax-social-security",
        kind="mandatory",
        reference="§ 123 Abs. 4 GWB",
        title_de="Steuern, Abgaben und Sozialversicherungsbeiträge",
        title_en="Taxes, levies and social security contributions",
        question_de=(
            "Ist das Unternehmen seinen Verpflichtungen zur Zahlung von Steuern, Abgaben oder "
            "Beiträgen zur Sozialversicherung nicht nachgekommen, und ist dies durch eine "
            "rechtskräftige Gerichts- oder bestandskräftige Verwaltungsentscheidung festgestellt "
            "worden oder auf sonstige geeignete Weise nachweisbar (dazu gehören Verurteilungen "
            "wegen Steuerhinterziehung, § 370 AO, und wegen Vorenthaltens und Veruntreuens von "
            "Arbeitsentgelt, § 266a StGB)?"
        ),
        question_en=(
            "Has the company failed to meet its obligations to pay taxes, levies or social "
            "security contributions, established by a final court or administrative decision "
            "or demonstrable by other appropriate means (including convictions for tax evasion "
            "under § 370 AO and for withholding contributions under § 266a StGB)?"
        ),
        date_de="Datum der Entscheidung oder Verurteilung",
        date_en="Date of the decision or conviction",
    ),
    _optional(
        "environmental-social-labour",
        1,
        (
            "Verstöße gegen umwelt-, sozial- oder arbeitsrechtliche Verpflichtungen",
            "Breaches of environmental, social or labour law obligations",
        ),
        (
            "Hat das Unternehmen bei der Ausführung öffentlicher Aufträge nachweislich gegen "
            "geltende umwelt-, sozial- oder arbeitsrechtliche Verpflichtungen verstoßen?",
            "Has the company demonstrably breached applicable obligations under environmental, "
            "social or labour law in the performance of public contracts?",
        ),
    ),
    _optional(
        "insolvency",
        2,
        (
            "Insolvenz, Liquidation, eingestellte Tätigkeit",
            "Insolvency, liquidation, ceased activity",
        ),
        (
            "Ist das Unternehmen zahlungsunfähig, ist über sein Vermögen ein Insolvenzverfahren "
            "oder ein vergleichbares Verfahren beantragt oder eröffnet oder die Eröffnung mangels "
            "Masse abgelehnt worden, befindet es sich in Liquidation oder hat es seine Tätigkeit "
            "eingestellt?",
            "Is the company unable to pay its debts, have insolvency or comparable proceedings "
            "been applied for or opened over its assets or the opening been refused for lack of "
            "assets, is it in liquidation or has it ceased its business activities?",
        ),
        ongoing=True,
    ),
    _optional(
        "professional-misconduct",
        3,
        ("Schwere Verfehlung", "Grave professional misconduct"),
        (
            "Hat das Unternehmen im Rahmen seiner beruflichen Tätigkeit nachweislich eine schwere "
            "Verfehlung begangen, durch die seine Integrität infrage gestellt wird (auch durch "
            "eine ihm nach § 123 Abs. 3 GWB zuzurechnende Person)?",
            "Has the company demonstrably committed grave professional misconduct that calls "
            "its integrity into question (also through a person whose conduct is attributable "
            "to it under § 123(3) GWB)?",
        ),
    ),
    _optional(
        "competition-agreements",
        4,
        ("Wettbewerbsbeschränkende Absprachen", "Agreements distorting competition"),
        (
            "Hat das Unternehmen mit anderen Unternehmen Vereinbarungen getroffen oder "
            "Verhaltensweisen aufeinander abgestimmt, die eine Verhinderung, Einschränkung oder "
            "Verfälschung des Wettbewerbs bezwecken oder bewirken?",
            "Has the company entered into agreements or concerted practices with other companies "
            "that have as their object or effect the prevention, restriction or distortion of "
            "competition?",
        ),
    ),
    _optional(
        "conflict-of-interest",
        5,
        ("Interessenkonflikt", "Conflict of interest"),
        (
            "Besteht ein Interessenkonflikt, der die Unparteilichkeit und Unabhängigkeit einer "
            "für einen öffentlichen Auftraggeber tätigen Person bei der Durchführung eines "
            "Vergabeverfahrens beeinträchtigen könnte?",
            "Is there a conflict of interest that could impair the impartiality and "
            "independence of a person acting for a contracting authority in conducting a "
            "procurement procedure?",
        ),
        ongoing=True,
    ),
    _optional(
        "prior-involvement",
        6,
        ("Vorbefassung", "Prior involvement in the preparation of the procedure"),
        (
            "War das Unternehmen in die Vorbereitung eines Vergabeverfahrens einbezogen, an dem "
            "es teilnehmen will, sodass daraus eine Wettbewerbsverzerrung resultieren kann?",
            "Has the company been involved in the preparation of a procurement procedure in "
            "which it intends to take part, so that competition may be distorted as a result?",
        ),
        ongoing=True,
    ),
    _optional(
        "poor-performance",
        7,
        ("Mangelhafte Erfüllung früherer Aufträge", "Poor performance of earlier contracts"),
        (
            "Hat das Unternehmen eine wesentliche Anforderung bei der Ausführung eines früheren "
            "öffentlichen Auftrags oder Konzessionsvertrags erheblich oder fortdauernd mangelhaft "
            "erfüllt, und hat dies zu einer vorzeitigen Beendigung, zu Schadensersatz oder zu "
            "einer vergleichbaren Rechtsfolge geführt?",
            "Has the company shown significant or persistent deficiencies in meeting a "
            "substantive requirement of an earlier public contract or concession that led to "
            "its early termination, to damages or to a comparable sanction?",
        ),
    ),
    _optional(
        "misrepresentation",
        8,
        ("Täuschung über Ausschlussgründe oder Eignung", "Misrepresentation"),
        (
            "Hat das Unternehmen in Bezug auf Ausschlussgründe oder Eignungskriterien eine "
            "schwerwiegende Täuschung begangen oder Auskünfte zurückgehalten, oder war es nicht "
            "in der Lage, die erforderlichen Nachweise zu übermitteln?",
            "Has the company been guilty of serious misrepresentation or withheld information "
            "concerning exclusion grounds or selection criteria, or been unable to provide the "
            "required supporting documents?",
        ),
    ),
    _optional(
        "undue-influence",
        9,
        ("Unzulässige Beeinflussung", "Undue influence"),
        (
            "Hat das Unternehmen versucht, die Entscheidungsfindung eines öffentlichen "
            "Auftraggebers in unzulässiger Weise zu beeinflussen oder vertrauliche Informationen "
            "zu erhalten, durch die es unzulässige Vorteile in einem Vergabeverfahren erlangen "
            "könnte, oder hat es fahrlässig oder vorsätzlich irreführende Informationen "
            "übermittelt oder zu übermitteln versucht, die eine Vergabeentscheidung erheblich "
            "beeinflussen könnten?",
            "Has the company tried to unduly influence the decision-making of a contracting "
            "authority or to obtain confidential information that could give it undue "
            "advantages in a procurement procedure, or negligently or intentionally provided, "
            "or tried to provide, misleading information that could materially influence an "
            "award decision?",
        ),
    ),
)
"""Every ground of the declaration, the mandatory ones (§ 123 GWB) first."""

GROUND_CODES: tuple[str, ...] = tuple(g.code for g in GROUNDS)
_BY_CODE: dict[str, Ground] = {g.code: g for g in GROUNDS}


def ground(code: str) -> Ground:
    """The ground with ``code``; :class:`KeyError` for an unknown code."""
    return _BY_CODE[code]


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


def _add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February (§ 188 Abs. 3 BGB)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _check(declaration: SelfDeclaration, on: dt.date) -> dict[str, GroundAnswer]:
    counts = Counter(a.code for a in declaration.answers)
    unknown = tuple(sorted(c for c in counts if c not in _BY_CODE))
    duplicate = tuple(c for c in GROUND_CODES if counts[c] > 1)
    missing = tuple(c for c in GROUND_CODES if counts[c] == 0)
    known = [a for a in declaration.answers if a.code in _BY_CODE]
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
    until = None if g.ongoing else _add_years(answer.date, years)
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
