"""The exclusion grounds of §§ 123, 124 GWB and the assessment of a self-declaration."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from prequalification.exclusion import (
    GROUND_CODES,
    GROUNDS,
    Assessment,
    Finding,
    GroundAnswer,
    IncompleteDeclaration,
    MalformedDeclaration,
    SelfDeclaration,
    assess,
    decode_declaration,
    ground,
    summarise,
)

ON = date(2026, 3, 27)
MANDATORY = tuple(g.code for g in GROUNDS if g.kind == "mandatory")
OPTIONAL = tuple(g.code for g in GROUNDS if g.kind == "optional")
EVENT_BASED_OPTIONAL = tuple(g.code for g in GROUNDS if g.kind == "optional" and not g.ongoing)
ONGOING = tuple(g.code for g in GROUNDS if g.ongoing)


def declaration(*answers: GroundAnswer) -> SelfDeclaration:
    """Every ground answered "no", except those given."""
    given = {a.code: a for a in answers}
    return SelfDeclaration(
        answers=tuple(
            given.get(code, GroundAnswer(code=code, applies=False)) for code in GROUND_CODES
        )
    )


def yes(code: str, on: date, **kw: bool) -> GroundAnswer:
    return GroundAnswer(code=code, applies=True, date=on, explanation="Details", **kw)


def run(decl: SelfDeclaration, on: date = ON) -> Assessment:
    return assess(decl, on=on, mandatory_years=5, optional_years=3)


def finding(result: Assessment, code: str) -> Finding:
    (found,) = [f for f in result.findings if f.ground == code]
    return found


class TestCatalogue:
    def test_the_grounds_of_123_and_124_gwb(self) -> None:
        assert MANDATORY == (
            "criminal-organisation",
            "terrorism",
            "money-laundering",
            "fraud",
            "subsidy-fraud",
            "corruption",
            "human-trafficking",
            "tax-social-security",
        )
        assert OPTIONAL == (
            "environmental-social-labour",
            "insolvency",
            "professional-misconduct",
            "competition-agreements",
            "conflict-of-interest",
            "prior-involvement",
            "poor-performance",
            "misrepresentation",
            "undue-influence",
        )
        assert [ground(c).reference for c in OPTIONAL] == [
            f"§ 124 Abs. 1 Nr. {n} GWB" for n in range(1, 10)
        ]

    def test_references_name_the_criminal_offences(self) -> None:
        references = " ".join(ground(c).reference for c in MANDATORY)
        for offence in (
            "129",
            "129a",
            "129b",
            "89c",
            "261",
            "263",
            "264",
            "299",
            "108e",
            "333",
            "334",
            "335a",
            "232",
            "233a",
        ):
            assert offence in references
        assert ground("tax-social-security").reference == "§ 123 Abs. 4 GWB"
        assert "§ 370 AO" in ground("tax-social-security").question_de

    def test_every_ground_asks_in_german_and_english(self) -> None:
        for g in GROUNDS:
            assert g.question_de.endswith("?")
            assert g.question_en.endswith("?")
            assert g.title_de
            assert g.title_en
            assert g.date_de
            assert g.date_en
        assert "zuzurechnen" in ground("corruption").question_de
        assert "rechtskräftig verurteilt" in ground("corruption").question_de

    def test_unknown_code(self) -> None:
        with pytest.raises(KeyError):
            ground("no-such-ground")


class TestPass:
    def test_all_no_passes(self) -> None:
        result = run(declaration())

        assert result.outcome == "pass"
        assert [f.ground for f in result.findings] == list(GROUND_CODES)
        assert {f.reason for f in result.findings} == {"not-applicable"}

    def test_the_date_of_an_answer_that_does_not_apply_is_ignored(self) -> None:
        result = run(declaration(GroundAnswer(code="fraud", applies=False, date=date(2099, 1, 1))))

        assert result.outcome == "pass"


class TestMandatoryGrounds:
    @pytest.mark.parametrize("code", MANDATORY)
    def test_within_five_years_fails(self, code: str) -> None:
        result = run(declaration(yes(code, date(2024, 5, 2))))

        assert result.outcome == "fail"
        found = finding(result, code)
        assert (found.outcome, found.reason, found.kind) == ("fail", "mandatory", "mandatory")
        assert found.counts_until == date(2029, 5, 2)
        assert "§ 123 GWB" in found.de
        assert "§ 123 GWB" in found.en

    @pytest.mark.parametrize("code", MANDATORY)
    def test_self_cleaning_makes_it_discretionary(self, code: str) -> None:
        result = run(declaration(yes(code, date(2024, 5, 2), self_cleaning=True)))

        assert result.outcome == "discretionary"
        found = finding(result, code)
        assert (found.outcome, found.reason) == ("discretionary", "self-cleaning")
        assert "§ 125 GWB" in found.de

    @pytest.mark.parametrize("code", MANDATORY)
    def test_older_than_five_years_passes(self, code: str) -> None:
        result = run(declaration(yes(code, date(2020, 1, 15))))

        assert result.outcome == "pass"
        found = finding(result, code)
        assert (found.outcome, found.reason) == ("pass", "expired")
        assert "§ 126 GWB" in found.de
        assert "expired per § 126 GWB" in found.en
        assert found.counts_until is None

    def test_the_anniversary_still_counts_the_day_after_does_not(self) -> None:
        # Given a conviction on 27 March 2021: §§ 187 Abs. 1, 188 Abs. 2 BGB
        convicted = declaration(yes("corruption", date(2021, 3, 27)))

        # Then the period ends at the end of 27 March 2026
        on_anniversary = run(convicted, on=date(2026, 3, 27))
        assert on_anniversary.outcome == "fail"
        assert finding(on_anniversary, "corruption").counts_until == date(2026, 3, 27)
        assert run(convicted, on=date(2026, 3, 28)).outcome == "pass"
        assert finding(run(convicted, on=date(2026, 3, 28)), "corruption").reason == "expired"

    def test_a_conviction_on_29_february_ends_on_28_february(self) -> None:
        convicted = declaration(yes("fraud", date(2024, 2, 29)))

        assert run(convicted, on=date(2029, 2, 28)).outcome == "fail"
        assert run(convicted, on=date(2029, 3, 1)).outcome == "pass"

    def test_the_profile_sets_the_period(self) -> None:
        convicted = declaration(yes("fraud", date(2023, 3, 27)))

        result = assess(convicted, on=ON, mandatory_years=2, optional_years=3)

        assert result.outcome == "pass"
        assert "2 Jahre" in finding(result, "fraud").de

    def test_expired_self_cleaning_still_passes(self) -> None:
        result = run(declaration(yes("terrorism", date(2019, 1, 1), self_cleaning=True)))

        assert finding(result, "terrorism").reason == "expired"


class TestTaxesAndSocialSecurity:
    def test_unpaid_fails(self) -> None:
        result = run(declaration(yes("tax-social-security", date(2025, 10, 1))))

        assert result.outcome == "fail"

    def test_paid_or_committed_is_discretionary(self) -> None:
        answer = yes("tax-social-security", date(2025, 10, 1), paid_or_committed=True)

        result = run(declaration(answer))

        assert result.outcome == "discretionary"
        found = finding(result, "tax-social-security")
        assert found.reason == "paid-or-committed"
        assert "§ 123 Abs. 4 Satz 2 GWB" in found.de

    def test_paid_or_committed_means_nothing_on_another_ground(self) -> None:
        result = run(declaration(yes("fraud", date(2025, 10, 1), paid_or_committed=True)))

        assert result.outcome == "fail"


class TestOptionalGrounds:
    @pytest.mark.parametrize("code", OPTIONAL)
    def test_within_three_years_is_discretionary(self, code: str) -> None:
        result = run(declaration(yes(code, date(2025, 1, 10))))

        assert result.outcome == "discretionary"
        found = finding(result, code)
        assert (found.outcome, found.reason, found.kind) == (
            "discretionary",
            "optional",
            "optional",
        )
        assert "§ 124 GWB" in found.de

    @pytest.mark.parametrize("code", EVENT_BASED_OPTIONAL)
    def test_older_than_three_years_passes(self, code: str) -> None:
        result = run(declaration(yes(code, date(2023, 3, 26))))

        assert result.outcome == "pass"
        assert finding(result, code).reason == "expired"

    @pytest.mark.parametrize("code", EVENT_BASED_OPTIONAL)
    def test_three_years_to_the_day_still_counts(self, code: str) -> None:
        result = run(declaration(yes(code, date(2023, 3, 27))))

        assert result.outcome == "discretionary"
        assert finding(result, code).counts_until == ON

    @pytest.mark.parametrize("code", ONGOING)
    def test_a_present_state_does_not_expire(self, code: str) -> None:
        # Given insolvency (or a conflict of interest) declared as lasting since 2015
        result = run(declaration(yes(code, date(2015, 6, 1))))

        assert result.outcome == "discretionary"
        assert finding(result, code).counts_until is None

    def test_ongoing_grounds(self) -> None:
        assert ONGOING == ("insolvency", "conflict-of-interest", "prior-involvement")

    def test_self_cleaning_is_mentioned_but_stays_discretionary(self) -> None:
        result = run(declaration(yes("poor-performance", date(2025, 1, 10), self_cleaning=True)))

        found = finding(result, "poor-performance")
        assert found.outcome == "discretionary"
        assert "§ 125 GWB" in found.de
        assert "§ 125 GWB" in found.en


class TestWorstOf:
    def test_fail_beats_discretionary_and_pass(self) -> None:
        result = run(
            declaration(
                yes("insolvency", date(2025, 1, 1)),
                yes("corruption", date(2024, 1, 1)),
                yes("fraud", date(2010, 1, 1)),
            )
        )

        assert result.outcome == "fail"
        outcomes = {f.ground: f.outcome for f in result.findings if f.outcome != "pass"}
        assert outcomes == {"insolvency": "discretionary", "corruption": "fail"}
        assert finding(result, "fraud").reason == "expired"

    def test_discretionary_beats_pass(self) -> None:
        result = run(
            declaration(
                yes("money-laundering", date(2024, 1, 1), self_cleaning=True),
                yes("misrepresentation", date(2020, 1, 1)),
            )
        )

        assert result.outcome == "discretionary"

    def test_summary_names_the_grounds_that_count(self) -> None:
        result = run(declaration(yes("corruption", date(2024, 1, 1))))

        de, en = summarise(result)

        assert de.startswith("Zwingender Ausschlussgrund")
        assert "Bestechung" in de
        assert "Corruption" in en
        assert summarise(run(declaration())) == ("Keine Ausschlussgründe.", "No exclusion grounds.")


class TestIncomplete:
    def test_missing_grounds_are_named(self) -> None:
        answers = declaration().answers
        partial = SelfDeclaration(answers=answers[2:])

        with pytest.raises(IncompleteDeclaration) as raised:
            run(partial)

        assert raised.value.missing == ("criminal-organisation", "terrorism")
        assert raised.value.status_code == 422
        assert raised.value.code == "incomplete-declaration"
        assert "criminal-organisation" in raised.value.detail

    def test_duplicates_are_named(self) -> None:
        answers = declaration().answers
        twice = SelfDeclaration(answers=(*answers, GroundAnswer(code="fraud", applies=True)))

        with pytest.raises(IncompleteDeclaration) as raised:
            run(twice)

        assert raised.value.duplicate == ("fraud",)
        assert raised.value.missing == ()

    def test_unknown_codes_are_named(self) -> None:
        answers = declaration().answers
        extra = SelfDeclaration(answers=(*answers, GroundAnswer(code="bribery", applies=False)))

        with pytest.raises(IncompleteDeclaration) as raised:
            run(extra)

        assert raised.value.unknown == ("bribery",)

    def test_applies_without_date(self) -> None:
        undated = declaration(GroundAnswer(code="insolvency", applies=True))

        with pytest.raises(IncompleteDeclaration) as raised:
            run(undated)

        assert raised.value.undated == ("insolvency",)

    def test_date_in_the_future(self) -> None:
        tomorrow = declaration(yes("corruption", date(2026, 3, 28)))

        with pytest.raises(IncompleteDeclaration) as raised:
            run(tomorrow)

        assert raised.value.future == ("corruption",)
        assert run(declaration(yes("corruption", ON))).outcome == "fail"

    def test_periods_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="§ 126"):
            assess(declaration(), on=ON, mandatory_years=0, optional_years=3)


class TestDecode:
    def test_json_with_iso_dates(self) -> None:
        raw = msgspec.json.decode(
            b'{"answers": [{"code": "fraud", "applies": true, "date": "2024-05-02",'
            b' "self_cleaning": true, "explanation": "Compliance-System"}]}'
        )

        decoded = decode_declaration(raw)

        assert decoded.answers == (
            GroundAnswer(
                code="fraud",
                applies=True,
                date=date(2024, 5, 2),
                self_cleaning=True,
                explanation="Compliance-System",
            ),
        )

    @pytest.mark.parametrize(
        ("raw", "where"),
        [
            ({"answers": [{"code": "fraud", "applies": "yes"}]}, "$.answers[0].applies"),
            ({"answers": [{"code": "fraud", "applies": True, "date": "2.5.2024"}]}, "date"),
            ({"answers": [{"code": "fraud", "applies": True, "extra": 1}]}, "extra"),
            ([], "object"),
        ],
    )
    def test_malformed(self, raw: object, where: str) -> None:
        with pytest.raises(MalformedDeclaration) as raised:
            decode_declaration(raw)

        assert where in raised.value.detail
        assert raised.value.status_code == 422
