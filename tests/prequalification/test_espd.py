"""Import of an ESPD response: hardened parsing, schema validation, mapping onto the GWB grounds.

The sample is the official ESPD-EDM 4.1.0 response (every exclusion question answered "yes",
dates 2000-01-01, no answer on taxes and social security). Modified copies are made from it by
:class:`Espd`, which sets the supplier's answers by property id.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from prequalification.espd import (
    ESPD_CRITERIA,
    MAX_ESPD_BYTES,
    InvalidEspd,
    UnmappedCriterion,
    parse_espd_response,
)
from prequalification.exclusion import GROUND_CODES, GroundAnswer, SelfDeclaration, assess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "data" / "espd"
SAMPLE = EXAMPLES / "ESPD-Response.xml"
SCHEMA = ROOT / "prequalification" / "espd_schema"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}


@pytest.fixture(scope="module")
def sample() -> bytes:
    return SAMPLE.read_bytes()


class Espd:
    """A modifiable copy of the sample response."""

    def __init__(self, sample: bytes) -> None:
        self.root: Any = etree.fromstring(sample)

    def _response(self, property_id: str) -> Any:
        for response in self.root.iterfind("cac:TenderingCriterionResponse", NS):
            if response.findtext("cbc:ValidatedCriterionPropertyID", namespaces=NS) == property_id:
                return response
        last = self.root.findall("cac:TenderingCriterionResponse", NS)[-1]
        response = etree.Element(f"{{{CAC}}}TenderingCriterionResponse")
        etree.SubElement(response, f"{{{CBC}}}ValidatedCriterionPropertyID").text = property_id
        last.addnext(response)
        return response

    def answer(self, property_id: str, value: bool | date) -> Espd:
        response = self._response(property_id)
        for old in response.findall("cac:ResponseValue", NS):
            response.remove(old)
        field = "ResponseIndicator" if isinstance(value, bool) else "ResponseDate"
        rv = etree.SubElement(response, f"{{{CAC}}}ResponseValue")
        text = str(value).lower() if isinstance(value, bool) else value.isoformat()
        etree.SubElement(rv, f"{{{CBC}}}{field}").text = text
        return self

    def all_no(self) -> Espd:
        """Every exclusion criterion answered "no" (taxes and social security included)."""
        for response in self.root.iterfind("cac:TenderingCriterionResponse", NS):
            key = response.findtext("cbc:ValidatedCriterionPropertyID", namespaces=NS)
            if "_EG_" in key and key.endswith("/QG1/Q1"):
                self.answer(key, False)
        self.answer("C7_EG_tax-pay/RG1/QSG1/Q1", False)
        return self.answer("C8_EG_socsec-pay/RG1/QSG1/Q1", False)

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")


def answer_for(result: Any, code: str) -> GroundAnswer:
    (found,) = [a for a in result.answers if a.code == code]
    return found


class TestSample:
    def test_the_economic_operator(self, sample: bytes) -> None:
        result = parse_espd_response(sample)

        assert result.operator_name == "__Procurer Official Name__"
        assert result.operator_id == "AD123456789"
        assert result.sme_size == "sme"

    def test_conviction_grounds_with_date_and_self_cleaning(self, sample: bytes) -> None:
        result = parse_espd_response(sample)

        for code in (
            "criminal-organisation",
            "corruption",
            "fraud",
            "subsidy-fraud",
            "terrorism",
            "money-laundering",
            "human-trafficking",
        ):
            answer = answer_for(result, code)
            assert answer.applies
            assert answer.date == date(2000, 1, 1)
            assert answer.self_cleaning
        assert answer_for(result, "corruption").explanation == (
            "ESPD corruption: [Reason provided by the EO] / [Convicted person or legal entity]"
            " / [Measures taken by the EO]"
        )

    def test_grounds_without_a_date_question(self, sample: bytes) -> None:
        result = parse_espd_response(sample)

        insolvency = answer_for(result, "insolvency")
        assert (insolvency.applies, insolvency.date, insolvency.self_cleaning) == (
            True,
            None,
            False,
        )
        assert insolvency.explanation is not None
        assert insolvency.explanation.count("ESPD ") == 6  # bankruptcy … susp-act
        assert answer_for(result, "environmental-social-labour").self_cleaning
        assert not answer_for(result, "conflict-of-interest").self_cleaning
        assert answer_for(result, "misrepresentation").applies
        assert answer_for(result, "undue-influence").applies

    def test_unanswered_taxes_are_missing(self, sample: bytes) -> None:
        # The sample carries no response to the "Your answer" of tax-pay and socsec-pay.
        result = parse_espd_response(sample)

        assert result.missing == ("tax-social-security",)
        assert [a.code for a in result.answers] == [
            c for c in GROUND_CODES if c != "tax-social-security"
        ]

    def test_the_national_ground_is_unmapped(self, sample: bytes) -> None:
        result = parse_espd_response(sample)

        assert result.unmapped == (
            UnmappedCriterion(
                code="nati-ground", name="Purely national exclusion grounds", applies=True
            ),
        )

    def test_every_ground_has_an_espd_criterion(self) -> None:
        mapped = {g for grounds in ESPD_CRITERIA.values() for g in grounds}
        assert mapped == set(GROUND_CODES)


class TestModified:
    def test_a_yes_on_corruption_with_its_date(self, sample: bytes) -> None:
        # Given an ESPD answering "no" everywhere but corruption, convicted on 5 November 2024
        espd = Espd(sample).all_no()
        espd.answer("C2_EG_corruption/QG1/Q1", True)
        espd.answer("C2_EG_corruption/QG1/QSG1/Q1", date(2024, 11, 5))
        espd.answer("C2_EG_corruption/QG1/QSG1/QSG1/Q1", False)

        # When it is imported
        result = parse_espd_response(espd.bytes())

        # Then corruption applies with that date, without self-cleaning; the rest is "no"
        corruption = answer_for(result, "corruption")
        assert (corruption.applies, corruption.date, corruption.self_cleaning) == (
            True,
            date(2024, 11, 5),
            False,
        )
        assert result.missing == ()
        assert [a.code for a in result.answers if a.applies] == ["corruption"]
        # and the import is a complete declaration that fails
        assessment = assess(
            SelfDeclaration(answers=result.answers),
            on=date(2026, 3, 27),
            mandatory_years=5,
            optional_years=3,
        )
        assert assessment.outcome == "fail"

    def test_several_criteria_on_one_ground(self, sample: bytes) -> None:
        # Given labour law with self-cleaning and social law without it
        espd = Espd(sample).all_no()
        espd.answer("C10_EG_socsec-law/QG1/Q1", True)
        espd.answer("C10_EG_socsec-law/QG1/QSG1/Q1", False)
        espd.answer("C11_EG_labour-law/QG1/Q1", True)
        espd.answer("C11_EG_labour-law/QG1/QSG1/Q1", True)

        answer = answer_for(parse_espd_response(espd.bytes()), "environmental-social-labour")

        # Then the ground applies, but self-cleaning is not declared for all
        assert answer.applies
        assert not answer.self_cleaning

    def test_the_latest_date_counts(self, sample: bytes) -> None:
        espd = Espd(sample).all_no()
        espd.answer("C4_EG_terr-offence/QG1/Q1", True)
        espd.answer("C4_EG_terr-offence/QG1/QSG1/Q1", date(2022, 1, 1))
        espd.answer("C5_EG_finan-laund/QG1/Q1", True)
        espd.answer("C5_EG_finan-laund/QG1/QSG1/Q1", date(2023, 6, 30))

        result = parse_espd_response(espd.bytes())

        assert answer_for(result, "terrorism").date == date(2023, 6, 30)
        assert answer_for(result, "money-laundering").date == date(2023, 6, 30)
        assert not answer_for(result, "criminal-organisation").applies

    def test_taxes_paid_with_the_decision_date(self, sample: bytes) -> None:
        espd = Espd(sample).all_no()
        espd.answer("C7_EG_tax-pay/RG1/QSG1/Q1", True)
        espd.answer("C7_EG_tax-pay/RG1/QSG1/QSG1/QSG1/QSG2/QSG1/Q1", date(2025, 2, 3))
        espd.answer("C7_EG_tax-pay/RG1/QSG1/QSG1/QSG1/QSG3/Q1", True)

        tax = answer_for(parse_espd_response(espd.bytes()), "tax-social-security")

        assert (tax.applies, tax.date, tax.paid_or_committed) == (True, date(2025, 2, 3), True)

    def test_taxes_unpaid(self, sample: bytes) -> None:
        espd = Espd(sample).all_no()
        espd.answer("C8_EG_socsec-pay/RG1/QSG1/Q1", True)
        espd.answer("C8_EG_socsec-pay/RG1/QSG1/QSG1/QSG1/QSG3/Q1", False)

        tax = answer_for(parse_espd_response(espd.bytes()), "tax-social-security")

        assert (tax.applies, tax.date, tax.paid_or_committed) == (True, None, False)

    def test_a_no_needs_every_criterion_of_the_ground(self, sample: bytes) -> None:
        # Given "no" everywhere, but susp-act without an answer
        espd = Espd(sample).all_no()
        for response in espd.root.iterfind("cac:TenderingCriterionResponse", NS):
            if response.findtext("cbc:ValidatedCriterionPropertyID", namespaces=NS) == (
                "C17_EG_susp-act/QG1/Q1"
            ):
                espd.root.remove(response)

        result = parse_espd_response(espd.bytes())

        # Then insolvency is not answered by the ESPD
        assert result.missing == ("insolvency",)

    def test_operator_without_size_and_with_an_unknown_size(self, sample: bytes) -> None:
        espd = Espd(sample)
        code = espd.root.find(
            "cac:EconomicOperatorParty/cac:Party/cbc:IndustryClassificationCode", NS
        )
        code.text = "giant"
        assert parse_espd_response(espd.bytes()).sme_size is None
        code.text = "micro"
        assert parse_espd_response(espd.bytes()).sme_size == "micro"
        code.getparent().remove(code)
        assert parse_espd_response(espd.bytes()).sme_size is None


def _line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


class TestInvalid:
    def test_an_unknown_element_is_reported_on_its_line(self, sample: bytes) -> None:
        # Given an unknown element inserted before cbc:CopyIndicator (line 10)
        bad = sample.replace(
            b"  <cbc:CopyIndicator>", b"  <cbc:Bogus>x</cbc:Bogus>\n  <cbc:CopyIndicator>", 1
        )
        line = _line_of(bad, b"<cbc:Bogus>")
        assert line == 10

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(bad)

        error = raised.value
        assert (error.reason, error.status_code, error.code) == ("schema", 422, "invalid-espd")
        assert error.errors[0].line == line
        assert "Bogus" in error.errors[0].message
        assert error.extra["errors"][0]["line"] == line

    def test_a_removed_required_element_is_reported_where_it_is_missing(
        self, sample: bytes
    ) -> None:
        # Given the economic operator removed (lines 47 to 75)
        start = sample.index(b"  <cac:EconomicOperatorParty>")
        end = sample.index(b"</cac:EconomicOperatorParty>\n") + len(
            b"</cac:EconomicOperatorParty>\n"
        )
        bad = sample[:start] + sample[end:]

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(bad)

        (error,) = raised.value.errors
        assert error.line == _line_of(bad, b"<cac:ProcurementProject>") == 47
        assert "EconomicOperatorParty" in error.message

    def test_a_bad_value_is_reported(self, sample: bytes) -> None:
        bad = sample.replace(b"<cbc:IssueDate>2025-12-09<", b"<cbc:IssueDate>9.12.2025<", 1)

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(bad)

        assert raised.value.errors[0].line == _line_of(bad, b"<cbc:IssueDate>")

    def test_a_request_is_not_a_response(self) -> None:
        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response((EXAMPLES / "ESPD-Request.xml").read_bytes())

        assert raised.value.reason == "schema"
        assert "QualificationApplicationRequest" in raised.value.errors[0].message

    @pytest.mark.parametrize("data", [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"", b"   \n", b"<a>"])
    def test_not_xml(self, data: bytes) -> None:
        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(data)

        assert raised.value.reason == "not-xml"
        assert raised.value.errors
        assert raised.value.errors[0].line == 1

    def test_broken_xml_is_reported_on_its_line(self, sample: bytes) -> None:
        bad = sample.replace(b"</cbc:CopyIndicator>", b"</cbc:CopyIndicatr>", 1)

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(bad)

        assert raised.value.reason == "not-xml"
        assert raised.value.errors[0].line == 10

    def test_the_error_list_is_capped(self, sample: bytes) -> None:
        bad = re.sub(rb"<cbc:IssueDate>[^<]*<", b"<cbc:IssueDate>x<", sample)
        bad = bad.replace(b"</cbc:ResponseIndicator>", b"x</cbc:ResponseIndicator>")

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(bad)

        assert len(raised.value.errors) == 50


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<QualificationApplicationResponse>&lol9;</QualificationApplicationResponse>"""


class TestHostile:
    def test_billion_laughs_is_refused_at_the_dtd(self) -> None:
        started = time.perf_counter()
        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(BILLION_LAUGHS)

        # Refused as a DTD, before libxml2 expands anything (not as its amplification error)
        assert raised.value.reason == "dtd"
        assert time.perf_counter() - started < 1

    @pytest.mark.parametrize(
        "template",
        [
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{url}">]><r>&x;</r>',
            b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{url}"><r/>',
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]><r/>',
        ],
        ids=["external-entity", "external-dtd", "parameter-entity"],
    )
    def test_external_entities_are_never_read(self, tmp_path: Path, template: bytes) -> None:
        # Given a local file the entity points at, holding a marker
        secret = tmp_path / "secret.txt"
        secret.write_text("MARKER-7f3a")
        data = template.replace(b"{url}", secret.as_uri().encode())

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(data)

        assert raised.value.reason == "dtd"
        assert "MARKER" not in repr(raised.value.extra)
        assert "MARKER" not in str(raised.value)

    def test_the_probe_does_not_follow_the_file(self, tmp_path: Path) -> None:
        # A FIFO blocks whoever opens it for reading: were the entity followed, this would hang
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        data = b'<!DOCTYPE r [<!ENTITY x SYSTEM "' + fifo.as_uri().encode() + b'">]><r>&x;</r>'

        with pytest.raises(InvalidEspd):
            parse_espd_response(data)

    def test_schema_location_hints_are_ignored(self, sample: bytes, tmp_path: Path) -> None:
        # Given the file's xsi:schemaLocation pointing at a FIFO (opening it would block)
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        hinted = sample.replace(
            b"../xsdrt/maindoc/UBL-QualificationApplicationResponse-2.3.xsd",
            fifo.as_uri().encode(),
            1,
        )
        assert hinted != sample

        # Then it validates against the package's schema only
        assert parse_espd_response(hinted).operator_id == "AD123456789"

    def test_dtd_in_utf16(self) -> None:
        data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(data.encode("utf-16"))

        assert raised.value.reason == "dtd"

    def test_over_five_megabytes_is_refused_unread(self) -> None:
        data = b"<r>" + b" " * MAX_ESPD_BYTES + b"</r>"

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(data)

        assert raised.value.reason == "too-large"
        assert raised.value.errors == ()

    def test_five_megabytes_are_read(self) -> None:
        data = b"<r>" + b" " * (MAX_ESPD_BYTES - 7) + b"</r>"
        assert len(data) == MAX_ESPD_BYTES

        with pytest.raises(InvalidEspd) as raised:
            parse_espd_response(data)

        assert raised.value.reason == "schema"


class TestSchemaFiles:
    def test_the_copies_are_the_published_schemas(self) -> None:
        copies = sorted(p.relative_to(SCHEMA) for p in SCHEMA.rglob("*.xsd"))

        assert Path("maindoc/UBL-QualificationApplicationResponse-2.3.xsd") in copies
        # SHA256SUMS was made from the published files (OP-TED/ESPD-EDM @ v4.1.0, xsdrt/)
        published = dict(
            reversed(line.split()) for line in (SCHEMA / "SHA256SUMS").read_text().splitlines()
        )
        assert {str(relative) for relative in copies} == set(published)
        for relative in copies:
            digest = hashlib.sha256((SCHEMA / relative).read_bytes()).hexdigest()
            assert digest == published[str(relative)], relative
        assert "EUPL-1.2" in (SCHEMA / "LICENCE.md").read_text()

    def test_every_import_stays_in_the_package(self) -> None:
        # Given every schemaLocation of the copies: relative, and resolving to a copy
        for xsd in SCHEMA.rglob("*.xsd"):
            tree = etree.parse(str(xsd))
            for location in tree.xpath("//@schemaLocation"):
                assert "://" not in location
                target = (xsd.parent / location).resolve()
                assert target.is_relative_to(SCHEMA.resolve())
                assert target.is_file()

    def test_imports_from_outside_are_refused(self, tmp_path: Path) -> None:
        from prequalification import espd

        # Given the main schema importing the aggregate components from a copy outside the package
        shutil.copytree(SCHEMA / "common", tmp_path / "common")
        main = etree.parse(str(espd._SCHEMA_MAIN))
        for imported in main.getroot().iterfind("{http://www.w3.org/2001/XMLSchema}import"):
            location = imported.get("schemaLocation").replace("../common/", "")
            imported.set("schemaLocation", (tmp_path / "common" / location).as_uri())
        text = etree.tostring(main)
        base = str(espd._SCHEMA_MAIN)

        # Then it loads with a plain parser, but the package's resolver refuses it
        etree.XMLSchema(etree.fromstring(text, etree.XMLParser(), base_url=base))
        guarded = espd._hardened()
        guarded.resolvers.add(espd._SchemaFilesOnly())
        with pytest.raises(etree.XMLSchemaParseError):
            etree.XMLSchema(etree.fromstring(text, guarded, base_url=base))
