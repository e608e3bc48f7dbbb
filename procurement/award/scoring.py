"""Scoring the bids of a lot: price points, consolidated quality points, weighted totals, the
ranking with the profile's tie rule, and the flag for abnormally low prices (§ 60 VgV).

A pure module (no database, no I/O); bids are named by any hashable key (a bid id). Each
criterion is scored by its method, announced in the tender (§ 127 Abs. 5 GWB): price by
:func:`price_points_lowest` or :func:`price_points_linear`, quality by points each evaluator
gives independently, consolidated by :func:`consolidate`; :func:`weighted_total` adds them up on
a scale of 0 to 100 and :func:`rank` orders the bids.

Arithmetic is :class:`~decimal.Decimal` throughout, in a context of 50 significant digits; a
float is refused. Each function rounds once, at its end, to two decimal places half up
(kaufmännisches Runden, ``ROUND_HALF_UP``; not Python's default half-even): intermediate values
are never rounded. The points of a criterion are thus rounded once, when established, and the
total is computed from those rounded points, so that the total can be recomputed from the
evaluation sheet and the figures quoted to bidders (§ 134 Abs. 1 GWB). Rounding can make totals
equal; the tie rule then decides.
"""

from __future__ import annotations

__all__ = [
    "POINTS_QUANTUM",
    "RankEntry",
    "TieRule",
    "abnormally_low",
    "consolidate",
    "price_points_linear",
    "price_points_lowest",
    "rank",
    "weighted_total",
]

import itertools
import random
from collections.abc import Hashable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, Generic, Literal, TypeVar

import msgspec

from procurement.errors import InvalidPrice, PointsOutOfScale

K = TypeVar("K", bound=Hashable)
TieRule = Literal["lower_price", "lot"]
"""The profile's ``award.tie_rule``."""

POINTS_QUANTUM = Decimal("0.01")
"""Points and totals are rounded to two decimal places, half up."""

_CONTEXT = Context(prec=50)
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class RankEntry(msgspec.Struct, Generic[K], frozen=True, kw_only=True):
    """One bid's place in the ranking of a lot."""

    key: K
    """The bid (as keyed in the totals given to :func:`rank`)."""
    rank: int
    """1 for the best bid. Bids the tie rule cannot separate share a rank and the next rank
    is skipped (1, 1, 3)."""
    total: Decimal
    """The bid's total points (0 to 100)."""
    price: Decimal | None
    """The bid's price, where prices were given."""
    tied: bool
    """Another bid has the same total, so this bid's place follows the tie rule."""


def price_points_lowest(prices: Mapping[K, Decimal], max_points: Decimal | int) -> dict[K, Decimal]:
    """Price points by the ratio to the lowest price: lowest ÷ price × ``max_points``.

    The lowest price gets the maximum; a price twice the lowest gets half of it. No price gets
    zero points.

    Raises:
        InvalidPrice: a price is not a positive, finite amount.
        ValueError: ``max_points`` is not positive.
    """
    maximum = _scale(max_points)
    checked = _checked_prices(prices)
    if not checked:
        return {}
    with localcontext(_CONTEXT):
        lowest = min(checked.values())
        return {key: _round(lowest * maximum / price) for key, price in checked.items()}


def price_points_linear(
    prices: Mapping[K, Decimal], max_points: Decimal | int, *, zero_at: Decimal | None = None
) -> dict[K, Decimal]:
    """Price points by linear interpolation: the lowest price gets ``max_points``, a price at or
    above ``zero_at`` gets 0, and a price in between its share of the way.

    Args:
        zero_at: the price that gets no points, as announced in the tender. By default twice the
            lowest price: the scale then needs no figure fixed in advance, and a bid costing
            double the cheapest earns nothing on price, a common choice in practice.

    Raises:
        InvalidPrice: a price is not a positive, finite amount.
        ValueError: ``max_points`` is not positive, or ``zero_at`` does not lie above the
            lowest price (the scale would be empty).
    """
    maximum = _scale(max_points)
    checked = _checked_prices(prices)
    if not checked:
        return {}
    with localcontext(_CONTEXT):
        lowest = min(checked.values())
        zero = lowest * 2 if zero_at is None else zero_at
        if not isinstance(zero, Decimal) or not zero.is_finite() or zero <= lowest:
            raise ValueError(f"zero_at: {zero} does not lie above the lowest price {lowest}")
        span = zero - lowest
        return {
            key: _round(maximum * max(zero - price, _ZERO) / span) for key, price in checked.items()
        }


def consolidate(
    points_by_evaluator: Mapping[str, Decimal], *, max_points: Decimal | int
) -> Decimal:
    """The consolidated points of one quality criterion: the arithmetic mean of the points each
    evaluator gave independently, rounded to two places half up.

    Every evaluator counts the same; a wide spread of points is for the officers to discuss and
    record, not for this function to smooth over.

    Raises:
        PointsOutOfScale: an evaluator's points lie outside 0 to ``max_points``.
        ValueError: no evaluator has given points, or ``max_points`` is not positive.
    """
    maximum = _scale(max_points)
    if not points_by_evaluator:
        raise ValueError("points_by_evaluator: no evaluator has given points")
    for evaluator, points in points_by_evaluator.items():
        _check_points(points, maximum, evaluator=evaluator)
    with localcontext(_CONTEXT):
        mean = sum(points_by_evaluator.values(), _ZERO) / len(points_by_evaluator)
        return _round(mean)


def weighted_total(criteria: Sequence[tuple[Decimal | int, Decimal, Decimal | int]]) -> Decimal:
    """The total of a bid on a scale of 0 to 100: the sum over the criteria of
    weight (percent) × points ÷ maximum points, rounded to two places half up.

    Args:
        criteria: one ``(weight_percent, points, max_points)`` per criterion; the weights sum
            to 100.

    Raises:
        PointsOutOfScale: a criterion's points lie outside 0 to its ``max_points``.
        ValueError: a weight is not positive, the weights do not sum to 100, or a
            ``max_points`` is not positive.
    """
    with localcontext(_CONTEXT):
        total = weights = _ZERO
        for index, (weight, points, max_points) in enumerate(criteria):
            share = _scale(weight, f"criteria[{index}].weight")
            maximum = _scale(max_points, f"criteria[{index}].max_points")
            _check_points(points, maximum, criterion=str(index))
            total += share * points / maximum
            weights += share
        if weights != _HUNDRED:
            raise ValueError(f"criteria: the weights sum to {weights}, not to 100")
        return _round(total)


def rank(
    totals: Mapping[K, Decimal],
    *,
    tie_rule: TieRule,
    prices: Mapping[K, Decimal] | None = None,
    seed: int | str | bytes | None = None,
) -> list[RankEntry[K]]:
    """The ranking of the bids of a lot, best (highest total) first.

    Bids with the same total are ordered by the profile's ``tie_rule``, which the tender
    documents must announce like the criteria (§ 127 Abs. 5 GWB):

    - ``lower_price``: the lower price ranks first; bids with the same price too share the rank
      (in the order of ``totals``). Needs ``prices`` for every bid.
    - ``lot``: lots are drawn with ``random.Random(seed)``: tied bids are put in the order of
      ``str(key)`` (so the order of the mapping does not matter) and shuffled, group after
      group from the best total down. The same bids, totals and seed always give the same
      draw, so anyone can check it. The seed must be chosen unpredictably (``secrets``) only
      after the totals are final, and recorded with the result in the procurement file
      (Vergabevermerk, § 8 VgV); a seed chosen by a person could be chosen to favour a bidder.

    Raises:
        InvalidPrice: a price given is not a positive, finite amount.
        ValueError: a total is not finite, ``lower_price`` without a price for every bid, or
            ``lot`` without a seed.
    """
    if tie_rule not in ("lower_price", "lot"):
        raise ValueError(f"tie_rule: unknown rule {tie_rule!r}")
    checked = _checked_prices(prices) if prices is not None else {}
    if tie_rule == "lower_price" and any(key not in checked for key in totals):
        raise ValueError("prices: the lower_price rule needs the price of every bid")
    if tie_rule == "lot" and seed is None:
        raise ValueError("seed: drawing lots needs a seed (to be recorded)")
    groups: dict[Decimal, list[K]] = {}
    for key, total in totals.items():
        if not isinstance(total, Decimal) or not total.is_finite():
            raise ValueError(f"totals: {total!r} of bid {key} is not a finite Decimal")
        groups.setdefault(total, []).append(key)
    draw = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    entries: list[RankEntry[K]] = []
    for total in sorted(groups, reverse=True):
        members, tied = groups[total], len(groups[total]) > 1
        if tie_rule == "lot":
            members = sorted(members, key=str)
            draw.shuffle(members)
            places = [[key] for key in members]
        else:
            members = sorted(members, key=lambda key: checked[key])
            places = [list(g) for _, g in itertools.groupby(members, key=lambda k: checked[k])]
        for place in places:
            position = len(entries) + 1
            entries.extend(
                RankEntry(key=key, rank=position, total=total, price=checked.get(key), tied=tied)
                for key in place
            )
    return entries


def abnormally_low(prices: Mapping[K, Decimal], *, threshold_percent: Decimal | int) -> set[K]:
    """The bids whose price lies more than ``threshold_percent`` below the second-lowest price.

    § 60 Abs. 1 VgV obliges the authority to ask for an explanation when a price appears
    abnormally low in relation to the performance; it sets no number. The Federal Court of
    Justice names a significant gap to the next-cheapest bid as the typical sign (BGH,
    Beschluss vom 31.01.2017, X ZB 10/16), and practice works with a threshold
    ("Aufgreifschwelle") of 10 to 20 % to the next bid, commonly 20 % (profile
    ``award.abnormally_low_percent``). Comparing with the second-lowest price, only the
    cheapest bid can be flagged, and only if no other bid has the same price. A flag asks for an
    explanation (§ 60 Abs. 1 to 3 VgV); it excludes nothing. Other signs, such as a gap to the
    estimated value, remain for the officer. With fewer than two prices nothing is flagged.

    Raises:
        InvalidPrice: a price is not a positive, finite amount.
        ValueError: ``threshold_percent`` does not lie between 0 and 100 (both exclusive).
    """
    threshold = _scale(threshold_percent, "threshold_percent")
    if threshold >= _HUNDRED:
        raise ValueError(f"threshold_percent: {threshold} is not below 100")
    checked = _checked_prices(prices)
    if len(checked) < 2:
        return set()
    second = sorted(checked.values())[1]
    with localcontext(_CONTEXT):
        limit = second * (_HUNDRED - threshold) / _HUNDRED
    return {key for key, price in checked.items() if price < limit}


def _round(value: Decimal) -> Decimal:
    return value.quantize(POINTS_QUANTUM, rounding=ROUND_HALF_UP)


def _scale(value: Any, name: str = "max_points") -> Decimal:
    """``value`` as a positive, finite Decimal (an int is taken, a float or bool refused)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name}: a Decimal or an int is required, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name}: {value} is not a positive number")
    return number


def _checked_prices(prices: Mapping[K, Decimal]) -> dict[K, Decimal]:
    checked: dict[K, Decimal] = {}
    for key, price in prices.items():
        if not isinstance(price, Decimal):
            raise TypeError(f"prices: a Decimal is required, not {type(price).__name__}")
        if not price.is_finite() or price <= 0:
            raise InvalidPrice(
                f"The price {price} of bid {key} is not a positive amount.",
                bid=str(key),
                price=str(price),
            )
        checked[key] = price
    return checked


def _check_points(points: Decimal, maximum: Decimal, **where: str) -> None:
    if not isinstance(points, Decimal | int) or isinstance(points, bool):
        raise TypeError(f"points: a Decimal is required, not {type(points).__name__}")
    if not Decimal(points).is_finite() or not _ZERO <= points <= maximum:
        raise PointsOutOfScale(
            f"{points} points lie outside the scale of 0 to {maximum}.",
            points=str(points),
            max_points=str(maximum),
            **where,
        )
