"""The information of an unsuccessful bidder (§ 134 GWB) as an unsigned A4 PDF.

:func:`render_information_letter` is a pure function; the job that dispatches the letters
(:mod:`procurement.award.letters`) seals the PDF afterwards. The letter follows the receipt and
the minutes of a bid (:mod:`procurement.bids.documents`) through :mod:`procurement.pdf_layout`:
German first and English second in every label, the letter's number and the page count in every
page's footer, the same metadata, and for the same facts the same bytes (the creation date is the
moment of dispatch).

It states what § 134 Abs. 1 GWB requires: per lot the name of the company whose bid is to be
accepted and why the recipient's bid is not, the authority's reasons, and the earliest date of
the contract; then the standstill of § 134 Abs. 2 GWB (10 calendar days when sent
electronically, 15 otherwise, from the day after dispatch) and a hint on review: a bidder must
complain to the authority within 10 calendar days of knowing an infringement before it may apply
to the Vergabekammer (§ 160 Abs. 3 GWB).
"""

from __future__ import annotations

__all__ = ["InformationLetter", "LetterLot", "render_information_letter"]

from datetime import date, datetime, timedelta

import msgspec
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from procurement.pdf_layout import (
    FONT,
    INDENT,
    MARGIN,
    WIDTH,
    begin,
    day_de,
    day_en,
    issuer,
    keep,
    section,
    statement,
    when,
)

_TITLE = ("Information nach § 134 GWB", "Information pursuant to Section 134 GWB")
_ELECTRONIC = "elektronisch (§ 134 Abs. 2 Satz 2 GWB) / electronically"
_OTHERWISE = "auf anderem Weg, nicht elektronisch / by other means, not electronically"


class LetterLot(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One lot the recipient offered and is not to be awarded."""

    lot_number: int
    lot_title: str
    winner_name: str  # the company to be awarded this lot (§ 134 Abs. 1 GWB: its name)
    outcome: str
    """Why the recipient's bid is not to be accepted for this lot, in German and English (its
    rank and points, or the reason of its exclusion); may be long."""


class InformationLetter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the information of one unsuccessful bidder states; the moment must be aware."""

    letter_number: str  # HB-V-2026-000042-I-03
    tender_number: str
    tender_title: str
    authority_name: str
    company_name: str  # the recipient, the unsuccessful bidder
    dispatched_at: datetime  # the letter's date, also the PDF's creation date
    lots: tuple[LetterLot, ...]  # at least one
    reasons: str  # the authority's reasons for its decision, its words; may be multi-paragraph
    electronic: bool  # sent electronically (the short period) or otherwise
    standstill_days: int
    standstill_first_day: date
    standstill_last_day: date
    contract_from: date  # the earliest date of the contract (§ 134 Abs. 1 Satz 1 GWB)
    review_body: str | None  # the competent Vergabekammer, if the profile names it
    instance_name: dict[str, str]  # the platform's name, "de" and "en"
    operator: dict[str, str]  # who runs the platform and seals the letter, "de" and "en"
    state: str  # the state (Land) as it names itself


def render_information_letter(letter: InformationLetter) -> bytes:
    """The letter as an unsigned A4 PDF, German first, English second.

    Raises:
        ValueError: A naive time, no lots, a standstill that ends before it begins, or a date of
            contract that is not the day after the standstill's last day.
    """
    dispatched = when(letter.dispatched_at)
    if not letter.lots:
        raise ValueError("an information letter names at least one lot")
    if letter.standstill_first_day > letter.standstill_last_day:
        raise ValueError("the standstill cannot end before it begins")
    if letter.contract_from != letter.standstill_last_day + timedelta(days=1):
        raise ValueError("the contract may be concluded only on the day after the standstill")
    pdf = begin(
        letter.letter_number,
        letter.dispatched_at,
        _TITLE,
        instance_name=letter.instance_name,
        operator=letter.operator,
        state=letter.state,
    )
    section(pdf, "Vergabeverfahren / Tender", [letter.tender_number, letter.tender_title])
    section(pdf, "Öffentlicher Auftraggeber / Contracting authority", [letter.authority_name])
    section(pdf, "Empfänger / Recipient", [letter.company_name], first_bold=True)
    way = _ELECTRONIC if letter.electronic else _OTHERWISE
    section(pdf, "Absendung / Dispatched", [dispatched, way])
    lots = sorted(letter.lots, key=lambda lot: lot.lot_number)
    section(pdf, f"Lose / Lots ({len(lots)})", [])
    for lot in lots:
        _lot(pdf, lot)
    paragraphs = [part.strip() for part in letter.reasons.split("\n\n") if part.strip()]
    section(pdf, "Gründe der Entscheidung / Reasons for the decision", paragraphs)
    _standstill(pdf, letter)
    _review(pdf, letter.review_body)
    issuer(pdf, letter.instance_name, letter.operator)
    return bytes(pdf.output())


def _lot(pdf: FPDF, lot: LetterLot) -> None:
    """The lot in bold, then who is to be awarded it and why the recipient's bid is not."""
    keep(pdf, 30)
    pdf.set_xy(MARGIN, pdf.get_y() + 2)
    _lines(pdf, 0, ("B", 10), f"Los / Lot {lot.lot_number}: {lot.lot_title}")
    _lines(pdf, INDENT, ("B", 8.5), "Zuschlag soll erhalten / To be awarded to")
    _lines(pdf, INDENT, ("", 9.5), lot.winner_name)
    _lines(pdf, INDENT, ("B", 8.5), "Ihr Angebot / Your bid")
    _lines(pdf, INDENT, ("", 9.5), lot.outcome)


def _lines(pdf: FPDF, indent: float, font: tuple[str, float], text: str) -> None:
    pdf.set_x(MARGIN + indent)
    pdf.set_font(FONT, *font)
    pdf.multi_cell(WIDTH - indent, 4.5, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _standstill(pdf: FPDF, letter: InformationLetter) -> None:
    days, first, last, start = (
        letter.standstill_days,
        letter.standstill_first_day,
        letter.standstill_last_day,
        letter.contract_from,
    )
    section(
        pdf,
        "Frühester Vertragsschluss / Earliest conclusion of the contract",
        [f"{day_de(start)} / {day_en(start)}"],
        first_bold=True,
    )
    statement(
        pdf,
        f"Der Vertrag darf nicht vor Ablauf von {days} Kalendertagen nach Absendung dieser "
        f"Information geschlossen werden (§ 134 Abs. 2 GWB). Die Frist beginnt am {day_de(first)}, "
        f"und endet mit Ablauf des {day_de(last, genitive=True)}. Der Zuschlag wird frühestens "
        f"am {day_de(start)}, erteilt.",
        f"The contract may not be concluded before {days} calendar days have passed since this "
        f"information was sent (section 134(2) GWB). The period begins on {day_en(first)} and "
        f"ends at the end of {day_en(last)}. The contract will be awarded on {day_en(start)} "
        "at the earliest.",
    )


def _review(pdf: FPDF, review_body: str | None) -> None:
    chamber = f": {review_body}" if review_body else ""
    keep(pdf, 40)  # the heading and the first lines of the hint together
    section(pdf, "Hinweis auf die Nachprüfung / Note on review", [])
    statement(
        pdf,
        "Ein Nachprüfungsantrag ist unzulässig, soweit der Antragsteller einen Verstoß gegen "
        "Vergabevorschriften erkannt und gegenüber dem Auftraggeber nicht innerhalb von zehn "
        "Kalendertagen gerügt hat, oder soweit mehr als 15 Kalendertage nach Eingang der "
        "Mitteilung des Auftraggebers, einer Rüge nicht abhelfen zu wollen, vergangen sind "
        "(§ 160 Abs. 3 GWB). Der Antrag ist bei der zuständigen Vergabekammer zu stellen"
        f"{chamber}. Ist der Auftraggeber von der Vergabekammer über den Antrag informiert, darf "
        "er den Zuschlag nicht vor deren Entscheidung erteilen (§ 169 Abs. 1 GWB).",
        "An application for review is inadmissible where the applicant recognised an "
        "infringement of procurement rules and did not complain of it to the contracting "
        "authority within ten calendar days, or where more than 15 calendar days have passed "
        "since the authority's notice that it will not remedy a complaint (section 160(3) "
        "GWB). The application is to be made to the competent review chamber (Vergabekammer)"
        f"{chamber}. Once the chamber has informed the contracting authority of the "
        "application, the authority may not award the contract before the chamber's decision "
        "(section 169(1) GWB).",
    )
