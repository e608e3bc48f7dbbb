"""The layout the platform's documents share: A4 portrait, German first and English second.

The same page as the receipt and the minutes of a bid (:mod:`procurement.bids.documents`): DejaVu
Sans from ``prequalification/fonts`` (names go beyond Latin-1), the state and the platform above
the title, grey headings with their lines below, statements in German and then in grey English,
and in every page's footer the document's number and "Seite n von m / Page n of m". The
functions here draw; what a document states stays in its own module. A new document begins with
:func:`begin`, which also sets the metadata and the creation date, so for the same facts the same
bytes come out.

Moments are shown twice, in UTC to the second and in Berlin time with MEZ or MESZ, fractions of
a second cut, not rounded (:func:`when`). Days are shown with their weekday (:func:`day_de`,
:func:`day_en`).
"""

from __future__ import annotations

__all__ = [
    "FONT",
    "INDENT",
    "MARGIN",
    "WIDTH",
    "NumberedPdf",
    "begin",
    "berlin",
    "day_de",
    "day_en",
    "issuer",
    "keep",
    "section",
    "statement",
    "utc",
    "when",
]

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

import prequalification

_FONTS = Path(prequalification.__file__).parent / "fonts"
FONT = "DejaVu"
_SHOWN_IN = ZoneInfo("Europe/Berlin")
_GREY = (90, 90, 90)
_WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Layout in millimetres on A4 portrait; the footer sits in the bottom margin.
MARGIN = 20.0
WIDTH = 210.0 - 2 * MARGIN
INDENT = 9.0
_BOTTOM = 22.0


class NumberedPdf(FPDF):
    """A4 portrait with the document's number and the page count in every page's footer."""

    def __init__(self, number: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.number = number

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*_GREY)
        self.cell(WIDTH / 2, 4, self.number, align=Align.L)
        page = self.page_no()
        # {nb} is the total, filled in by fpdf2 when the document is written.
        self.cell(WIDTH / 2, 4, f"Seite {page} von {{nb}} / Page {page} of {{nb}}", align=Align.R)
        self.set_text_color(0, 0, 0)


def begin(
    number: str,
    moment: datetime,
    title: tuple[str, str],
    *,
    instance_name: dict[str, str],
    operator: dict[str, str],
    state: str,
) -> NumberedPdf:
    """A new document with its metadata, the platform's header, its title and its number.

    Args:
        number: The document's number, in the footer of every page.
        moment: The document's own moment (aware), its creation date.
        title: The title in German and in English.
        instance_name: The platform's name, ``"de"`` and ``"en"``.
        operator: Who runs the platform, ``"de"`` and ``"en"``.
        state: The state (Land) as it names itself.
    """
    pdf = NumberedPdf(number)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_BOTTOM)
    pdf.add_font(FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{title[0]} {number}")
    pdf.set_subject(f"{title[0]} / {title[1]} {number}")
    pdf.set_author(operator["de"])
    pdf.set_creator(instance_name["de"])
    pdf.set_lang("de-DE")
    pdf.set_creation_date(_aware(moment).astimezone(UTC))
    pdf.add_page()
    pdf.set_text_color(*_GREY)
    pdf.set_font(FONT, "", 9)
    for line in (state, f"{instance_name['de']} · {instance_name['en']}"):
        pdf.multi_cell(WIDTH, 4.5, line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_GREY)
    pdf.line(MARGIN, pdf.get_y() + 2, MARGIN + WIDTH, pdf.get_y() + 2)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(pdf.get_y() + 6)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(WIDTH, 8.5, title[0], align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 13)
    pdf.multi_cell(WIDTH, 6.5, title[1], align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    section(pdf, "Nummer / Number", [number], first_bold=True)
    return pdf


def keep(pdf: FPDF, height: float) -> None:
    """Start a new page unless ``height`` millimetres are left on this one."""
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()


def section(pdf: FPDF, title: str, lines: list[str], *, first_bold: bool = False) -> None:
    """A grey heading and its lines below what is there, wrapped to the text width."""
    keep(pdf, 14)
    pdf.set_xy(MARGIN, pdf.get_y() + 3.5)
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(WIDTH, 5, title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    for index, line in enumerate(lines):
        pdf.set_font(FONT, "B" if first_bold and index == 0 else "", 10)
        pdf.multi_cell(WIDTH, 4.7, line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def statement(pdf: FPDF, de: str, en: str) -> None:
    """A paragraph in German and the same in grey English below it."""
    keep(pdf, 20)
    pdf.set_xy(MARGIN, pdf.get_y() + 5)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(WIDTH, 4.2, de, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(WIDTH, 4.2, en, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def issuer(pdf: FPDF, instance_name: dict[str, str], operator: dict[str, str]) -> None:
    """Who runs the platform, and the note on the seal the platform puts on the document."""
    section(pdf, "Betreiber der Plattform / Platform operator", [operator["de"], operator["en"]])
    statement(
        pdf,
        f"Dieses Dokument wurde von der {instance_name['de']} erstellt und mit ihrem "
        "elektronischen Siegel versehen; jede spätere Änderung macht das Siegel ungültig.",
        f"This document was made by the {instance_name['en']} and carries its electronic "
        "seal; any later change invalidates the seal.",
    )


def when(moment: datetime) -> str:
    """``2026-03-27 09:00:05 UTC (27.03.2026, 10:00:05 MEZ)``."""
    return f"{utc(moment)} ({berlin(moment)})"


def utc(moment: datetime) -> str:
    """``2026-03-27 09:00:05 UTC``."""
    return f"{_aware(moment).astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def berlin(moment: datetime) -> str:
    """``27.03.2026, 10:00:05 MEZ``, or ``MESZ`` in summer time."""
    local = _aware(moment).astimezone(_SHOWN_IN)
    zone = "MESZ" if local.dst() not in (None, timedelta(0)) else "MEZ"
    return f"{local:%d.%m.%Y, %H:%M:%S} {zone}"


def day_de(day: date, *, genitive: bool = False) -> str:
    """``Donnerstag, 12.03.2026``; ``Donnerstags, 12.03.2026`` after "mit Ablauf des"."""
    return f"{_WEEKDAYS_DE[day.weekday()]}{'s' if genitive else ''}, {day:%d.%m.%Y}"


def day_en(day: date) -> str:
    """``Thursday, 12 March 2026``."""
    return f"{_WEEKDAYS_EN[day.weekday()]}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _aware(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"a naive time cannot be shown: {moment.isoformat()}")
    return moment.replace(microsecond=0)
