"""The catalogue of exclusion grounds a supplier declares on (§§ 123, 124 GWB).

One entry per ground: the mandatory grounds of § 123 Abs. 1 and 4 GWB and the optional grounds of
§ 124 Abs. 1 Nr. 1–9 GWB, each with a stable code, its legal reference and the question the
self-declaration asks (German, English). The assessment is in :mod:`prequalification.exclusion`.
"""

from __future__ import annotations

__all__ = ["GROUNDS", "GROUND_CODES", "Ground", "Kind", "ground"]

from typing import Literal

import msgspec

Kind = Literal["mandatory", "optional"]


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
        "§ 123 Abs. 1 Nr. 6 bis 9 GWB i. V. m. §§ 299, 299a, 299b, 108e, 108f, 333, 334, 335a "
        "StGB, Art. 2 § 2 IntBestG",
        ("Bestechung", "Corruption"),
        (
            "§ 299 StGB (Bestechlichkeit und Bestechung im geschäftlichen Verkehr), §§ 299a, 299b "
            "StGB (im Gesundheitswesen), § 108e StGB (Bestechlichkeit und Bestechung von "
            "Mandatsträgern), § 108f StGB (unzulässige Interessenwahrnehmung), §§ 333, 334 StGB "
            "(Vorteilsgewährung und Bestechung), jeweils auch in Verbindung mit § 335a StGB, oder "
            "Art. 2 § 2 IntBestG (Bestechung ausländischer Abgeordneter)",
            "§ 299 StGB (taking and giving bribes in business dealings), §§ 299a, 299b StGB (in "
            "the health sector), § 108e StGB (bribery of elected officials), § 108f StGB "
            "(unlawful exercise of influence), §§ 333, 334 StGB (granting an advantage and "
            "bribery), also with § 335a StGB, or Art. 2 § 2 IntBestG (bribery of foreign members "
            "of parliament)",
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
