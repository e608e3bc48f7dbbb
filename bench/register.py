"""The pre-qualification register under load: search and verification beside the ceiling.

Creates a PostgreSQL database of its own for the run (``vergabe_bench_<random>``), migrates it to
head with the project's migrations (``vergabe db upgrade``) and bulk-loads a register through
COPY: one supplier organisation per certificate (legal names from word lists, German places and
postal codes, register entries and VAT ids), one approved application each, the certificate
(``HB-PQ-<year>-<seq>`` numbered per year in the order of issue, mostly valid, some suspended,
expired or revoked), its scope rows (1-3 categories, a handful of CPV divisions, following the
trade in the name) and its 1-3 status events (issued, suspended, renewed, expired, revoked). As
the sealing job would have left them, every certificate carries its documents: a PDF rendered
by ``render_pdf`` and padded to the size of a sealed one, its canonical JSON from
``render_json`` and a detached seal of the measured size (``--without-documents``: as before
the sealing job ran). Then ``VACUUM (ANALYZE)``.

The platform is served as ``bench/ceiling.py`` serves it (production settings, JSON access log
at INFO to a file, one uvicorn process with the command line's options, ``bench/_serve.py``),
against that database; the seal and timestamp authority production asks for are placeholders,
as nothing is sealed while measuring. ``wrk`` loads it from a separate process, each endpoint
warmed up, then in rounds that alternate between:

- ``/health/live``: the ceiling of this run (no database);
- ``/verify/{number}``: a number drawn at random per request from all the loaded ones
  (a Lua script reading the paths from a file);
- ``/verify/{number}?at=``: the same with a moment (ISO 8601 with offset) after its issue,
  which asks the event history too;
- ``GET /api/v1/prequalification/register``: rotating over four mixes of 10 queries each, first
  page of 50: name substring (trade words and company names), place (city or postal code),
  CPV division with status, and unfiltered pages (``after`` the previous page's last number).

Every response must be 200 (a sample is also checked for its content before loading). The
script prints the medians of req/s, p50 and p99 per endpoint with the ratio to the ceiling and
whether verification reaches half the ceiling. When it does not (or with ``--profile``) it
looks for the reason in this process: the platform built the same way on the same database,
called through httpx's ASGI transport, with the statements and round trips per request
(SQLAlchemy cursor events and asyncpg's query logger) and the CPU of the app and of the
PostgreSQL backends; what-ifs that leave the app's code alone (an engine without pool
pre-ping, one in ``AUTOCOMMIT``, ``defer()`` of the certificate's documents), interleaved with
the platform as deployed; ``register.verify()`` against one Core statement answering the same;
``EXPLAIN (ANALYZE, BUFFERS)`` of each kind's slowest request; and the name and place searches
again after trigram indexes are created (in the run's database only). The server is stopped
and the database dropped at the end, also after an error or Ctrl-C (``--keep-db`` keeps it).

Run ``.venv/bin/python bench/register.py`` (``--quick`` for a short run, ``--help`` for more).
Needs ``wrk`` and a PostgreSQL the ``postgres`` role can create databases in (``--postgres``).
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

# The project before this directory, where bench/signatures.py would stand for the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import asyncpg
from ceiling import (
    HOST,
    Options,
    WrkResult,
    _environment,
    _free_port,
    _median,
    _migrate,
    _server,
    _tail,
    _wrk,
    parse_wrk,
)

from infra.profile import Profile
from infra.profile_prequalification import CPV_DIVISIONS, Category, add_months
from infra.settings import load_settings
from prequalification.certificate_document import CertificateFacts, render_json, render_pdf
from prequalification.certificates import certificate_number

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SEALED_PDF_BYTES = 59_405
"""A certificate PDF sealed as PAdES B-LTA by the development seal (measured): the rendered
PDF is padded with random bytes to this size."""
SEAL_P7S_BYTES = 4_734
"""The detached CAdES seal over the JSON form, sealed the same way (measured)."""
TARGET = 0.5
"""Verification must reach this share of the ceiling."""
REGISTER = "/api/v1/prequalification/register"

LUA = """\
-- Each request: a path drawn at random from the file named after "--" (one path a line).
local paths = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. args[1]) end
  math.randomseed(os.time() * 7919 + (thread_number or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

# --- the register's content ------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann "
    "König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert "
    "Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke "
    "Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger "
    "Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Dietrich Ziegler Kuhn Kühn "
    "Pohl Engel Horn Busch Bergmann Voigt Sauer Arnold Wolff Pfeiffer Janssen Hinrichs Meiners "
    "Ahlers Bruns Gerdes Oltmanns Rohde Tietjen Lüders Onken Wilkens Harms Siemers Cordes"
)
FIRST_NAMES = _words(
    "Jan Anna Lars Maren Hauke Sabine Thomas Katrin Jens Nicole Frank Birte Ole Heike Stefan "
    "Inga Uwe Silke Dirk Meike Jörg Svenja Malte Wiebke Björn Gesa"
)
PREFIXES = _words(
    "Weser Hanse Nordsee Nord Elbe Ems Küsten Roland Delta Mittelweser Ostfriesen Hafen Aller "
    "Blockland Teufelsmoor Vegesacker Leuchtturm Kogge Bürgerpark Überseestadt Geest Marsch"
)
FORMS = (
    ("GmbH", 50),
    ("GmbH & Co. KG", 15),
    ("e.K.", 8),
    ("UG (haftungsbeschränkt)", 6),
    ("KG", 4),
    ("AG", 2),
    ("OHG", 2),
    ("GbR", 3),
)
TRADES: tuple[tuple[str, dict[str, tuple[str, ...]]], ...] = (
    ("Bau", {"works": ("45",)}),
    ("Hochbau", {"works": ("45",)}),
    ("Tiefbau", {"works": ("45",)}),
    ("Straßenbau", {"works": ("45",)}),
    ("Kanalbau", {"works": ("45",)}),
    ("Metallbau", {"works": ("45",), "supplies": ("44",)}),
    ("Gerüstbau", {"works": ("45",)}),
    ("Dachdeckerei", {"works": ("45",)}),
    ("Haustechnik", {"works": ("45",), "supplies": ("39", "42")}),
    ("Elektrotechnik", {"works": ("45",), "supplies": ("31",), "services": ("50",)}),
    ("Sanitär- und Heizungsbau", {"works": ("45",), "supplies": ("39", "44")}),
    ("Malerbetrieb", {"works": ("45",)}),
    ("Tischlerei", {"works": ("45",), "supplies": ("39",)}),
    ("Garten- und Landschaftsbau", {"works": ("45",), "services": ("77",)}),
    ("Gebäudereinigung", {"services": ("90",)}),
    ("Facility Management", {"services": ("50", "70", "90")}),
    ("Sicherheitsdienst", {"services": ("79",)}),
    ("IT-Service", {"supplies": ("30", "48"), "services": ("72",)}),
    ("Softwareentwicklung", {"supplies": ("48",), "services": ("72",)}),
    ("Systemhaus", {"supplies": ("30", "32", "48"), "services": ("50", "72")}),
    ("Ingenieurbüro", {"services": ("71",)}),
    ("Architekten", {"services": ("71",)}),
    ("Vermessung", {"services": ("71",)}),
    ("Unternehmensberatung", {"services": ("72", "79")}),
    ("Druckerei", {"supplies": ("22",), "services": ("79",)}),
    ("Bürobedarf", {"supplies": ("22", "30", "39")}),
    ("Medizintechnik", {"supplies": ("33",), "services": ("50",)}),
    ("Laborbedarf", {"supplies": ("33", "38")}),
    ("Catering", {"supplies": ("15",), "services": ("55",)}),
    ("Lebensmittel", {"supplies": ("03", "15")}),
    ("Logistik", {"services": ("60", "63")}),
    ("Spedition", {"services": ("60", "63")}),
    ("Umzüge", {"services": ("60", "98")}),
    ("Entsorgung", {"services": ("90",)}),
    ("Fahrzeugtechnik", {"supplies": ("34",), "services": ("50",)}),
    ("Energietechnik", {"works": ("45",), "supplies": ("09", "31")}),
    ("Berufsbekleidung", {"supplies": ("18", "35")}),
    ("Möbelwerkstatt", {"supplies": ("39",)}),
    ("Übersetzungsdienst", {"services": ("79",)}),
    ("Bildungswerk", {"services": ("80",)}),
    ("Pflegedienst", {"services": ("85",)}),
    ("Veranstaltungstechnik", {"supplies": ("32",), "services": ("79", "92")}),
    ("Kommunikationsagentur", {"services": ("79", "92")}),
    ("Forstbetrieb", {"supplies": ("03",), "services": ("77",)}),
    ("Versicherungsmakler", {"services": ("66",)}),
    ("Kurierdienst", {"services": ("60", "64")}),
    ("Feuerschutz", {"supplies": ("35", "44"), "services": ("50",)}),
)
# (city, postal codes, weight, register court)
PLACES: tuple[tuple[str, str, float, str], ...] = (
    (
        "Bremen",
        "28195 28199 28201 28203 28205 28207 28209 28211 28213 28215 28217 28219 28237 28239 "
        "28259 28277 28279 28307 28309 28325 28327 28329 28355 28357 28359 28717 28719 28755 "
        "28757 28759 28777 28779",
        30,
        "Bremen",
    ),
    ("Bremerhaven", "27568 27570 27572 27574 27576 27578 27580", 8, "Bremen"),
    ("Oldenburg", "26121 26122 26123 26125 26127 26129 26131 26133 26135", 5, "Oldenburg"),
    ("Delmenhorst", "27749 27751 27753 27755", 3, "Oldenburg"),
    ("Achim", "28832", 1.5, "Walsrode"),
    ("Stuhr", "28816", 1.5, "Walsrode"),
    ("Weyhe", "28844", 1, "Walsrode"),
    ("Lilienthal", "28865", 1, "Walsrode"),
    ("Osterholz-Scharmbeck", "27711", 1, "Walsrode"),
    ("Verden (Aller)", "27283", 1, "Walsrode"),
    ("Cuxhaven", "27472 27474 27476", 1.5, "Tostedt"),
    ("Hamburg", "20095 20097 20099 20144 20249 20354 20457 21073 22041 22085 22297", 8, "Hamburg"),
    ("Hannover", "30159 30161 30163 30165 30169 30171 30173 30175", 4, "Hannover"),
    ("Osnabrück", "49074 49076 49078 49080", 2, "Osnabrück"),
    ("Wilhelmshaven", "26382 26384 26386", 1.5, "Oldenburg"),
    ("Emden", "26721 26723", 1, "Aurich"),
    ("Leer (Ostfriesland)", "26789", 1, "Aurich"),
    ("Cloppenburg", "49661", 1, "Oldenburg"),
    ("Vechta", "49377", 1, "Oldenburg"),
    ("Nienburg/Weser", "31582", 1, "Walsrode"),
    ("Berlin", "10115 10117 10178 10243 10405 10435 10551 10623 10707 12043", 3, "Charlottenburg"),
    ("Köln", "50667 50668 50670 50672 50674 50676", 1.5, "Köln"),
    ("München", "80331 80333 80335 80339 80469 80634", 1.5, "München"),
    ("Frankfurt am Main", "60311 60313 60314 60316 60318", 1, "Frankfurt am Main"),
    ("Kiel", "24103 24105 24106 24109", 1, "Kiel"),
    ("Lübeck", "23552 23554 23556 23558", 1, "Lübeck"),
    ("Leipzig", "04103 04105 04107 04109 04155", 1, "Leipzig"),
    ("Dresden", "01067 01069 01097 01099", 1, "Dresden"),
    ("Münster", "48143 48145 48147 48149", 1, "Münster"),
    ("Braunschweig", "38100 38102 38104 38106", 1, "Braunschweig"),
    ("Lüneburg", "21335 21337 21339", 0.7, "Lüneburg"),
    ("Stade", "21680 21682", 0.7, "Tostedt"),
)
STREETS = (
    *_words(
        "Hauptstraße Bahnhofstraße Industriestraße Gewerbestraße Hafenstraße Kirchweg Lindenstraße "
        "Schulstraße Gartenstraße Mühlenweg Dorfstraße Deichstraße Ringstraße Parkallee Feldstraße "
        "Birkenweg Otto-Hahn-Straße Carl-Zeiss-Straße Robert-Bosch-Straße Konsul-Smidt-Straße "
        "Hansestraße Neustadtswall Überseetor Fahrenheitstraße Universitätsallee"
    ),
    *("Am Wall", "Am Hafen", "Am Deich", "Am Speicher", "Im Gewerbegebiet"),
)
DIVISIONS: dict[str, frozenset[str]] = {str(k): v for k, v in CPV_DIVISIONS.items()}
STATUSES = (("valid", 86), ("suspended", 6), ("expired", 5), ("revoked", 3))
GROUNDS = (
    "fraud",
    "corruption",
    "tax-social-security",
    "competition-agreements",
    "misrepresentation",
)
EVIDENCE = ("tax-clearance", "health-insurance-clearance", "liability-insurance", "turnover")

TABLES: dict[str, tuple[str, ...]] = {
    "organisations": _words(
        "id kind legal_name street postal_code city country register_court register_number "
        "vat_id contact_email created_at"
    ),
    "pq_applications": _words(
        "id organisation_id status categories cpv_divisions created_at submitted_at "
        "first_submitted_at decided_at version"
    ),
    "pq_certificates": _words(
        "id number organisation_id application_id status valid_from valid_to issued_at pdf "
        "document_json document_signature revocation_ground excluded_until"
    ),
    "pq_certificate_scopes": ("certificate_id", "category", "division"),
    "pq_certificate_events": ("certificate_id", "at", "status", "reason"),
    "pq_number_counters": ("year", "last"),
}


@dataclass(slots=True)
class Register:
    """The rows to load, and what the load needs to know of them."""

    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in TABLES}
    )
    numbers: list[str] = field(default_factory=list)
    """In the order of the register (by number)."""
    verify_at: list[str] = field(default_factory=list)
    """``/verify/{number}?at=…`` paths, a moment after each certificate's issue."""
    company_names: list[str] = field(default_factory=list)
    document_bytes: int = 0


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _legal_name(rng: random.Random, trade: str) -> tuple[str, str]:
    """A company name and its legal form."""
    surname, other = rng.sample(SURNAMES, 2)
    form = _weighted(rng, FORMS)
    pattern = rng.random()
    if pattern < 0.35:
        name = f"{surname} {trade}"
    elif pattern < 0.55:
        name = f"{trade} {surname}"
    elif pattern < 0.75:
        prefix = rng.choice(PREFIXES)
        name = (
            f"{prefix}-{trade}" if " " not in trade and rng.random() < 0.4 else f"{prefix} {trade}"
        )
    elif pattern < 0.85:
        name = f"{surname} & {other} {trade}"
    elif pattern < 0.95:
        name, form = f"{rng.choice(FIRST_NAMES)} {surname} {trade}", "e.K."
    else:
        name, form = f"{surname} & Partner {trade}", "Partnerschaft mbB"
    return f"{name} {form}", form


def _slug(name: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]+", "-", ascii_.decode().lower()).strip("-")[:40]


def _scope(rng: random.Random, trade_scope: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """The trade's categories and divisions, sometimes a little more."""
    scope = {category: set(divisions) for category, divisions in trade_scope.items()}
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        if len(scope) < 3 and rng.random() < 0.4:
            category = rng.choice([c for c in DIVISIONS if c not in scope])
        else:
            category = rng.choice(list(scope))
        scope.setdefault(category, set()).add(rng.choice(sorted(DIVISIONS[category])))
    return scope


def _moment(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    """A moment in office hours of ``day`` (local), in UTC."""
    local = clock_time(rng.randint(7, 17), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, local, tzinfo=zone).astimezone(UTC)


def _generate(
    count: int, profile: Profile, public_url: str, *, documents: bool, seed: int
) -> Register:
    """The rows of a register of ``count`` certificates, issued over the last years up to now."""
    for _trade, trade_scope in TRADES:
        for category, listed in trade_scope.items():
            if not set(listed) <= DIVISIONS[category]:
                raise ValueError(f"bench/register.py: {listed} are not all {category}")
    rng = random.Random(seed)
    zone = ZoneInfo(profile.instance.timezone)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    months = profile.prequalification.certificate_validity_months
    live_days = (add_months(today, months) - today).days - 2
    # A certificate issued within live_days is still in its period; older ones have ended.
    # With the last months' issues fewer than later ones, as a register that has grown.
    places = [(city, codes.split(), weight, court) for city, codes, weight, court in PLACES]
    drafts = []
    for _ in range(count):
        status = _weighted(rng, STATUSES)
        if status == "expired":
            valid_from = today - timedelta(days=rng.randint(live_days + 3, live_days + 900))
        elif status in ("suspended", "revoked"):
            valid_from = today - timedelta(days=rng.randint(30, live_days))
        else:
            valid_from = today - timedelta(days=int(live_days * rng.random() ** 0.8))
        issued_at = min(_moment(rng, valid_from, zone), now - timedelta(minutes=5))
        drafts.append((issued_at, valid_from, status))
    drafts.sort()

    register = Register()
    rows = register.rows
    counters: dict[int, int] = {}
    instance = profile.instance
    pdf = render_pdf(_facts(profile, public_url, "HB-PQ-2026-000001", "Muster GmbH", today))
    if documents:
        pdf += b"\n%" + rng.randbytes(max(0, SEALED_PDF_BYTES - len(pdf) - 2))
    seal = rng.randbytes(SEAL_P7S_BYTES)
    for index, (issued_at, valid_from, status) in enumerate(drafts):
        year = issued_at.astimezone(zone).year
        counters[year] = counters.get(year, 0) + 1
        number = certificate_number(profile, year, counters[year])
        trade, trade_scope = rng.choice(TRADES)
        scope = _scope(rng, trade_scope)
        legal_name, form = _legal_name(rng, trade)
        city, codes, _weight, court = _weighted(rng, [(place, place[2]) for place in places])
        postal_code = rng.choice(codes)
        registered = form not in ("GbR", "Partnerschaft mbB")
        organisation_id, application_id, certificate_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        created = issued_at - timedelta(days=rng.randint(12, 70), hours=rng.randint(0, 8))
        submitted = created + timedelta(days=rng.randint(1, 9), minutes=rng.randint(0, 600))
        street = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
        register_number = (
            f"{'HRA' if form in ('e.K.', 'KG', 'OHG') else 'HRB'} {10_000 + index}"
            if registered
            else None
        )
        vat_id = f"DE{100_000_000 + index * 7 + rng.randint(0, 6)}" if rng.random() < 0.9 else None
        rows["organisations"].append(
            (
                organisation_id,
                "supplier",
                legal_name,
                street,
                postal_code,
                city,
                "DE",
                f"Amtsgericht {court}" if registered else None,
                register_number,
                vat_id,
                f"vergabe@{_slug(legal_name)}.de",
                created - timedelta(days=rng.randint(0, 700)),
            )
        )
        categories = sorted(scope)
        divisions = sorted({d for ds in scope.values() for d in ds})
        rows["pq_applications"].append(
            (
                application_id,
                organisation_id,
                "approved",
                json.dumps(categories, separators=(",", ":")),
                json.dumps(divisions, separators=(",", ":")),
                created,
                submitted,
                submitted,
                issued_at,
                rng.randint(4, 9),
            )
        )
        valid_to = date.fromordinal(add_months(valid_from, months).toordinal() - 1)
        events = [(issued_at, "valid", "issued")]
        ground, excluded_until = None, None
        end = min(now, _moment(rng, valid_to, zone))
        span = max(60, int((end - issued_at).total_seconds()))
        if status == "suspended" or (status in ("valid", "expired") and rng.random() < 0.1):
            suspended_at = issued_at + timedelta(seconds=rng.randint(span // 4, span * 3 // 4))
            lacking = ", ".join(sorted(rng.sample(EVIDENCE, rng.choice((1, 1, 2)))))
            events.append((suspended_at, "suspended", f"evidence-expired: {lacking}"))
            if status == "valid":
                renewed = suspended_at + timedelta(seconds=rng.randint(3600, span // 4 + 3600))
                events.append((min(renewed, end), "valid", "renewed"))
        if status == "revoked":
            revoked_at = issued_at + timedelta(seconds=rng.randint(span // 3, span - 30))
            ground = rng.choice(GROUNDS)
            excluded_until = add_months(revoked_at.astimezone(zone).date(), 36)
            events.append((revoked_at, "revoked", f"{ground}: Mitteilung der Staatsanwaltschaft"))
        if status == "expired":
            ended = datetime.combine(valid_to + timedelta(days=1), clock_time(0, 5), tzinfo=zone)
            events.append((ended.astimezone(UTC), "expired", "period-ended"))
        document_json = None
        if documents:
            document_json = render_json(
                CertificateFacts(
                    number=number,
                    company_name=legal_name,
                    street=street,
                    postal_code=postal_code,
                    city=city,
                    country="DE",
                    register_court=f"Amtsgericht {court}" if registered else None,
                    register_number=register_number,
                    vat_id=vat_id,
                    categories=cast(tuple[Category, ...], tuple(categories)),
                    cpv_divisions=tuple(divisions),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    issued_at=issued_at,
                    verify_url=f"{public_url}/verify/{number}",
                    instance_name=dict(instance.name),
                    operator=dict(instance.operator),
                    state=instance.state,
                )
            )
            register.document_bytes += len(pdf) + len(document_json) + len(seal)
        rows["pq_certificates"].append(
            (
                certificate_id,
                number,
                organisation_id,
                application_id,
                status,
                valid_from,
                valid_to,
                issued_at,
                pdf if documents else None,
                document_json,
                seal if documents else None,
                ground,
                excluded_until,
            )
        )
        rows["pq_certificate_scopes"].extend(
            (certificate_id, category, division)
            for category, ds in sorted(scope.items())
            for division in sorted(ds)
        )
        rows["pq_certificate_events"].extend((certificate_id, *event) for event in events)
        register.numbers.append(number)
        at = issued_at + (now - issued_at) * rng.random()
        moment = at.astimezone(zone).isoformat(timespec="seconds")
        register.verify_at.append(f"/verify/{number}?at={quote(moment, safe='')}")
        register.company_names.append(legal_name)
    rows["pq_number_counters"].extend(sorted(counters.items()))
    return register


def _facts(
    profile: Profile, public_url: str, number: str, name: str, day: date
) -> CertificateFacts:
    instance = profile.instance
    return CertificateFacts(
        number=number,
        company_name=name,
        street="Am Wall 1",
        postal_code="28195",
        city="Bremen",
        country="DE",
        register_court="Amtsgericht Bremen",
        register_number="HRB 10000",
        vat_id="DE100000000",
        categories=("services", "works"),
        cpv_divisions=("45", "71", "79"),
        valid_from=day,
        valid_to=day + timedelta(days=364),
        issued_at=datetime.combine(day, clock_time(9), tzinfo=UTC),
        verify_url=f"{public_url}/verify/{number}",
        instance_name=dict(instance.name),
        operator=dict(instance.operator),
        state=instance.state,
    )


# --- the database ------------------------------------------------------------------------------


def _database_url(admin: str, database: str, driver: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))


async def _create_database(admin: str, database: str) -> str:
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{database}"')
        version_: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version_


async def _drop_database(admin: str, database: str) -> None:
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def _check_schema(connection: asyncpg.Connection) -> None:
    """Refuse to load when the migrations require a column this script does not fill."""
    required = await connection.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = ANY($1::text[])
             AND is_nullable = 'NO' AND column_default IS NULL""",
        list(TABLES),
    )
    missing = [
        f"{row['table_name']}.{row['column_name']}"
        for row in required
        if row["column_name"] not in TABLES[row["table_name"]]
    ]
    if missing:
        raise RuntimeError(f"the schema requires columns this script does not load: {missing}")


@dataclass(frozen=True, slots=True)
class Loaded:
    register: Register
    generate_seconds: float
    copy_seconds: float
    analyze_seconds: float
    rows: dict[str, int]
    table_seconds: dict[str, float]
    """COPY per table."""
    sizes: dict[str, int]
    """Bytes on disk per table, TOAST and indexes included."""


async def _load(
    url: str, count: int, profile: Profile, public_url: str, *, documents: bool, seed: int
) -> Loaded:
    started = time.perf_counter()
    register = _generate(count, profile, public_url, documents=documents, seed=seed)
    generated = time.perf_counter()
    copy_seconds: dict[str, float] = {}
    connection = await asyncpg.connect(url)
    try:
        await _check_schema(connection)
        await connection.execute("SET synchronous_commit = off")
        for table, columns in TABLES.items():
            begun = time.perf_counter()
            await connection.copy_records_to_table(
                table, records=register.rows[table], columns=list(columns)
            )
            copy_seconds[table] = time.perf_counter() - begun
        copied = time.perf_counter()
        # ANALYZE for the planner; VACUUM sets hint bits and the visibility map as autovacuum
        # would have on a register that has been in use (its TOAST table is left alone).
        tables = ", ".join(t for t in TABLES if t != "pq_number_counters")
        await connection.execute(f"VACUUM (ANALYZE, PROCESS_TOAST FALSE) {tables}")
        analyzed = time.perf_counter()
        sizes = {
            table: int(await connection.fetchval("SELECT pg_total_relation_size($1)", table))
            for table in TABLES
        }
    finally:
        await connection.close()
    return Loaded(
        register=register,
        generate_seconds=generated - started,
        copy_seconds=copied - generated,
        analyze_seconds=analyzed - copied,
        rows={table: len(rows) for table, rows in register.rows.items()},
        table_seconds=copy_seconds,
        sizes=sizes,
    )


# --- the load ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunOptions:
    load: Options
    certificates: int
    documents: bool
    keep_db: bool
    profile: str
    """``below target`` (default), ``always`` or ``never``."""
    profile_requests: int
    postgres: str
    seed: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    paths: Path | None
    """The file of paths the Lua script draws from; ``None``: ``/health/live`` (the ceiling)."""


def _wrk_paths(options: Options, port: int, seconds: float, script: Path, paths: Path) -> WrkResult:
    command = [
        options.wrk,
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script),
        f"http://{HOST}:{port}/",
        "--",
        str(paths),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return parse_wrk(done.stdout)


def _measure(
    endpoint: Endpoint,
    process: subprocess.Popen[bytes],
    port: int,
    log: Path,
    script: Path,
    seconds: float,
    options: Options,
) -> WrkResult:
    if endpoint.paths is None:
        result = _wrk(options.wrk, port, seconds, options.threads, options.connections)
    else:
        result = _wrk_paths(options, port, seconds, script, endpoint.paths)
    if process.poll() is not None:
        raise RuntimeError(f"{endpoint.name}: server exited under load:\n{_tail(log)}")
    if result.non_2xx:
        raise RuntimeError(
            f"{endpoint.name}: {result.non_2xx} of {result.requests} responses were not 2xx:\n"
            f"{_tail(log)}"
        )
    return result


def _get(port: int, path: str) -> Any:
    url = f"http://{HOST}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{path} answered {exc.code}: {exc.read()[:500]!r}") from exc


def _check_answers(
    port: int, register: Register, searches: dict[str, list[str]], rng: random.Random
) -> dict[str, list[int]]:
    """Check a sample of the answers before loading; the search result counts per mix."""
    for number in rng.sample(register.numbers, min(20, len(register.numbers))):
        answer = _get(port, f"/verify/{number}")
        if not answer.get("found") or answer["certificate"]["number"] != number:
            raise RuntimeError(f"/verify/{number} did not find it: {answer}")
    for path in rng.sample(register.verify_at, min(20, len(register.verify_at))):
        answer = _get(port, path)
        if not answer.get("found") or answer.get("status_at") is None:
            raise RuntimeError(f"{path} gave no status at that moment: {answer}")
    counts: dict[str, list[int]] = {}
    for mix, paths in searches.items():
        for path in paths:
            answer = _get(port, path)
            if not isinstance(answer, list):
                raise RuntimeError(f"{path} answered no list: {str(answer)[:300]}")
            counts.setdefault(mix, []).append(len(answer))
    return counts


def _searches(register: Register, rng: random.Random) -> dict[str, list[str]]:
    """Ten queries per mix, first page of 50."""

    def path(**query: str) -> str:
        return f"{REGISTER}?" + "&".join(
            f"{key}={quote(value, safe='')}" for key, value in {**query, "limit": "50"}.items()
        )

    specific = [" ".join(name.split()[:2]) for name in rng.sample(register.company_names, 4)]
    names = ["bau", "elektro", "reinigung", "logistik", "IT-Service", "müller", *specific]
    places = ["Bremen", "bremerhaven", "Oldenburg", "Hamburg", "Delmenhorst", "hannover"]
    places += ["28195", "28717", "27568", "26121"]
    divisions = [("45", "valid"), ("72", "valid"), ("90", "valid"), ("71", "valid")]
    divisions += [("79", "valid"), ("33", "valid"), ("60", "valid"), ("15", "valid")]
    numbers = register.numbers
    pages = [path(), path(status="valid"), path(category="services")]
    pages += [path(after=numbers[50 * k - 1]) for k in range(1, 8) if 50 * k <= len(numbers)]
    return {
        "name": [path(name=name) for name in names],
        "place": [path(place=place) for place in places],
        "cpv+status": [path(cpv=cpv, status=status) for cpv, status in divisions[:9]]
        + [path(category="works", cpv="45", status="suspended")],
        "pages": pages,
    }


# --- profiling (in this process) ---------------------------------------------------------------


@dataclass(slots=True)
class Capture:
    """Statements and round trips of the requests in flight."""

    statements: list[tuple[str, tuple[Any, ...], float]] = field(default_factory=list)
    """SQL through SQLAlchemy cursors: text, parameters, seconds (prepare + execute + fetch)."""
    protocol: list[tuple[str, float]] = field(default_factory=list)
    """asyncpg's own queries: BEGIN, COMMIT, ROLLBACK and the pre-ping's ``;``."""
    backends: set[int] = field(default_factory=set)
    """Process ids of the PostgreSQL backends serving the engine's connections."""

    def clear(self) -> None:
        self.statements.clear()
        self.protocol.clear()


def _instrument(engine: Any, capture: Capture) -> None:
    from sqlalchemy import event

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        capture.statements.append((statement, tuple(parameters or ()), elapsed))

    @event.listens_for(sync_engine.pool, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        capture.backends.add(record.driver_connection.get_server_pid())
        record.driver_connection.add_query_logger(
            lambda logged: capture.protocol.append((logged.query.strip(), logged.elapsed))
        )


@dataclass(slots=True)
class Variant:
    """One way of running the platform in this process, for the what-ifs."""

    name: str
    pre_ping: bool
    defer_documents: bool
    autocommit: bool = False
    """Reads without BEGIN and COMMIT (``isolation_level="AUTOCOMMIT"``)."""
    client: Any = None
    capture: Capture = field(default_factory=Capture)


@dataclass(slots=True)
class Tally:
    """What the requests of one kind took under one variant."""

    latencies: list[float] = field(default_factory=list)
    statements: int = 0
    protocol: int = 0
    sql_seconds: float = 0.0
    protocol_seconds: float = 0.0
    python_cpu_seconds: float = 0.0
    """CPU time of this process (the app, httpx and the driver)."""
    postgres_cpu_seconds: float = 0.0
    """CPU time of the PostgreSQL backends serving the requests."""
    by_path: dict[str, list[float]] = field(default_factory=dict)

    @property
    def median_us(self) -> float:
        return statistics.median(self.latencies) * 1e6

    def per_request(self, value: float) -> float:
        return value / max(1, len(self.latencies))


def _cpu_seconds(pids: set[int]) -> float:
    """User and system CPU time of the processes ``pids`` (those still there)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def _batch(variant: Variant, paths: Sequence[str], tally: Tally) -> None:
    variant.capture.clear()
    backends = set(variant.capture.backends)
    postgres_cpu, python_cpu = _cpu_seconds(backends), time.process_time()
    with _documents_deferred(variant.defer_documents):
        for path in paths:
            variant.client.cookies.clear()  # as wrk: no cookies, CSRF mints a token each time
            begun = time.perf_counter()
            response = await variant.client.get(path)
            elapsed = time.perf_counter() - begun
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code} in-process")
            tally.latencies.append(elapsed)
            tally.by_path.setdefault(path, []).append(elapsed)
        tally.python_cpu_seconds += time.process_time() - python_cpu
        if variant.capture.backends == backends:  # no new connection: comparable
            tally.postgres_cpu_seconds += _cpu_seconds(backends) - postgres_cpu
        else:  # count this batch as it came, its new backends from their start
            tally.postgres_cpu_seconds += _cpu_seconds(variant.capture.backends) - postgres_cpu
        await asyncio.sleep(0.05)  # asyncpg calls its query loggers soon after, not at once
    tally.statements += len(variant.capture.statements)
    tally.protocol += len(variant.capture.protocol)
    tally.sql_seconds += sum(elapsed for _, _, elapsed in variant.capture.statements)
    tally.protocol_seconds += sum(elapsed for _, elapsed in variant.capture.protocol)


def _deferring_select(*entities: Any, **kwargs: Any) -> Any:
    """``select`` that leaves a certificate's documents unloaded (what-if only)."""
    from sqlalchemy import select
    from sqlalchemy.orm import defer

    from prequalification.models import Certificate

    query = select(*entities, **kwargs)
    if any(entity is Certificate for entity in entities):
        query = query.options(
            defer(Certificate.pdf),
            defer(Certificate.document_json),
            defer(Certificate.document_signature),
        )
    return query


@contextmanager
def _documents_deferred(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from unittest import mock

    from prequalification import register

    with mock.patch.object(register, "select", _deferring_select):
        yield


Statements = list[tuple[str, tuple[Any, ...], float]]


async def _what_ifs(
    env: dict[str, str], kinds: dict[str, list[str]], rounds: int
) -> tuple[dict[str, dict[str, Tally]], dict[str, tuple[Statements, list[str]]]]:
    """Each kind of request under each variant, interleaved in rounds; then the statements and
    other round trips of each kind's slowest path, as deployed."""
    import httpx
    from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

    from infra.app import create_app
    from infra.db.engine import create_engine

    settings = load_settings(env)
    variants = [
        Variant("as deployed", pre_ping=True, defer_documents=False),
        Variant("no pre-ping", pre_ping=False, defer_documents=False),
        Variant("+ autocommit", pre_ping=False, defer_documents=False, autocommit=True),
        Variant("docs deferred", pre_ping=True, defer_documents=True),
        Variant("all three", pre_ping=False, defer_documents=True, autocommit=True),
    ]
    deployed = variants[0]
    tallies = {v.name: {kind: Tally() for kind in kinds} for v in variants}
    found: dict[str, tuple[Statements, list[str]]] = {}
    async with AsyncExitStack() as stack:
        for variant in variants:
            engine: AsyncEngine = (
                create_engine(settings.database)  # as the platform makes it
                if variant.pre_ping and not variant.autocommit
                else create_async_engine(
                    settings.database.url,
                    pool_size=settings.database.pool_size,
                    max_overflow=settings.database.pool_size,
                    pool_pre_ping=variant.pre_ping,
                    **({"isolation_level": "AUTOCOMMIT"} if variant.autocommit else {}),
                )
            )
            stack.push_async_callback(engine.dispose)
            _instrument(engine, variant.capture)
            app = create_app(settings, engine=engine)
            await stack.enter_async_context(app.lifespan())
            variant.client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=cast(Any, app)), base_url=f"http://{HOST}"
                )
            )
        for variant in variants:  # warm up prepared statements and caches
            for paths in kinds.values():
                await _batch(variant, paths[:20], Tally())
        for round_ in range(rounds):
            for kind, paths in kinds.items():
                for variant in variants:
                    if kind == "/health/live" and variant is not deployed:
                        continue
                    await _batch(variant, paths[round_::rounds], tallies[variant.name][kind])
        for kind in kinds:
            by_path = tallies[deployed.name][kind].by_path
            slowest = max(by_path, key=lambda path: statistics.median(by_path[path]))
            deployed.capture.clear()
            deployed.client.cookies.clear()
            await deployed.client.get(slowest)
            await asyncio.sleep(0.05)
            found[kind] = (
                list(deployed.capture.statements),
                [query for query, _ in deployed.capture.protocol],
            )
    return tallies, found


ONE_STATEMENT = """
SELECT c.number, c.status, c.valid_from, c.valid_to, o.legal_name, o.city, o.postal_code,
       array_agg(DISTINCT s.category) AS categories, array_agg(DISTINCT s.division) AS divisions
FROM pq_certificates c
JOIN organisations o ON o.id = c.organisation_id
LEFT JOIN pq_certificate_scopes s ON s.certificate_id = c.id
WHERE c.number = :number
GROUP BY c.id, o.id
"""
"""What a verification needs, in one statement (the what-if of the database work alone)."""


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    wall_us: float
    python_cpu_us: float
    postgres_cpu_us: float
    round_trips: float


async def _verification_alone(env: dict[str, str], numbers: Sequence[str]) -> list[Call]:
    """``register.verify`` as the platform calls it against one Core statement, no HTTP."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from infra.db.engine import create_engine, session_factory
    from prequalification import register

    settings = load_settings(env)
    now = datetime.now(UTC)
    deployed = create_engine(settings.database)
    lean = create_async_engine(
        settings.database.url,
        pool_size=settings.database.pool_size,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
    )
    captures = {"deployed": Capture(), "lean": Capture()}
    _instrument(deployed, captures["deployed"])
    _instrument(lean, captures["lean"])
    sessions = session_factory(deployed)

    async def orm(number: str) -> None:
        async with sessions() as session, session.begin():
            found = await register.verify(
                session,
                profile=settings.profile,
                base_url=settings.public_url,
                number=number,
                now=now,
            )
        if not found.found:
            raise RuntimeError(f"{number} not found")

    async def core(number: str) -> None:
        async with lean.connect() as connection:
            row = (await connection.execute(text(ONE_STATEMENT), {"number": number})).first()
        if row is None:
            raise RuntimeError(f"{number} not found")

    calls = []
    try:
        for name, key, function in (
            ("register.verify(): ORM, as deployed", "deployed", orm),
            ("one Core SELECT, autocommit, no pre-ping", "lean", core),
        ):
            capture = captures[key]
            for number in numbers[:20]:
                await function(number)
            await asyncio.sleep(0.05)
            capture.clear()
            postgres, python, wall = (
                _cpu_seconds(capture.backends),
                time.process_time(),
                time.perf_counter(),
            )
            for number in numbers:
                await function(number)
            wall, python = time.perf_counter() - wall, time.process_time() - python
            postgres = _cpu_seconds(capture.backends) - postgres
            await asyncio.sleep(0.05)
            trips = len(capture.statements) + len(capture.protocol)
            count = len(numbers)
            calls.append(
                Call(
                    name,
                    wall / count * 1e6,
                    python / count * 1e6,
                    postgres / count * 1e6,
                    trips / count,
                )
            )
    finally:
        await deployed.dispose()
        await lean.dispose()
    return calls


async def _explain(url: str, statement: str, parameters: tuple[Any, ...]) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
    finally:
        await connection.close()
    return [row[0] for row in rows]


async def _round_trip_us(url: str, count: int) -> float:
    connection = await asyncpg.connect(url)
    try:
        await connection.fetchrow(";")
        started = time.perf_counter()
        for _ in range(count):
            await connection.fetchrow(";")
        return (time.perf_counter() - started) / count * 1e6
    finally:
        await connection.close()


async def _database_facts(url: str) -> tuple[list[tuple[str, str]], float, float]:
    """The indexes of the register's tables; mean stored bytes of a certificate row's
    documents; mean stored bytes of the rest of the row."""
    connection = await asyncpg.connect(url)
    try:
        indexes = await connection.fetch(
            """SELECT tablename, indexdef FROM pg_indexes
               WHERE tablename IN ('pq_certificates', 'pq_certificate_scopes',
                                   'pq_certificate_events', 'organisations')
               ORDER BY tablename, indexname"""
        )
        documents, rest = await connection.fetchrow(
            """SELECT avg(coalesce(pg_column_size(pdf), 0)
                          + coalesce(pg_column_size(document_json), 0)
                          + coalesce(pg_column_size(document_signature), 0)),
                      avg(pg_column_size(c.*)) FROM pq_certificates c"""
        )
    finally:
        await connection.close()
    return [(r["tablename"], r["indexdef"]) for r in indexes], float(documents), float(rest)


def _plan_summary(lines: Sequence[str]) -> list[str]:
    keep = re.compile(
        r"(Scan|Join|Nested Loop|Sort|Limit|Hash|Gather|Workers|Execution Time|Rows Removed)"
    )
    return [line.rstrip() for line in lines if keep.search(line)]


async def _profile(
    env: dict[str, str], url: str, register: Register, searches: dict[str, list[str]], requests: int
) -> None:
    rng = random.Random(7)
    count = min(requests, len(register.numbers))
    repeat = max(1, requests // 100)
    kinds: dict[str, list[str]] = {
        "/health/live": ["/health/live"] * requests,
        "/verify/{number}": [f"/verify/{n}" for n in rng.sample(register.numbers, count)],
        "/verify/{number}?at=": rng.sample(register.verify_at, count),
    }
    kinds.update({f"search: {mix}": paths * repeat for mix, paths in searches.items()})
    print()
    print("Profile, in this process: the platform built the same way on the same database,")
    print("called through httpx's ASGI transport in the same event loop (no HTTP server, no")
    print("access log), each kind interleaved over the variants in 4 rounds ...")
    tallies, found = await _what_ifs(env, kinds, rounds=4)
    deployed = tallies["as deployed"]
    print()
    print(
        f"{'as deployed, per request':26}{'median us':>10}{'app CPU':>9}{'PG CPU':>8}"
        f"{'SQL stmts':>10}{'SQL us':>8}{'other RTs':>10}{'other us':>9}"
    )
    for kind, tally in deployed.items():
        print(
            f"{kind:26}{tally.median_us:>10,.0f}"
            f"{tally.per_request(tally.python_cpu_seconds) * 1e6:>9,.0f}"
            f"{tally.per_request(tally.postgres_cpu_seconds) * 1e6:>8,.0f}"
            f"{tally.per_request(tally.statements):>10.1f}"
            f"{tally.per_request(tally.sql_seconds) * 1e6:>8,.0f}"
            f"{tally.per_request(tally.protocol):>10.1f}"
            f"{tally.per_request(tally.protocol_seconds) * 1e6:>9,.0f}"
        )
    others = found["/verify/{number}"][1]
    print(f"  other round trips of one verification: {' '.join(others) or 'none'}")
    print("  (app CPU: this process, mean us; PG CPU: the backends serving it, from /proc, mean")
    print("  us; SQL us: prepare-if-new, execute and fetch as the driver saw them, mean; other")
    print("  RTs: asyncpg's BEGIN and COMMIT, and the pool pre-ping: BEGIN; ';'; ROLLBACK)")
    print()
    print("what-if, median us per request (the app's code unchanged; 'no pre-ping': an engine")
    print("without pool_pre_ping; '+ autocommit': and isolation_level AUTOCOMMIT, so no BEGIN and")
    print("COMMIT; 'docs deferred': select(Certificate, ...) with defer() of the three document")
    print("columns; 'all three' together)")
    print(f"{'':26}" + "".join(f"{variant:>15}" for variant in tallies))
    for kind in list(kinds)[1:]:
        print(f"{kind:26}" + "".join(f"{t[kind].median_us:>15,.0f}" for t in tallies.values()))
    print("app CPU us per request under each variant:")
    for kind in list(kinds)[1:]:
        cells = [t[kind].per_request(t[kind].python_cpu_seconds) * 1e6 for t in tallies.values()]
        print(f"{kind:26}" + "".join(f"{cell:>15,.0f}" for cell in cells))
    numbers = [path.removeprefix("/verify/") for path in kinds["/verify/{number}"]]
    calls = await _verification_alone(env, numbers)
    print()
    print(
        f"{'the verification alone, per call (no HTTP)':44}{'wall us':>9}{'app CPU':>9}"
        f"{'PG CPU':>8}{'RTs':>5}"
    )
    for call in calls:
        print(
            f"{call.name:44}{call.wall_us:>9,.0f}{call.python_cpu_us:>9,.0f}"
            f"{call.postgres_cpu_us:>8,.0f}{call.round_trips:>5.0f}"
        )
    print(f"  (the one statement: {' '.join(ONE_STATEMENT.split())})")
    trip = await _round_trip_us(url, 500)
    indexes, documents, row = await _database_facts(url)
    print()
    print(f"one round trip to PostgreSQL (asyncpg, ';'): {trip:,.0f} us")
    print(
        f"a certificate row: {row:,.0f} bytes stored on average, {documents:,.0f} of them its "
        "documents (pdf, document_json, document_signature), read by every "
        "select(Certificate, ...)"
    )
    print()
    print("indexes:")
    for table, definition in indexes:
        print(f"  {table}: {definition.split(' ON ', 1)[-1]}")
    print()
    for kind, (statements, _others) in found.items():
        if kind == "/health/live":
            continue
        print(f"EXPLAIN (ANALYZE, BUFFERS), {kind} (its slowest path):")
        for statement, parameters, elapsed in statements:
            text = " ".join(statement.split())
            print(f"  [{elapsed * 1e6:,.0f} us via the driver] {text[:96]}...")
            print(f"    parameters: {_short(parameters)}")
            for line in _plan_summary(await _explain(url, statement, parameters)):
                print(f"    {line}")
        print()
    await _trigram_what_if(
        url,
        {kind: found[kind][0] for kind in ("search: name", "search: place")},
        _search_parameters(searches),
    )


TRIGRAM_INDEXES = (
    "CREATE INDEX bench_organisations_legal_name_trgm ON organisations "
    "USING gin (lower(legal_name) gin_trgm_ops)",
    "CREATE INDEX bench_organisations_city_trgm ON organisations "
    "USING gin (lower(city) gin_trgm_ops)",
    "CREATE INDEX bench_organisations_postal_code ON organisations (postal_code)",
)


def _execution_ms(plan: Sequence[str]) -> float:
    for line in plan:
        match = re.search(r"Execution Time: ([\d.]+) ms", line)
        if match:
            return float(match.group(1))
    return float("nan")


def _search_parameters(searches: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """The parameters the name and place searches bind (as ``register.search`` makes them)."""
    found: dict[str, list[tuple[Any, ...]]] = {"search: name": [], "search: place": []}
    for path in searches["name"]:
        (name,) = parse_qs(urlsplit(path).query)["name"]
        found["search: name"].append((f"%{name.lower()}%", 50))
    for path in searches["place"]:
        (place,) = parse_qs(urlsplit(path).query)["place"]
        found["search: place"].append((f"%{place.lower()}%", place.strip(), 50))
    return found


async def _trigram_what_if(
    url: str, statements: dict[str, Statements], parameters: dict[str, list[tuple[Any, ...]]]
) -> None:
    """The name and place searches again with trigram indexes (in the run's database only)."""
    connection = await asyncpg.connect(url)
    try:
        if not await connection.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ):
            print("what-if trigram indexes: pg_trgm is not available on this server")
            return
        before = {
            kind: [
                _execution_ms(await _explain(url, statements[kind][0][0], values))
                for values in parameters[kind]
            ]
            for kind in parameters
        }
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for ddl in TRIGRAM_INDEXES:
            await connection.execute(ddl)
        await connection.execute("ANALYZE organisations")
    finally:
        await connection.close()
    print("what-if, the name and place searches' first statement (EXPLAIN ANALYZE, execution")
    print("ms) before and after, in this run's database only:")
    for ddl in TRIGRAM_INDEXES:
        print(f"  {ddl};")
    for kind, values in parameters.items():
        statement = statements[kind][0][0]
        plans = [await _explain(url, statement, v) for v in values]
        after = [_execution_ms(plan) for plan in plans]
        print(
            f"  {kind}: median {statistics.median(before[kind]):.1f} -> "
            f"{statistics.median(after):.1f} ms, slowest {max(before[kind]):.1f} -> "
            f"{max(after):.1f} ms"
        )
        print(
            "    "
            + "; ".join(
                f"{v[0].strip('%')} {b:.1f} -> {a:.1f}"
                for v, b, a in zip(values, before[kind], after, strict=True)
            )
        )
        slowest = plans[after.index(max(after))]
        print("    slowest afterwards:")
        for line in _plan_summary(slowest):
            print(f"      {line}")


def _short(parameters: tuple[Any, ...]) -> str:
    shown = ", ".join(repr(p) for p in parameters[:4])
    return shown + (f", ... ({len(parameters)} in all)" if len(parameters) > 4 else "")


# --- report ------------------------------------------------------------------------------------


def _wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False, timeout=10)
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "?"


def _report(
    options: RunOptions,
    results: dict[str, list[WrkResult]],
    load: tuple[float, float],
    pg_version: str,
) -> float:
    """Print the table; return verification/ceiling."""
    run = options.load
    print()
    print(
        f"{options.certificates:,} certificates in PostgreSQL {pg_version}"
        f"{'' if options.documents else ' (without documents)'}; wrk {run.threads} threads, "
        f"{run.connections} connections, {run.rounds} x {run.duration:g} s per endpoint "
        f"(interleaved), after {run.warmup:g} s warm-up each"
    )
    print(
        f"{os.cpu_count()} CPUs shared by wrk, the server and PostgreSQL (load average "
        f"{load[0]:.2f} before, {load[1]:.2f} after), Python {platform.python_version()}, "
        f"litestar {version('litestar')}, uvicorn {version('uvicorn')} (uvloop, httptools), "
        f"SQLAlchemy {version('sqlalchemy')}, asyncpg {version('asyncpg')}, "
        f"wrk {_wrk_version(run.wrk)}"
    )
    print()
    print(
        f"{'median':26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'requests':>11}{'sock err':>10}"
        f"{'x ceiling':>11}"
    )
    ceiling = _median(results["/health/live"], "requests_per_second")
    for name, rounds in results.items():
        rps = _median(rounds, "requests_per_second")
        print(
            f"{name:26}{rps:>10,.0f}{_median(rounds, 'p50_ms'):>9.2f}"
            f"{_median(rounds, 'p99_ms'):>9.2f}{sum(r.requests for r in rounds):>11,}"
            f"{sum(r.socket_errors for r in rounds):>10}{rps / ceiling:>11.3f}"
        )
    if run.rounds > 1:
        print()
        print("per round (req/s):")
        for name, rounds in results.items():
            print(f"  {name:24}" + "  ".join(f"{r.requests_per_second:>8,.0f}" for r in rounds))
    ratio = _median(results["/verify/{number}"], "requests_per_second") / ceiling
    print()
    print(
        f"verification >= {TARGET} x ceiling: {'met' if ratio >= TARGET else 'NOT met'} "
        f"({ratio:.3f})"
    )
    return ratio


def _options(argv: Sequence[str] | None) -> RunOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--certificates", type=int, default=50_000, help="certificates loaded (50000)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (3)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per endpoint, interleaved (3)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 s warm-up, one round of 3 s measured, a shorter profile",
    )
    parser.add_argument(
        "--without-documents",
        action="store_true",
        help="load certificates without their sealed PDF, JSON and seal (as before sealing)",
    )
    profiling = parser.add_mutually_exclusive_group()
    profiling.add_argument(
        "--profile",
        action="store_true",
        help="profile even when verification reaches the target",
    )
    profiling.add_argument(
        "--no-profile", action="store_true", help="do not profile, even below the target"
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the database at the end (and say its URL)"
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help=f"a database to connect to for creating the run's one ({DEFAULT_POSTGRES})",
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated register")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 3.0, 1.0, 1
    if args.duration < 1 or args.warmup < 1 or args.rounds < 1:
        parser.error("--duration and --warmup must be >= 1 s, --rounds >= 1")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("--connections must be >= --threads >= 1")
    if args.certificates < 400:
        parser.error("--certificates must be >= 400 (the paged searches need 8 pages)")
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench/register.py: wrk (HTTP load generator) is not installed or not on PATH; "
            "install it with 'apt-get install wrk'",
            file=sys.stderr,
        )
        raise SystemExit(3)
    return RunOptions(
        load=Options(wrk, args.duration, args.warmup, args.rounds, args.threads, args.connections),
        certificates=args.certificates,
        documents=not args.without_documents,
        keep_db=args.keep_db,
        profile="always" if args.profile else "never" if args.no_profile else "below target",
        profile_requests=120 if args.quick else 400,
        postgres=args.postgres,
        seed=args.seed,
    )


def _run(options: RunOptions, database: str, root: Path, pg_version: str) -> int:
    load_before = os.getloadavg()[0]
    data, log = root / "data", root / "platform.log"
    data.mkdir()
    port = _free_port()
    env = _environment(data, port)
    env.update(
        {
            "VERGABE_DATABASE_URL": _database_url(options.postgres, database, "postgresql+asyncpg"),
            # Production requires a seal and a timestamp authority; nothing is sealed while
            # measuring, so neither is read nor asked.
            "VERGABE_SEAL_PKCS12": str(root / "no-seal.p12"),
            "VERGABE_TSA_URL": "http://127.0.0.1:9/rfc3161",
            # bench/_serve.py runs as a script, which would put bench/ first on its path, where
            # bench/signatures.py shadows the signatures package the platform imports.
            "PYTHONSAFEPATH": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PROJECT), os.environ.get("PYTHONPATH")) if p
            ),
        }
    )
    plain_url = _database_url(options.postgres, database, "postgresql")
    settings = load_settings(env)
    print(f"  migrating {database} ('vergabe db upgrade') ...")
    _migrate(env, log)
    print(f"  generating and loading {options.certificates:,} certificates (COPY) ...")
    loaded = asyncio.run(
        _load(
            plain_url,
            options.certificates,
            settings.profile,
            settings.public_url,
            documents=options.documents,
            seed=options.seed,
        )
    )
    total = loaded.generate_seconds + loaded.copy_seconds + loaded.analyze_seconds
    print(
        f"  loaded in {total:.1f} s: generating {loaded.generate_seconds:.1f} s, COPY "
        f"{loaded.copy_seconds:.1f} s, VACUUM (ANALYZE) {loaded.analyze_seconds:.1f} s"
    )
    print(
        "  rows (COPY s): "
        + ", ".join(
            f"{table} {count:,} ({loaded.table_seconds[table]:.1f})"
            for table, count in loaded.rows.items()
        )
        + f"; documents {loaded.register.document_bytes / 1e6:,.0f} MB"
    )
    print(
        "  on disk: "
        + ", ".join(f"{t} {b / 1e6:,.1f} MB" for t, b in loaded.sizes.items() if b > 1e6)
    )
    register = loaded.register
    rng = random.Random(options.seed + 1)
    searches = _searches(register, rng)
    script = root / "paths.lua"
    script.write_text(LUA)
    verify_paths, verify_at_paths, search_paths = (
        root / "verify.txt",
        root / "verify-at.txt",
        root / "search.txt",
    )
    verify_paths.write_text("".join(f"/verify/{n}\n" for n in register.numbers))
    verify_at_paths.write_text("".join(f"{p}\n" for p in register.verify_at))
    search_paths.write_text("".join(f"{p}\n" for paths in searches.values() for p in paths))
    endpoints = [
        Endpoint("/health/live", None),
        Endpoint("/verify/{number}", verify_paths),
        Endpoint("/verify/{number}?at=", verify_at_paths),
        Endpoint("register search (4 mixes)", search_paths),
    ]
    results: dict[str, list[WrkResult]] = {e.name: [] for e in endpoints}
    run = options.load
    with _server(["platform"], env, port, log) as process:
        counts = _check_answers(port, register, searches, rng)
        print(
            "  search results per page (10 queries each): "
            + "; ".join(
                f"{mix} {statistics.mean(c):.0f} (min {min(c)}, max {max(c)})"
                for mix, c in counts.items()
            )
        )
        for endpoint in endpoints:
            print(f"  {endpoint.name}: warming up {run.warmup:g} s ...")
            _measure(endpoint, process, port, log, script, run.warmup, run)
        for n in range(1, run.rounds + 1):
            for endpoint in endpoints:
                print(f"  {endpoint.name}: round {n}, measuring {run.duration:g} s ...")
                results[endpoint.name].append(
                    _measure(endpoint, process, port, log, script, run.duration, run)
                )
    access = sum(1 for line in log.read_text().splitlines() if '"vergabe.access"' in line)
    ratio = _report(options, results, (load_before, os.getloadavg()[0]), pg_version)
    print(f"platform access log: {access:,} JSON lines written (warm-up and checks included)")
    print(f"loading {options.certificates:,} certificates took {total:.1f} s")
    if options.profile == "always" or (options.profile == "below target" and ratio < TARGET):
        asyncio.run(_profile(env, plain_url, register, searches, options.profile_requests))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    database = f"vergabe_bench_{secrets.token_hex(4)}"
    try:
        pg_version = asyncio.run(_create_database(options.postgres, database))
    except (OSError, asyncpg.PostgresError) as exc:
        print(
            f"bench/register.py: cannot create a database through {options.postgres}: {exc}\n"
            "  (start PostgreSQL with 'pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start')",
            file=sys.stderr,
        )
        return 3
    try:
        with tempfile.TemporaryDirectory(prefix="vergabe-bench-") as tmp:
            return _run(options, database, Path(tmp), pg_version)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired, asyncpg.PostgresError) as exc:
        print(f"bench/register.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/register.py: interrupted (the server is stopped)", file=sys.stderr)
        return 130
    finally:
        if options.keep_db:
            url = _database_url(options.postgres, database, "postgresql+asyncpg")
            print(f"database kept: VERGABE_DATABASE_URL={url}")
        else:
            asyncio.run(_drop_database(options.postgres, database))
            print(f"database {database} dropped")


if __name__ == "__main__":
    raise SystemExit(main())
