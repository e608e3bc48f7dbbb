"""Instance profiles: the bundled ones carry the law's numbers, a broken one names its key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from infra.profile import BUNDLED_PROFILES_DIR, Profile, ProfileError, load_profile

BREMEN_TOML = (BUNDLED_PROFILES_DIR / "bremen.toml").read_text(encoding="utf-8")

SECOND_SET = """
[[thresholds]]
valid_from = {valid_from}
valid_to = 2029-12-31
source = "assumed for the test"
works = "5538000"
supplies_services = "221000"
supplies_services_central = "143000"
sector = "443000"
social_services = "750000"
sector_social_services = "1000000"
concessions = "5538000"
"""


def _edited(old: str, new: str) -> str:
    """The Bremen profile with ``old`` replaced by ``new`` (which must be there)."""
    assert old in BREMEN_TOML, f"{old!r} is no longer in bremen.toml"
    return BREMEN_TOML.replace(old, new, 1)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "state.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestBundledProfiles:
    @pytest.mark.parametrize(
        ("name", "instance_id", "subdivision"), [("bremen", "hb", "HB"), ("hamburg", "hh", "HH")]
    )
    def test_given_a_bundled_name_then_it_loads(
        self, name: str, instance_id: str, subdivision: str
    ) -> None:
        profile = load_profile(name)

        assert profile.instance.id == instance_id
        assert profile.instance.holiday_subdivision == subdivision
        assert profile.thresholds_on(date(2026, 6, 1)) is not None

    def test_bremen_carries_the_values_of_the_design(self) -> None:
        # DESIGN.md §3: OJ L 2025/7079, VgV periods, § 134 GWB, § 126 GWB, § 6 WRegG.
        profile = load_profile("bremen")

        (thresholds,) = profile.thresholds
        assert (thresholds.valid_from, thresholds.valid_to) == (
            date(2026, 1, 1),
            date(2027, 12, 31),
        )
        assert thresholds.works == Decimal(5_404_000)
        assert thresholds.concessions == Decimal(5_404_000)
        assert thresholds.supplies_services == Decimal(216_000)
        assert thresholds.supplies_services_central == Decimal(140_000)
        assert thresholds.sector == Decimal(432_000)
        assert thresholds.social_services == Decimal(750_000)
        assert thresholds.sector_social_services == Decimal(1_000_000)

        periods = profile.periods
        assert (periods.eu_open, periods.eu_open_electronic, periods.eu_open_urgent) == (
            35,
            30,
            15,
        )
        assert (
            periods.eu_restricted_participation,
            periods.eu_restricted_participation_urgent,
        ) == (30, 15)
        assert (periods.eu_restricted_tender, periods.eu_restricted_tender_urgent) == (30, 10)
        assert periods.national == 10

        assert (profile.standstill.electronic_days, profile.standstill.other_days) == (10, 15)
        assert profile.standstill.end_moves_off_holidays is False
        assert (profile.exclusion.mandatory_years, profile.exclusion.optional_years) == (5, 3)
        assert profile.award.competition_register_from == Decimal(30_000)
        # § 127 Abs. 5 GWB (tie rule announced with the criteria); § 60 VgV (Aufgreifschwelle).
        assert profile.award.tie_rule == "lower_price"
        assert profile.award.abnormally_low_percent == 20
        assert profile.instance.holiday_subdivision == "HB"
        assert profile.instance.languages == ("de", "en")
        assert profile.instance.default_language == "de"
        assert profile.instance.timezone == "Europe/Berlin"

    def test_given_the_path_of_an_unchanged_copy_then_the_same_profile(
        self, tmp_path: Path
    ) -> None:
        assert load_profile(str(_write(tmp_path, BREMEN_TOML))) == load_profile("bremen")

    def test_given_an_unknown_name_then_the_bundled_ones_are_listed(self) -> None:
        with pytest.raises(ProfileError, match=r"unknown profile 'berlin' \(bundled: bremen, "):
            load_profile("berlin")

    def test_given_a_missing_file_then_it_cannot_be_read(self, tmp_path: Path) -> None:
        with pytest.raises(ProfileError, match="cannot be read"):
            load_profile(str(tmp_path / "missing.toml"))


class TestBrokenProfile:
    @pytest.mark.parametrize(
        ("old", "new", "key"),
        [
            ("eu_open = 35", 'eu_open = "five weeks"', "key periods.eu_open: Expected `int`"),
            ("eu_open = 35", "eu_open = 0", "key periods.eu_open: Expected `int` >= 1"),
            (
                'holiday_subdivision = "HB"',
                'holiday_subdivision = "XX"',
                "key instance.holiday_subdivision: unknown German subdivision 'XX'",
            ),
            (
                'timezone = "Europe/Berlin"',
                'timezone = "Europe/Bremen"',
                "key instance.timezone: unknown time zone 'Europe/Bremen'",
            ),
            (
                "valid_to = 2027-12-31",
                "valid_to = 2025-12-31",
                "key thresholds[0].valid_to: lies before valid_from",
            ),
            ('works = "5404000"', 'works = "0"', "key thresholds[0].works: must be a positive"),
            ('sector = "432000"', 'sector = "-1"', "key thresholds[0].sector: must be a positive"),
            ('works = "5404000"', 'works = "NaN"', "key thresholds[0].works: must be a positive"),
            (
                'concessions = "5404000"',
                'concessions = "Infinity"',
                "key thresholds[0].concessions: must be a positive",
            ),
            (
                'competition_register_from = "30000"',
                'competition_register_from = "-30000"',
                "key award.competition_register_from: must be a non-negative",
            ),
            (
                'tie_rule = "lower_price"',
                'tie_rule = "coin"',
                "key award.tie_rule: Invalid enum value 'coin'",
            ),
            (
                "abnormally_low_percent = 20",
                "abnormally_low_percent = 0",
                "key award.abnormally_low_percent: Expected `int` >= 1",
            ),
            (
                "abnormally_low_percent = 20",
                "abnormally_low_percent = 95",
                "key award.abnormally_low_percent: Expected `int` <= 90",
            ),
            (
                'tie_rule = "lower_price"\n',
                "",
                "key award: Object missing required field `tie_rule`",
            ),
            ('languages = ["de", "en"]', 'languages = ["de", "fr"]', "key instance.languages[1]"),
            ('id = "hb"', 'id = "Bremen"', "key instance.id: "),
        ],
    )
    def test_given_a_wrong_value_then_the_error_names_the_key(
        self, tmp_path: Path, old: str, new: str, key: str
    ) -> None:
        path = _write(tmp_path, _edited(old, new))

        with pytest.raises(ProfileError) as caught:
            load_profile(str(path))

        assert str(caught.value).startswith(f"profile {path}: ")
        assert key in str(caught.value)
        assert "\n" not in str(caught.value)

    def test_given_an_unknown_key_then_the_error_names_it(self, tmp_path: Path) -> None:
        path = _write(tmp_path, _edited("national = 10", "national = 10\nnational_works = 12"))

        with pytest.raises(ProfileError, match=r"key periods: .*unknown field `national_works`"):
            load_profile(str(path))

    def test_given_overlapping_threshold_sets_then_the_error_names_thresholds(
        self, tmp_path: Path
    ) -> None:
        path = _write(tmp_path, BREMEN_TOML + SECOND_SET.format(valid_from="2027-12-31"))

        with pytest.raises(
            ProfileError, match=r"key thresholds: sets overlap: 2026-01-01\.\.2027-12-31 and "
        ):
            load_profile(str(path))

    def test_given_text_that_is_not_toml_then_it_says_so(self, tmp_path: Path) -> None:
        with pytest.raises(ProfileError, match="not valid TOML"):
            load_profile(str(_write(tmp_path, "[instance\nid = 'hb'")))


class TestThresholdsOn:
    @pytest.fixture
    def two_sets(self, tmp_path: Path) -> Profile:
        """Bremen's 2026-2027 set followed by an assumed 2028-2029 set."""
        return load_profile(
            str(_write(tmp_path, BREMEN_TOML + SECOND_SET.format(valid_from="2028-01-01")))
        )

    @pytest.mark.parametrize(
        ("day", "works"),
        [
            (date(2026, 1, 1), Decimal(5_404_000)),
            (date(2027, 12, 31), Decimal(5_404_000)),
            (date(2028, 1, 1), Decimal(5_538_000)),
            (date(2029, 12, 31), Decimal(5_538_000)),
        ],
    )
    def test_given_a_day_in_a_set_then_that_set(
        self, two_sets: Profile, day: date, works: Decimal
    ) -> None:
        found = two_sets.thresholds_on(day)

        assert found is not None
        assert found.works == works
        assert found.valid_from <= day <= found.valid_to

    @pytest.mark.parametrize("day", [date(2025, 12, 31), date(2030, 1, 1)])
    def test_given_a_day_outside_every_set_then_none(self, two_sets: Profile, day: date) -> None:
        assert two_sets.thresholds_on(day) is None

    def test_given_bremen_then_none_after_2027(self) -> None:
        assert load_profile("bremen").thresholds_on(date(2028, 1, 1)) is None


class TestSignatureTrust:
    def test_bremen_fetches_every_territory_from_the_eu_lotl_on_allowed_hosts(self) -> None:
        trust = load_profile("bremen").signatures

        assert trust.lotl_url == "https://ec.europa.eu/tools/lotl/eu-lotl.xml"
        assert trust.territories == ()
        assert {"ec.europa.eu", "tl.bundesnetzagentur.de"} <= set(trust.allowed_hosts)
        assert trust.trust_anchors == ()
        assert trust.crl_urls == ()

    def test_given_crl_urls_then_they_are_kept_in_order(self, tmp_path: Path) -> None:
        urls = '["http://crl.ca.example/ca.crl", "https://crl.ca.example/root.crl"]'
        path = _write(tmp_path, _edited("crl_urls = []", f"crl_urls = {urls}"))

        trust = load_profile(str(path)).signatures

        assert trust.crl_urls == (
            "http://crl.ca.example/ca.crl",
            "https://crl.ca.example/root.crl",
        )

    def test_given_no_section_then_only_the_lotl_host_is_allowed(self, tmp_path: Path) -> None:
        start = BREMEN_TOML.index("\n# Trusted lists")
        without = BREMEN_TOML[:start] + BREMEN_TOML[BREMEN_TOML.index("\n# Pre-qualification") :]

        trust = load_profile(str(_write(tmp_path, without))).signatures

        assert trust.allowed_hosts == ("ec.europa.eu",)

    def test_given_a_relative_anchor_then_it_is_resolved_against_the_profile_file(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "anchors").mkdir()
        (tmp_path / "anchors" / "root.pem").write_text("-----BEGIN CERTIFICATE-----\n")
        path = _write(
            tmp_path, _edited("trust_anchors = []", 'trust_anchors = ["anchors/root.pem"]')
        )

        trust = load_profile(str(path)).signatures

        assert trust.trust_anchors == (tmp_path / "anchors" / "root.pem",)

    @pytest.mark.parametrize(
        ("old", "new", "key"),
        [
            (
                "trust_anchors = []",
                'trust_anchors = ["missing.pem"]',
                "key signatures.trust_anchors[0]: no file",
            ),
            ("territories = []", 'territories = ["de"]', "key signatures.territories[0]"),
            (
                'lotl_url = "https://ec.europa.eu/tools/lotl/eu-lotl.xml"',
                'lotl_url = "http://ec.europa.eu/tools/lotl/eu-lotl.xml"',
                "key signatures.lotl_url: must be an https:// URL",
            ),
            (
                'lotl_url = "https://ec.europa.eu/tools/lotl/eu-lotl.xml"',
                'lotl_url = "https://lotl.example/eu-lotl.xml"',
                "key signatures.allowed_hosts: must contain the LOTL host 'lotl.example'",
            ),
            ('"ec.europa.eu", "www', '"EC.europa.eu", "www', "key signatures.allowed_hosts[0]"),
            (
                "crl_urls = []",
                'crl_urls = ["ldap://ldap.ca.example/cn=CA?certificateRevocationList"]',
                "key signatures.crl_urls: 'ldap://ldap.ca.example/cn=CA?certificateRevocationList'"
                " is not an http:// or https:// URL",
            ),
            ("crl_urls = []", 'crl_urls = "http://crl.ca.example/ca.crl"', "signatures.crl_urls"),
        ],
    )
    def test_given_a_wrong_value_then_the_error_names_the_key(
        self, tmp_path: Path, old: str, new: str, key: str
    ) -> None:
        path = _write(tmp_path, _edited(old, new))

        with pytest.raises(ProfileError) as caught:
            load_profile(str(path))

        assert key in str(caught.value)
