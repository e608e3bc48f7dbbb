"""The receipt of a bid and the minutes of the opening, read back with poppler.

The text comes out through ``pdftotext`` (whitespace folded, pages split at form feeds); where
the layout matters, ``pdftotext -bbox`` gives every word's box, which must lie inside the
margins. The metadata is read with pyHanko's PDF reader.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from procurement.bids.documents import (
    MinutesBid,
    MinutesDocument,
    MinutesLot,
    ReceiptDocument,
    ReceiptEntry,
    render_minutes,
    render_receipt,
)

WINTER = datetime(2026, 3, 27, 9, 0, 5, 987654, tzinfo=UTC)  # 10:00:05 MEZ in Berlin
SUMMER = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 00:30 MESZ on 1 July in Berlin
INSTANCE = {"de": "Vergabeplattform Bremen", "en": "Bremen Procurement Platform"}
OPERATOR = {
    "de": "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen",
    "en": "Senator for Economic Affairs, Ports and Transformation, Bremen",
}
LONG_TITLE = " ".join(["Sanierung"] * 30)[:300]
A4_WIDTH, A4_HEIGHT, MARGIN = 595.28, 841.89, 20 / 25.4 * 72


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry(position: int, **changes: Any) -> ReceiptEntry:
    facts: dict[str, Any] = {
        "position": position,
        "filename": f"Anlage_{position}_Leistungsverzeichnis.pdf",
        "size": 1_048_576,
        "sha256": sha(f"document {position}"),
    }
    return ReceiptEntry(**(facts | changes))


def make_receipt(**changes: Any) -> ReceiptDocument:
    """A submission by a Polish company (a name beyond Latin-1) for lots 1 and 3, in winter."""
    facts: dict[str, Any] = {
        "receipt_number": "HB-V-2026-000042-E-0003",
        "kind": "submission",
        "tender_number": "HB-V-2026-000042",
        "tender_title": "Sanierung der Grundschule am Pfälzer Weg",
        "authority_name": "Freie Hansestadt Bremen, Immobilien Bremen",
        "company_name": "Łódź Bau sp. z o.o.",
        "submitted_by": "Alice Muster",
        "received_at": WINTER,
        "submission_deadline": datetime(2026, 3, 30, 10, 0, tzinfo=UTC),
        "bid_sha256": sha("manifest"),
        "lots": (3, 1),
        "documents": (entry(2, filename="Preisblatt.xlsx", size=980), entry(1)),
        "instance_name": INSTANCE,
        "operator": OPERATOR,
        "state": "Freie Hansestadt Bremen",
    }
    return ReceiptDocument(**(facts | changes))


def bid(position: int, **changes: Any) -> MinutesBid:
    facts: dict[str, Any] = {
        "position": position,
        "company_name": f"Bieter {position} GmbH",
        "received_at": datetime(2026, 6, 29, 8, position, tzinfo=UTC),
        "receipt_number": f"HB-V-2026-000042-E-{position:04d}",
        "lots": (MinutesLot(lot_number=1, lot_title="Rohbau", price=Decimal("1234567.89")),),
        "documents": 12,
        "signatures": "3 von 3 gültig qualifiziert signiert",
    }
    return MinutesBid(**(facts | changes))


def make_minutes(**changes: Any) -> MinutesDocument:
    """An opening in summer of two bids, the second given first; one bid withdrawn."""
    facts: dict[str, Any] = {
        "minutes_number": "HB-V-2026-000042-N",
        "tender_number": "HB-V-2026-000042",
        "tender_title": "Sanierung der Grundschule am Pfälzer Weg",
        "authority_name": "Freie Hansestadt Bremen, Immobilien Bremen",
        "submission_deadline": datetime(2026, 6, 30, 8, 0, tzinfo=UTC),
        "started_at": datetime(2026, 6, 30, 8, 5, 12, tzinfo=UTC),
        "started_by": "Olga Vergabe",
        "confirmed_at": datetime(2026, 6, 30, 8, 7, 3, 250000, tzinfo=UTC),
        "confirmed_by": "Otto Zweit",
        "bids": (
            bid(
                2,
                company_name="Deichbau AG",
                lots=(
                    MinutesLot(lot_number=2, lot_title="Elektro", price=Decimal("999.50")),
                    MinutesLot(lot_number=1, lot_title="Rohbau", price=Decimal("1000")),
                ),
                documents=4,
                signatures=None,
            ),
            bid(1, company_name="Muster Bau GmbH"),
        ),
        "withdrawn": 1,
        "anomalies": (),
        "instance_name": INSTANCE,
        "operator": OPERATOR,
        "state": "Freie Hansestadt Bremen",
    }
    return MinutesDocument(**(facts | changes))


def _write(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return path


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of every page, whitespace folded to single spaces."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(_write(pdf, tmp_path)), "-"],
        check=True,
        capture_output=True,
    )
    pages = result.stdout.decode().split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]


def _text(pdf: bytes, tmp_path: Path) -> str:
    return " ".join(_pages(pdf, tmp_path))


def _assert_inside_margins(pdf: bytes, tmp_path: Path) -> None:
    """Every word's box lies within the side margins and above the bottom of the page."""
    out = tmp_path / "boxes.html"
    subprocess.run(["pdftotext", "-bbox", str(_write(pdf, tmp_path)), str(out)], check=True)
    boxes = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"',
        out.read_text(),
    )
    assert boxes
    for x_min, y_min, x_max, y_max in ((float(value) for value in box) for box in boxes):
        assert x_min >= MARGIN - 1
        assert x_max <= A4_WIDTH - MARGIN + 1
        assert y_min >= MARGIN - 8
        assert y_max <= A4_HEIGHT - 10 / 25.4 * 72


def _assert_footers(pages: list[str], number: str) -> None:
    """Every page names the document and counts itself among all pages."""
    for index, page in enumerate(pages, start=1):
        assert number in page
        assert f"Seite {index} von {len(pages)} / Page {index} of {len(pages)}" in page


class TestReceipt:
    def test_states_every_label_in_german_and_english(self, tmp_path: Path) -> None:
        # Given a submission's receipt
        text = _text(render_receipt(make_receipt()), tmp_path)
        # Then the title comes in German first, then English, and every label in both
        assert text.index("Eingangsbestätigung") < text.index("Receipt")
        for label in (
            "Nummer / Number",
            "Art / Kind",
            "Angebot / Bid",
            "Vergabeverfahren / Tender",
            "Öffentlicher Auftraggeber / Contracting authority",
            "Unternehmen / Company",
            "eingereicht von / submitted by: Alice Muster",
            "Eingang / Received",
            "Angebotsfrist / Submission deadline",
            "Lose / Lots",
            "Prüfsumme des Angebots (SHA-256) / Checksum of the bid (SHA-256)",
            "Dokumente / Documents (2)",
            "Betreiber der Plattform / Platform operator",
        ):
            assert label in text
        # and the facts of the tender and the company as given
        for fact in (
            "HB-V-2026-000042-E-0003",
            "HB-V-2026-000042",
            "Sanierung der Grundschule am Pfälzer Weg",
            "Freie Hansestadt Bremen, Immobilien Bremen",
            "Łódź Bau sp. z o.o.",
            OPERATOR["de"],
            OPERATOR["en"],
        ):
            assert fact in text

    def test_shows_winter_times_in_utc_and_mez_without_microseconds(self, tmp_path: Path) -> None:
        # Given a receipt at 09:00:05.987654 UTC on 27 March, the deadline on 30 March 10:00 UTC
        text = _text(render_receipt(make_receipt()), tmp_path)
        # Then the receipt is shown in UTC and in Berlin winter time, seconds cut, not rounded
        assert "2026-03-27 09:00:05 UTC" in text
        assert "27.03.2026, 10:00:05 MEZ" in text
        assert "09:00:06" not in text
        assert "987654" not in text
        # and the deadline, already in summer time (30 March), with MESZ
        assert "2026-03-30 10:00:00 UTC" in text
        assert "30.03.2026, 12:00:00 MESZ" in text

    def test_shows_summer_times_with_mesz(self, tmp_path: Path) -> None:
        # Given a receipt at 22:30 UTC on 30 June, the deadline a day later
        receipt = make_receipt(received_at=SUMMER, submission_deadline=SUMMER + timedelta(days=1))
        text = _text(render_receipt(receipt), tmp_path)
        # Then Berlin time is the next day in summer time
        assert "2026-06-30 22:30:00 UTC" in text
        assert "01.07.2026, 00:30:00 MESZ" in text
        assert "MEZ)" not in text

    def test_lists_lots_documents_and_hashes_in_full(self, tmp_path: Path) -> None:
        # Given a receipt with two documents given out of order and lots 3 and 1
        text = _text(render_receipt(make_receipt()), tmp_path)
        # Then the lots are listed by number
        assert "Lose / Lots 1, 3" in text
        # and the documents in position order with size and full SHA-256
        first = "1. Anlage_1_Leistungsverzeichnis.pdf 1,0 MB (1.048.576 Bytes)"
        second = "2. Preisblatt.xlsx 980 Bytes"
        assert text.index(first) < text.index(second)
        assert f"SHA-256: {sha('document 1')}" in text
        assert f"SHA-256: {sha('document 2')}" in text
        # and the hash of the whole bid
        assert sha("manifest") in text

    def test_states_receipt_in_time_and_sealed_storage(self, tmp_path: Path) -> None:
        text = _text(render_receipt(make_receipt()), tmp_path)
        assert "vor Ablauf der Angebotsfrist und damit rechtzeitig eingegangen" in text
        assert "verschlüsselt und versiegelt gespeichert" in text
        assert "before the submission deadline, and thus in time" in text
        assert "stored encrypted and sealed until the bids are opened" in text
        assert "ersetzt" not in text

    def test_resubmission_replaces_the_earlier_bid(self, tmp_path: Path) -> None:
        text = _text(render_receipt(make_receipt(kind="resubmission")), tmp_path)
        assert "Geändertes Angebot / Resubmitted bid" in text
        assert "Es ersetzt das zuvor eingereichte Angebot." in text
        assert "It replaces the bid submitted before." in text

    def test_withdrawal_is_not_opened_and_lists_no_documents(self, tmp_path: Path) -> None:
        # Given the receipt of a withdrawal
        receipt = make_receipt(kind="withdrawal", documents=())
        text = _text(render_receipt(receipt), tmp_path)
        # Then it states the withdrawal at that time and that the bid will not be opened
        assert "Rücknahme des Angebots / Withdrawal of the bid" in text
        assert "zurückgezogen von / withdrawn by: Alice Muster" in text
        assert "Das Angebot wurde am 27.03.2026, 10:00:05 MEZ" in text
        assert "Es wird nicht geöffnet und nicht gewertet." in text
        assert "The bid was withdrawn on 2026-03-27 09:00:05 UTC" in text
        assert "It will not be opened or evaluated." in text
        assert "Dokumente / Documents (0) Keine / None" in text
        # and does not claim a bid received in time
        assert "rechtzeitig" not in text
        assert "in time" not in text

    def test_never_states_a_price(self, tmp_path: Path) -> None:
        # Given the facts of a receipt: none of them is money
        for struct in (ReceiptDocument, ReceiptEntry):
            for field in msgspec.structs.fields(struct):
                assert "price" not in field.name
                assert Decimal not in (field.type, *getattr(field.type, "__args__", ()))
        # When a receipt is rendered
        text = _text(render_receipt(make_receipt()), tmp_path)
        # Then nothing in it looks like an amount of money
        assert "EUR" not in text
        assert "€" not in text
        assert not re.search(r"\d,\d\d(?!\d)", text)

    def test_metadata_names_the_receipt(self) -> None:
        reader = PdfFileReader(BytesIO(render_receipt(make_receipt())))
        info = reader.trailer["/Info"]
        assert info["/Title"] == "Eingangsbestätigung HB-V-2026-000042-E-0003"
        assert info["/Subject"] == "Eingangsbestätigung / Receipt HB-V-2026-000042-E-0003"
        assert info["/Author"] == OPERATOR["de"]
        assert info["/Creator"] == INSTANCE["de"]
        assert reader.root["/Lang"] == "de-DE"
        assert str(info["/CreationDate"]).startswith("D:20260327090005")

    def test_same_facts_give_the_same_bytes(self) -> None:
        assert render_receipt(make_receipt()) == render_receipt(make_receipt())
        assert render_receipt(make_receipt()) != render_receipt(make_receipt(lots=(1,)))

    def test_long_texts_and_forty_documents_wrap_onto_numbered_pages(self, tmp_path: Path) -> None:
        # Given a 300-character title, a 200-character company name and 40 documents, one of
        # them with a 150-character file name without spaces
        long_name = "x" * 146 + ".pdf"
        documents = tuple(
            entry(position, filename=long_name) if position == 7 else entry(position)
            for position in range(1, 41)
        )
        receipt = make_receipt(
            tender_title=LONG_TITLE,
            company_name=("Łódź Bau " * 23)[:200],
            documents=documents,
        )
        pdf = render_receipt(receipt)
        pages = _pages(pdf, tmp_path)
        # Then it runs to several pages, each with the receipt number and the page count
        assert len(pages) >= 3
        _assert_footers(pages, "HB-V-2026-000042-E-0003")
        # and every document's name and hash is there in full, the text inside the margins
        text = " ".join(pages)
        assert LONG_TITLE in text
        for document in documents:
            assert document.sha256 in text
            if document.filename != long_name:
                assert f"{document.position}. {document.filename}" in text
        assert long_name in text.replace(" ", "")  # broken where it reaches the margin
        assert "Dokumente / Documents (40)" in text
        _assert_inside_margins(pdf, tmp_path)

    @pytest.mark.parametrize("field", ["received_at", "submission_deadline"])
    def test_naive_times_are_refused(self, field: str) -> None:
        receipt = make_receipt(**{field: datetime(2026, 3, 27, 9, 0)})
        with pytest.raises(ValueError, match="naive"):
            render_receipt(receipt)

    def test_malformed_hashes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="SHA-256"):
            render_receipt(make_receipt(bid_sha256=sha("manifest").upper()))
        with pytest.raises(ValueError, match="SHA-256"):
            render_receipt(make_receipt(documents=(entry(1, sha256="abc"),)))

    def test_receipt_after_the_deadline_is_refused(self) -> None:
        late = make_receipt(submission_deadline=WINTER - timedelta(seconds=1))
        with pytest.raises(ValueError, match="after the submission deadline"):
            render_receipt(late)


class TestMinutes:
    def test_states_every_label_and_the_joint_opening_in_both_languages(
        self, tmp_path: Path
    ) -> None:
        text = _text(render_minutes(make_minutes()), tmp_path)
        assert text.index("Niederschrift über die Öffnung der Angebote") < text.index(
            "Record of the opening of bids"
        )
        for label in (
            "Nummer / Number HB-V-2026-000042-N",
            "Vergabeverfahren / Tender HB-V-2026-000042",
            "Öffentlicher Auftraggeber / Contracting authority",
            "Angebotsfrist / Submission deadline",
            "Öffnung eingeleitet von / Opening started by Olga Vergabe",
            "Öffnung bestätigt von / Opening confirmed by Otto Zweit",
            "Zeitpunkt der Öffnung / Time of opening",
            "Geöffnete Angebote / Opened bids (2)",
            "Eingang / Received",
            "Eingangsbestätigung / Receipt",
            "Dokumente / Documents",
            "Signaturen / Signatures",
            "Zurückgezogene Angebote / Withdrawn bids",
            "Besonderheiten / Anomalies",
            "Betreiber der Plattform / Platform operator",
        ):
            assert label in text
        # and the opening by two representatives without bidders (§ 55 Abs. 2 VgV)
        assert "gemeinsam von zwei Vertretern des öffentlichen Auftraggebers" in text
        assert "ohne Anwesenheit von Bietern geöffnet (§ 55 Abs. 2 VgV)" in text
        assert "jointly by two representatives of the contracting authority" in text
        assert "without bidders present (section 55(2) VgV)" in text

    def test_shows_officers_and_summer_times(self, tmp_path: Path) -> None:
        text = _text(render_minutes(make_minutes()), tmp_path)
        # Then the deadline, who started and who confirmed, each with both time forms
        assert "2026-06-30 08:00:00 UTC (30.06.2026, 10:00:00 MESZ)" in text
        assert "Olga Vergabe 2026-06-30 08:05:12 UTC (30.06.2026, 10:05:12 MESZ)" in text
        confirmed = "2026-06-30 08:07:03 UTC (30.06.2026, 10:07:03 MESZ)"
        assert f"Otto Zweit {confirmed}" in text
        assert f"Zeitpunkt der Öffnung / Time of opening {confirmed}" in text
        assert "MEZ)" not in text

    def test_shows_winter_times_with_mez(self, tmp_path: Path) -> None:
        # Given an opening in January
        minutes = make_minutes(
            submission_deadline=datetime(2026, 1, 15, 11, 0, tzinfo=UTC),
            started_at=datetime(2026, 1, 15, 11, 30, tzinfo=UTC),
            confirmed_at=datetime(2026, 1, 15, 11, 31, 59, 999999, tzinfo=UTC),
            bids=(bid(1, received_at=datetime(2026, 1, 14, 23, 0, 1, tzinfo=UTC)),),
        )
        text = _text(render_minutes(minutes), tmp_path)
        # Then Berlin is one hour ahead (MEZ), seconds are cut
        assert "2026-01-15 11:31:59 UTC (15.01.2026, 12:31:59 MEZ)" in text
        assert "2026-01-14 23:00:01 UTC (15.01.2026, 00:00:01 MEZ)" in text
        assert "MESZ" not in text

    def test_lists_bids_in_position_order_with_prices_in_german_format(
        self, tmp_path: Path
    ) -> None:
        text = _text(render_minutes(make_minutes()), tmp_path)
        # Then the first bid comes first although it was given second
        first = text.index("1. Muster Bau GmbH")
        second = text.index("2. Deichbau AG")
        assert first < second
        one, two = text[first:second], text[second:]
        # with its receipt time and number, each lot with its net price, documents, signatures
        assert "Eingang / Received: 2026-06-29 08:01:00 UTC (29.06.2026, 10:01:00 MESZ)" in one
        assert "Eingangsbestätigung / Receipt: HB-V-2026-000042-E-0001" in one
        assert "Los / Lot 1: Rohbau – 1.234.567,89 EUR netto / net" in one
        assert "Dokumente / Documents: 12" in one
        assert "Signaturen / Signatures: 3 von 3 gültig qualifiziert signiert" in one
        # and the second's lots by number, without a signature line (none required)
        assert two.index("Lot 1: Rohbau – 1.000,00 EUR") < two.index("Lot 2: Elektro – 999,50 EUR")
        assert "Dokumente / Documents: 4" in two
        assert "Signaturen" not in two

    @pytest.mark.parametrize(
        ("price", "shown"),
        [
            (Decimal("0.5"), "0,50 EUR"),
            (Decimal("1000"), "1.000,00 EUR"),
            (Decimal("1234567.89"), "1.234.567,89 EUR"),
            (Decimal("12345678901.10"), "12.345.678.901,10 EUR"),
        ],
    )
    def test_money_in_german_format(self, price: Decimal, shown: str, tmp_path: Path) -> None:
        lots = (MinutesLot(lot_number=1, lot_title="Rohbau", price=price),)
        text = _text(render_minutes(make_minutes(bids=(bid(1, lots=lots),))), tmp_path)
        assert f"Rohbau – {shown} netto / net" in text

    def test_withdrawn_bids_and_anomalies(self, tmp_path: Path) -> None:
        anomalies = (
            "2 Angebote nach Ablauf der Frist zurückgewiesen",
            "Ein Dokument des Angebots 1 war nicht lesbar",
        )
        text = _text(render_minutes(make_minutes(withdrawn=3, anomalies=anomalies)), tmp_path)
        assert "Zurückgezogene Angebote / Withdrawn bids 3 (vor Ablauf" in text
        assert "nicht geöffnet / withdrawn before the submission deadline, not opened" in text
        assert f"Besonderheiten / Anomalies {anomalies[0]} {anomalies[1]}" in text
        assert "Keine / None" not in text

    def test_no_anomalies_are_stated_as_none(self, tmp_path: Path) -> None:
        text = _text(render_minutes(make_minutes()), tmp_path)
        assert "Besonderheiten / Anomalies Keine / None" in text

    def test_no_bids_are_stated_as_none(self, tmp_path: Path) -> None:
        text = _text(render_minutes(make_minutes(bids=(), withdrawn=0)), tmp_path)
        assert "Geöffnete Angebote / Opened bids (0) Keine / None" in text
        assert "Zurückgezogene Angebote / Withdrawn bids 0 (" in text

    def test_metadata_names_the_minutes(self) -> None:
        reader = PdfFileReader(BytesIO(render_minutes(make_minutes())))
        info = reader.trailer["/Info"]
        assert info["/Title"] == "Niederschrift über die Öffnung der Angebote HB-V-2026-000042-N"
        assert info["/Author"] == OPERATOR["de"]
        assert info["/Creator"] == INSTANCE["de"]
        assert reader.root["/Lang"] == "de-DE"
        assert str(info["/CreationDate"]).startswith("D:20260630080703")

    def test_thirty_bids_with_long_names_wrap_onto_numbered_pages(self, tmp_path: Path) -> None:
        # Given a 300-character title and 30 bids by companies with 200-character names
        names = [(f"Bieter{position:02d} Straßen und Tiefbau " * 8)[:200] for position in range(30)]
        bids = tuple(
            bid(position + 1, company_name=names[position]) for position in reversed(range(30))
        )
        pdf = render_minutes(make_minutes(tender_title=LONG_TITLE, bids=bids))
        pages = _pages(pdf, tmp_path)
        # Then it runs to several pages, each with the minutes number and the page count
        assert len(pages) >= 3
        _assert_footers(pages, "HB-V-2026-000042-N")
        # and every bid is there in position order, the text inside the margins
        text = " ".join(pages)
        assert LONG_TITLE in text
        places = [text.index(f"{position + 1}. {names[position]}") for position in range(30)]
        assert places == sorted(places)
        assert text.count("1.234.567,89 EUR") == 30
        _assert_inside_margins(pdf, tmp_path)

    def test_a_bid_longer_than_a_page_breaks_across_pages(self, tmp_path: Path) -> None:
        # Given one bid for 80 lots: more lines than a page holds
        lots = tuple(
            MinutesLot(lot_number=number, lot_title=f"Fachlos {number}", price=Decimal(number))
            for number in range(1, 81)
        )
        pdf = render_minutes(make_minutes(bids=(bid(1, lots=lots),)))
        pages = _pages(pdf, tmp_path)
        # Then the bid continues on the next pages, every lot with its price, inside the margins
        assert len(pages) >= 2
        _assert_footers(pages, "HB-V-2026-000042-N")
        text = " ".join(pages)
        for number in range(1, 81):
            assert f"Los / Lot {number}: Fachlos {number} – {number},00 EUR netto / net" in text
        _assert_inside_margins(pdf, tmp_path)

    @pytest.mark.parametrize(
        "changes",
        [
            {"submission_deadline": datetime(2026, 6, 30, 8, 0)},
            {"started_at": datetime(2026, 6, 30, 8, 5)},
            {"confirmed_at": datetime(2026, 6, 30, 8, 7)},
            {"bids": (bid(1, received_at=datetime(2026, 6, 29, 8, 0)),)},
        ],
        ids=["deadline", "started", "confirmed", "bid"],
    )
    def test_naive_times_are_refused(self, changes: dict[str, Any]) -> None:
        minutes = make_minutes(**changes)
        with pytest.raises(ValueError, match="naive"):
            render_minutes(minutes)

    def test_opening_before_the_deadline_is_refused(self) -> None:
        early = make_minutes(started_at=datetime(2026, 6, 30, 7, 59, 59, tzinfo=UTC))
        with pytest.raises(ValueError, match="before the submission deadline"):
            render_minutes(early)

    def test_confirmation_before_the_start_is_refused(self) -> None:
        minutes = make_minutes(confirmed_at=datetime(2026, 6, 30, 8, 5, 11, tzinfo=UTC))
        with pytest.raises(ValueError, match="confirmed before"):
            render_minutes(minutes)

    def test_prices_beyond_cents_are_refused(self) -> None:
        lots = (MinutesLot(lot_number=1, lot_title="Rohbau", price=Decimal("10.005")),)
        with pytest.raises(ValueError, match="two decimal places"):
            render_minutes(make_minutes(bids=(bid(1, lots=lots),)))
