"""The legal periods of a tender: local days in Europe/Berlin, the state's holidays, the minimum
periods from the profile and the publication checks of the deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.profile import Profile, load_profile
from procurement.periods import (
    EU_PROCEDURES,
    NATIONAL_PROCEDURES,
    Calendar,
    DeadlineCheck,
    ProcedureType,
    Regime,
    Stage,
    check_deadlines,
    earliest_deadline,
    minimum_period,
)

BERLIN = ZoneInfo("Europe/Berlin")
SECOND = timedelta(seconds=1)

_BREMEN = load_profile("bremen")
_HAMBURG = load_profile("hamburg")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Bremen, as aware UTC (as the platform stores it)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def in_state(profile: Profile, subdivision: str) -> Profile:
    """The profile with the holidays of another state."""
    instance = msgspec.structs.replace(profile.instance, holiday_subdivision=subdivision)
    return msgspec.structs.replace(profile, instance=instance)


def with_periods(profile: Profile, **periods: object) -> Profile:
    return msgspec.structs.replace(
        profile, periods=msgspec.structs.replace(profile.periods, **periods)
    )


@pytest.fixture(scope="module")
def bremen() -> Profile:
    return _BREMEN


@pytest.fixture(scope="module")
def hamburg() -> Profile:
    return _HAMBURG


@pytest.fixture(scope="module")
def calendar(bremen: Profile) -> Calendar:
    return Calendar(bremen)


class TestCalendar:
    def test_local_date_is_the_day_in_bremen_not_in_utc(self, calendar: Calendar) -> None:
        # 1 March 2027, 23:30 UTC is already 2 March, 00:30 in Bremen.
        assert calendar.local_date(utc(2027, 3, 1, 23, 30)) == date(2027, 3, 2)
        assert calendar.local_date(utc(2027, 3, 1, 22, 59)) == date(2027, 3, 1)

    def test_local_date_refuses_a_naive_datetime(self, calendar: Calendar) -> None:
        with pytest.raises(ValueError, match="aware"):
            calendar.local_date(datetime(2027, 3, 1, 12, 0))

    @pytest.mark.parametrize(
        ("day", "start", "end", "hours"),
        [
            (date(2027, 1, 15), utc(2027, 1, 14, 23), utc(2027, 1, 15, 23), 24),
            # spring forward: the last Sunday of March 2027 has 23 hours
            (date(2027, 3, 28), utc(2027, 3, 27, 23), utc(2027, 3, 28, 22), 23),
            (date(2027, 7, 1), utc(2027, 6, 30, 22), utc(2027, 7, 1, 22), 24),
            # fall back: 31 October 2027 has 25 hours
            (date(2027, 10, 31), utc(2027, 10, 30, 22), utc(2027, 10, 31, 23), 25),
        ],
    )
    def test_days_start_and_end_at_local_midnight(
        self, calendar: Calendar, day: date, start: datetime, end: datetime, hours: int
    ) -> None:
        assert calendar.start_of_day(day) == start
        assert calendar.end_of_day(day) == end
        assert calendar.end_of_day(day) - calendar.start_of_day(day) == timedelta(hours=hours)
        assert calendar.start_of_day(day).tzinfo == UTC

    @pytest.mark.parametrize(
        ("day", "working"),
        [
            (date(2027, 3, 1), True),  # Monday
            (date(2027, 3, 5), True),  # Friday
            (date(2027, 3, 6), False),  # Saturday
            (date(2027, 3, 7), False),  # Sunday
            (date(2027, 3, 26), False),  # Good Friday
            (date(2027, 3, 29), False),  # Easter Monday
            (date(2027, 5, 6), False),  # Ascension Day
            (date(2028, 10, 3), False),  # German Unity Day, a Tuesday
            (date(2028, 10, 31), False),  # Reformation Day, a Tuesday
            (date(2028, 11, 1), True),  # All Saints' Day is no holiday in Bremen
            (date(2027, 12, 24), True),  # Christmas Eve is no public holiday
        ],
    )
    def test_working_days_of_bremen(self, calendar: Calendar, day: date, working: bool) -> None:
        assert calendar.is_working_day(day) is working

    def test_next_working_day_skips_weekend_and_easter(self, calendar: Calendar) -> None:
        assert calendar.next_working_day(date(2027, 3, 24)) == date(2027, 3, 24)
        assert calendar.next_working_day(date(2027, 3, 26)) == date(2027, 3, 30)
        assert calendar.next_working_day(date(2027, 3, 6)) == date(2027, 3, 8)

    def test_reformation_day_is_a_holiday_in_bremen_since_2018(self, calendar: Calendar) -> None:
        assert calendar.holiday_name(date(2016, 10, 31)) is None
        assert calendar.holiday_name(date(2018, 10, 31)) == "Reformationstag"
        assert calendar.holiday_name(date(2028, 10, 31)) == "Reformationstag"
        assert calendar.holiday_name(date(2028, 10, 31), "en") == "Reformation Day"
        assert calendar.holiday_name(date(2028, 11, 2)) is None

    def test_bremen_and_hamburg_have_the_same_holidays_since_2018(
        self, bremen: Profile, hamburg: Profile
    ) -> None:
        hb, hh = Calendar(bremen), Calendar(hamburg)
        days = [date(2018, 1, 1) + timedelta(days=n) for n in range(13 * 366)]

        assert [d for d in days if hb.is_working_day(d) != hh.is_working_day(d)] == []

    def test_the_states_holidays_come_from_the_profile(self, bremen: Profile) -> None:
        # International Women's Day (8 March) is a holiday in Berlin, not in Bremen.
        assert Calendar(bremen).is_working_day(date(2027, 3, 8))
        assert not Calendar(in_state(bremen, "BE")).is_working_day(date(2027, 3, 8))
        assert Calendar(in_state(bremen, "BE")).holiday_name(date(2027, 3, 8)) is not None


class TestEarliestDeadline:
    def test_monday_plus_30_days_ends_at_the_end_of_the_30th_day(self, calendar: Calendar) -> None:
        # Monday 1 March 2027 -> day 1 is 2 March, day 30 is Wednesday 31 March (CEST by then).
        end = earliest_deadline(calendar, berlin(2027, 3, 1, 10), 30)

        assert end == berlin(2027, 4, 1)
        assert end == utc(2027, 3, 31, 22)
        assert end.tzinfo == UTC

    @pytest.mark.parametrize(
        ("dispatch", "days", "expected"),
        [
            # day 30 is Saturday 6 March 2027 -> end of Monday 8 March
            (berlin(2027, 2, 4, 9), 30, berlin(2027, 3, 9)),
            # day 30 is Sunday 7 March 2027 -> end of Monday 8 March
            (berlin(2027, 2, 5, 9), 30, berlin(2027, 3, 9)),
            # day 30 is Good Friday 26 March 2027 -> Easter weekend, Easter Monday -> Tuesday
            (berlin(2027, 2, 24, 9), 30, berlin(2027, 3, 31)),
            # day 10 is Easter Monday 29 March 2027 -> Tuesday 30 March
            (berlin(2027, 3, 19, 9), 10, berlin(2027, 3, 31)),
            # day 15 is German Unity Day, Tuesday 3 October 2028 -> Wednesday
            (berlin(2028, 9, 18, 9), 15, berlin(2028, 10, 5)),
            # day 10 is Reformation Day, Tuesday 31 October 2028 -> Wednesday 1 November
            (berlin(2028, 10, 21, 9), 10, berlin(2028, 11, 2)),
            # day 15 is Saturday 30 October 2027, then Reformation Day on a Sunday -> Monday
            (berlin(2027, 10, 15, 9), 15, berlin(2027, 11, 2)),
        ],
    )
    def test_a_period_ending_on_a_weekend_or_holiday_ends_with_the_next_working_day(
        self, calendar: Calendar, dispatch: datetime, days: int, expected: datetime
    ) -> None:
        assert earliest_deadline(calendar, dispatch, days) == expected

    def test_reformation_day_moves_the_end_in_bremen_not_in_north_rhine_westphalia(
        self, bremen: Profile
    ) -> None:
        dispatch = berlin(2028, 10, 21, 9)

        assert earliest_deadline(Calendar(bremen), dispatch, 10) == berlin(2028, 11, 2)
        assert earliest_deadline(Calendar(in_state(bremen, "NW")), dispatch, 10) == berlin(
            2028, 11, 1
        )

    def test_womens_day_moves_the_end_in_berlin_not_in_bremen(self, bremen: Profile) -> None:
        dispatch = berlin(2027, 2, 4, 9)  # day 30 is Saturday 6 March, then Monday 8 March

        assert earliest_deadline(Calendar(bremen), dispatch, 30) == berlin(2027, 3, 9)
        assert earliest_deadline(Calendar(in_state(bremen, "BE")), dispatch, 30) == berlin(
            2027, 3, 10
        )

    def test_bremen_and_hamburg_agree(self, bremen: Profile, hamburg: Profile) -> None:
        dispatch = berlin(2028, 10, 21, 9)

        assert earliest_deadline(Calendar(hamburg), dispatch, 10) == earliest_deadline(
            Calendar(bremen), dispatch, 10
        )

    @pytest.mark.parametrize(
        ("dispatch", "days", "expected_utc"),
        [
            # dispatched in winter time, ends in summer time (28 March 2027)
            (berlin(2027, 3, 1, 10), 30, utc(2027, 3, 31, 22)),
            # the last day is the 23-hour Sunday 28 March 2027 (then Easter Monday)
            (berlin(2027, 3, 13, 10), 15, utc(2027, 3, 30, 22)),
            # the last day is a normal Friday after the change
            (berlin(2027, 3, 18, 10), 15, utc(2027, 4, 2, 22)),
            # dispatched in summer time, ends in winter time (31 October 2027)
            (berlin(2027, 10, 15, 9), 15, utc(2027, 11, 1, 23)),
            (berlin(2027, 10, 1, 9), 30, utc(2027, 11, 1, 23)),
        ],
    )
    def test_across_daylight_saving_changes_the_end_is_local_midnight(
        self, calendar: Calendar, dispatch: datetime, days: int, expected_utc: datetime
    ) -> None:
        end = earliest_deadline(calendar, dispatch, days)
        local = end.astimezone(BERLIN)

        assert end == expected_utc
        assert (local.hour, local.minute, local.second) == (0, 0, 0)

    @pytest.mark.parametrize(
        ("dispatch", "expected"),
        [
            # 23:30 in Bremen on Monday 1 March 2027 (22:30 UTC): counts from 1 March
            (berlin(2027, 3, 1, 23, 30), berlin(2027, 4, 1)),
            # 00:30 in Bremen on 2 March (23:30 UTC on 1 March): counts from 2 March
            (utc(2027, 3, 1, 23, 30), berlin(2027, 4, 2)),
            # summer: 23:30 in Bremen on Monday 7 June 2027 is 21:30 UTC
            (berlin(2027, 6, 7, 23, 30), berlin(2027, 7, 8)),
            # summer: 00:30 in Bremen on 8 June is 22:30 UTC on 7 June
            (utc(2027, 6, 7, 22, 30), berlin(2027, 7, 9)),
        ],
    )
    def test_the_day_of_dispatch_is_its_local_day(
        self, calendar: Calendar, dispatch: datetime, expected: datetime
    ) -> None:
        assert earliest_deadline(calendar, dispatch, 30) == expected

    def test_refuses_naive_dispatch_and_empty_period(self, calendar: Calendar) -> None:
        with pytest.raises(ValueError, match="aware"):
            earliest_deadline(calendar, datetime(2027, 3, 1, 10), 30)
        with pytest.raises(ValueError, match="at least one day"):
            earliest_deadline(calendar, berlin(2027, 3, 1, 10), 0)

    @given(
        dispatch=st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
        ),
        days=st.integers(min_value=1, max_value=60),
    )
    def test_the_end_is_the_end_of_the_first_working_day_from_the_last_day(
        self, dispatch: datetime, days: int
    ) -> None:
        calendar = Calendar(_BREMEN)
        end = earliest_deadline(calendar, dispatch, days)
        local = end.astimezone(BERLIN)
        last = (local - timedelta(hours=12)).date()  # the day the period ends with
        nominal = calendar.local_date(dispatch) + timedelta(days=days)

        assert (local.hour, local.minute) == (0, 0)
        assert calendar.is_working_day(last)
        assert last >= nominal
        skipped = [nominal + timedelta(days=n) for n in range((last - nominal).days)]
        assert not any(calendar.is_working_day(day) for day in skipped)


# (regime, procedure, urgent, stage, profile key, legal basis, what_de)
# fmt: off
PERIODS: list[tuple[Regime, ProcedureType, bool, Stage, str, str, str]] = [
    ("eu", "open", False, "participation", "eu_open_electronic", "§ 15 Abs. 2 und 4 VgV", "A"),
    ("eu", "open", False, "tender", "eu_open_electronic", "§ 15 Abs. 2 und 4 VgV", "A"),
    ("eu", "open", True, "participation", "eu_open_urgent", "§ 15 Abs. 3 VgV", "A"),
    ("eu", "restricted", False, "participation", "eu_restricted_participation",
     "§ 16 Abs. 2 VgV", "T"),
    ("eu", "restricted", True, "participation", "eu_restricted_participation_urgent",
     "§ 16 Abs. 3 VgV", "T"),
    ("eu", "restricted", False, "tender", "eu_restricted_tender", "§ 16 Abs. 5 VgV", "A"),
    ("eu", "restricted", True, "tender", "eu_restricted_tender_urgent", "§ 16 Abs. 7 VgV", "A"),
    ("eu", "negotiated", False, "participation", "eu_restricted_participation",
     "§ 17 Abs. 2 VgV", "T"),
    ("eu", "negotiated", True, "participation", "eu_restricted_participation_urgent",
     "§ 17 Abs. 3 VgV", "T"),
    ("eu", "negotiated", False, "tender", "eu_restricted_tender", "§ 17 Abs. 6 VgV", "A"),
    ("eu", "negotiated", True, "tender", "eu_restricted_tender_urgent", "§ 17 Abs. 8 VgV", "A"),
    ("eu", "competitive-dialogue", False, "participation", "eu_restricted_participation",
     "§ 18 Abs. 3 VgV", "T"),
    ("eu", "competitive-dialogue", True, "participation", "eu_restricted_participation",
     "§ 18 Abs. 3 VgV", "T"),
    ("national", "public-tender", False, "participation", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 Abs. 1 VOB/A", "A"),
    ("national", "public-tender", True, "participation", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 Abs. 1 VOB/A", "A"),
    ("national", "restricted-tender", False, "participation", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 VOB/A", "T"),
    ("national", "restricted-tender", True, "tender", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 Abs. 1 VOB/A", "A"),
    ("national", "negotiated-award", False, "participation", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 VOB/A", "T"),
    ("national", "negotiated-award", True, "participation", "national",
     "§ 13 Abs. 1 Satz 1 UVgO; § 10 VOB/A", "T"),
]
# fmt: on
WHAT = {
    "A": ("Angebotsfrist", "period for the receipt of tenders"),
    "T": ("Teilnahmefrist", "period for requests to participate"),
}
# Every key a different number, none equal to a default, so a wrong key cannot pass.
DISTINCT = {
    "eu_open": 71,
    "eu_open_electronic": 72,
    "eu_open_urgent": 73,
    "eu_restricted_participation": 74,
    "eu_restricted_participation_urgent": 75,
    "eu_restricted_tender": 76,
    "eu_restricted_tender_urgent": 77,
    "national": 78,
}


class TestMinimumPeriod:
    @pytest.mark.parametrize(
        ("regime", "procedure", "urgent", "stage", "key", "basis", "what"), PERIODS
    )
    def test_days_and_legal_basis_of_each_procedure(
        self,
        bremen: Profile,
        regime: Regime,
        procedure: ProcedureType,
        urgent: bool,
        stage: Stage,
        key: str,
        basis: str,
        what: str,
    ) -> None:
        period = minimum_period(
            bremen, regime=regime, procedure=procedure, urgent=urgent, stage=stage
        )

        assert period.days == getattr(bremen.periods, key)
        assert period.legal_basis == basis
        assert (period.what_de, period.what_en) == WHAT[what]
        assert period.profile_key == f"periods.{key}"

    @pytest.mark.parametrize(
        ("regime", "procedure", "urgent", "stage", "key", "basis", "what"), PERIODS
    )
    def test_the_days_follow_the_profile(
        self,
        bremen: Profile,
        regime: Regime,
        procedure: ProcedureType,
        urgent: bool,
        stage: Stage,
        key: str,
        basis: str,
        what: str,
    ) -> None:
        changed = with_periods(bremen, **DISTINCT)

        period = minimum_period(
            changed, regime=regime, procedure=procedure, urgent=urgent, stage=stage
        )

        assert period.days == DISTINCT[key]

    @pytest.mark.parametrize(
        ("regime", "procedure", "urgent", "days"),
        [
            ("eu", "open", False, 30),
            ("eu", "open", True, 15),
            ("eu", "restricted", False, 30),
            ("eu", "restricted", True, 15),
            ("eu", "negotiated", True, 15),
            ("eu", "competitive-dialogue", True, 30),
            ("national", "public-tender", False, 10),
            ("national", "public-tender", True, 10),
        ],
    )
    def test_the_bremen_numbers(
        self, bremen: Profile, regime: Regime, procedure: ProcedureType, urgent: bool, days: int
    ) -> None:
        assert minimum_period(bremen, regime=regime, procedure=procedure, urgent=urgent).days == (
            days
        )

    def test_the_unreduced_open_period_is_not_applied(self, bremen: Profile) -> None:
        changed = with_periods(bremen, eu_open=99)

        assert minimum_period(changed, regime="eu", procedure="open", urgent=False).days == 30

    @pytest.mark.parametrize("procedure", sorted(NATIONAL_PROCEDURES))
    def test_a_national_procedure_is_no_eu_procedure(
        self, bremen: Profile, procedure: ProcedureType
    ) -> None:
        with pytest.raises(ValueError, match="not a procedure of the 'eu' regime"):
            minimum_period(bremen, regime="eu", procedure=procedure, urgent=False)

    @pytest.mark.parametrize("procedure", sorted(EU_PROCEDURES))
    def test_an_eu_procedure_is_no_national_procedure(
        self, bremen: Profile, procedure: ProcedureType
    ) -> None:
        with pytest.raises(ValueError, match="not a procedure of the 'national' regime"):
            minimum_period(bremen, regime="national", procedure=procedure, urgent=False)

    def test_the_final_tenders_of_a_competitive_dialogue_have_no_minimum(
        self, bremen: Profile
    ) -> None:
        with pytest.raises(ValueError, match="no minimum period"):
            minimum_period(
                bremen, regime="eu", procedure="competitive-dialogue", urgent=False, stage="tender"
            )


# Dispatch on Monday 1 March 2027; the open procedure's 30 days end with Wednesday 31 March.
DISPATCH = berlin(2027, 3, 1, 10)
EARLIEST = berlin(2027, 4, 1)
DEADLINE = berlin(2027, 4, 12, 12)  # Monday 12 April 2027, 12:00


def _check(
    profile: Profile,
    *,
    regime: Regime = "eu",
    procedure: ProcedureType = "open",
    urgent: bool = False,
    dispatch: datetime = DISPATCH,
    submission_deadline: datetime = DEADLINE,
    clarification_deadline: datetime | None = None,
    binding_until: date | None = None,
) -> dict[str, DeadlineCheck]:
    checks = check_deadlines(
        profile,
        regime=regime,
        procedure=procedure,
        urgent=urgent,
        dispatch=dispatch,
        submission_deadline=submission_deadline,
        clarification_deadline=clarification_deadline,
        binding_until=binding_until,
    )
    by_code = {c.code: c for c in checks}
    assert len(by_code) == len(checks), "a code appears twice"
    return by_code


class TestCheckDeadlines:
    def test_given_good_deadlines_then_every_check_is_listed_and_ok(self, bremen: Profile) -> None:
        checks = _check(
            bremen,
            clarification_deadline=berlin(2027, 4, 1, 12),
            binding_until=date(2027, 5, 31),
        )

        assert list(checks) == [
            "procedure-regime",
            "deadline-in-past",
            "submission-period",
            "clarification-order",
            "clarification-answers",
            "binding-period",
        ]
        assert all(c.ok and not c.refuses for c in checks.values())
        period = checks["submission-period"]
        assert (period.minimum_days, period.earliest, period.legal_basis) == (
            30,
            EARLIEST,
            "§ 15 Abs. 2 und 4 VgV",
        )

    def test_given_no_clarification_or_binding_period_then_those_checks_are_left_out(
        self, bremen: Profile
    ) -> None:
        assert list(_check(bremen)) == ["procedure-regime", "deadline-in-past", "submission-period"]

    @pytest.mark.parametrize(
        ("regime", "procedure"), [("eu", "public-tender"), ("national", "open"), ("eu", "bogus")]
    )
    def test_given_a_procedure_of_the_other_regime_then_refused(
        self, bremen: Profile, regime: Regime, procedure: ProcedureType
    ) -> None:
        checks = _check(
            bremen,
            regime=regime,
            procedure=procedure,
            clarification_deadline=berlin(2027, 4, 11, 12),
        )

        assert not checks["procedure-regime"].ok
        assert checks["procedure-regime"].refuses
        assert "nicht" in checks["procedure-regime"].message_de
        assert "submission-period" not in checks
        assert "clarification-answers" not in checks

    @pytest.mark.parametrize("profile", [_BREMEN, _HAMBURG], ids=["refuse", "warn"])
    def test_given_a_deadline_before_dispatch_then_always_refused(self, profile: Profile) -> None:
        checks = _check(profile, submission_deadline=DISPATCH - SECOND)

        assert not checks["deadline-in-past"].ok
        assert checks["deadline-in-past"].refuses

    def test_given_a_deadline_at_the_dispatch_instant_then_refused(self, bremen: Profile) -> None:
        assert _check(bremen, submission_deadline=DISPATCH)["deadline-in-past"].refuses

    def test_given_the_deadline_exactly_at_the_earliest_instant_then_ok(
        self, bremen: Profile
    ) -> None:
        period = _check(bremen, submission_deadline=EARLIEST)["submission-period"]

        assert period.ok
        assert not period.refuses

    def test_given_one_second_less_and_on_shortfall_refuse_then_refused(
        self, bremen: Profile
    ) -> None:
        assert bremen.periods.on_shortfall == "refuse"

        period = _check(bremen, submission_deadline=EARLIEST - SECOND)["submission-period"]

        assert not period.ok
        assert period.refuses
        assert period.earliest == EARLIEST
        assert "31.03.2027" in period.message_de
        assert "31 March 2027" in period.message_en

    def test_given_one_second_less_and_on_shortfall_warn_then_a_warning(
        self, hamburg: Profile
    ) -> None:
        assert hamburg.periods.on_shortfall == "warn"

        checks = _check(hamburg, submission_deadline=EARLIEST - SECOND)

        assert not checks["submission-period"].ok
        assert not checks["submission-period"].refuses
        assert not any(c.refuses for c in checks.values())

    def test_the_period_follows_the_profile(self, bremen: Profile) -> None:
        changed = with_periods(bremen, eu_open_electronic=38)

        period = _check(changed, submission_deadline=EARLIEST)["submission-period"]

        assert not period.ok
        assert (period.minimum_days, period.earliest) == (38, berlin(2027, 4, 9))

    @pytest.mark.parametrize(
        ("procedure", "urgent", "days", "earliest"),
        [
            ("open", True, 15, berlin(2027, 3, 17)),
            ("restricted", False, 30, berlin(2027, 4, 1)),
            ("restricted", True, 15, berlin(2027, 3, 17)),
            ("competitive-dialogue", True, 30, berlin(2027, 4, 1)),
        ],
    )
    def test_the_period_of_the_procedure_applies(
        self,
        bremen: Profile,
        procedure: ProcedureType,
        urgent: bool,
        days: int,
        earliest: datetime,
    ) -> None:
        period = _check(
            bremen, procedure=procedure, urgent=urgent, submission_deadline=earliest - SECOND
        )["submission-period"]

        assert (period.minimum_days, period.earliest, period.ok) == (days, earliest, False)

    def test_a_national_deadline_counts_ten_calendar_days(self, bremen: Profile) -> None:
        checks = _check(
            bremen,
            regime="national",
            procedure="public-tender",
            submission_deadline=berlin(2027, 3, 12),
        )

        assert checks["submission-period"].ok
        assert checks["submission-period"].earliest == berlin(2027, 3, 12)
        assert checks["submission-period"].legal_basis == (
            "§ 13 Abs. 1 Satz 1 UVgO; § 10 Abs. 1 VOB/A"
        )

    def test_a_period_ending_on_a_holiday_says_why_it_moved(self, bremen: Profile) -> None:
        period = _check(
            bremen,
            regime="national",
            procedure="public-tender",
            dispatch=berlin(2028, 10, 21, 9),
            submission_deadline=berlin(2028, 11, 1, 12),
        )["submission-period"]

        assert not period.ok
        assert period.earliest == berlin(2028, 11, 2)
        assert "Reformationstag" in period.message_de
        assert "Reformation Day" in period.message_en

    @pytest.mark.parametrize(
        "clarification",
        [DISPATCH - SECOND, DISPATCH, DEADLINE, DEADLINE + SECOND],
        ids=["before-dispatch", "at-dispatch", "at-deadline", "after-deadline"],
    )
    def test_given_a_clarification_deadline_outside_the_period_then_refused(
        self, bremen: Profile, clarification: datetime
    ) -> None:
        check = _check(bremen, clarification_deadline=clarification)["clarification-order"]

        assert not check.ok
        assert check.refuses

    @pytest.mark.parametrize(
        ("procedure", "urgent", "latest"),
        [
            # deadline Monday 12 April: six whole days (6.-11. April) for the answers
            ("open", False, berlin(2027, 4, 6)),
            # urgent: four whole days (8.-11. April)
            ("open", True, berlin(2027, 4, 8)),
            ("restricted", True, berlin(2027, 4, 8)),
            # no urgency in a competitive dialogue: six days all the same
            ("competitive-dialogue", True, berlin(2027, 4, 6)),
        ],
    )
    def test_the_clarification_deadline_leaves_time_for_the_answers(
        self, bremen: Profile, procedure: ProcedureType, urgent: bool, latest: datetime
    ) -> None:
        in_time = _check(bremen, procedure=procedure, urgent=urgent, clarification_deadline=latest)[
            "clarification-answers"
        ]
        late = _check(
            bremen, procedure=procedure, urgent=urgent, clarification_deadline=latest + SECOND
        )["clarification-answers"]

        assert in_time.ok
        assert f"{(latest.astimezone(BERLIN) - timedelta(days=1)):%d.%m.%Y}" in late.message_de
        assert not late.ok
        assert not late.refuses
        assert late.legal_basis is not None
        assert late.legal_basis.startswith("§ 20 Abs. 3 Satz 1 Nr. 1 VgV")

    def test_the_answers_check_counts_local_days_across_the_clock_change(
        self, bremen: Profile
    ) -> None:
        # Deadline Wednesday 31 March 2027 12:00 (summer time), urgent: four whole days
        # (27-30 March, one of them the 23-hour Sunday), so questions close by the end of
        # Friday 26 March, which is midnight in winter time: 23:00 UTC, not 22:00.
        def answers(clarification: datetime) -> DeadlineCheck:
            return _check(
                bremen,
                urgent=True,
                submission_deadline=berlin(2027, 3, 31, 12),
                clarification_deadline=clarification,
            )["clarification-answers"]

        assert answers(utc(2027, 3, 26, 23)).ok
        assert not answers(utc(2027, 3, 26, 23) + SECOND).ok
        assert "26.03.2027" in answers(utc(2027, 3, 26, 23)).message_de

    def test_national_procedures_have_no_answers_check(self, bremen: Profile) -> None:
        checks = _check(
            bremen,
            regime="national",
            procedure="public-tender",
            clarification_deadline=DEADLINE - timedelta(hours=1),
        )

        assert checks["clarification-order"].ok
        assert "clarification-answers" not in checks

    def test_a_binding_period_ending_on_the_day_of_the_deadline_is_ok(
        self, bremen: Profile
    ) -> None:
        assert _check(bremen, binding_until=date(2027, 4, 12))["binding-period"].ok

    def test_a_binding_period_ending_before_the_deadline_is_refused(self, bremen: Profile) -> None:
        check = _check(bremen, binding_until=date(2027, 4, 11))["binding-period"]

        assert not check.ok
        assert check.refuses

    def test_the_binding_period_compares_with_the_local_day_of_the_deadline(
        self, bremen: Profile
    ) -> None:
        # 00:30 in Bremen on 13 April is 22:30 UTC on 12 April: the deadline's day is the 13th.
        check = _check(
            bremen, submission_deadline=berlin(2027, 4, 13, 0, 30), binding_until=date(2027, 4, 12)
        )["binding-period"]

        assert not check.ok

    def test_naive_datetimes_are_refused(self, bremen: Profile) -> None:
        with pytest.raises(ValueError, match="aware"):
            _check(bremen, submission_deadline=datetime(2027, 4, 12, 12))
        with pytest.raises(ValueError, match="aware"):
            _check(bremen, clarification_deadline=datetime(2027, 4, 1, 12))
