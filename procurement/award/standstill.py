"""The standstill period of § 134 GWB: from the information of the unsuccessful bidders to the
first day on which the contract may be concluded.

A pure module (no database, no I/O). § 134 Abs. 2 GWB: the contract may be concluded only
15 calendar days after the information was dispatched, 10 when it was sent electronically or by
fax; the period begins on the day after dispatch, whatever the day it reaches the bidder. So a
letter sent electronically on the 1st starts the period on the 2nd, the period ends with the
11th, and the contract may be concluded from the 12th (DESIGN.md §3).

The day of dispatch is its local day in the instance's zone (``Europe/Berlin``): information
sent at 23:30 UTC on 1 July is sent on 2 July in Bremen. Whether a last day that is a Saturday,
Sunday or public holiday of the state moves to the next working day is the profile's flag
``standstill.end_moves_off_holidays``; the bundled profiles say no, following VK Bund,
Beschluss vom 28.06.2021, VK 2-77/21 (and OLG Düsseldorf, 14.05.2008, Verg 11/08): the
standstill is a period the authority waits out, not one within which a declaration is due, so
§ 193 BGB does not move its end (information sent on Thursday 10 June 2021, period ending on
Sunday the 20th, contract validly concluded on Monday the 21st at 07:52). Some commentators
argue for Art. 3(4) Reg. 1182/71 instead; a state that prefers that cautious reading sets the
flag and the last day moves to the next working day as in :mod:`procurement.periods`.
"""

from __future__ import annotations

__all__ = ["LEGAL_BASIS", "StandstillPeriod", "may_conclude", "standstill_period"]

from datetime import UTC, date, datetime, timedelta

import msgspec

from infra.profile import Profile
from procurement.periods import Calendar

LEGAL_BASIS = "§ 134 Abs. 2 GWB"
"""Where the period is laid down, in German citation style."""

_ONE_DAY = timedelta(days=1)


class StandstillPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """The standstill period that follows one dispatch of the information to the bidders."""

    dispatched_at: datetime
    """When the information was sent, aware UTC."""
    electronic: bool
    """Sent electronically or by fax (the short period), else by post or by hand."""
    days: int
    """The length of the period in calendar days, from the profile (10 or 15)."""
    first_day: date
    """The first day of the period: the local day after the day of dispatch."""
    last_day: date
    """The last local day of the period (moved off a weekend or holiday only if the profile
    says so)."""
    moved: bool
    """Whether ``last_day`` was moved off a Saturday, Sunday or public holiday."""
    contract_from: date
    """The first local day on which the contract may be concluded (the day after
    ``last_day``); the date to tell the bidders (§ 134 Abs. 1 Satz 1 GWB)."""
    contract_from_moment: datetime
    """The start of ``contract_from`` in the instance's zone, aware UTC (22:00 or 23:00 UTC on
    the day before in Europe/Berlin)."""


def standstill_period(
    profile: Profile, dispatched_at: datetime, *, electronic: bool
) -> StandstillPeriod:
    """The standstill period after information dispatched at ``dispatched_at``.

    Args:
        profile: gives the lengths (``standstill.electronic_days``, ``other_days``), the flag
            ``end_moves_off_holidays``, the time zone and the state's holidays.
        dispatched_at: the moment the authority sent the information (aware; any zone).
        electronic: sent electronically or by fax (§ 134 Abs. 2 Satz 2 GWB).

    Raises:
        ValueError: ``dispatched_at`` is naive.
    """
    _aware(dispatched_at, "dispatched_at")
    rule = profile.standstill
    calendar = Calendar(profile)
    days = rule.electronic_days if electronic else rule.other_days
    dispatch_day = calendar.local_date(dispatched_at)
    unmoved = dispatch_day + timedelta(days=days)
    last_day = calendar.next_working_day(unmoved) if rule.end_moves_off_holidays else unmoved
    contract_from = last_day + _ONE_DAY
    return StandstillPeriod(
        dispatched_at=dispatched_at.astimezone(UTC),
        electronic=electronic,
        days=days,
        first_day=dispatch_day + _ONE_DAY,
        last_day=last_day,
        moved=last_day != unmoved,
        contract_from=contract_from,
        contract_from_moment=calendar.start_of_day(contract_from),
    )


def may_conclude(period: StandstillPeriod, now: datetime) -> bool:
    """Whether the contract may be concluded at ``now`` (aware): from the first instant of
    :attr:`StandstillPeriod.contract_from` in the instance's zone.

    Raises:
        ValueError: ``now`` is naive.
    """
    return _aware(now, "now") >= period.contract_from_moment


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: an aware datetime is required")
    return moment
