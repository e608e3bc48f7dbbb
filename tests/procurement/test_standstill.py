"""The standstill period of § 134 GWB: 10 or 15 calendar days from the day after dispatch,
counted in Bremen's days, the end moved off weekends and holidays only if the profile says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.profile import Profile
from procurement.award.standstill import StandstillPeriod, may_conclude, standstill_period
from tests.procurement.test_periods import _BREMEN, _HAMBURG, BERLIN, berlin, utc

MICROSECOND = timedelta(microseconds=1)


def moving(profile: Profile) -> Profile:
    """The profile with ``end_moves_off_holidays`` set."""
    rule = msgspec.structs.replace(profile.standstill, end_moves_off_holidays=True)
    return msgspec.structs.replace(profile, standstill=rule)


@pytest.fixture(scope="module")
def bremen() -> Profile:
    return _BREMEN


@pytest.fixture(scope="module")
def bremen_moving() -> Profile:
    return moving(_BREMEN)


class TestPeriod:
    @pytest.mark.parametrize("profile", [_BREMEN, _HAMBURG], ids=["bremen", "hamburg"])
    def test_given_electronic_dispatch_on_the_1st_then_2nd_to_11th_and_contract_from_the_12th(
        self, profile: Profile
    ) -> None:
        # DESIGN.md §3: sent on the 1st -> period 2nd-11th -> contract from the 12th.
        period = standstill_period(profile, berlin(2026, 9, 1, 10), electronic=True)

        assert period.days == 10
        assert (period.first_day, period.last_day) == (date(2026, 9, 2), date(2026, 9, 11))
        assert period.contract_from == date(2026, 9, 12)
        assert period.contract_from_moment == utc(2026, 9, 11, 22)  # midnight CEST
        assert period.moved is False

    def test_given_dispatch_by_post_then_15_days(self, bremen: Profile) -> None:
        period = standstill_period(bremen, berlin(2026, 9, 1, 10), electronic=False)

        assert period.days == 15
        assert (period.first_day, period.last_day) == (date(2026, 9, 2), date(2026, 9, 16))
        assert period.contract_from == date(2026, 9, 17)
        assert period.electronic is False

    def test_given_an_aware_time_in_berlin_then_it_is_kept_in_utc(self, bremen: Profile) -> None:
        sent = datetime(2026, 9, 1, 10, 0, tzinfo=BERLIN)

        period = standstill_period(bremen, sent, electronic=True)

        assert period.dispatched_at == utc(2026, 9, 1, 8)
        assert period.dispatched_at.tzinfo == UTC

    def test_given_a_naive_dispatch_time_then_refused(self, bremen: Profile) -> None:
        with pytest.raises(ValueError, match="dispatched_at: an aware datetime"):
            standstill_period(bremen, datetime(2026, 9, 1, 10), electronic=True)

    def test_given_dispatch_on_a_friday_then_the_weekend_counts(self, bremen: Profile) -> None:
        period = standstill_period(bremen, berlin(2026, 11, 6, 16), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 11, 7), date(2026, 11, 16))
        assert period.contract_from == date(2026, 11, 17)

    def test_given_the_case_of_vk_bund_then_contract_on_monday_morning(
        self, bremen: Profile
    ) -> None:
        # VK Bund, VK 2-77/21: sent Thursday 10 June 2021, the period ended on Sunday the 20th,
        # the award at 07:52 on Monday the 21st was valid.
        period = standstill_period(bremen, berlin(2021, 6, 10, 11), electronic=True)

        assert period.last_day == date(2021, 6, 20)
        assert period.contract_from == date(2021, 6, 21)
        assert may_conclude(period, berlin(2021, 6, 21, 7, 52))


class TestEndOnWeekendOrHoliday:
    def test_given_the_last_day_a_saturday_and_the_flag_off_then_not_moved(
        self, bremen: Profile
    ) -> None:
        period = standstill_period(bremen, berlin(2026, 9, 2, 10), electronic=True)

        assert period.last_day == date(2026, 9, 12)  # Saturday
        assert period.contract_from == date(2026, 9, 13)  # a Sunday: allowed
        assert period.moved is False

    def test_given_the_last_day_a_saturday_and_the_flag_on_then_moved_to_monday(
        self, bremen_moving: Profile
    ) -> None:
        period = standstill_period(bremen_moving, berlin(2026, 9, 2, 10), electronic=True)

        assert period.last_day == date(2026, 9, 14)  # Monday
        assert period.contract_from == date(2026, 9, 15)
        assert period.moved is True

    @pytest.mark.parametrize(
        ("sent", "unmoved", "moved"),
        [
            # Ascension Day, Thursday 14 May 2026 -> Friday
            (date(2026, 5, 4), date(2026, 5, 14), date(2026, 5, 15)),
            # German Unity Day, Saturday 3 October 2026 -> Monday the 5th
            (date(2026, 9, 23), date(2026, 10, 3), date(2026, 10, 5)),
            # Reformation Day (a holiday in Bremen), Saturday 31 October 2026 -> Monday
            (date(2026, 10, 21), date(2026, 10, 31), date(2026, 11, 2)),
            # Christmas Day, Friday 25 December 2026 -> over the weekend to Monday the 28th
            (date(2026, 12, 15), date(2026, 12, 25), date(2026, 12, 28)),
        ],
    )
    def test_given_the_last_day_a_holiday_then_moved_only_with_the_flag(
        self, bremen: Profile, bremen_moving: Profile, sent: date, unmoved: date, moved: date
    ) -> None:
        dispatch = berlin(sent.year, sent.month, sent.day, 9)

        fixed = standstill_period(bremen, dispatch, electronic=True)
        shifted = standstill_period(bremen_moving, dispatch, electronic=True)

        assert (fixed.last_day, fixed.contract_from) == (unmoved, unmoved + timedelta(days=1))
        assert (shifted.last_day, shifted.contract_from) == (moved, moved + timedelta(days=1))
        assert shifted.first_day == fixed.first_day == sent + timedelta(days=1)

    def test_given_dispatch_the_day_before_a_holiday_then_the_holiday_counts(
        self, bremen: Profile
    ) -> None:
        # Friday 2 October 2026, before German Unity Day: the 3rd is the first day.
        period = standstill_period(bremen, berlin(2026, 10, 2, 15), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 10, 3), date(2026, 10, 12))
        assert period.contract_from == date(2026, 10, 13)

    def test_given_dispatch_on_christmas_eve_then_across_the_new_year(
        self, bremen: Profile, bremen_moving: Profile
    ) -> None:
        sent = berlin(2026, 12, 24, 11)

        fixed = standstill_period(bremen, sent, electronic=True)
        shifted = standstill_period(bremen_moving, sent, electronic=True)

        assert (fixed.first_day, fixed.last_day) == (date(2026, 12, 25), date(2027, 1, 3))
        assert fixed.contract_from == date(2027, 1, 4)
        assert shifted.last_day == date(2027, 1, 4)  # Sunday 3 January -> Monday
        assert shifted.contract_from == date(2027, 1, 5)

    def test_given_a_working_last_day_then_the_flag_changes_nothing(
        self, bremen: Profile, bremen_moving: Profile
    ) -> None:
        sent = berlin(2026, 9, 1, 10)

        assert standstill_period(bremen_moving, sent, electronic=True) == standstill_period(
            bremen, sent, electronic=True
        )


class TestDaylightSaving:
    def test_given_late_evening_utc_in_summer_then_the_next_day_in_berlin(
        self, bremen: Profile
    ) -> None:
        # 23:30 UTC on 1 July is 01:30 on 2 July in Bremen: dispatched on the 2nd.
        period = standstill_period(bremen, utc(2026, 7, 1, 23, 30), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 7, 3), date(2026, 7, 12))
        assert period.contract_from == date(2026, 7, 13)

    @pytest.mark.parametrize(
        ("sent", "first_day"),
        [
            (utc(2026, 3, 28, 22, 59), date(2026, 3, 29)),  # 23:59 CET on Saturday the 28th
            (utc(2026, 3, 28, 23, 0), date(2026, 3, 30)),  # 00:00 CET on Sunday the 29th
        ],
    )
    def test_given_dispatch_around_midnight_before_spring_forward_then_the_local_day(
        self, bremen: Profile, sent: datetime, first_day: date
    ) -> None:
        period = standstill_period(bremen, sent, electronic=True)

        assert period.first_day == first_day

    def test_given_dispatch_on_the_night_of_spring_forward_then_contract_at_midnight_cest(
        self, bremen: Profile
    ) -> None:
        # 23:30 UTC on 28 March = 00:30 CET on Sunday 29 March 2026, the day clocks go forward.
        period = standstill_period(bremen, utc(2026, 3, 28, 23, 30), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 3, 30), date(2026, 4, 8))
        assert period.contract_from == date(2026, 4, 9)
        assert period.contract_from_moment == utc(2026, 4, 8, 22)

    def test_given_a_period_across_spring_forward_then_counted_in_days_not_hours(
        self, bremen: Profile, bremen_moving: Profile
    ) -> None:
        sent = berlin(2026, 3, 19, 12)  # Thursday, CET (11:00 UTC)

        fixed = standstill_period(bremen, sent, electronic=True)
        shifted = standstill_period(bremen_moving, sent, electronic=True)

        assert (fixed.first_day, fixed.last_day) == (date(2026, 3, 20), date(2026, 3, 29))
        assert fixed.contract_from_moment == utc(2026, 3, 29, 22)  # Monday 00:00 CEST
        # 12:00 on the 19th to midnight after the 29th is 10 days 12 hours on the wall clock,
        # one hour less in elapsed time: the night of the 29th has no 02:00-03:00.
        assert fixed.contract_from_moment - fixed.dispatched_at == timedelta(days=10, hours=11)
        assert shifted.last_day == date(2026, 3, 30)  # Sunday 29 March -> Monday

    @pytest.mark.parametrize(
        ("sent", "first_day"),
        [
            (utc(2026, 10, 24, 21, 59), date(2026, 10, 25)),  # 23:59 CEST on Saturday
            (utc(2026, 10, 24, 22, 30), date(2026, 10, 26)),  # 00:30 CEST on Sunday the 25th
        ],
    )
    def test_given_dispatch_around_midnight_before_fall_back_then_the_local_day(
        self, bremen: Profile, sent: datetime, first_day: date
    ) -> None:
        period = standstill_period(bremen, sent, electronic=True)

        assert period.first_day == first_day

    def test_given_dispatch_on_the_night_of_fall_back_then_contract_at_midnight_cet(
        self, bremen: Profile
    ) -> None:
        period = standstill_period(bremen, utc(2026, 10, 24, 22, 30), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 10, 26), date(2026, 11, 4))
        assert period.contract_from == date(2026, 11, 5)
        assert period.contract_from_moment == utc(2026, 11, 4, 23)

    def test_given_a_period_across_fall_back_then_contract_at_midnight_cet(
        self, bremen: Profile
    ) -> None:
        period = standstill_period(bremen, berlin(2026, 10, 16, 9), electronic=True)

        assert (period.first_day, period.last_day) == (date(2026, 10, 17), date(2026, 10, 26))
        assert period.contract_from_moment == utc(2026, 10, 26, 23)


class TestMayConclude:
    @pytest.fixture
    def period(self, bremen: Profile) -> StandstillPeriod:
        return standstill_period(bremen, berlin(2026, 9, 1, 10), electronic=True)

    def test_given_the_last_instant_of_the_period_then_not_yet(
        self, period: StandstillPeriod
    ) -> None:
        assert not may_conclude(period, berlin(2026, 9, 12) - MICROSECOND)
        assert not may_conclude(period, berlin(2026, 9, 11, 23, 59))

    def test_given_midnight_in_berlin_after_the_period_then_yes(
        self, period: StandstillPeriod
    ) -> None:
        assert may_conclude(period, utc(2026, 9, 11, 22))
        assert may_conclude(period, datetime(2026, 9, 12, 0, 0, tzinfo=BERLIN))
        assert may_conclude(period, berlin(2026, 10, 1, 9))

    def test_given_a_naive_now_then_refused(self, period: StandstillPeriod) -> None:
        with pytest.raises(ValueError, match="now: an aware datetime"):
            may_conclude(period, datetime(2026, 9, 12, 12, 0))


class TestProperties:
    # No deadline: each example builds two calendars (the holidays of a year are computed on
    # first use), which a loaded machine can slow past Hypothesis' 200 ms.
    @settings(deadline=None)
    @given(
        sent=st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
        ),
        electronic=st.booleans(),
    )
    def test_the_contract_follows_the_last_day_and_starts_at_berlin_midnight(
        self, sent: datetime, electronic: bool
    ) -> None:
        for profile in (_BREMEN, moving(_BREMEN)):
            period = standstill_period(profile, sent, electronic=electronic)
            dispatch_day = sent.astimezone(BERLIN).date()

            assert period.first_day == dispatch_day + timedelta(days=1)
            assert period.last_day >= dispatch_day + timedelta(days=period.days)
            assert period.contract_from == period.last_day + timedelta(days=1)
            local = period.contract_from_moment.astimezone(BERLIN)
            assert (local.date(), local.hour, local.minute) == (period.contract_from, 0, 0)
            assert not may_conclude(period, period.contract_from_moment - MICROSECOND)
            assert may_conclude(period, period.contract_from_moment)
