"""The documents of a pre-qualification certificate: a sealed PDF and a sealed JSON form.

Approving an application issues a certificate (DESIGN.md §3); what the company receives and
anyone can check is made here from the certificate's :class:`CertificateFacts`, by pure
functions: :func:`render_pdf` lays out an A4 certificate (German first, English second, a QR
code with the verification address) and :func:`render_json` writes the same facts as canonical
JSON for machines. :func:`issue_documents` renders both and has the platform's seal certify them:
the PDF as PAdES B-LTA, the JSON with a detached CAdES signature (a ``.p7s`` beside it).

The PDF embeds DejaVu Sans (bundled in ``prequalification/fonts`` with its licence), because the
PDF core fonts cover only Latin-1 and company names do not (``Łódź Bau sp. z o.o.``). For the
same facts the same bytes come out: the creation date is the time of issue and nothing else
varies, so a document can be rendered again and compared.
"""

from __future__ import annotations

__all__ = [
    "CERTIFICATE_TYPE",
    "CertificateFacts",
    "DocumentSealer",
    "IssuedDocuments",
    "issue_documents",
    "parse_json",
    "render_json",
    "render_pdf",
]

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Final, Literal, Protocol
from zoneinfo import ZoneInfo

import msgspec
import segno
from babel import Locale
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from infra.profile import Language

CERTIFICATE_TYPE: Final = "vergabe.pq-certificate/1"
"""The ``type`` of the machine-readable form; a new layout of the JSON gets a new number."""

Category = Literal["works", "supplies", "services"]
Division = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]

_FONTS = Path(__file__).parent / "fonts"
_FONT = "DejaVu"
_SHOWN_IN = ZoneInfo("Europe/Berlin")
_CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "works": ("Bauleistungen", "Works"),
    "supplies": ("Lieferleistungen", "Supplies"),
    "services": ("Dienstleistungen", "Services"),
}

# Layout in millimetres on A4 portrait. The QR block sits at a fixed place at the bottom right;
# the text above it must end before it (checked while rendering).
_MARGIN = 20.0
_WIDTH = 210.0 - 2 * _MARGIN
_QR_SIZE = 36.0
_QR_X = 210.0 - _MARGIN - _QR_SIZE
_QR_Y = 232.0
_QUIET = 8.0
"""Free space around the QR code: at least its quiet zone of 4 modules (7 mm at version 1)."""
_NOTE_WIDTH = _QR_X - _MARGIN - _QUIET
_GREY = (90, 90, 90)


class CertificateFacts(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a certificate document states; both forms are made from these alone."""

    number: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}-PQ-[0-9]{4}-[0-9]{6}$")]
    """Certificate number, e.g. ``HB-PQ-2026-000042``."""
    company_name: str
    """The company's legal name as registered."""
    street: str
    postal_code: str
    city: str
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
    """ISO 3166-1 alpha-2 code (``DE``, ``PL``); the PDF shows the country's name."""
    register_court: str | None = None
    """Register court (``Amtsgericht Bremen``), when the company is in a commercial register."""
    register_number: str | None = None
    """Register number (``HRB 12345``)."""
    vat_id: str | None = None
    """VAT identification number (``DE123456789``)."""
    categories: tuple[Category, ...]
    """Kinds of contract covered."""
    cpv_divisions: tuple[Division, ...]
    """Two-digit CPV divisions covered (``45`` construction work)."""
    valid_from: date
    """First day of validity."""
    valid_to: date
    """Last day of validity (included)."""
    issued_at: datetime
    """When the certificate was issued (UTC); also the PDF's creation date."""
    verify_url: str
    """Where anyone can check the certificate and its current status; the QR code holds it."""
    instance_name: dict[Language, str]
    """The platform's name in German and English (profile ``instance.name``)."""
    operator: dict[Language, str]
    """Who runs the platform and issues the certificate (profile ``instance.operator``)."""
    state: str
    """The state (Land) as it names itself (profile ``instance.state``)."""


@dataclass(frozen=True)
class IssuedDocuments:
    """The sealed forms of one certificate."""

    pdf: bytes
    """The certificate as PDF, certified with the seal (PAdES B-LTA)."""
    json: bytes
    """The machine-readable form (:func:`render_json`), exactly the bytes that were sealed."""
    json_signature: bytes
    """Detached CAdES signature over :attr:`json` (DER CMS, a ``.p7s`` file)."""


class DocumentSealer(Protocol):
    """What :func:`issue_documents` needs of :class:`signatures.seal.Sealer`."""

    async def seal(
        self, pdf: bytes, *, reason: str | None = None, location: str | None = None
    ) -> bytes: ...

    async def seal_detached(self, data: bytes) -> bytes: ...


async def issue_documents(facts: CertificateFacts, sealer: DocumentSealer) -> IssuedDocuments:
    """Render both forms of the certificate and seal them.

    Raises:
        signatures.errors.SealingFailed: Either seal failed or did not validate; nothing of
            the certificate's documents may then be handed out.
    """
    pdf = await sealer.seal(render_pdf(facts), reason="Präqualifizierungsurkunde")
    data = render_json(facts)
    signature = await sealer.seal_detached(data)
    return IssuedDocuments(pdf=pdf, json=data, json_signature=signature)


# --- machine-readable form ------------------------------------------------------------------


class _Address(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    street: str
    postal_code: str
    city: str
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]


class _Register(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    court: str | None
    number: str | None


class _Company(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    address: _Address
    register: _Register | None
    vat_id: str | None


class _Scope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    categories: tuple[Category, ...]
    cpv_divisions: tuple[Division, ...]


class _Issuer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: dict[Language, str]
    operator: dict[Language, str]
    state: str


class _Document(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["vergabe.pq-certificate/1"]
    number: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}-PQ-[0-9]{4}-[0-9]{6}$")]
    company: _Company
    scope: _Scope
    valid_from: date
    valid_to: date
    issued_at: datetime
    issuer: _Issuer
    verify_url: str


def render_json(facts: CertificateFacts) -> bytes:
    """The certificate as canonical JSON: the bytes the detached seal signs.

    Canonical: keys sorted at every level, no whitespace, UTF-8 (characters beyond ASCII are
    not escaped), absent optional values as ``null``; dates as ``YYYY-MM-DD``, the time of issue
    as UTC ``YYYY-MM-DDTHH:MM:SSZ``. For this content (ASCII keys, no numbers) it is the
    RFC 8785 form, so the same facts always give the same bytes. Schema::

        {
          "type": "vergabe.pq-certificate/1",
          "number": "HB-PQ-2026-000042",
          "company": {
            "name": str,
            "address": {"street": str, "postal_code": str, "city": str, "country": "PL"},
            "register": {"court": str | null, "number": str | null} | null,
            "vat_id": str | null
          },
          "scope": {"categories": ["works" | "supplies" | "services", ...],
                    "cpv_divisions": ["45", ...]},
          "valid_from": "2026-03-27",
          "valid_to": "2029-03-26",          (last day included)
          "issued_at": "2026-03-27T09:00:00Z",
          "issuer": {"name": {"de": str, "en": str}, "operator": {"de": str, "en": str},
                     "state": str},
          "verify_url": "https://…/verify/HB-PQ-2026-000042"
        }
    """
    has_register = facts.register_court is not None or facts.register_number is not None
    document = _Document(
        type=CERTIFICATE_TYPE,
        number=facts.number,
        company=_Company(
            name=facts.company_name,
            address=_Address(
                street=facts.street,
                postal_code=facts.postal_code,
                city=facts.city,
                country=facts.country,
            ),
            register=_Register(court=facts.register_court, number=facts.register_number)
            if has_register
            else None,
            vat_id=facts.vat_id,
        ),
        scope=_Scope(categories=facts.categories, cpv_divisions=facts.cpv_divisions),
        valid_from=facts.valid_from,
        valid_to=facts.valid_to,
        issued_at=facts.issued_at.astimezone(UTC),
        issuer=_Issuer(name=facts.instance_name, operator=facts.operator, state=facts.state),
        verify_url=facts.verify_url,
    )
    return msgspec.json.encode(document, order="sorted")


def parse_json(data: bytes) -> CertificateFacts:
    """The facts in a machine-readable certificate (:func:`render_json`'s inverse).

    Raises:
        msgspec.ValidationError: Not a ``vergabe.pq-certificate/1`` document.
    """
    document = msgspec.json.decode(data, type=_Document)
    company = document.company
    register = company.register or _Register(court=None, number=None)
    return CertificateFacts(
        number=document.number,
        company_name=company.name,
        street=company.address.street,
        postal_code=company.address.postal_code,
        city=company.address.city,
        country=company.address.country,
        register_court=register.court,
        register_number=register.number,
        vat_id=company.vat_id,
        categories=document.scope.categories,
        cpv_divisions=document.scope.cpv_divisions,
        valid_from=document.valid_from,
        valid_to=document.valid_to,
        issued_at=document.issued_at,
        verify_url=document.verify_url,
        instance_name=document.issuer.name,
        operator=document.issuer.operator,
        state=document.issuer.state,
    )


# --- PDF --------------------------------------------------------------------------------------


def render_pdf(facts: CertificateFacts) -> bytes:
    """The certificate as an unsigned A4 PDF, German first, English second.

    Raises:
        ValueError: The facts do not fit on one page (a name of several hundred characters).
    """
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=False)
    pdf.add_font(_FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Präqualifizierungsurkunde {facts.number}")
    pdf.set_subject(f"Präqualifizierungsurkunde / Pre-qualification certificate {facts.number}")
    pdf.set_author(facts.operator["de"])
    pdf.set_creator(facts.instance_name["de"])
    pdf.set_lang("de-DE")
    pdf.set_creation_date(facts.issued_at.astimezone(UTC))
    pdf.add_page()

    _header(pdf, facts)
    _section(pdf, "Unternehmen / Company", _company_lines(facts), first_bold=True)
    _section(pdf, "Umfang / Scope", _scope_lines(facts))
    _validity_and_issuer(pdf, facts)
    _statement(pdf, facts)
    if pdf.get_y() > _QR_Y - _QUIET:
        raise ValueError("the certificate's facts do not fit on one page")
    _verification(pdf, facts)
    return bytes(pdf.output())


def _header(pdf: FPDF, facts: CertificateFacts) -> None:
    pdf.set_text_color(*_GREY)
    pdf.set_font(_FONT, "", 9)
    pdf.cell(_WIDTH, 4.5, facts.state, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        _WIDTH,
        4.5,
        f"{facts.instance_name['de']} · {facts.instance_name['en']}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*_GREY)
    pdf.line(_MARGIN, pdf.get_y() + 2, _MARGIN + _WIDTH, pdf.get_y() + 2)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(pdf.get_y() + 7)
    pdf.set_font(_FONT, "B", 22)
    pdf.cell(_WIDTH, 10, "Präqualifizierungsurkunde", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 14)
    pdf.cell(_WIDTH, 7, "Pre-qualification certificate", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 4)
    pdf.set_font(_FONT, "", 9)
    pdf.set_text_color(*_GREY)
    pdf.cell(_WIDTH, 4.5, "Nummer / Number", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(_WIDTH, 9, facts.number, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section(
    pdf: FPDF,
    title: str,
    lines: list[str],
    *,
    first_bold: bool = False,
    x: float = _MARGIN,
    width: float = _WIDTH,
    size: float = 11,
) -> float:
    """A grey heading and its lines from the current height at ``x``; returns where it ends."""
    pdf.set_xy(x, pdf.get_y() + 4)
    pdf.set_font(_FONT, "B", 9)
    pdf.set_text_color(*_GREY)
    pdf.cell(width, 5, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    for index, line in enumerate(lines):
        pdf.set_font(_FONT, "B" if first_bold and index == 0 else "", size)
        pdf.multi_cell(width, size * 0.47, line, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _company_lines(facts: CertificateFacts) -> list[str]:
    lines = [facts.company_name, facts.street, f"{facts.postal_code} {facts.city}"]
    lines.append(_country(facts.country))
    register = " ".join(part for part in (facts.register_court, facts.register_number) if part)
    if register:
        lines.append(f"Register: {register}")
    if facts.vat_id:
        lines.append(f"USt-IdNr. / VAT ID: {facts.vat_id}")
    return lines


def _country(code: str) -> str:
    de = Locale("de").territories.get(code, code)
    en = Locale("en").territories.get(code, code)
    return de if de == en else f"{de} / {en}"


def _scope_lines(facts: CertificateFacts) -> list[str]:
    lines = [
        " / ".join(_CATEGORY_NAMES[category])
        for category in sorted(facts.categories, key=list(_CATEGORY_NAMES).index)
    ]
    lines.append("CPV-Abteilungen / CPV divisions: " + ", ".join(sorted(facts.cpv_divisions)))
    return lines


def _validity_and_issuer(pdf: FPDF, facts: CertificateFacts) -> None:
    """Validity on the left, the issuing body on the right."""
    top = pdf.get_y()
    start, end = _day(facts.valid_from), _day(facts.valid_to)
    issued = facts.issued_at.astimezone(_SHOWN_IN)
    column = (_WIDTH - 6) / 2
    left = _section(
        pdf,
        "Gültigkeit / Validity",
        [
            f"{start} – {end}",
            "letzter Tag eingeschlossen / last day included",
            f"ausgestellt am / issued on {_day(issued.date())}, {issued:%H:%M} Uhr",
        ],
        first_bold=True,
        width=column,
        size=10,
    )
    pdf.set_y(top)
    right = _section(
        pdf,
        "Ausstellende Stelle / Issuing body",
        [facts.operator["de"], facts.operator["en"]],
        x=_MARGIN + column + 6,
        width=column,
        size=10,
    )
    pdf.set_xy(_MARGIN, max(left, right))


def _day(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _statement(pdf: FPDF, facts: CertificateFacts) -> None:
    scope = "für den angegebenen Umfang und Zeitraum"
    de = (
        f"Das Unternehmen ist {scope} im Präqualifizierungsverzeichnis der "
        f"{facts.instance_name['de']} eingetragen. Die Eintragung kann als Nachweis der Eignung "
        "und des Nichtvorliegens von Ausschlussgründen dienen (§ 122 Abs. 3 GWB) und begründet "
        "eine Vermutung der Eignung hinsichtlich der Anforderungen, die ihr zugrunde liegen "
        "(§ 48 Abs. 8 VgV). Maßgeblich ist der aktuelle Stand im Verzeichnis."
    )
    en = (
        f"The company is entered for the stated scope and period in the pre-qualification "
        f"register of the {facts.instance_name['en']}. The entry may serve as evidence of "
        "suitability and of the absence of grounds for exclusion (section 122(3) GWB) and "
        "creates a presumption of suitability for the requirements it is based on "
        "(section 48(8) VgV). The current state of the register prevails."
    )
    pdf.set_y(pdf.get_y() + 5)
    pdf.set_font(_FONT, "", 9)
    pdf.multi_cell(_WIDTH, 4.2, de, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(pdf.get_y() + 1.5)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(_WIDTH, 4.2, en, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)


def _verification(pdf: FPDF, facts: CertificateFacts) -> None:
    """The seal note at the bottom left, the QR code of the address at the right, the address
    printed under it."""
    pdf.set_xy(_MARGIN, _QR_Y)
    pdf.set_font(_FONT, "B", 9)
    pdf.multi_cell(
        _NOTE_WIDTH,
        4.2,
        "Elektronisch gesiegelt / Sealed electronically",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FONT, "", 8.5)
    pdf.multi_cell(
        _NOTE_WIDTH,
        4,
        "Diese Urkunde ist mit dem elektronischen Siegel der ausstellenden Stelle versehen. "
        "Echtheit und aktuellen Status können Sie unter der Adresse im QR-Code prüfen.",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(pdf.get_y() + 1)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(
        _NOTE_WIDTH,
        4,
        "This certificate carries the electronic seal of the issuing body. Its authenticity "
        "and current status can be verified at the address in the QR code.",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)
    module = _qr_code(pdf, facts.verify_url, x=_QR_X, y=_QR_Y, size=_QR_SIZE)
    pdf.set_font(_FONT, "", 8)
    pdf.set_xy(_MARGIN, _QR_Y + _QR_SIZE + 4 * module)  # below the quiet zone
    # No link annotation: fpdf2 writes a page's annotations as direct objects, and pyHanko's
    # change analysis then no longer recognises the seal's own revisions as permitted.
    pdf.cell(_WIDTH, 4, facts.verify_url, align=Align.R)


def _qr_code(pdf: FPDF, text: str, *, x: float, y: float, size: float) -> float:
    """``text`` as QR code (level M or better) drawn in vectors, the symbol filling a ``size``
    square at ``x``, ``y``; returns the module size. The white page around it is the quiet zone:
    the caller keeps 4 modules free on every side."""
    matrix = segno.make(text, error="m").matrix
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            run = column
            while run < len(cells) and cells[run]:
                run += 1
            pdf.rect(
                x + column * module, y + row * module, (run - column) * module, module, style="F"
            )
            column = run
    return module
