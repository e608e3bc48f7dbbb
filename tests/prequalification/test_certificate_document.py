"""The certificate's PDF and JSON forms, read back with independent tools.

The PDF's text comes out through poppler's ``pdftotext``; its QR code is checked on the page as
poppler renders it: the symbol is located in the bitmap, sampled module by module and compared
with the symbol segno makes for the verification address. Sealing both forms is tested with the
seal and the timestamp authority in :mod:`tests.signatures.test_seal_detached`.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
import segno
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from prequalification.certificate_document import (
    CERTIFICATE_TYPE,
    CertificateFacts,
    parse_json,
    render_json,
    render_pdf,
)

VERIFY_URL = "https://vergabe.bremen.de/verify/HB-PQ-2026-000042"


def make_facts(**changes: Any) -> CertificateFacts:
    """A certificate of a Polish company (name beyond Latin-1) for works and services."""
    facts: dict[str, Any] = {
        "number": "HB-PQ-2026-000042",
        "company_name": "Łódź Bau sp. z o.o.",
        "street": "ul. Piotrkowska 104",
        "postal_code": "90-926",
        "city": "Łódź",
        "country": "PL",
        "register_court": "Sąd Rejonowy dla Łodzi-Śródmieścia",
        "register_number": "KRS 0000123456",
        "vat_id": "PL7251234567",
        "categories": ("works", "services"),
        "cpv_divisions": ("45", "71"),
        "valid_from": date(2026, 3, 27),
        "valid_to": date(2029, 3, 26),
        "issued_at": datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
        "verify_url": VERIFY_URL,
        "instance_name": {"de": "Vergabeplattform Bremen", "en": "Bremen Procurement Platform"},
        "operator": {
            "de": "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen",
            "en": "Senator for Economic Affairs, Ports and Transformation, Bremen",
        },
        "state": "Freie Hansestadt Bremen",
    }
    facts.update(changes)
    return CertificateFacts(**facts)


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return " ".join(result.stdout.decode().split())


def _page_bitmap(pdf: bytes, tmp_path: Path, dpi: int = 300) -> Image.Image:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    return Image.open(tmp_path / "page.pgm").convert("L")


def _read_qr_modules(page: Image.Image) -> list[list[bool]]:
    """The QR symbol at the page's lower right, module by module (True = dark).

    The symbol's top edge is the first dark row there; in it the top edges of the two upper
    finder patterns give the left and right edges, the first run (7 modules) the module size.
    """
    width, height = page.size
    region = page.crop((int(width * 0.71), int(height * 0.75), width, height))
    pixels = region.load()
    assert pixels is not None
    w, h = region.size

    def dark(x: int, y: int) -> bool:
        value = pixels[x, y]
        assert isinstance(value, int)
        return value < 128

    top = next(y for y in range(h) if any(dark(x, y) for x in range(w)))
    row = [x for x in range(w) if dark(x, top)]
    left, right = row[0], row[-1]
    run = next(x for x in range(left, w) if not dark(x, top)) - left
    module = run / 7
    count = round((right - left + 1) / module)
    module = (right - left + 1) / count
    return [
        [dark(int(left + (c + 0.5) * module), int(top + (r + 0.5) * module)) for c in range(count)]
        for r in range(count)
    ]


class TestRenderPdf:
    def test_states_number_company_scope_validity_and_address_in_both_languages(
        self, tmp_path: Path
    ) -> None:
        # Given the facts of a certificate for a company with a name beyond Latin-1
        facts = make_facts()
        # When the PDF is rendered and its text extracted by poppler
        text = _text(render_pdf(facts), tmp_path)
        # Then it names the certificate in German, then English, with its number
        assert text.index("Präqualifizierungsurkunde") < text.index("Pre-qualification certificate")
        assert "HB-PQ-2026-000042" in text
        # and the company exactly as registered, its address and register entry
        assert "Łódź Bau sp. z o.o." in text
        assert "90-926 Łódź" in text
        assert "Polen / Poland" in text
        assert "Sąd Rejonowy dla Łodzi-Śródmieścia KRS 0000123456" in text
        assert "PL7251234567" in text
        # and the scope: categories in both languages, the CPV divisions
        assert "Bauleistungen / Works" in text
        assert "Dienstleistungen / Services" in text
        assert "Lieferleistungen" not in text
        assert "CPV divisions: 45, 71" in text
        # and the validity in German date format, the time of issue in Berlin (CET here)
        assert "27.03.2026 – 26.03.2029" in text
        assert "27.03.2026, 10:00 Uhr" in text
        # and the legal basis, the issuing body, the seal note and the address to verify at
        assert "§ 122 Abs. 3 GWB" in text
        assert "§ 48 Abs. 8 VgV" in text
        assert "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen" in text
        assert "Elektronisch gesiegelt / Sealed electronically" in text
        assert VERIFY_URL in text

    def test_time_of_issue_is_shown_in_berlin_summer_time(self, tmp_path: Path) -> None:
        # Given a certificate issued at 22:30 UTC on 30 June (00:30 on 1 July in Berlin, CEST)
        facts = make_facts(issued_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
        # When it is rendered
        text = _text(render_pdf(facts), tmp_path)
        # Then the date and time of issue are Berlin's
        assert "issued on 01.07.2026, 00:30 Uhr" in text

    def test_optional_company_facts_are_left_out_when_absent(self, tmp_path: Path) -> None:
        # Given a German company without register entry or VAT id
        facts = make_facts(
            company_name="Müller & Söhne Tiefbau",
            country="DE",
            register_court=None,
            register_number=None,
            vat_id=None,
            categories=("supplies",),
            cpv_divisions=("44", "03"),
        )
        # When it is rendered
        text = _text(render_pdf(facts), tmp_path)
        # Then no empty register or VAT line appears
        assert "Register:" not in text
        assert "VAT ID" not in text
        assert "Deutschland / Germany" in text
        assert "Lieferleistungen / Supplies" in text
        assert "CPV divisions: 03, 44" in text

    def test_qr_code_on_the_page_is_the_symbol_of_the_verify_url(self, tmp_path: Path) -> None:
        # Given a rendered certificate
        pdf = render_pdf(make_facts())
        # When the page is rasterised by poppler and the QR symbol read module by module
        modules = _read_qr_modules(_page_bitmap(pdf, tmp_path))
        # Then it is exactly the symbol that encodes the verification address
        expected = [
            [bool(cell) for cell in row] for row in segno.make(VERIFY_URL, error="m").matrix
        ]
        assert modules == expected

    def test_metadata_names_the_certificate_and_the_german_language(self) -> None:
        # Given a rendered certificate
        reader = PdfFileReader(BytesIO(render_pdf(make_facts())))
        # When its document information and catalogue are read
        info = reader.trailer["/Info"]
        # Then the title names the certificate, the language is German, the date is of issue
        assert info["/Title"] == "Präqualifizierungsurkunde HB-PQ-2026-000042"
        assert reader.root["/Lang"] == "de-DE"
        assert str(info["/CreationDate"]).startswith("D:20260327090000")

    def test_fonts_are_embedded(self, tmp_path: Path) -> None:
        # Given a rendered certificate
        path = tmp_path / "certificate.pdf"
        path.write_bytes(render_pdf(make_facts()))
        # When poppler lists its fonts
        listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True)
        fonts = listing.stdout.decode().splitlines()[2:]
        # Then every one is an embedded DejaVu subset (no dependency on the reader's fonts)
        assert len(fonts) == 2
        for line in fonts:
            assert "DejaVuSans" in line
            assert line.split()[-5:-2] == ["yes", "yes", "yes"]

    def test_same_facts_give_the_same_bytes(self) -> None:
        # Given the same facts rendered twice
        first, second = render_pdf(make_facts()), render_pdf(make_facts())
        # Then the documents are identical, and another time of issue changes them
        assert first == second
        later = render_pdf(make_facts(issued_at=datetime(2026, 3, 27, 9, 1, tzinfo=UTC)))
        assert later != first

    def test_facts_too_long_for_one_page_are_refused(self) -> None:
        # Given a company name of absurd length
        facts = make_facts(company_name="Bau " * 400)
        # When it is rendered
        # Then rendering refuses rather than overprinting the QR code
        with pytest.raises(ValueError, match="one page"):
            render_pdf(facts)


class TestRenderJson:
    def test_is_canonical_json_of_the_documented_schema(self) -> None:
        # Given the facts of a certificate
        data = render_json(make_facts())
        # When it is read as JSON
        document = json.loads(data)
        # Then it is in canonical form: sorted keys, no whitespace, UTF-8 unescaped
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert data == canonical.encode()
        assert "Łódź Bau sp. z o.o.".encode() in data
        # and it has the documented shape with ISO dates and a UTC time of issue
        assert document["type"] == CERTIFICATE_TYPE == "vergabe.pq-certificate/1"
        assert document["number"] == "HB-PQ-2026-000042"
        assert document["company"]["address"]["country"] == "PL"
        assert document["company"]["register"] == {
            "court": "Sąd Rejonowy dla Łodzi-Śródmieścia",
            "number": "KRS 0000123456",
        }
        assert document["scope"] == {
            "categories": ["works", "services"],
            "cpv_divisions": ["45", "71"],
        }
        assert (document["valid_from"], document["valid_to"]) == ("2026-03-27", "2029-03-26")
        assert document["issued_at"] == "2026-03-27T09:00:00Z"
        assert document["issuer"]["name"]["en"] == "Bremen Procurement Platform"
        assert document["verify_url"] == VERIFY_URL

    def test_absent_optional_facts_are_null(self) -> None:
        # Given a company without register entry or VAT id
        document = json.loads(
            render_json(make_facts(register_court=None, register_number=None, vat_id=None))
        )
        # Then both are null
        assert document["company"]["register"] is None
        assert document["company"]["vat_id"] is None

    def test_time_of_issue_is_written_in_utc(self) -> None:
        # Given a time of issue given in Berlin time
        facts = make_facts(issued_at=datetime(2026, 3, 27, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")))
        # When it is written
        # Then the JSON holds the same instant in UTC
        assert json.loads(render_json(facts))["issued_at"] == "2026-03-27T09:00:00Z"

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"register_court": None, "register_number": None, "vat_id": None},
            {"register_court": None, "register_number": "HRB 4711"},
        ],
    )
    def test_round_trips(self, changes: dict[str, Any]) -> None:
        # Given certificate facts
        facts = make_facts(**changes)
        # When they are written and read back
        # Then the same facts come out, and writing them again gives the same bytes
        assert parse_json(render_json(facts)) == facts
        assert render_json(parse_json(render_json(facts))) == render_json(facts)

    def test_other_documents_are_refused(self) -> None:
        # Given a JSON document of another type
        data = render_json(make_facts()).replace(b"pq-certificate/1", b"pq-certificate/2")
        # When it is read
        # Then it is refused
        with pytest.raises(msgspec.ValidationError):
            parse_json(data)
