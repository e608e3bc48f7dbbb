"""The documents of a bid: the receipt of a submission and the minutes of the opening.

Both are rendered here as unsigned A4 PDFs by pure functions; the platform seals them afterwards.
They follow the pre-qualification certificate (:mod:`prequalification.certificate_document`):
DejaVu Sans from ``prequalification/fonts`` (company names go beyond Latin-1), German first and
English second in every label, the same metadata. Unlike the certificate they may run to several
pages; every page carries the document's number and "Seite n von m / Page n of m".

:func:`render_receipt` makes the *Eingangsbestätigung* a company gets for each submission,
resubmission or withdrawal of its bid: the tender, the company and who acted for it, the moment
of receipt and the deadline, the lots the bid covers (their numbers only), every document with
its size and SHA-256, and the SHA-256 of the whole bid (its manifest). It states that the bid came
in time and stays encrypted and sealed until the opening (§ 54 VgV), or, for a withdrawal, that
the bid was withdrawn then and will not be opened. The receipt never states a price: it is the
company's proof of *what* it handed in and *when*, nobody may know the content of a bid before
the opening (§ 55 Abs. 1 VgV), and the receipt itself is stored, so prices are not among its facts.

:func:`render_minutes` makes the *Niederschrift* of the opening (§ 55 VgV): the tender and its
deadline, the officer who started the opening and the one who confirmed it (that moment is the
opening), the statement that two representatives of the authority opened the bids jointly and
without bidders (§ 55 Abs. 2 VgV), every opened bid in position order with its receipt, each lot
with its net price, the number of documents and the result of the signature checks, the number
of bids withdrawn before the deadline and the anomalies of the procedure.

Every moment appears twice: in UTC to the second and in Berlin time with MEZ or MESZ. Fractions
of a second are cut, not rounded, so a bid received at 09:59:59.9 never looks as if it came at
10:00:00. For the same facts the same bytes come out: the creation date is the document's own
moment.
"""

from __future__ import annotations

__all__ = [
    "MinutesBid",
    "MinutesDocument",
    "MinutesLot",
    "ReceiptDocument",
    "ReceiptEntry",
    "render_minutes",
    "render_receipt",
]

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from procurement.pdf_layout import (
    FONT,
    INDENT,
    MARGIN,
    WIDTH,
    begin,
    berlin,
    issuer,
    keep,
    section,
    statement,
    utc,
    when,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GREY = (90, 90, 90)

# Layout in millimetres on A4 portrait; the footer sits in the bottom margin.
_NONE = "Keine / None"
_GERMAN_DIGITS = str.maketrans(",.", ".,")

_KINDS: dict[str, tuple[str, str]] = {
    "submission": ("Angebot", "Bid"),
    "resubmission": ("Geändertes Angebot", "Resubmitted bid"),
    "withdrawal": ("Rücknahme des Angebots", "Withdrawal of the bid"),
}


class ReceiptEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One document of a bid as its receipt lists it."""

    position: int  # 1-based place in the bid
    filename: str
    size: int  # bytes
    sha256: str  # 64 lowercase hex digits


class ReceiptDocument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a receipt states, deliberately without prices; times must be aware."""

    receipt_number: str  # HB-V-2026-000042-E-0003
    kind: Literal["submission", "resubmission", "withdrawal"]
    tender_number: str
    tender_title: str
    authority_name: str
    company_name: str
    submitted_by: str  # the person who acted for the company (name or e-mail)
    received_at: datetime  # the moment of receipt, also the PDF's creation date
    submission_deadline: datetime
    bid_sha256: str  # SHA-256 of the whole bid (its manifest)
    lots: tuple[int, ...]  # numbers of the lots the bid covers
    documents: tuple[ReceiptEntry, ...]  # empty for a withdrawal
    instance_name: dict[str, str]  # the platform's name, "de" and "en"
    operator: dict[str, str]  # who runs the platform and seals the receipt, "de" and "en"
    state: str  # the state (Land) as it names itself


class MinutesLot(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One lot of an opened bid."""

    lot_number: int
    lot_title: str
    price: Decimal  # net EUR, at most two decimal places


class MinutesBid(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One opened bid."""

    position: int
    company_name: str
    received_at: datetime  # receipt of the submission in force
    receipt_number: str
    lots: tuple[MinutesLot, ...]
    documents: int  # how many documents the bid has
    signatures: str | None
    """The signature checks in words (``3 von 3 gültig qualifiziert signiert``); ``None`` when
    the tender requires no signature."""


class MinutesDocument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the minutes of an opening state; times must be aware."""

    minutes_number: str  # HB-V-2026-000042-N
    tender_number: str
    tender_title: str
    authority_name: str
    submission_deadline: datetime
    started_at: datetime  # the first officer started the opening
    started_by: str
    confirmed_at: datetime  # the second officer confirmed: the opening, the PDF's creation date
    confirmed_by: str
    bids: tuple[MinutesBid, ...]
    withdrawn: int  # bids withdrawn before the deadline (not opened)
    anomalies: tuple[str, ...]  # sentences on anything out of the ordinary; may be empty
    instance_name: dict[str, str]
    operator: dict[str, str]
    state: str


# --- receipt ------------------------------------------------------------------------------------


def render_receipt(receipt: ReceiptDocument) -> bytes:
    """The receipt as an unsigned A4 PDF, German first, English second.

    Raises:
        ValueError: A naive time, a hash that is not 64 lowercase hex digits, or a receipt
            after the deadline (it would state that a late bid came in time).
    """
    received, deadline = when(receipt.received_at), when(receipt.submission_deadline)
    if receipt.received_at > receipt.submission_deadline:
        raise ValueError("a receipt cannot be issued after the submission deadline")
    kind_de, kind_en = _KINDS[receipt.kind]
    withdrawal = receipt.kind == "withdrawal"
    title = ("Eingangsbestätigung", "Receipt")
    pdf = begin(
        receipt.receipt_number,
        receipt.received_at,
        title,
        instance_name=receipt.instance_name,
        operator=receipt.operator,
        state=receipt.state,
    )
    section(pdf, "Art / Kind", [f"{kind_de} / {kind_en}"])
    section(pdf, "Vergabeverfahren / Tender", [receipt.tender_number, receipt.tender_title])
    section(pdf, "Öffentlicher Auftraggeber / Contracting authority", [receipt.authority_name])
    acted = "zurückgezogen von / withdrawn by" if withdrawal else "eingereicht von / submitted by"
    company = [receipt.company_name, f"{acted}: {receipt.submitted_by}"]
    section(pdf, "Unternehmen / Company", company, first_bold=True)
    section(pdf, "Eingang / Received", [received])
    section(pdf, "Angebotsfrist / Submission deadline", [deadline])
    lots = ", ".join(str(number) for number in sorted(receipt.lots)) or _NONE
    section(pdf, "Lose / Lots", [lots])
    section(pdf, "Prüfsumme des Angebots (SHA-256) / Checksum of the bid (SHA-256)", [])
    _hash(pdf, receipt.bid_sha256, x=MARGIN)
    _documents(pdf, receipt.documents)
    _receipt_statement(pdf, receipt)
    issuer(pdf, receipt.instance_name, receipt.operator)
    return bytes(pdf.output())


def _documents(pdf: FPDF, documents: tuple[ReceiptEntry, ...]) -> None:
    section(pdf, f"Dokumente / Documents ({len(documents)})", [] if documents else [_NONE])
    for entry in sorted(documents, key=lambda entry: entry.position):
        keep(pdf, 16)
        pdf.set_y(pdf.get_y() + 1.5)
        _numbered(pdf, entry.position, entry.filename, size=9.5)
        pdf.set_x(MARGIN + INDENT)
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(WIDTH - INDENT, 4.3, _size(entry.size), align=Align.L)
        _hash(pdf, entry.sha256, x=MARGIN + INDENT, prefix="SHA-256: ")


def _receipt_statement(pdf: FPDF, receipt: ReceiptDocument) -> None:
    local, universal = berlin(receipt.received_at), utc(receipt.received_at)
    if receipt.kind == "withdrawal":
        de = (
            f"Das Angebot wurde am {local} vor Ablauf der Angebotsfrist zurückgezogen. "
            "Es wird nicht geöffnet und nicht gewertet."
        )
        en = (
            f"The bid was withdrawn on {universal}, before the submission deadline. "
            "It will not be opened or evaluated."
        )
    else:
        what_de = "Das geänderte Angebot" if receipt.kind == "resubmission" else "Das Angebot"
        what_en = "The resubmitted bid" if receipt.kind == "resubmission" else "The bid"
        de = (
            f"{what_de} ist am {local} vor Ablauf der Angebotsfrist und damit rechtzeitig "
            "eingegangen. Es wird bis zur Öffnung der Angebote verschlüsselt und versiegelt "
            "gespeichert; vor der Öffnung kann niemand, auch nicht der Auftraggeber, von seinem "
            "Inhalt Kenntnis nehmen (§§ 54, 55 VgV)."
        )
        en = (
            f"{what_en} was received on {universal}, before the submission deadline, and thus in "
            "time. It is stored encrypted and sealed until the bids are opened; before the "
            "opening nobody, not even the contracting authority, can take note of its content "
            "(sections 54 and 55 VgV)."
        )
        if receipt.kind == "resubmission":
            de += " Es ersetzt das zuvor eingereichte Angebot."
            en += " It replaces the bid submitted before."
    statement(pdf, de, en)


# --- minutes ------------------------------------------------------------------------------------


def render_minutes(minutes: MinutesDocument) -> bytes:
    """The minutes of the opening as an unsigned A4 PDF, German first, English second.

    Raises:
        ValueError: A naive time, an opening started before the deadline or confirmed before
            it was started, or a price with more than two decimal places.
    """
    deadline = when(minutes.submission_deadline)
    started, confirmed = when(minutes.started_at), when(minutes.confirmed_at)
    if minutes.started_at < minutes.submission_deadline:
        raise ValueError("the bids cannot be opened before the submission deadline")
    if minutes.confirmed_at < minutes.started_at:
        raise ValueError("the opening cannot be confirmed before it was started")
    title = ("Niederschrift über die Öffnung der Angebote", "Record of the opening of bids")
    pdf = begin(
        minutes.minutes_number,
        minutes.confirmed_at,
        title,
        instance_name=minutes.instance_name,
        operator=minutes.operator,
        state=minutes.state,
    )
    section(pdf, "Vergabeverfahren / Tender", [minutes.tender_number, minutes.tender_title])
    section(pdf, "Öffentlicher Auftraggeber / Contracting authority", [minutes.authority_name])
    section(pdf, "Angebotsfrist / Submission deadline", [deadline])
    section(pdf, "Öffnung eingeleitet von / Opening started by", [minutes.started_by, started])
    section(pdf, "Öffnung bestätigt von / Opening confirmed by", [minutes.confirmed_by, confirmed])
    section(pdf, "Zeitpunkt der Öffnung / Time of opening", [confirmed])
    statement(
        pdf,
        "Die Angebote wurden nach Ablauf der Angebotsfrist gemeinsam von zwei Vertretern des "
        "öffentlichen Auftraggebers ohne Anwesenheit von Bietern geöffnet (§ 55 Abs. 2 VgV).",
        "The bids were opened after the submission deadline jointly by two representatives of "
        "the contracting authority, without bidders present (section 55(2) VgV).",
    )
    bids = sorted(minutes.bids, key=lambda bid: bid.position)
    section(pdf, f"Geöffnete Angebote / Opened bids ({len(bids)})", [] if bids else [_NONE])
    for bid in bids:
        _bid(pdf, bid)
    section(
        pdf,
        "Zurückgezogene Angebote / Withdrawn bids",
        [
            f"{minutes.withdrawn} (vor Ablauf der Angebotsfrist zurückgezogen, nicht geöffnet / "
            "withdrawn before the submission deadline, not opened)"
        ],
    )
    section(pdf, "Besonderheiten / Anomalies", list(minutes.anomalies) or [_NONE])
    issuer(pdf, minutes.instance_name, minutes.operator)
    return bytes(pdf.output())


def _bid(pdf: FPDF, bid: MinutesBid) -> None:
    keep(pdf, 30)
    pdf.set_draw_color(*_GREY)
    pdf.line(MARGIN, pdf.get_y() + 1.5, MARGIN + WIDTH, pdf.get_y() + 1.5)
    pdf.set_y(pdf.get_y() + 3)
    _numbered(pdf, bid.position, bid.company_name, size=10)
    lines = [
        f"Eingang / Received: {when(bid.received_at)}",
        f"Eingangsbestätigung / Receipt: {bid.receipt_number}",
    ]
    lines += [
        f"Los / Lot {lot.lot_number}: {lot.lot_title} – {_money(lot.price)} netto / net"
        for lot in sorted(bid.lots, key=lambda lot: lot.lot_number)
    ]
    lines.append(f"Dokumente / Documents: {bid.documents}")
    if bid.signatures is not None:
        lines.append(f"Signaturen / Signatures: {bid.signatures}")
    pdf.set_font(FONT, "", 9)
    for line in lines:
        pdf.set_x(MARGIN + INDENT)
        pdf.multi_cell(WIDTH - INDENT, 4.3, line, align=Align.L)


# --- shared layout ------------------------------------------------------------------------------


def _numbered(pdf: FPDF, number: int, text: str, *, size: float) -> None:
    """``number.`` in bold at the margin, ``text`` in bold beside it with a hanging indent."""
    pdf.set_font(FONT, "B", size)
    pdf.set_x(MARGIN)
    pdf.cell(INDENT, size * 0.47, f"{number}.")
    pdf.multi_cell(WIDTH - INDENT, size * 0.47, text, align=Align.L)


def _hash(pdf: FPDF, digest: str, *, x: float, prefix: str = "") -> None:
    """A SHA-256 in full on one line, or in two halves of 32 digits where one does not fit."""
    if not _SHA256.match(digest):
        raise ValueError(f"not a SHA-256 in lowercase hex: {digest!r}")
    pdf.set_font(FONT, "", 9)
    width = MARGIN + WIDTH - x
    lines = [prefix + digest]
    if pdf.get_string_width(lines[0]) > width - 1:
        lines = [prefix + digest[:32], " " * len(prefix) + digest[32:]]
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 4.3, line, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)


# --- values -------------------------------------------------------------------------------------


def _german(english: str) -> str:
    """``1,234.5`` → ``1.234,5``."""
    return english.translate(_GERMAN_DIGITS)


def _money(price: Decimal) -> str:
    """``1.234.567,89 EUR``."""
    cents = price.quantize(Decimal("0.01"))
    if cents != price:
        raise ValueError(f"a price has at most two decimal places: {price}")
    return f"{_german(f'{cents:,.2f}')} EUR"


def _size(size: int) -> str:
    """``980 Bytes``, ``1,0 MB (1.048.576 Bytes)``: decimal units, as file managers show them."""
    if size < 1000:
        return f"{size} Bytes"
    units = ("kB", "MB", "GB", "TB")
    value, index = size / 1000, 0
    while round(value, 1) >= 1000 and index < len(units) - 1:
        value, index = value / 1000, index + 1
    return f"{_german(f'{value:.1f}')} {units[index]} ({_german(f'{size:,}')} Bytes)"
