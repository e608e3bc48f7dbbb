"""EU procedure or national rules: the value against the profile's threshold on the day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.clock import ManualClock
from infra.profile import Profile, load_profile
from procurement.errors import NoThresholdsForDate
from procurement.regime import assess_regime
from procurement.schemas import AuthorityKind, ContractKind

REGIME = "/api/v1/procurement/regime"
IN_FORCE = date(2026, 6, 1)
CENT = Decimal("0.01")

# DESIGN.md §3, OJ L 2025/7079: (contract, authority, threshold in EUR net)
THRESHOLDS: list[tuple[ContractKind, AuthorityKind, Decimal]] = [
    ("works", "sub_central", Decimal(5_404_000)),
    ("works", "central", Decimal(5_404_000)),
    ("works", "sector", Decimal(5_404_000)),
    ("supplies", "sub_central", Decimal(216_000)),
    ("services", "sub_central", Decimal(216_000)),
    ("supplies", "central", Decimal(140_000)),
    ("services", "central", Decimal(140_000)),
    ("supplies", "sector", Decimal(432_000)),
    ("services", "sector", Decimal(432_000)),
    ("social_services", "sub_central", Decimal(750_000)),
    ("social_services", "central", Decimal(750_000)),
    ("social_services", "sector", Decimal(1_000_000)),
    ("concession", "sub_central", Decimal(5_404_000)),
    ("concession", "central", Decimal(5_404_000)),
]


@pytest.fixture(scope="module")
def bremen() -> Profile:
    return load_profile("bremen")


class TestAssessRegime:
    @pytest.mark.parametrize(("contract", "authority", "threshold"), THRESHOLDS)
    def test_given_exactly_the_threshold_then_eu(
        self,
        bremen: Profile,
        contract: ContractKind,
        authority: AuthorityKind,
        threshold: Decimal,
    ) -> None:
        assessment = assess_regime(bremen, contract, authority, threshold, IN_FORCE)

        assert assessment.regime == "eu"
        assert assessment.threshold == threshold

    @pytest.mark.parametrize(("contract", "authority", "threshold"), THRESHOLDS)
    def test_given_one_cent_below_then_national(
        self,
        bremen: Profile,
        contract: ContractKind,
        authority: AuthorityKind,
        threshold: Decimal,
    ) -> None:
        assessment = assess_regime(bremen, contract, authority, threshold - CENT, IN_FORCE)

        assert assessment.regime == "national"
        assert assessment.threshold == threshold

    @pytest.mark.parametrize(
        ("contract", "authority", "value", "basis"),
        [
            ("works", "sub_central", Decimal(5_404_000), "GWB Teil 4, VgV, VOB/A-EU"),
            ("works", "sub_central", Decimal(100_000), "VOB/A Abschnitt 1"),
            ("supplies", "sub_central", Decimal(216_000), "GWB Teil 4, VgV"),
            ("services", "sub_central", Decimal(10_000), "UVgO"),
            ("services", "sector", Decimal(432_000), "GWB Teil 4, SektVO"),
            ("works", "sector", Decimal(5_404_000), "GWB Teil 4, SektVO"),
            ("concession", "sub_central", Decimal(5_404_000), "GWB Teil 4, KonzVgV"),
        ],
    )
    def test_names_the_legal_basis(
        self,
        bremen: Profile,
        contract: ContractKind,
        authority: AuthorityKind,
        value: Decimal,
        basis: str,
    ) -> None:
        assert assess_regime(bremen, contract, authority, value, IN_FORCE).legal_basis == basis

    def test_names_the_threshold_set_it_used(self, bremen: Profile) -> None:
        assessment = assess_regime(bremen, "works", "sub_central", Decimal(1), IN_FORCE)

        assert (assessment.thresholds_valid_from, assessment.thresholds_valid_to) == (
            date(2026, 1, 1),
            date(2027, 12, 31),
        )
        assert assessment.thresholds_source == "Amtsblatt der EU, ABl. L 2025/7079"

    @pytest.mark.parametrize("day", [date(2025, 12, 31), date(2028, 1, 1)])
    def test_given_a_day_without_thresholds_then_no_thresholds_for_date(
        self, bremen: Profile, day: date
    ) -> None:
        with pytest.raises(NoThresholdsForDate, match=str(day)):
            assess_regime(bremen, "works", "sub_central", Decimal(1), day)


def _query(**fields: Any) -> dict[str, Any]:
    return {"contract": "supplies", "estimated_value": "216000"} | fields


class TestRegimeApi:
    @pytest.mark.parametrize(("contract", "authority", "threshold"), THRESHOLDS)
    async def test_given_the_threshold_and_one_cent_below_then_eu_and_national(
        self,
        client: AsyncTestClient[Litestar],
        contract: str,
        authority: str,
        threshold: Decimal,
    ) -> None:
        at = await client.post(
            REGIME,
            json=_query(
                contract=contract,
                authority=authority,
                estimated_value=str(threshold),
                reference_date=IN_FORCE.isoformat(),
            ),
        )
        below = await client.post(
            REGIME,
            json=_query(
                contract=contract,
                authority=authority,
                estimated_value=str(threshold - CENT),
                reference_date=IN_FORCE.isoformat(),
            ),
        )

        assert (at.status_code, below.status_code) == (200, 200)
        assert (at.json()["regime"], below.json()["regime"]) == ("eu", "national")
        assert at.json()["threshold"] == str(threshold)

    async def test_given_a_value_as_json_number_then_read_exactly(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.post(
            REGIME,
            json={
                "contract": "services",
                "estimated_value": 215999.99,
                "reference_date": "2026-06-01",
            },
        )

        assert response.status_code == 200
        assert response.json()["regime"] == "national"

    async def test_given_a_day_without_thresholds_then_409_problem(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.post(REGIME, json=_query(reference_date="2028-01-01"))

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "no-thresholds-for-date"
        assert body["status"] == 409
        assert "2028-01-01" in body["detail"]

    async def test_given_no_date_late_on_new_years_eve_then_the_day_in_berlin_counts(
        self, client: AsyncTestClient[Litestar], clock: ManualClock
    ) -> None:
        # Given 31 Dec 2025, 23:30 UTC: already 1 Jan 2026 in Berlin, the first day of the set
        clock.set(datetime(2025, 12, 31, 23, 30, tzinfo=UTC))

        response = await client.post(REGIME, json=_query())

        assert response.status_code == 200
        assert response.json()["thresholds_valid_from"] == "2026-01-01"
        assert response.json()["regime"] == "eu"

    async def test_given_no_date_at_the_turn_of_2027_then_still_the_2026_2027_set(
        self, client: AsyncTestClient[Litestar], clock: ManualClock
    ) -> None:
        # Given 31 Dec 2026, 23:30 UTC: 1 Jan 2027 in Berlin
        clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))

        response = await client.post(REGIME, json=_query())

        assert response.status_code == 200
        body = response.json()
        assert (body["thresholds_valid_from"], body["thresholds_valid_to"]) == (
            "2026-01-01",
            "2027-12-31",
        )

    async def test_given_no_date_after_the_set_ends_in_berlin_then_409(
        self, client: AsyncTestClient[Litestar], clock: ManualClock
    ) -> None:
        # Given 31 Dec 2027, 23:30 UTC: 1 Jan 2028 in Berlin, which no set covers
        clock.set(datetime(2027, 12, 31, 23, 30, tzinfo=UTC))

        response = await client.post(REGIME, json=_query())

        assert response.status_code == 409
        assert response.json()["code"] == "no-thresholds-for-date"
        assert "2028-01-01" in response.json()["detail"]

    @pytest.mark.parametrize(
        "value",
        ["-0.01", "-216000", "NaN", "sNaN", "Infinity", "-Infinity", "1e15", "1e400", "lots"],
    )
    async def test_given_a_value_that_is_no_amount_then_422(
        self, client: AsyncTestClient[Litestar], value: str
    ) -> None:
        response = await client.post(REGIME, json=_query(estimated_value=value))

        assert response.status_code == 422
        assert response.json()["code"] == "invalid"

    @pytest.mark.parametrize(
        "fields",
        [
            {"authority": "municipal"},
            {"contract": "bridges"},
            {"reference_date": "2026-02-30"},
        ],
    )
    async def test_given_another_wrong_field_then_422(
        self, client: AsyncTestClient[Litestar], fields: dict[str, Any]
    ) -> None:
        response = await client.post(REGIME, json=_query(**fields))

        assert response.status_code == 422

    @pytest.mark.parametrize(("number", "status"), [(b"1e20", 422), (b"1e400", 400)])
    async def test_given_a_huge_json_number_then_a_client_error(
        self, client: AsyncTestClient[Litestar], number: bytes, status: int
    ) -> None:
        # 1e20 is read and refused as implausible; 1e400 cannot even be read as a number.
        response = await client.post(
            REGIME,
            content=b'{"contract": "works", "estimated_value": ' + number + b"}",
            headers={"content-type": "application/json"},
        )

        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
