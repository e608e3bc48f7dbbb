"""The legal periods of a tender, counted in the instance's time zone with the state's holidays.

A pure module (no database, no I/O): :class:`Calendar` knows the local days of the instance
(``profile.instance.timezone``) and which of them are working days (Monday to Friday, not a
public holiday of ``profile.instance.holiday_subdivision``); :func:`minimum_period` says how many
calendar days a procedure needs, with the numbers from the profile's ``[periods]`` section;
:func:`earliest_deadline` turns that into the first admissible deadline after the dispatch of
the notice; :func:`check_deadlines` is the publication checklist of the periods (DESIGN.md §3).

Periods are counted as Regulation (EEC, Euratom) No 1182/71 says, to which § 82 VgV refers: the
day of dispatch is not counted (Art. 3(1)), a period of days ends with the last hour of its last
day (Art. 3(2)(b)), and a period whose last day is a Saturday, Sunday or public holiday ends with
the next working day (Art. 3(4)). Below the EU thresholds §§ 187 Abs. 1, 188 Abs. 1 and 193 BGB
give the same result and are applied the same way.
"""

from __future__ import annotations

__all__ = [
    "EU_PROCEDURES",
    "NATIONAL_PROCEDURES",
    "Calendar",
    "DeadlineCheck",
    "MinimumPeriod",
    "ProcedureType",
    "Regime",
    "Stage",
    "check_deadlines",
    "earliest_deadline",
    "fits_regime",
    "last_day_of_period",
    "minimum_period",
]

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
import msgspec

from infra.profile import MinimumPeriods, Profile

ProcedureType = Literal[
    # EU procedures (GWB part 4, VgV / VOB/A-EU)
    "open",
    "restricted",
    "negotiated",
    "competitive-dialogue",
    # national procedures (UVgO / VOB/A part 1): Öffentliche Ausschreibung, Beschränkte
    # Ausschreibung, Verhandlungsvergabe
    "public-tender",
    "restricted-tender",
    "negotiated-award",
]
Regime = Literal["eu", "national"]
Stage = Literal["participation", "tender"]
"""Which deadline of a two-stage procedure: requests to participate (the one a tender on this
platform publishes) or tenders (the second stage, not modelled yet)."""

EU_PROCEDURES: frozenset[str] = frozenset(
    {"open", "restricted", "negotiated", "competitive-dialogue"}
)
NATIONAL_PROCEDURES: frozenset[str] = frozenset(
    {"public-tender", "restricted-tender", "negotiated-award"}
)

ANSWER_DAYS = 6
"""§ 20 Abs. 3 Satz 1 Nr. 1 VgV: additional information is due six days before the deadline."""
ANSWER_DAYS_URGENT = 4
"""The same in cases of duly substantiated urgency (§ 15 Abs. 3, § 16 Abs. 7, § 17 Abs. 8)."""

_ONE_DAY = timedelta(days=1)


class Calendar:
    """The local days of the instance: its time zone and the public holidays of its state."""

    def __init__(self, profile: Profile) -> None:
        instance = profile.instance
        self.zone = ZoneInfo(instance.timezone)
        """The instance's time zone (``Europe/Berlin``)."""
        self.subdivision = instance.holiday_subdivision
        """The state whose holidays count (``HB``)."""
        # Both expand to any year asked about; the German one decides, the English one names.
        self._holidays = holidays.country_holidays("DE", subdiv=self.subdivision, language="de")
        self._holidays_en = holidays.country_holidays(
            "DE", subdiv=self.subdivision, language="en_US"
        )

    def local_date(self, moment: datetime) -> date:
        """The day in the instance's zone on which the aware ``moment`` falls."""
        return _aware(moment, "moment").astimezone(self.zone).date()

    def start_of_day(self, day: date) -> datetime:
        """The first instant of ``day`` in the instance's zone, as an aware UTC datetime.

        Local midnight exists on every day in Europe/Berlin (the clocks change at 02:00/03:00);
        in a zone that skips midnight the first existing instant is returned.
        """
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def end_of_day(self, day: date) -> datetime:
        """The instant ``day`` ends (the start of the next day), aware UTC; 23, 24 or 25 hours
        after :meth:`start_of_day`."""
        return self.start_of_day(day + _ONE_DAY)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday of the state (Art. 2(2) Reg. 1182/71:
        Saturdays are not working days)."""
        return day.weekday() < 5 and day not in self._holidays

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def holiday_name(self, day: date, language: Literal["de", "en"] = "de") -> str | None:
        """The name of the public holiday on ``day`` (``Reformationstag``), or ``None``."""
        names = self._holidays if language == "de" else self._holidays_en
        name: str | None = names.get(day)
        return name


class MinimumPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """The shortest period the law (or the profile, below the thresholds) allows."""

    days: int
    """Calendar days, counted from the day after dispatch (from the profile)."""
    legal_basis: str
    """Where the period is laid down, in German citation style (``§ 15 Abs. 3 VgV``)."""
    what_de: str
    """Which period, in German (``Angebotsfrist``, ``Teilnahmefrist``)."""
    what_en: str
    """Which period, in English."""
    profile_key: str
    """The key of the profile the number comes from (``periods.eu_open_electronic``)."""


class _Rule(msgspec.Struct, frozen=True):
    field: str
    basis: str
    urgent_field: str | None
    urgent_basis: str | None
    what: Literal["tender", "participation"]


_WHAT = {
    "tender": ("Angebotsfrist", "period for the receipt of tenders"),
    "participation": ("Teilnahmefrist", "period for requests to participate"),
}
_NATIONAL_TENDER = "§ 13 Abs. 1 Satz 1 UVgO; § 10 Abs. 1 VOB/A"
_NATIONAL_PARTICIPATION = "§ 13 Abs. 1 Satz 1 UVgO; § 10 VOB/A"

_SINGLE_STAGE = frozenset({"open", "public-tender"})
"""Procedures without a participation stage: their only period is the one for tenders."""

# (procedure, stage) -> which profile number applies and where the law says so. The open
# procedure applies § 15 Abs. 4 VgV (this platform always receives tenders electronically): its
# period is ``eu_open_electronic``; ``eu_open`` (35 days, § 15 Abs. 2 VgV) is the unreduced
# period and never applied. The reduction does not shorten the urgent period (§ 15 Abs. 4 only
# refers to Abs. 2). § 18 VgV knows no urgent period and no minimum for the final tenders of a
# competitive dialogue. National periods are the profile's rule: UVgO asks only for an
# "angemessene Frist", VOB/A § 10 Abs. 1 for at least ten calendar days "auch bei Dringlichkeit".
_RULES: dict[tuple[str, Stage], _Rule] = {
    ("open", "tender"): _Rule(
        "eu_open_electronic", "§ 15 Abs. 2 und 4 VgV", "eu_open_urgent", "§ 15 Abs. 3 VgV", "tender"
    ),
    ("restricted", "participation"): _Rule(
        "eu_restricted_participation",
        "§ 16 Abs. 2 VgV",
        "eu_restricted_participation_urgent",
        "§ 16 Abs. 3 VgV",
        "participation",
    ),
    ("restricted", "tender"): _Rule(
        "eu_restricted_tender",
        "§ 16 Abs. 5 VgV",
        "eu_restricted_tender_urgent",
        "§ 16 Abs. 7 VgV",
        "tender",
    ),
    ("negotiated", "participation"): _Rule(
        "eu_restricted_participation",
        "§ 17 Abs. 2 VgV",
        "eu_restricted_participation_urgent",
        "§ 17 Abs. 3 VgV",
        "participation",
    ),
    ("negotiated", "tender"): _Rule(
        "eu_restricted_tender",
        "§ 17 Abs. 6 VgV",
        "eu_restricted_tender_urgent",
        "§ 17 Abs. 8 VgV",
        "tender",
    ),
    ("competitive-dialogue", "participation"): _Rule(
        "eu_restricted_participation", "§ 18 Abs. 3 VgV", None, None, "participation"
    ),
    ("public-tender", "tender"): _Rule("national", _NATIONAL_TENDER, None, None, "tender"),
    ("restricted-tender", "participation"): _Rule(
        "national", _NATIONAL_PARTICIPATION, None, None, "participation"
    ),
    ("restricted-tender", "tender"): _Rule("national", _NATIONAL_TENDER, None, None, "tender"),
    ("negotiated-award", "participation"): _Rule(
        "national", _NATIONAL_PARTICIPATION, None, None, "participation"
    ),
    ("negotiated-award", "tender"): _Rule("national", _NATIONAL_TENDER, None, None, "tender"),
}


def fits_regime(regime: str, procedure: str) -> bool:
    """Whether ``procedure`` is one of the procedures of ``regime``."""
    if regime == "eu":
        return procedure in EU_PROCEDURES
    if regime == "national":
        return procedure in NATIONAL_PROCEDURES
    return False


def minimum_period(
    profile: Profile,
    *,
    regime: Regime,
    procedure: ProcedureType,
    urgent: bool,
    stage: Stage = "participation",
) -> MinimumPeriod:
    """The minimum period of ``procedure``, the days taken from ``profile.periods``.

    The open procedure applies ``eu_open_electronic`` (§ 15 Abs. 4 VgV: this platform always
    receives tenders electronically) and ``eu_open_urgent`` when urgent (§ 15 Abs. 3 VgV);
    ``eu_open`` (§ 15 Abs. 2 VgV, 35 days) is the unreduced period and is never applied. The
    negotiated procedure with competition (§ 17 VgV) and the competitive dialogue (§ 18 VgV) use
    the restricted procedure's numbers, which the VgV repeats for them; § 18 VgV has no urgent
    period, so ``urgent`` does not shorten a competitive dialogue. National procedures take
    ``national`` whatever the urgency (§ 10 Abs. 1 VOB/A: "auch bei Dringlichkeit").

    Args:
        stage: for the two-stage procedures, ``participation`` (the default: the deadline a
            tender on this platform publishes is the Teilnahmefrist) or ``tender`` (the period
            for tenders of the second stage). One-stage procedures have only their tender period.
        urgent: duly substantiated urgency (§ 15 Abs. 3, § 16 Abs. 3 and 7, § 17 Abs. 3 and 8
            VgV); it shortens nothing in a competitive dialogue or a national procedure.

    Raises:
        ValueError: ``procedure`` is not a procedure of ``regime``, or has no minimum period
            for ``stage`` (the final tenders of a competitive dialogue).
    """
    if not fits_regime(regime, procedure):
        raise ValueError(f"procedure {procedure!r} is not a procedure of the {regime!r} regime")
    rule = _RULES.get((procedure, "tender" if procedure in _SINGLE_STAGE else stage))
    if rule is None:
        raise ValueError(f"{procedure!r} has no minimum period for the {stage!r} stage")
    field, basis = rule.field, rule.basis
    if urgent and rule.urgent_field is not None and rule.urgent_basis is not None:
        field, basis = rule.urgent_field, rule.urgent_basis
    days: int = getattr(profile.periods, field)
    what_de, what_en = _WHAT[rule.what]
    return MinimumPeriod(
        days=days,
        legal_basis=basis,
        what_de=what_de,
        what_en=what_en,
        profile_key=f"periods.{field}",
    )


def last_day_of_period(calendar: Calendar, dispatch: datetime, days: int) -> date:
    """The local day on which a period of ``days`` calendar days from ``dispatch`` ends: the
    ``days``-th day after the day of dispatch, moved to the next working day (Art. 3(4))."""
    if days < 1:
        raise ValueError("days: a period has at least one day")
    return calendar.next_working_day(calendar.local_date(dispatch) + timedelta(days=days))


def earliest_deadline(calendar: Calendar, dispatch: datetime, days: int) -> datetime:
    """The earliest admissible deadline for a minimum period of ``days`` calendar days from the
    dispatch of the notice (publication on this platform is the dispatch).

    The day of dispatch is not counted (Art. 3(1) Reg. 1182/71, § 82 VgV); the period ends at the
    end of its last day (Art. 3(2)(b)), or at the end of the next working day if that day is a
    Saturday, Sunday or public holiday of the state (Art. 3(4)). The day of dispatch is its local
    day: a notice sent at 23:30 in Bremen counts from that day, not from the UTC one.

    Returns:
        The instant the period ends (local midnight after its last day), aware UTC.
    """
    return calendar.end_of_day(last_day_of_period(calendar, dispatch, days))


class DeadlineCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One check of the deadlines of a tender, passed or not."""

    code: str
    """``procedure-regime``, ``deadline-in-past``, ``submission-period``,
    ``clarification-order``, ``clarification-answers`` or ``binding-period``."""
    ok: bool
    """Whether the deadlines pass this check."""
    refuses: bool
    """Not ok and publishing must be refused; not ok and ``False``: a warning only."""
    legal_basis: str | None
    """The provision checked, or ``None`` for a check of plain consistency."""
    minimum_days: int | None
    """For a period check: the minimum period in calendar days."""
    earliest: datetime | None
    """For the minimum period: the earliest admissible deadline (aware UTC); else ``None``."""
    message_de: str
    message_en: str


def check_deadlines(
    profile: Profile,
    *,
    regime: Regime,
    procedure: ProcedureType,
    urgent: bool,
    dispatch: datetime,
    submission_deadline: datetime,
    clarification_deadline: datetime | None,
    binding_until: date | None,
) -> list[DeadlineCheck]:
    """Every check of the deadlines of a tender dispatched (published) at ``dispatch``.

    The checks, each with its result: the procedure fits the regime (refuses); the submission
    deadline lies after dispatch (refuses); the minimum period (refuses or warns per
    ``profile.periods.on_shortfall``); the clarification deadline, if set, lies after dispatch
    and before the submission deadline (refuses); in EU procedures it leaves time for the
    answers of § 20 Abs. 3 Satz 1 Nr. 1 VgV (warns); the end of the binding period, if set, is not
    before the day of the submission deadline (refuses). If the procedure does not fit the
    regime, the minimum period and the answers check are left out: they have no rule to apply.
    """
    _aware(dispatch, "dispatch")
    _aware(submission_deadline, "submission_deadline")
    if clarification_deadline is not None:
        _aware(clarification_deadline, "clarification_deadline")
    calendar = Calendar(profile)
    fits = fits_regime(regime, procedure)
    checks = [
        _procedure_check(regime, procedure, fits),
        _future_check(dispatch, submission_deadline),
    ]
    if fits:
        period = minimum_period(profile, regime=regime, procedure=procedure, urgent=urgent)
        checks.append(
            _period_check(profile.periods, calendar, period, dispatch, submission_deadline)
        )
    if clarification_deadline is not None:
        checks.append(_clarification_order(dispatch, submission_deadline, clarification_deadline))
        if fits and regime == "eu":
            checks.append(
                _clarification_answers(
                    calendar, procedure, urgent, submission_deadline, clarification_deadline
                )
            )
    if binding_until is not None:
        checks.append(_binding_check(calendar, submission_deadline, binding_until))
    return checks


_PROCEDURE_NAMES: dict[str, tuple[str, str]] = {
    "open": ("offenes Verfahren", "open procedure"),
    "restricted": ("nicht offenes Verfahren", "restricted procedure"),
    "negotiated": ("Verhandlungsverfahren", "competitive procedure with negotiation"),
    "competitive-dialogue": ("wettbewerblicher Dialog", "competitive dialogue"),
    "public-tender": ("Öffentliche Ausschreibung", "national open tender"),
    "restricted-tender": ("Beschränkte Ausschreibung", "national restricted tender"),
    "negotiated-award": ("Verhandlungsvergabe", "national negotiated award"),
}


def _procedure_check(regime: str, procedure: str, fits: bool) -> DeadlineCheck:
    eu = regime == "eu"
    name_de, name_en = _PROCEDURE_NAMES.get(procedure, (repr(procedure), repr(procedure)))
    return DeadlineCheck(
        code="procedure-regime",
        ok=fits,
        refuses=not fits,
        legal_basis="§ 119 Abs. 1 GWB; § 14 Abs. 1 VgV" if eu else "§ 8 Abs. 1 UVgO; § 3 VOB/A",
        minimum_days=None,
        earliest=None,
        message_de=(
            f"Die Verfahrensart ({name_de}) ist "
            + ("" if fits else "nicht ")
            + ("ein EU-Verfahren." if eu else "ein nationales Verfahren.")
        ),
        message_en=(
            f"The procedure ({name_en}) is "
            + ("" if fits else "not ")
            + ("an EU procedure." if eu else "a national procedure.")
        ),
    )


def _future_check(dispatch: datetime, submission_deadline: datetime) -> DeadlineCheck:
    ok = submission_deadline > dispatch
    return DeadlineCheck(
        code="deadline-in-past",
        ok=ok,
        refuses=not ok,
        legal_basis=None,
        minimum_days=None,
        earliest=None,
        message_de="Die Frist endet nach der Veröffentlichung."
        if ok
        else "Die Frist ist bei der Veröffentlichung bereits abgelaufen.",
        message_en="The deadline lies after publication."
        if ok
        else "The deadline has passed by the time of publication.",
    )


def _period_check(
    periods: MinimumPeriods,
    calendar: Calendar,
    period: MinimumPeriod,
    dispatch: datetime,
    submission_deadline: datetime,
) -> DeadlineCheck:
    last = last_day_of_period(calendar, dispatch, period.days)
    earliest = calendar.end_of_day(last)
    ok = submission_deadline >= earliest
    unmoved = calendar.local_date(dispatch) + timedelta(days=period.days)
    moved_de = moved_en = ""
    if unmoved != last:
        moved_de = f" ({_de_day(calendar, unmoved)}, daher der nächste Werktag)"
        moved_en = f" ({_en_day(calendar, unmoved)}, hence the next working day)"
    need_de = (
        f"{period.what_de}: mindestens {period.days} Tage ab dem Tag nach der Absendung, "
        f"frühestens mit Ablauf des {last:%d.%m.%Y}{moved_de}."
    )
    need_en = (
        f"{period.what_en.capitalize()}: at least {period.days} days from the day after "
        f"dispatch, ending at the earliest at the end of {_en_date(last)}{moved_en}."
    )
    return DeadlineCheck(
        code="submission-period",
        ok=ok,
        refuses=not ok and periods.on_shortfall == "refuse",
        legal_basis=period.legal_basis,
        minimum_days=period.days,
        earliest=earliest,
        message_de=("Eingehalten. " if ok else "Zu kurz. ") + need_de,
        message_en=("Met. " if ok else "Too short. ") + need_en,
    )


def _clarification_order(
    dispatch: datetime, submission_deadline: datetime, clarification_deadline: datetime
) -> DeadlineCheck:
    ok = dispatch < clarification_deadline < submission_deadline
    return DeadlineCheck(
        code="clarification-order",
        ok=ok,
        refuses=not ok,
        legal_basis=None,
        minimum_days=None,
        earliest=None,
        message_de="Die Frist für Fragen liegt "
        + ("" if ok else "nicht ")
        + "zwischen der Veröffentlichung und dem Fristende.",
        message_en="The deadline for questions lies "
        + ("" if ok else "not ")
        + "between publication and the submission deadline.",
    )


def _clarification_answers(
    calendar: Calendar,
    procedure: str,
    urgent: bool,
    submission_deadline: datetime,
    clarification_deadline: datetime,
) -> DeadlineCheck:
    """§ 20 Abs. 3 Satz 1 Nr. 1 VgV: answers are due six days (four when urgent) before the
    deadline, counted back by whole local days (Art. 3 Reg. 1182/71): the questions must close
    by the start of the sixth day before the day of the deadline. The provision speaks of the
    Angebotsfrist; for a Teilnahmefrist it is applied by analogy, as a warning."""
    # § 18 VgV knows no urgency, so a competitive dialogue keeps the six days.
    days = ANSWER_DAYS_URGENT if urgent and procedure != "competitive-dialogue" else ANSWER_DAYS
    latest = calendar.start_of_day(calendar.local_date(submission_deadline) - timedelta(days))
    last_day = calendar.local_date(latest) - _ONE_DAY
    ok = clarification_deadline <= latest
    basis = "§ 20 Abs. 3 Satz 1 Nr. 1 VgV"
    if procedure != "open":
        basis += " (entsprechend)"
    return DeadlineCheck(
        code="clarification-answers",
        ok=ok,
        refuses=False,
        legal_basis=basis,
        minimum_days=days,
        earliest=None,
        message_de=(
            f"Antworten auf Fragen sind spätestens {days} Tage vor Fristende zu geben; die Frist "
            f"für Fragen sollte spätestens mit Ablauf des {last_day:%d.%m.%Y} enden"
            + ("." if ok else " – sonst ist die Frist zu verlängern.")
        ),
        message_en=(
            f"Answers to questions are due {days} days before the deadline; the deadline for "
            f"questions should end by the end of {_en_date(last_day)}"
            + ("." if ok else ", or the deadline must be extended.")
        ),
    )


def _binding_check(
    calendar: Calendar, submission_deadline: datetime, binding_until: date
) -> DeadlineCheck:
    deadline_day = calendar.local_date(submission_deadline)
    ok = binding_until >= deadline_day
    return DeadlineCheck(
        code="binding-period",
        ok=ok,
        refuses=not ok,
        legal_basis=None,
        minimum_days=None,
        earliest=None,
        message_de=(
            f"Die Bindefrist endet am {binding_until:%d.%m.%Y}, "
            + ("nicht vor dem" if ok else "vor dem")
            + f" Tag des Fristendes ({deadline_day:%d.%m.%Y})."
        ),
        message_en=(
            f"The binding period ends on {_en_date(binding_until)}, "
            + ("not before" if ok else "before")
            + f" the day of the deadline ({_en_date(deadline_day)})."
        ),
    )


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: an aware datetime is required")
    return moment


_WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _en_date(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _de_day(calendar: Calendar, day: date) -> str:
    """``der 31.10.2027 ist ein Feiertag (Reformationstag)`` or ``… ist ein Samstag``."""
    name = calendar.holiday_name(day, "de")
    what = f"ein Feiertag ({name})" if name else f"ein {_WEEKDAYS_DE[day.weekday()]}"
    return f"der {day:%d.%m.%Y} ist {what}"


def _en_day(calendar: Calendar, day: date) -> str:
    name = calendar.holiday_name(day, "en")
    what = f"a public holiday ({name})" if name else f"a {_WEEKDAYS_EN[day.weekday()]}"
    return f"{_en_date(day)} is {what}"
