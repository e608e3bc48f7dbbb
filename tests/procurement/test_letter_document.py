"""The information of an unsuccessful bidder (§ 134 GWB), read back with poppler.

As for the receipt and the minutes (``test_bid_documents.py``): the text comes out through
``pdftotext`` (whitespace folded, pages split at form feeds) and the metadata through pyHanko's
PDF reader.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from procurement.award.letter_document import (
    InformationLetter,
    LetterLot,
    render_information_letter,
)

DISPATCHED = datetime(2026, 3, 2, 10, 30, 15, 750000, tzinfo=UTC)  # Monday, 11:30:15 MEZ
INSTANCE = {"de": "Vergabeplattform Bremen", "en": "Bremen Procurement Platform"}
OPERATOR = {
    "de": "Die Senatorin für Wirtschaft, Häfen und Transformation, Bremen",
    "en": "Senator for Economic Affairs, Ports and Transformation, Bremen",
}
NUMBER = "HB-V-2026-000042-I-03"
RANKED = (
    "Ihr Angebot belegt Rang 2 von 3 (78,50 Punkte; das erfolgreiche Angebot 91,00 Punkte). / "
    "Your bid ranks 2 of 3 (78.50 points; the successful bid 91.00 points)."
)
EXCLUDED = (
    "Ihr Angebot wurde von der Wertung ausgeschlossen: Eignungsnachweis fehlt / "
    "Your bid was excluded from the evaluation: Eignungsnachweis fehlt"
)


def lot(number: int, **changes: Any) -> LetterLot:
    facts: dict[str, Any] = {
        "lot_number": number,
        "lot_title": f"Fachlos {number}",
        "winner_name": f"Gewinner {number} GmbH",
        "outcome": RANKED,
    }
    return LetterLot(**(facts | changes))


def make_letter(**changes: Any) -> InformationLetter:
    """Sent electronically on Monday 2 March 2026 for lots 2 and 1 (given out of order): the
    standstill runs from Tuesday the 3rd to Thursday the 12th, the contract from Friday the 13th.
    """
    facts: dict[str, Any] = {
        "letter_number": NUMBER,
        "tender_number": "HB-V-2026-000042",
        "tender_title": "Sanierung der Grundschule am Pfälzer Weg",
        "authority_name": "Freie Hansestadt Bremen, Immobilien Bremen",
        "company_name": "Muster Bau GmbH",
        "dispatched_at": DISPATCHED,
        "lots": (
            lot(2, lot_title="Elektro", winner_name="Deichbau AG", outcome=EXCLUDED),
            lot(1, lot_title="Rohbau", winner_name="Weser Hochbau GmbH & Co. KG"),
        ),
        "reasons": "Der Zuschlag wird auf das wirtschaftlichste Angebot erteilt.\n\n"
        "Maßgeblich waren Preis (60 %) und Qualität (40 %).",
        "electronic": True,
        "standstill_days": 10,
        "standstill_first_day": date(2026, 3, 3),
        "standstill_last_day": date(2026, 3, 12),
        "contract_from": date(2026, 3, 13),
        "review_body": "Vergabekammer der Freien Hansestadt Bremen",
        "instance_name": INSTANCE,
        "operator": OPERATOR,
        "state": "Freie Hansestadt Bremen",
    }
    return InformationLetter(**(facts | changes))


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of every page, whitespace folded to single spaces."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    pages = result.stdout.decode().split("\f")
    return [" ".join(page.split()) for page in pages if page.strip()]


def _text(pdf: bytes, tmp_path: Path) -> str:
    return " ".join(_pages(pdf, tmp_path))


class TestInformationLetter:
    def test_states_every_label_in_german_and_english(self, tmp_path: Path) -> None:
        # Given a letter
        text = _text(render_information_letter(make_letter()), tmp_path)
        # Then the title comes in German first, then English, and every label in both
        assert text.index("Information nach § 134 GWB") < text.index(
            "Information pursuant to Section 134 GWB"
        )
        for label in (
            f"Nummer / Number {NUMBER}",
            "Vergabeverfahren / Tender HB-V-2026-000042 Sanierung der Grundschule am Pfälzer Weg",
            "Öffentlicher Auftraggeber / Contracting authority Freie Hansestadt Bremen, Immobilien",
            "Empfänger / Recipient Muster Bau GmbH",
            "Absendung / Dispatched",
            "Lose / Lots (2)",
            "Gründe der Entscheidung / Reasons for the decision",
            "Frühester Vertragsschluss / Earliest conclusion of the contract",
            "Hinweis auf die Nachprüfung / Note on review",
            "Betreiber der Plattform / Platform operator",
        ):
            assert label in text
        assert OPERATOR["de"] in text
        assert OPERATOR["en"] in text

    def test_names_the_winner_and_the_outcome_of_every_lot_in_order(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        # Then lot 1 comes first although it was given second
        first, second = text.index("Los / Lot 1: Rohbau"), text.index("Los / Lot 2: Elektro")
        assert first < second
        one, two = text[first:second], text[second:]
        # each with the company to be awarded and why the recipient's bid is not
        assert "Zuschlag soll erhalten / To be awarded to Weser Hochbau GmbH & Co. KG" in one
        assert f"Ihr Angebot / Your bid {RANKED}" in one
        assert "Zuschlag soll erhalten / To be awarded to Deichbau AG" in two
        assert f"Ihr Angebot / Your bid {EXCLUDED}" in two

    def test_states_the_dispatch_in_utc_and_berlin_time(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        dispatched = "2026-03-02 10:30:15 UTC (02.03.2026, 11:30:15 MEZ)"
        assert f"Absendung / Dispatched {dispatched} elektronisch" in text
        assert "/ electronically" in text

    def test_a_letter_by_post_says_so(self, tmp_path: Path) -> None:
        letter = make_letter(
            dispatched_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
            electronic=False,
            standstill_days=15,
            standstill_first_day=date(2026, 7, 2),
            standstill_last_day=date(2026, 7, 16),
            contract_from=date(2026, 7, 17),
        )
        text = _text(render_information_letter(letter), tmp_path)
        assert "2026-06-30 22:30:00 UTC (01.07.2026, 00:30:00 MESZ)" in text
        assert "nicht elektronisch / by other means, not electronically" in text
        assert "Ablauf von 15 Kalendertagen" in text
        assert "Freitag, 17.07.2026 / Friday, 17 July 2026" in text

    def test_states_the_standstill_and_the_earliest_contract(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        assert (
            "Earliest conclusion of the contract Freitag, 13.03.2026 / Friday, 13 March 2026"
            in (text)
        )
        assert (
            "Der Vertrag darf nicht vor Ablauf von 10 Kalendertagen nach Absendung dieser "
            "Information geschlossen werden (§ 134 Abs. 2 GWB). Die Frist beginnt am Dienstag, "
            "03.03.2026, und endet mit Ablauf des Donnerstags, 12.03.2026. Der Zuschlag wird "
            "frühestens am Freitag, 13.03.2026, erteilt."
        ) in text
        assert (
            "The contract may not be concluded before 10 calendar days have passed since this "
            "information was sent (section 134(2) GWB). The period begins on Tuesday, 3 March "
            "2026 and ends at the end of Thursday, 12 March 2026. The contract will be awarded "
            "on Friday, 13 March 2026 at the earliest."
        ) in text

    def test_states_the_reasons_in_paragraphs(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        assert (
            "Reasons for the decision Der Zuschlag wird auf das wirtschaftlichste Angebot "
            "erteilt. Maßgeblich waren Preis (60 %) und Qualität (40 %)."
        ) in text

    def test_hint_on_review_names_the_chamber(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        assert "innerhalb von zehn Kalendertagen gerügt hat" in text
        assert "(§ 160 Abs. 3 GWB)" in text
        chamber = "Vergabekammer der Freien Hansestadt Bremen"
        assert f"Der Antrag ist bei der zuständigen Vergabekammer zu stellen: {chamber}." in text
        assert "within ten calendar days" in text
        assert f"the competent review chamber (Vergabekammer): {chamber}." in text

    def test_hint_on_review_without_a_known_chamber(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter(review_body=None)), tmp_path)
        assert "Der Antrag ist bei der zuständigen Vergabekammer zu stellen. Ist" in text
        assert "the competent review chamber (Vergabekammer). Once" in text

    def test_states_the_seal_of_the_platform(self, tmp_path: Path) -> None:
        text = _text(render_information_letter(make_letter()), tmp_path)
        assert "von der Vergabeplattform Bremen erstellt und mit ihrem elektronischen Siegel" in (
            text
        )
        assert "carries its electronic seal" in text

    def test_a_company_name_beyond_latin_1_renders(self, tmp_path: Path) -> None:
        letter = make_letter(
            company_name="Łódź Bau Sp. z o.o.",
            lots=(lot(1, winner_name="Přerov Stavby s.r.o."),),
        )
        text = _text(render_information_letter(letter), tmp_path)
        assert "Empfänger / Recipient Łódź Bau Sp. z o.o." in text
        assert "To be awarded to Přerov Stavby s.r.o." in text

    def test_metadata_names_the_letter(self) -> None:
        reader = PdfFileReader(BytesIO(render_information_letter(make_letter())))
        info = reader.trailer["/Info"]
        assert info["/Title"] == f"Information nach § 134 GWB {NUMBER}"
        assert info["/Subject"] == (
            f"Information nach § 134 GWB / Information pursuant to Section 134 GWB {NUMBER}"
        )
        assert info["/Author"] == OPERATOR["de"]
        assert info["/Creator"] == INSTANCE["de"]
        assert reader.root["/Lang"] == "de-DE"
        assert str(info["/CreationDate"]).startswith("D:20260302103015")

    def test_same_facts_give_the_same_bytes(self) -> None:
        assert render_information_letter(make_letter()) == render_information_letter(make_letter())
        other = make_letter(lots=(lot(1),))
        assert render_information_letter(make_letter()) != render_information_letter(other)

    def test_long_reasons_wrap_onto_a_second_page_with_footers(self, tmp_path: Path) -> None:
        # Given reasons of 30 paragraphs and an outcome of eight sentences
        paragraph = " ".join(["Das Angebot überzeugt in der Wertung des Konzepts."] * 6)
        reasons = "\n\n".join(f"{number}. {paragraph}" for number in range(1, 31))
        outcome = " ".join([RANKED] * 8)
        letter = make_letter(reasons=reasons, lots=(lot(1, outcome=outcome),))
        pages = _pages(render_information_letter(letter), tmp_path)
        # Then it runs to several pages, each with the letter's number and the page count
        assert len(pages) >= 2
        for index, page in enumerate(pages, start=1):
            assert NUMBER in page
            assert f"Seite {index} von {len(pages)} / Page {index} of {len(pages)}" in page
        # and nothing of the reasons is lost where the text runs on past a footer
        text = " ".join(page[: page.rindex(NUMBER)].strip() for page in pages)
        for number in range(1, 31):
            assert f"{number}. {paragraph}" in text
        assert outcome in text

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"dispatched_at": datetime(2026, 3, 2, 10, 30)}, "naive"),
            ({"lots": ()}, "at least one lot"),
            ({"contract_from": date(2026, 3, 12)}, "day after the standstill"),
            ({"contract_from": date(2026, 3, 14)}, "day after the standstill"),
            (
                {"standstill_first_day": date(2026, 3, 13), "standstill_last_day": date(2026, 3, 2),
                 "contract_from": date(2026, 3, 3)},
                "cannot end before it begins",
            ),
        ],
        ids=["naive", "no-lots", "contract-too-early", "contract-too-late", "standstill-reversed"],
    )  # fmt: skip
    def test_inconsistent_facts_are_refused(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            render_information_letter(make_letter(**changes))

    def test_contract_day_follows_the_last_day_across_a_month(self) -> None:
        # Given a standstill ending on the last day of a month, the contract on the 1st
        last = date(2026, 3, 31)
        letter = make_letter(standstill_last_day=last, contract_from=last + timedelta(days=1))
        # Then the letter renders
        assert render_information_letter(letter).startswith(b"%PDF-")
