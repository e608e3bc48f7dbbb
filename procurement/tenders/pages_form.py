"""The tender editor's form: how the submitted values become a tender's content.

A browser sends strings (:mod:`procurement.tenders.pages_values` reads them into the editor's
values); :func:`read_content` converts them field by field into
:class:`~procurement.tenders.schemas.TenderContent` and then asks
:func:`procurement.tenders.authoring.validate` for the domain's rules, so that one submission
shows every wrong field at its place (:func:`problem_errors` puts the domain's problems at the
editor's fields, in the page's language). Amounts are accepted in German notation
(``850.000,00``) and as plain decimals (``850000.00``); deadlines are a date and a time in the
instance's time zone (Europe/Berlin), stored as aware UTC times; a time the clocks skip (the
night the summer time begins) is refused rather than moved. A blank row of lots or award
criteria is ignored.
"""

from __future__ import annotations

__all__ = ["parse_amount", "parse_day", "problem_errors", "read_content"]

import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from markupsafe import Markup

from infra.profile import Profile
from infra.web.forms import CHECK_ENTRIES, FORM, Errors
from infra.web.i18n import N_, translations
from prequalification.cpv_names import CPV_DIVISION_NAMES
from procurement.tenders import authoring
from procurement.tenders.pages_common import (
    AUTHORITY_KINDS,
    CONTRACT_KINDS,
    CRITERION_KINDS,
    METHODS,
    PROCEDURES,
)
from procurement.tenders.pages_values import EditorValues
from procurement.tenders.schemas import TenderContent

_GERMAN = re.compile(r"^\d{1,3}(\.\d{3})*(,\d+)?$|^\d+(,\d+)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_CODES = re.compile(r"[\s,;]+")
_FIELD = re.compile(r"^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?")
_BID_SIGNATURES = ("text", "advanced", "qualified")
"""The forms of bids (``TenderContent.bid_signature``, § 53 VgV); the editor names them."""

_TITLE_LENGTH = N_("The title needs between 3 and 300 characters.")
_LONG_TEXT = N_("The description may have at most 20,000 characters.")
_LOT_TITLE = N_("Enter the title of the lot.")
_LOT_VALUE = N_("Enter the estimated value of the lot.")
_LOT_CPV = N_("Enter at least one CPV code of the lot.")
_NAME = N_("Enter the name of the criterion.")
_NAME_LENGTH = N_("The name needs between 2 and 200 characters.")
_KIND = N_("Choose price or quality.")
_WEIGHT = N_("Enter the weight in percent.")
_WEIGHT_RANGE = N_("The weight is a whole number from 1 to 100.")
_METHOD = N_("Choose how the criterion is scored.")
_POINTS = N_("The maximum is a whole number from 1 to 1000.")

_AMOUNT = N_("Enter the amount in euros, for example 850.000,00.")
_CPV_FORMAT = N_("A CPV code is eight digits, a hyphen and a check digit, e.g. 45210000-2.")
_NUTS_FORMAT = N_("A NUTS code is a country code and up to three letters or digits, e.g. DE501.")
_STATIC = {
    N_("An amount is a non-negative number of euros."),
    N_("The amount is implausibly large."),
    N_("An amount has at most two decimal places (cents)."),
    _CPV_FORMAT,
    N_("A CPV code is listed twice."),
    _NUTS_FORMAT,
    N_("Give the reason for the urgency."),
    N_("The deadline lies in the past."),
    N_("Questions must end before the submission deadline."),
}
"""The domain's messages (authoring.validate) that are catalog messages as they are."""
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"The check digit of (?P<digits>\d{8}) is (?P<right>\d), not (?P<wrong>\d)\."),
        N_("The check digit of %(digits)s is %(right)s, not %(wrong)s."),
    ),
    (
        re.compile(r"(?P<division>\d\d) is not a division of the CPV\."),
        N_("%(division)s is not a division of the CPV."),
    ),
    (
        re.compile(r"(?P<country>[A-Z]{2}) is not the NUTS code of an EU or EFTA state\."),
        N_("%(country)s is not the NUTS code of an EU or EFTA state."),
    ),
    (
        re.compile(r"A price criterion is scored by"),
        N_("A price criterion is scored by the lowest price ratio or linearly."),
    ),
    (
        re.compile(r"A quality criterion is scored by"),
        N_("A quality criterion is scored by points."),
    ),
    (
        re.compile(r"The weights sum to (?P<total>\d+), not to 100\."),
        N_("The weights sum to %(total)s, not to 100."),
    ),
    (re.compile(r"is no CPV division\."), N_("Choose CPV divisions from the list.")),
    (re.compile(r"is no evidence type\."), N_("Choose evidence types from the list.")),
]


def parse_amount(text: str) -> Decimal:
    """An amount in euros from German (``850.000,00``) or plain (``850000.00``) notation.

    Raises:
        ValueError: it is neither.
    """
    cleaned = text.replace("€", "").replace("EUR", "").replace("\u00a0", "").replace(" ", "")
    if "," in cleaned or _THOUSANDS.match(cleaned):
        if not _GERMAN.match(cleaned):
            raise ValueError(text)
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif not _PLAIN.match(cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None


def parse_day(text: str) -> date | None:
    """A date from a form field, ISO (``2026-04-24``, as date inputs send it) or German
    (``24.04.2026``); ``None`` for an empty field.

    Raises:
        ValueError: it is neither.
    """
    text = text.strip()
    return _day(text) if text else None


def _day(text: str) -> date:
    german = _GERMAN_DATE.match(text)
    if german:
        return date(int(german.group(3)), int(german.group(2)), int(german.group(1)))
    return date.fromisoformat(text)


def _moment(day_text: str, time_text: str, zone: ZoneInfo) -> datetime | None:
    """The aware UTC time of a date and a time in ``zone``.

    Raises:
        ValueError: with the msgid of what is wrong.
    """
    day_text, time_text = day_text.strip(), time_text.strip()
    if not day_text and not time_text:
        return None
    if not day_text:
        raise ValueError(N_("Enter the date as day, month and year."))
    if not time_text:
        raise ValueError(N_("Enter the time as hours and minutes."))
    try:
        day = _day(day_text)
    except ValueError:
        raise ValueError(N_("Enter the date as day, month and year.")) from None
    found = _TIME.match(time_text)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValueError(N_("Enter the time as hours and minutes."))
    local = datetime.combine(day, time(int(found.group(1)), int(found.group(2))), tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(N_("This time does not exist on that day: the clocks go forward."))
    return moment


def _codes(text: str) -> list[str]:
    return [code for code in _CODES.split(text.strip()) if code]


class _Reader:
    """Converts the fields one by one, collecting an error per field."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def take(self, field: str, convert: Callable[..., Any], *args: Any) -> Any:
        try:
            return convert(*args)
        except ValueError as error:
            self.errors.setdefault(field, str(error.args[0]))
            return None


def _text(value: str, missing: str, invalid: str, low: int, high: int) -> str:
    value = value.strip()
    if not value:
        raise ValueError(missing)
    if not low <= len(value) <= high:
        raise ValueError(invalid)
    return value


def _choice(value: str, allowed: Collection[str], missing: str) -> str:
    if value not in allowed:
        raise ValueError(missing)
    return value


def _amount(value: str, missing: str) -> Decimal:
    if not value.strip():
        raise ValueError(missing)
    try:
        return parse_amount(value)
    except ValueError:
        raise ValueError(_AMOUNT) from None


def _code_list(value: str, missing: str) -> list[str]:
    codes = _codes(value)
    if not codes:
        raise ValueError(missing)
    if len(codes) > 20:
        raise ValueError(N_("Enter at most 20 CPV codes."))
    if any(len(code) > 10 for code in codes):
        raise ValueError(_CPV_FORMAT)
    return codes


def _whole(value: str, missing: str, invalid: str, low: int, high: int) -> int:
    if not value.strip():
        raise ValueError(missing)
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(invalid) from None
    if not low <= number <= high:
        raise ValueError(invalid)
    return number


def _optional_text(value: str, invalid: str, high: int) -> str:
    value = value.strip()
    if len(value) > high:
        raise ValueError(invalid)
    return value


def _lots(values: EditorValues, reader: _Reader) -> tuple[list[dict[str, Any]], list[int]]:
    """The lots of the non-blank rows, and the row of each."""
    lots, rows = [], []
    take = reader.take
    for index, row in enumerate(values.lots):
        if row.blank:
            continue
        key = f"lots-{index}-"
        lots.append(
            {
                "title": take(key + "title", _text, row.title, _LOT_TITLE, _TITLE_LENGTH, 3, 300),
                "description": take(
                    key + "description", _optional_text, row.description, _LONG_TEXT, 20_000
                ),
                "estimated_value": take(
                    key + "estimated_value", _amount, row.estimated_value, _LOT_VALUE
                ),
                "cpv_codes": take(key + "cpv_codes", _code_list, row.cpv_codes, _LOT_CPV),
            }
        )
        rows.append(index)
    return lots, rows


def _criteria(values: EditorValues, reader: _Reader) -> tuple[list[dict[str, Any]], list[int]]:
    """The award criteria of the non-blank rows, and the row of each."""
    criteria, rows = [], []
    take = reader.take
    for index, row in enumerate(values.criteria):
        if row.blank:
            continue
        key = f"criteria-{index}-"
        criteria.append(
            {
                "name": take(key + "name", _text, row.name, _NAME, _NAME_LENGTH, 2, 200),
                "kind": take(key + "kind", _choice, row.kind, CRITERION_KINDS, _KIND),
                "weight": take(key + "weight", _whole, row.weight, _WEIGHT, _WEIGHT_RANGE, 1, 100),
                "method": take(key + "method", _choice, row.method, METHODS, _METHOD),
                "max_points": take(
                    key + "max_points", _whole, row.max_points or "100", "", _POINTS, 1, 1000
                ),
            }
        )
        rows.append(index)
    return criteria, rows


def _eligibility(values: EditorValues, profile: Profile, reader: _Reader) -> dict[str, Any]:
    known = {item.code for item in profile.prequalification.evidence}

    def subset(field: str, chosen: list[str], allowed: set[str] | Mapping[str, Any]) -> list[str]:
        if any(value not in allowed for value in chosen):
            raise ValueError(
                {
                    "pq_categories": N_("Choose categories from the list."),
                    "pq_divisions": N_("Choose CPV divisions from the list."),
                    "evidence_types": N_("Choose evidence types from the list."),
                }[field]
            )
        return list(dict.fromkeys(chosen))

    return {
        "pq_categories": reader.take(
            "pq_categories",
            lambda: subset("pq_categories", values.pq_categories, CONTRACT_KINDS),
        ),
        "pq_divisions": reader.take(
            "pq_divisions",
            lambda: subset("pq_divisions", values.pq_divisions, CPV_DIVISION_NAMES),
        ),
        "evidence_types": reader.take(
            "evidence_types", lambda: subset("evidence_types", values.evidence_types, known)
        ),
    }


def _translated(language: str, message: str) -> str:
    """A message of the domain as the page shows it: a msgid, or for a message with values
    the translated text with the values escaped (the templates translate it once more,
    which leaves it as it is)."""
    if message in _STATIC:
        return message
    for pattern, msgid in _PATTERNS:
        found = pattern.search(message)
        if found:
            text = translations(language).gettext(msgid)
            return Markup(text) % found.groupdict() if found.groupdict() else msgid  # noqa: S704
    return CHECK_ENTRIES


def _problem_field(field: str, lot_rows: list[int], criterion_rows: list[int]) -> str:
    found = _FIELD.match(field)
    if found is None:
        return field
    name, index, sub = found.group(1), found.group(2), found.group(3)
    if name in ("lots", "criteria") and index is not None:
        rows = lot_rows if name == "lots" else criterion_rows
        position = int(index)
        row = rows[position] if position < len(rows) else position
        return f"{name}-{row}-{sub}" if sub else name
    return name


def problem_errors(
    problems: list[dict[str, str]],
    language: str,
    lot_rows: list[int],
    criterion_rows: list[int],
) -> Errors:
    """The domain's problems (``authoring.validate``) at the editor's fields."""
    errors: Errors = {}
    for problem in problems:
        field = _problem_field(problem["field"], lot_rows, criterion_rows)
        errors.setdefault(field, _translated(language, problem["message"]))
    return errors


def read_content(
    values: EditorValues, profile: Profile, language: str, now: datetime
) -> tuple[TenderContent | None, Errors]:
    """The content the form describes, or ``None`` and the errors at the editor's fields."""
    zone = ZoneInfo(profile.instance.timezone)
    reader = _Reader()
    take = reader.take
    fields: dict[str, Any] = {
        "title": take(
            "title",
            _text,
            values.title,
            N_("Enter the title of the tender."),
            _TITLE_LENGTH,
            3,
            300,
        ),
        "description": take(
            "description",
            _text,
            values.description,
            N_("Describe what is procured."),
            _LONG_TEXT,
            1,
            20_000,
        ),
        "procedure": take(
            "procedure", _choice, values.procedure, PROCEDURES, N_("Choose the procedure.")
        ),
        "contract_kind": take(
            "contract_kind",
            _choice,
            values.contract_kind,
            CONTRACT_KINDS,
            N_("Choose the kind of contract."),
        ),
        "authority_kind": take(
            "authority_kind",
            _choice,
            values.authority_kind or "sub_central",
            AUTHORITY_KINDS,
            N_("Choose the kind of authority."),
        ),
        "estimated_value": take(
            "estimated_value", _amount, values.estimated_value, N_("Enter the estimated value.")
        ),
        "cpv_codes": take(
            "cpv_codes", _code_list, values.cpv_codes, N_("Enter at least one CPV code.")
        ),
        "nuts_code": take("nuts_code", _nuts, values.nuts_code),
        "urgent": values.urgent,
        "urgency_reason": take(
            "urgency_reason",
            _optional_text,
            values.urgency_reason,
            N_("The reason may have at most 5,000 characters."),
            5_000,
        )
        or None,
        "clarification_deadline": take(
            "clarification_deadline",
            _moment,
            values.clarification_deadline,
            values.clarification_deadline_time,
            zone,
        ),
        "submission_deadline": take(
            "submission_deadline",
            _moment,
            values.submission_deadline,
            values.submission_deadline_time,
            zone,
        ),
        "binding_until": take("binding_until", _binding, values.binding_until),
        "bid_signature": take(
            "bid_signature",
            _choice,
            values.bid_signature,
            _BID_SIGNATURES,
            N_("Choose the form of bids."),
        ),
    }
    fields["lots"], lot_rows = _lots(values, reader)
    fields["criteria"], criterion_rows = _criteria(values, reader)
    fields.update(_eligibility(values, profile, reader))
    if reader.errors:
        return None, reader.errors
    try:
        content = msgspec.convert(fields, TenderContent)
    except msgspec.ValidationError:
        return None, {FORM: CHECK_ENTRIES}
    problems = authoring.validate(profile, content, now)
    if problems:
        return None, problem_errors(problems, language, lot_rows, criterion_rows)
    return content, {}


def _nuts(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise ValueError(N_("Enter the NUTS code of the place of performance."))
    if len(code) > 5:
        raise ValueError(_NUTS_FORMAT)
    return code


def _binding(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return _day(value.strip())
    except ValueError:
        raise ValueError(N_("Enter a valid date.")) from None
