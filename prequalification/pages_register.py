"""The public register's pages: the search and the verification of a certificate (issue 5).

``/praequalifizierung/verzeichnis`` is the register anyone may search: a GET form (company
name, place, category, CPV division, status) and a table of the certificates found, ordered by
number, with a link to the next page (``after``: the last number shown). ``/verify/{number}``
is one handler for API clients and browsers (:func:`prequalification.controllers_register.verify`):
a browser asking for HTML gets :func:`verify_page`, which shows the certificate, its status now
in words, the status at a moment asked for and the links to the sealed documents. The form
"status at a moment" takes a date and a time in the instance's time zone and goes to
``/praequalifizierung/verzeichnis/{number}/zeitpunkt``, which redirects to ``/verify/{number}``
with ``at`` as an aware ISO 8601 time (the API's own parameter), so the answer has one address.
"""

from __future__ import annotations

__all__ = ["ROUTES", "STATUS", "verify_page"]

import re
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from litestar import Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from infra.db.engine import reading
from infra.http import DbSession
from infra.identity.guards import public
from infra.identity.pages.common import Req
from infra.web.forms import Errors
from infra.web.i18n import N_, negotiate_language
from infra.web.rendering import page
from prequalification import register
from prequalification.cpv_names import division_name, divisions_by_category
from prequalification.pages_common import CATEGORY_NAMES, words

REGISTER = "/praequalifizierung/verzeichnis"
MOMENT = REGISTER + "/{number:str}/zeitpunkt"
PAGE_SIZE = 20
_PAGE: dict[str, Any] = {"include_in_schema": False, "guards": [public]}
_DIVISION = re.compile(r"^[0-9]{2}$")

STATUS: dict[str, tuple[str, str, str]] = {
    "valid": (
        "success",
        N_("Valid"),
        N_("The company is pre-qualified for the scope shown."),
    ),
    "suspended": (
        "warning",
        N_("Suspended"),
        N_(
            "Mandatory evidence has expired: the pre-qualification is suspended until the "
            "company renews it and the office accepts the renewal."
        ),
    ),
    "expired": (
        "warning",
        N_("Expired"),
        N_("The certificate's period of validity has ended."),
    ),
    "revoked": (
        "danger",
        N_("Revoked"),
        N_("The pre-qualification office revoked the certificate."),
    ),
}
"""Certificate status → (KERN alert kind, name, what it means)."""

STATUS_OPTIONS: list[tuple[str, str]] = [
    ("", N_("Any status")),
    *((code, name) for code, (_kind, name, _text) in STATUS.items()),
]
CATEGORY_OPTIONS: list[tuple[str, str]] = [
    ("", N_("Any category")),
    *CATEGORY_NAMES.items(),
]
_NO_DATE = N_("Enter the date as day, month and year.")
_NO_TIME = N_("Enter the time as hours and minutes.")


def _choice(value: str | None, allowed: set[str]) -> str:
    """``value`` if it is one of ``allowed``, else empty (an unknown choice filters nothing)."""
    value = (value or "").strip()
    return value if value in allowed else ""


@get(REGISTER, name="pq:register", **_PAGE)
async def register_page(
    request: Req,
    *,
    name: Annotated[str, QueryParameter(max_length=200)] = "",
    place: Annotated[str, QueryParameter(max_length=100)] = "",
    category: Annotated[str, QueryParameter(max_length=20)] = "",
    cpv: Annotated[str, QueryParameter(max_length=2)] = "",
    status: Annotated[str, QueryParameter(max_length=20)] = "",
    after: Annotated[str, QueryParameter(max_length=40)] = "",
) -> Template:
    """Search the register; the filters are the query, so a result can be bookmarked."""
    state = request.app.state
    language = negotiate_language(request)
    filters = {
        "name": name.strip(),
        "place": place.strip(),
        "category": _choice(category, set(CATEGORY_NAMES)),
        "cpv": cpv if _DIVISION.match(cpv) else "",
        "status": _choice(status, set(STATUS)),
    }
    async with reading(state.engine) as connection:
        found = await register.search(
            connection,
            profile=state.settings.profile,
            base_url=state.settings.public_url,
            now=state.clock.now(),
            name=filters["name"] or None,
            place=filters["place"] or None,
            category=filters["category"] or None,
            cpv_division=filters["cpv"] or None,
            status=filters["status"] or None,
            after=after.strip().upper() or None,
            limit=PAGE_SIZE + 1,
        )
    entries = found[:PAGE_SIZE]
    next_url = None
    if len(found) > PAGE_SIZE:
        query = {key: value for key, value in filters.items() if value}
        next_url = REGISTER + "?" + urlencode({**query, "after": entries[-1].number})
    return page(
        request,
        "prequalification/register.html",
        **words(request),
        form=filters,
        searched=any(filters.values()) or bool(after),
        entries=entries,
        next_url=next_url,
        first_url=REGISTER + "?" + urlencode({k: v for k, v in filters.items() if v})
        if after
        else None,
        status_words=STATUS,
        status_options=STATUS_OPTIONS,
        category_options=CATEGORY_OPTIONS,
        division_groups=divisions_by_category(language),
        division_label=lambda code: division_name(code, language),
    )


async def verify_page(
    request: Req,
    session: AsyncSession | AsyncConnection,
    number: str,
    *,
    at: datetime | None = None,
    errors: Errors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    """The verification page of ``number``: status now and, with ``at``, at that moment."""
    state = request.app.state
    language = negotiate_language(request)
    zone = ZoneInfo(state.settings.profile.instance.timezone)
    verification = await register.verify(
        session,
        profile=state.settings.profile,
        base_url=state.settings.public_url,
        number=number[:40],
        now=state.clock.now(),
        at=at,
    )
    if form is None:
        local = (at or state.clock.now()).astimezone(zone)
        form = {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}
    documents = f"/api/v1/prequalification/certificates/{quote(verification.number, safe='')}"
    return page(
        request,
        "prequalification/verify.html",
        status_code=status_code,
        **words(request),
        verification=verification,
        status_words=STATUS,
        division_label=lambda code: division_name(code, language),
        documents=documents + "/document",
        moment_action=MOMENT.replace("{number:str}", quote(verification.number, safe="")),
        form=form,
        errors=errors or {},
    )


def _moment(day: str, clock: str, zone: ZoneInfo) -> tuple[datetime | None, Errors]:
    """The aware time of a date and a time of day given in ``zone``, or the errors per field."""
    errors: Errors = {}
    parsed_day: date | None = None
    parsed_time: time | None = None
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        errors["date"] = _NO_DATE
    try:
        parsed_time = time.fromisoformat(clock.strip()) if clock.strip() else time(12, 0)
    except ValueError:
        errors["time"] = _NO_TIME
    if parsed_day is None or parsed_time is None:
        return None, errors
    return datetime.combine(parsed_day, parsed_time.replace(tzinfo=None), tzinfo=zone), {}


@get(MOMENT, name="pq:verify-moment", **_PAGE)
async def status_at_moment(
    request: Req,
    session: DbSession,
    number: FromPath[str],
    *,
    date_: Annotated[str, QueryParameter(name="date", max_length=20)] = "",
    time_: Annotated[str, QueryParameter(name="time", max_length=20)] = "",
) -> Response[Any]:
    """The form "status at a moment": to ``/verify/{number}?at=…``, or the page with errors."""
    zone = ZoneInfo(request.app.state.settings.profile.instance.timezone)
    at, errors = _moment(date_, time_, zone)
    if at is None:
        return await verify_page(
            request,
            session,
            number,
            errors=errors,
            form={"date": date_, "time": time_},
            status_code=422,
        )
    target = f"/verify/{quote(number[:40], safe='')}?" + urlencode({"at": at.isoformat()})
    return Redirect(target, status_code=303)


ROUTES: list[ControllerRouterHandler] = [register_page, status_at_moment]
