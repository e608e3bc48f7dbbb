"""The evidence catalogue in the instance profile: bundled catalogues, validation, validity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest

from infra.profile import BUNDLED_PROFILES_DIR, ProfileError, load_profile
from infra.profile_prequalification import (
    CPV_DIVISIONS,
    Category,
    EvidenceForm,
    EvidenceType,
    FromIssue,
    MaxAge,
    Prequalification,
    StatedExpiry,
    Unlimited,
    ValidityRule,
    add_months,
    category_of_division,
)

BREMEN_TOML = (BUNDLED_PROFILES_DIR / "bremen.toml").read_text(encoding="utf-8")
ALL: tuple[Category, ...] = ("works", "supplies", "services")


def _edited(old: str, new: str) -> str:
    """The Bremen profile with ``old`` replaced by ``new`` (which must be there exactly once)."""
    assert BREMEN_TOML.count(old) == 1, f"{old!r} is not once in bremen.toml"
    return BREMEN_TOML.replace(old, new)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "state.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _evidence(
    code: str,
    categories: tuple[Category, ...] = ALL,
    *,
    mandatory: bool = True,
    form: EvidenceForm = "document",
    validity: ValidityRule | None = None,
) -> EvidenceType:
    return EvidenceType(
        code=code,
        name={"de": f"Nachweis {code}", "en": f"Evidence {code}"},
        legal_basis="§ 44 Abs. 1 VgV",
        categories=categories,
        validity=validity or Unlimited(),
        mandatory=mandatory,
        qualified_signature=False,
        form=form,
    )


class TestBundledCatalogue:
    @pytest.mark.parametrize("name", ["bremen", "hamburg"])
    def test_given_a_bundled_profile_then_it_carries_the_types_of_the_issue(
        self, name: str
    ) -> None:
        catalogue = load_profile(name).prequalification

        expected = {
            # code: (validity, mandatory, qualified signature, minimum items)
            "commercial-register-extract": (MaxAge(months=3), True, False, 1),
            "trade-registration": (Unlimited(), True, False, 1),
            "tax-clearance": (StatedExpiry(), True, True, 1),
            "health-insurance-clearance": (MaxAge(months=3), True, False, 1),
            "accident-insurance-clearance": (StatedExpiry(), True, True, 1),
            "liability-insurance": (MaxAge(months=3), True, False, 1),
            "turnover": (FromIssue(months=12), True, False, 1),
            "staff-numbers": (FromIssue(months=12), True, False, 1),
            "references": (MaxAge(months=60), True, False, 3),
            "exclusion-grounds": (FromIssue(months=12), True, False, 1),
            "iso-9001": (StatedExpiry(), False, False, 1),
            "iso-14001": (StatedExpiry(), False, False, 1),
        }
        for code, (validity, mandatory, qualified, min_items) in expected.items():
            item = catalogue.evidence_type(code)
            assert (item.validity, item.mandatory) == (validity, mandatory), code
            assert (item.qualified_signature, item.min_items) == (qualified, min_items), code
            assert item.categories == ALL, code
        assert catalogue.self_declaration.code == "exclusion-grounds"
        assert "§§ 123, 124 GWB" in catalogue.self_declaration.legal_basis
        craft = catalogue.evidence_type("craft-register")
        assert (craft.categories, craft.mandatory) == (("works",), False)
        for item in catalogue.evidence:
            assert item.name["de"], item.code
            assert item.name["en"], item.code
            assert item.legal_basis, item.code
        assert catalogue.certificate_validity_months == 12
        assert catalogue.reminder_days == (30, 14, 7)
        assert catalogue.change_request_days == 30

    def test_given_a_toml_validity_then_the_kind_selects_the_rule(self) -> None:
        catalogue = load_profile("bremen").prequalification

        kinds = {item.code: type(item.validity) for item in catalogue.evidence}

        assert kinds["tax-clearance"] is StatedExpiry
        assert kinds["trade-registration"] is Unlimited
        assert kinds["turnover"] is FromIssue
        assert kinds["references"] is MaxAge

    def test_given_no_section_then_the_profile_is_refused(self, tmp_path: Path) -> None:
        without = BREMEN_TOML[: BREMEN_TOML.index("\n# Pre-qualification")] + "\n"

        with pytest.raises(ProfileError, match="missing required field `prequalification`"):
            load_profile(str(_write(tmp_path, without)))


class TestBrokenCatalogue:
    @pytest.mark.parametrize(
        ("old", "new", "key"),
        [
            (
                'code = "trade-registration"',
                'code = "tax-clearance"',
                "key prequalification.evidence: code 'tax-clearance' is given twice",
            ),
            (
                'code = "iso-9001"\n',
                'code = "iso-9001"\nform = "self-declaration"\n',
                "key prequalification.evidence: exactly one type must have form "
                "'self-declaration', found 2",
            ),
            (
                'qualified_signature = false\nform = "self-declaration"',
                "qualified_signature = false",
                "key prequalification.evidence: exactly one type must have form "
                "'self-declaration', found 0",
            ),
            (
                'categories = ["works"]',
                'categories = ["building"]',
                "key prequalification.evidence[12].categories[0]: Invalid enum value 'building'",
            ),
            (
                'categories = ["works"]',
                "categories = []",
                "key prequalification.evidence[12].categories: Expected `array` of length >= 1",
            ),
            (
                'categories = ["works"]',
                'categories = ["works", "works"]',
                "key prequalification.evidence[12].categories: 'works' is given twice",
            ),
            (
                'validity = { kind = "max-age", months = 60 }',
                'validity = { kind = "max-age", months = 60, days = 10 }',
                "key prequalification.evidence[8].validity.months: give exactly one of months "
                "and days",
            ),
            (
                'validity = { kind = "max-age", months = 60 }',
                'validity = { kind = "max-age" }',
                "key prequalification.evidence[8].validity.months: give exactly one of months "
                "and days",
            ),
            (
                'validity = { kind = "max-age", months = 60 }',
                'validity = { kind = "forever" }',
                "key prequalification.evidence[8].validity.kind: Invalid value 'forever'",
            ),
            (
                'validity = { kind = "max-age", months = 60 }',
                'validity = { kind = "from-issue" }',
                "key prequalification.evidence[8].validity: Object missing required field `months`",
            ),
            (
                "min_items = 3",
                "min_items = 0",
                "key prequalification.evidence[8].min_items: Expected `int` >= 1",
            ),
            (
                "min_items = 3",
                "min_items = 21",
                "key prequalification.evidence[8].min_items: Expected `int` <= 20",
            ),
            (
                "reminder_days = [30, 14, 7]",
                "reminder_days = [7, 14, 30]",
                "key prequalification.reminder_days: must be strictly descending",
            ),
            (
                "reminder_days = [30, 14, 7]",
                "reminder_days = [30, 14, 14]",
                "key prequalification.reminder_days: must be strictly descending",
            ),
            (
                "reminder_days = [30, 14, 7]",
                "reminder_days = [30, 0]",
                "key prequalification.reminder_days[1]: Expected `int` >= 1",
            ),
            (
                'name = { de = "Gewerbeanmeldung", en = "Trade registration" }',
                'name = { en = "Trade registration" }',
                "key prequalification.evidence[1].name: needs a text for language 'de'",
            ),
            (
                'code = "turnover"',
                'code = "Turnover"',
                "key prequalification.evidence[6].code: Expected `str` matching regex",
            ),
            (
                "certificate_validity_months = 12",
                "certificate_validity_months = 37",
                "key prequalification.certificate_validity_months: Expected `int` <= 36",
            ),
            (
                "change_request_days = 30",
                "change_request_days = 0",
                "key prequalification.change_request_days: Expected `int` >= 1",
            ),
            (
                'code = "craft-register"\n',
                'code = "craft-register"\nrenewal = "yearly"\n',
                "key prequalification.evidence[12]: Object contains unknown field `renewal`",
            ),
        ],
    )
    def test_given_a_wrong_value_then_the_error_names_the_key(
        self, tmp_path: Path, old: str, new: str, key: str
    ) -> None:
        path = _write(tmp_path, _edited(old, new))

        with pytest.raises(ProfileError) as caught:
            load_profile(str(path))

        assert str(caught.value).startswith(f"profile {path}: {key}")
        assert "\n" not in str(caught.value)


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2026, 1, 15), 3, date(2026, 4, 15)),
            (date(2026, 11, 30), 3, date(2027, 2, 28)),
            (date(2027, 11, 29), 3, date(2028, 2, 29)),
            (date(2028, 1, 31), 1, date(2028, 2, 29)),
            (date(2028, 2, 29), 12, date(2029, 2, 28)),
            (date(2028, 2, 29), 48, date(2032, 2, 29)),
            (date(2026, 8, 31), 1, date(2026, 9, 30)),
            (date(2026, 12, 31), 1, date(2027, 1, 31)),
            (date(2026, 10, 31), 60, date(2031, 10, 31)),
        ],
    )
    def test_given_a_day_then_the_same_day_number_or_the_month_end(
        self, day: date, months: int, expected: date
    ) -> None:
        assert add_months(day, months) == expected


class TestExpiresOn:
    @pytest.mark.parametrize(
        ("rule", "issued", "expected"),
        [
            (MaxAge(months=3), date(2026, 11, 30), date(2027, 2, 28)),
            (MaxAge(months=3), date(2027, 11, 30), date(2028, 2, 29)),
            (MaxAge(days=90), date(2026, 1, 1), date(2026, 4, 1)),
            (MaxAge(days=1), date(2028, 2, 28), date(2028, 2, 29)),
            (FromIssue(months=12), date(2026, 3, 15), date(2027, 3, 15)),
            (FromIssue(months=12), date(2028, 2, 29), date(2029, 2, 28)),
            (Unlimited(), date(2026, 3, 15), None),
        ],
    )
    def test_given_no_stated_expiry_then_the_rule_decides(
        self, rule: ValidityRule, issued: date, expected: date | None
    ) -> None:
        assert rule.expires_on(issued, None) == expected

    def test_given_a_stated_expiry_rule_then_the_stated_day(self) -> None:
        assert StatedExpiry().expires_on(date(2026, 1, 10), date(2026, 12, 31)) == date(
            2026, 12, 31
        )

    def test_given_a_stated_expiry_rule_without_the_day_then_it_refuses(self) -> None:
        with pytest.raises(ValueError, match="stated expiry is required"):
            StatedExpiry().expires_on(date(2026, 1, 10), None)

    @pytest.mark.parametrize(
        ("rule", "stated", "expected"),
        [
            (MaxAge(months=3), date(2026, 2, 28), date(2026, 2, 28)),
            (MaxAge(months=3), date(2026, 12, 31), date(2026, 4, 10)),
            (FromIssue(months=12), date(2026, 6, 30), date(2026, 6, 30)),
            (Unlimited(), date(2030, 1, 31), date(2030, 1, 31)),
        ],
    )
    def test_given_a_stated_expiry_then_it_caps_the_rule(
        self, rule: ValidityRule, stated: date, expected: date
    ) -> None:
        assert rule.expires_on(date(2026, 1, 10), stated) == expected

    def test_given_both_months_and_days_then_the_rule_is_refused(self) -> None:
        with pytest.raises(ValueError, match="months: give exactly one of months and days"):
            MaxAge(months=3, days=90)


class TestProblemAt:
    @pytest.mark.parametrize(
        ("rule", "issued", "stated", "on", "problem"),
        [
            (MaxAge(months=3), date(2026, 1, 15), None, date(2026, 1, 15), None),
            (MaxAge(months=3), date(2026, 1, 15), None, date(2026, 4, 15), None),
            (MaxAge(months=3), date(2026, 1, 15), None, date(2026, 4, 16), "expired"),
            (MaxAge(months=3), date(2026, 11, 30), None, date(2027, 2, 28), None),
            (MaxAge(months=3), date(2026, 11, 30), None, date(2027, 3, 1), "expired"),
            (MaxAge(days=30), date(2026, 1, 1), None, date(2026, 2, 1), "expired"),
            (MaxAge(months=3), date(2026, 5, 1), None, date(2026, 4, 30), "issued-in-future"),
            (FromIssue(months=12), date(2028, 2, 29), None, date(2029, 2, 28), None),
            (FromIssue(months=12), date(2028, 2, 29), None, date(2029, 3, 1), "expired"),
            (StatedExpiry(), date(2026, 1, 10), None, date(2026, 2, 1), "missing-expiry"),
            (StatedExpiry(), date(2026, 1, 10), date(2026, 12, 31), date(2026, 12, 31), None),
            (
                StatedExpiry(),
                date(2026, 1, 10),
                date(2026, 12, 31),
                date(2027, 1, 1),
                "expired",
            ),
            (StatedExpiry(), date(2026, 3, 1), None, date(2026, 2, 1), "issued-in-future"),
            (Unlimited(), date(2000, 1, 1), None, date(2099, 12, 31), None),
            (Unlimited(), date(2026, 1, 10), date(2026, 6, 30), date(2026, 7, 1), "expired"),
            (MaxAge(months=3), date(2026, 1, 15), date(2026, 2, 1), date(2026, 2, 2), "expired"),
        ],
    )
    def test_given_an_item_then_the_reason_it_does_not_count(
        self,
        rule: ValidityRule,
        issued: date,
        stated: date | None,
        on: date,
        problem: str | None,
    ) -> None:
        assert rule.problem_at(issued, stated, on) == problem


class TestRequiredFor:
    @pytest.fixture
    def catalogue(self) -> Prequalification:
        return Prequalification(
            evidence=(
                _evidence("quality", mandatory=False),
                _evidence("craft", ("works",)),
                _evidence("licence", ("services",)),
                _evidence("declaration", form="self-declaration"),
                _evidence("site-safety", ("works",), mandatory=False),
            )
        )

    @pytest.mark.parametrize(
        ("categories", "codes"),
        [
            (["works"], ("craft", "declaration", "quality", "site-safety")),
            (["supplies"], ("declaration", "quality")),
            (["services", "works"], ("craft", "licence", "declaration", "quality", "site-safety")),
            ([], ()),
        ],
    )
    def test_given_categories_then_mandatory_first_else_profile_order(
        self, catalogue: Prequalification, categories: list[Category], codes: tuple[str, ...]
    ) -> None:
        assert tuple(item.code for item in catalogue.required_for(categories)) == codes

    def test_given_bremen_supplies_then_no_craft_register(self) -> None:
        catalogue = load_profile("bremen").prequalification

        supplies = [item.code for item in catalogue.required_for(["supplies"])]
        works = [item.code for item in catalogue.required_for({"works"})]

        assert "craft-register" not in supplies
        assert works[-3:] == ["iso-9001", "iso-14001", "craft-register"]
        assert all(item.mandatory for item in catalogue.required_for(["works"])[:10])

    def test_given_a_known_code_then_its_type(self, catalogue: Prequalification) -> None:
        assert catalogue.evidence_type("licence").categories == ("services",)
        assert catalogue.self_declaration.code == "declaration"

    def test_given_an_unknown_code_then_key_error(self, catalogue: Prequalification) -> None:
        with pytest.raises(KeyError, match="bank-statement"):
            catalogue.evidence_type("bank-statement")

    def test_given_structs_then_the_same_checks_as_in_the_profile(self) -> None:
        with pytest.raises(ValueError, match="evidence: code 'a' is given twice"):
            Prequalification(
                evidence=(_evidence("a"), _evidence("a", form="self-declaration")),
            )

    def test_given_the_catalogue_then_it_round_trips_through_msgspec(
        self, catalogue: Prequalification
    ) -> None:
        raw = msgspec.to_builtins(catalogue)

        assert raw["evidence"][0]["validity"] == {"kind": "unlimited"}
        assert msgspec.convert(raw, Prequalification) == catalogue


class TestCategoryOfDivision:
    @pytest.mark.parametrize(
        ("division", "category"),
        [
            ("45", "works"),
            ("03", "supplies"),
            ("30", "supplies"),
            ("48", "supplies"),
            ("50", "services"),
            ("72", "services"),
            ("98", "services"),
            ("99", None),
            ("4", None),
            ("450", None),
            ("", None),
        ],
    )
    def test_given_a_division_then_its_category(
        self, division: str, category: Category | None
    ) -> None:
        assert category_of_division(division) == category

    def test_the_divisions_are_the_45_of_the_cpv_each_in_one_category(self) -> None:
        works, supplies, services = (CPV_DIVISIONS[c] for c in ALL)

        assert len(works | supplies | services) == len(works) + len(supplies) + len(services)
        assert len(works | supplies | services) == 45
        assert all(len(d) == 2 and d.isdigit() for d in works | supplies | services)
