"""Scoring bids: price points by ratio or linear interpolation, consolidated quality points,
weighted totals, the ranking with the profile's tie rule and abnormally low prices, all in
Decimal and rounded once to two places, half up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infra.profile import load_profile
from procurement.award.scoring import (
    RankEntry,
    abnormally_low,
    consolidate,
    price_points_linear,
    price_points_lowest,
    rank,
    weighted_total,
)
from procurement.errors import InvalidPrice, PointsOutOfScale, ProcurementError

D = Decimal


def exact(points: dict[str, Decimal]) -> dict[str, str]:
    """The points as written, so that ``80`` and ``80.00`` differ."""
    return {key: str(value) for key, value in points.items()}


BAD_PRICES = [D(0), D("-1"), D("NaN"), D("Infinity"), D("-Infinity"), D("sNaN")]


class TestPricePointsLowest:
    def test_given_three_prices_then_lowest_over_price_times_maximum(self) -> None:
        points = price_points_lowest({"a": D(100_000), "b": D(125_000), "c": D(160_000)}, 100)

        assert exact(points) == {"a": "100.00", "b": "80.00", "c": "62.50"}

    def test_given_thirds_then_rounded_to_two_places(self) -> None:
        points = price_points_lowest({"a": D(1000), "b": D(1200), "c": D(1500)}, D(100))

        assert exact(points) == {"a": "100.00", "b": "83.33", "c": "66.67"}

    def test_given_an_exact_half_cent_then_rounded_half_up(self) -> None:
        # 1 / 800 * 100 = 0.125: half up gives 0.13 (half even would give 0.12).
        assert exact(price_points_lowest({"a": D(1), "b": D(800)}, 100)) == {
            "a": "100.00",
            "b": "0.13",
        }

    def test_given_cents_and_another_maximum_then_exact(self) -> None:
        points = price_points_lowest({"a": D("99999.99"), "b": D("111111.10")}, 10)

        # 99999.99 / 111111.10 * 10 = 8.99999918... -> 9.00
        assert exact(points) == {"a": "10.00", "b": "9.00"}

    def test_given_equal_prices_or_one_bid_then_all_get_the_maximum(self) -> None:
        assert exact(price_points_lowest({"a": D(5), "b": D(5)}, 40)) == {
            "a": "40.00",
            "b": "40.00",
        }
        assert exact(price_points_lowest({"only": D(123)}, 100)) == {"only": "100.00"}

    def test_given_no_prices_then_no_points(self) -> None:
        assert price_points_lowest({}, 100) == {}

    @pytest.mark.parametrize("price", BAD_PRICES, ids=str)
    def test_given_a_price_that_is_not_positive_and_finite_then_invalid_price(
        self, price: Decimal
    ) -> None:
        with pytest.raises(InvalidPrice) as caught:
            price_points_lowest({"good": D(100), "bad": price}, 100)

        assert caught.value.extra == {"bid": "bad", "price": str(price)}
        assert caught.value.status_code == 422
        assert caught.value.code == "invalid-price"
        assert isinstance(caught.value, ProcurementError)

    @pytest.mark.parametrize("maximum", [0, -10, D(0), D("NaN")], ids=str)
    def test_given_a_maximum_that_is_not_positive_then_value_error(
        self, maximum: Decimal | int
    ) -> None:
        with pytest.raises(ValueError, match="max_points"):
            price_points_lowest({"a": D(1)}, maximum)

    def test_given_a_float_then_refused(self) -> None:
        with pytest.raises(TypeError, match="Decimal"):
            price_points_lowest({"a": 100.0}, 100)  # type: ignore[dict-item]
        with pytest.raises(TypeError, match="Decimal"):
            price_points_lowest({"a": D(100)}, 100.0)  # type: ignore[arg-type]


class TestPricePointsLinear:
    def test_given_the_default_scale_then_zero_points_at_twice_the_lowest(self) -> None:
        prices = {
            "a": D(100_000),
            "b": D(150_000),
            "c": D(120_000),
            "d": D(200_000),
            "e": D(250_000),
            "f": D(133_333),
        }

        points = price_points_linear(prices, 100)

        assert exact(points) == {
            "a": "100.00",
            "b": "50.00",
            "c": "80.00",
            "d": "0.00",
            "e": "0.00",
            "f": "66.67",  # 100 * 66667 / 100000 = 66.667
        }

    def test_given_an_exact_half_cent_then_rounded_half_up(self) -> None:
        # 100 * (2000 - 1998.75) / 1000 = 0.125 -> 0.13
        points = price_points_linear({"a": D(1000), "b": D("1998.75")}, 100)

        assert exact(points) == {"a": "100.00", "b": "0.13"}

    def test_given_zero_at_then_the_scale_runs_to_it(self) -> None:
        prices = {"a": D(100_000), "b": D(150_000), "c": D(300_000), "d": D(310_000)}

        points = price_points_linear(prices, 10, zero_at=D(300_000))

        # b: 10 * (300000 - 150000) / (300000 - 100000) = 7.5
        assert exact(points) == {"a": "10.00", "b": "7.50", "c": "0.00", "d": "0.00"}

    @pytest.mark.parametrize("zero_at", [D(100), D(90), D("NaN")], ids=str)
    def test_given_zero_at_not_above_the_lowest_price_then_value_error(
        self, zero_at: Decimal
    ) -> None:
        with pytest.raises(ValueError, match="zero_at"):
            price_points_linear({"a": D(100), "b": D(120)}, 100, zero_at=zero_at)

    def test_given_one_bid_or_none_then_the_maximum_or_nothing(self) -> None:
        assert exact(price_points_linear({"only": D(7)}, 100)) == {"only": "100.00"}
        assert price_points_linear({}, 100) == {}

    @pytest.mark.parametrize("price", BAD_PRICES, ids=str)
    def test_given_a_bad_price_then_invalid_price(self, price: Decimal) -> None:
        with pytest.raises(InvalidPrice):
            price_points_linear({"good": D(100), "bad": price}, 100)


class TestConsolidate:
    def test_given_three_evaluators_then_the_mean(self) -> None:
        points = {"eva": D(7), "otto": D(8), "olga": D(8)}

        assert str(consolidate(points, max_points=10)) == "7.67"

    def test_given_a_mean_on_a_half_cent_then_rounded_half_up(self) -> None:
        # (7.24 + 7.25) / 2 = 7.245 -> 7.25 (half even would give 7.24)
        assert str(consolidate({"eva": D("7.24"), "otto": D("7.25")}, max_points=10)) == "7.25"

    def test_given_the_ends_of_the_scale_then_accepted(self) -> None:
        assert str(consolidate({"eva": D(0), "otto": D(10)}, max_points=10)) == "5.00"
        assert str(consolidate({"eva": D(10)}, max_points=D(10))) == "10.00"

    @pytest.mark.parametrize("points", [D("10.01"), D(11), D("-0.5"), D("NaN")], ids=str)
    def test_given_points_outside_the_scale_then_points_out_of_scale(self, points: Decimal) -> None:
        with pytest.raises(PointsOutOfScale) as caught:
            consolidate({"eva": D(5), "otto": points}, max_points=10)

        assert caught.value.extra == {
            "points": str(points),
            "max_points": "10",
            "evaluator": "otto",
        }
        assert caught.value.status_code == 422
        assert caught.value.code == "points-out-of-scale"

    def test_given_no_evaluator_then_value_error(self) -> None:
        with pytest.raises(ValueError, match="no evaluator"):
            consolidate({}, max_points=10)


class TestWeightedTotal:
    def test_given_price_and_quality_then_the_weighted_sum_on_100(self) -> None:
        # 60 * 80.00/100 + 40 * 7.67/10 = 48 + 30.68
        total = weighted_total([(60, D("80.00"), 100), (40, D("7.67"), 10)])

        assert str(total) == "78.68"

    def test_given_thirds_then_rounded_once_at_the_end(self) -> None:
        # 70 * 83.33/100 + 30 * 2/3 = 58.331 + 20 = 78.331
        assert str(weighted_total([(70, D("83.33"), 100), (30, D(2), 3)])) == "78.33"

    def test_given_half_a_cent_then_rounded_half_up(self) -> None:
        # 50 * 0.01/100 = 0.005
        assert str(weighted_total([(50, D("0.01"), 100), (50, D(0), 10)])) == "0.01"

    def test_given_full_and_no_points_then_100_and_0(self) -> None:
        assert str(weighted_total([(25, D(4), 4), (75, D(100), 100)])) == "100.00"
        assert str(weighted_total([(100, D(0), 100)])) == "0.00"

    @pytest.mark.parametrize(
        "criteria",
        [[(60, D(50), 100), (30, D(5), 10)], [(60, D(50), 100), (50, D(5), 10)], []],
        ids=["90", "110", "none"],
    )
    def test_given_weights_not_summing_to_100_then_value_error(
        self, criteria: list[tuple[int, Decimal, int]]
    ) -> None:
        with pytest.raises(ValueError, match="weights sum to"):
            weighted_total(criteria)

    def test_given_a_weight_of_zero_then_value_error(self) -> None:
        with pytest.raises(ValueError, match=r"criteria\[1\]\.weight"):
            weighted_total([(100, D(50), 100), (0, D(5), 10)])

    def test_given_points_above_the_maximum_then_points_out_of_scale(self) -> None:
        with pytest.raises(PointsOutOfScale) as caught:
            weighted_total([(60, D(50), 100), (40, D(11), 10)])

        assert caught.value.extra == {"points": "11", "max_points": "10", "criterion": "1"}


class TestRank:
    def test_given_lower_price_then_equal_totals_are_ordered_by_price(self) -> None:
        totals = {"a": D("78.68"), "b": D("81.20"), "c": D("78.68"), "d": D("50.00")}
        prices = {"a": D(100_000), "b": D(120_000), "c": D(95_000), "d": D(90_000)}

        ranking = rank(totals, tie_rule="lower_price", prices=prices)

        assert ranking == [
            RankEntry(key="b", rank=1, total=D("81.20"), price=D(120_000), tied=False),
            RankEntry(key="c", rank=2, total=D("78.68"), price=D(95_000), tied=True),
            RankEntry(key="a", rank=3, total=D("78.68"), price=D(100_000), tied=True),
            RankEntry(key="d", rank=4, total=D("50.00"), price=D(90_000), tied=False),
        ]

    def test_given_lower_price_and_equal_prices_then_the_rank_is_shared(self) -> None:
        totals = {"a": D(80), "b": D("80.00"), "c": D(70)}
        prices = {"a": D(100), "b": D("100.00"), "c": D(90)}

        ranking = rank(totals, tie_rule="lower_price", prices=prices)

        assert [(e.key, e.rank, e.tied) for e in ranking] == [
            ("a", 1, True),
            ("b", 1, True),
            ("c", 3, False),
        ]

    def test_given_lower_price_without_every_price_then_value_error(self) -> None:
        with pytest.raises(ValueError, match="price of every bid"):
            rank({"a": D(1), "b": D(2)}, tie_rule="lower_price", prices={"a": D(5)})
        with pytest.raises(ValueError, match="price of every bid"):
            rank({"a": D(1)}, tie_rule="lower_price")

    def test_given_lots_then_tied_bids_get_distinct_ranks_reproducibly(self) -> None:
        totals = {"a": D(90), "b": D(80), "c": D(80), "d": D(80), "e": D(10)}

        first = rank(totals, tie_rule="lot", seed=20260901)
        again = rank(dict(reversed(totals.items())), tie_rule="lot", seed=20260901)

        assert first == again
        assert [e.rank for e in first] == [1, 2, 3, 4, 5]
        assert (first[0].key, first[-1].key) == ("a", "e")
        assert {e.key for e in first[1:4]} == {"b", "c", "d"}
        assert [e.tied for e in first] == [False, True, True, True, False]
        assert all(e.price is None for e in first)

    def test_given_other_seeds_then_every_order_can_be_drawn(self) -> None:
        totals = {"a": D(50), "b": D(50)}

        winners = {rank(totals, tie_rule="lot", seed=seed)[0].key for seed in range(40)}

        assert winners == {"a", "b"}

    def test_given_lots_without_a_seed_then_value_error(self) -> None:
        with pytest.raises(ValueError, match="seed"):
            rank({"a": D(1)}, tie_rule="lot")

    def test_given_lots_and_prices_then_prices_are_reported_not_used(self) -> None:
        ranking = rank(
            {"a": D(60), "b": D(70)}, tie_rule="lot", seed="x", prices={"a": D(1), "b": D(2)}
        )

        assert [(e.key, e.price) for e in ranking] == [("b", D(2)), ("a", D(1))]

    def test_given_no_bids_then_an_empty_ranking(self) -> None:
        assert rank({}, tie_rule="lower_price", prices={}) == []

    def test_given_a_bad_total_or_rule_then_value_error(self) -> None:
        with pytest.raises(ValueError, match="totals"):
            rank({"a": D("NaN")}, tie_rule="lot", seed=1)
        with pytest.raises(ValueError, match="tie_rule"):
            rank({"a": D(1)}, tie_rule="coin", seed=1)  # type: ignore[arg-type]

    def test_given_a_bad_price_then_invalid_price(self) -> None:
        with pytest.raises(InvalidPrice):
            rank({"a": D(1)}, tie_rule="lower_price", prices={"a": D(0)})


class TestAbnormallyLow:
    def test_given_the_bundled_profiles_then_20_percent(self) -> None:
        for name in ("bremen", "hamburg"):
            assert load_profile(name).award.abnormally_low_percent == 20

    @pytest.mark.parametrize(
        ("lowest", "flagged"),
        [(D(79), {"a"}), (D("79.99"), {"a"}), (D(80), set()), (D(95), set())],
        ids=str,
    )
    def test_given_the_lowest_price_against_the_second_lowest_then_flagged_beyond_20_percent(
        self, lowest: Decimal, flagged: set[str]
    ) -> None:
        prices = {"a": lowest, "b": D(100), "c": D(130)}

        assert abnormally_low(prices, threshold_percent=20) == flagged

    def test_given_two_bids_at_the_lowest_price_then_none_flagged(self) -> None:
        prices = {"a": D(50), "b": D(50), "c": D(100)}

        assert abnormally_low(prices, threshold_percent=20) == set()

    def test_given_fewer_than_two_prices_then_nothing_flagged(self) -> None:
        assert abnormally_low({"a": D(1)}, threshold_percent=20) == set()
        assert abnormally_low({}, threshold_percent=20) == set()

    def test_given_another_threshold_then_it_applies(self) -> None:
        prices = {"a": D(89), "b": D(100)}

        assert abnormally_low(prices, threshold_percent=10) == {"a"}
        assert abnormally_low(prices, threshold_percent=D("11.5")) == set()

    @pytest.mark.parametrize("threshold", [0, 100, -5, D(100)], ids=str)
    def test_given_a_threshold_outside_0_to_100_then_value_error(
        self, threshold: Decimal | int
    ) -> None:
        with pytest.raises(ValueError, match="threshold_percent"):
            abnormally_low({"a": D(1), "b": D(2)}, threshold_percent=threshold)

    @pytest.mark.parametrize("price", BAD_PRICES, ids=str)
    def test_given_a_bad_price_then_invalid_price(self, price: Decimal) -> None:
        with pytest.raises(InvalidPrice):
            abnormally_low({"a": price, "b": D(100)}, threshold_percent=20)
