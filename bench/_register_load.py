"""The register bench's data: a generated register of pre-qualification certificates, loaded
into a PostgreSQL database of its own by COPY (part of ``bench/register.py``).

One supplier organisation per certificate (legal names from word lists, German places and
postal codes, register entries and VAT ids), one approved application each, the certificate
(``HB-PQ-<year>-<seq>`` numbered per year in the order of issue, mostly valid, some suspended,
expired or revoked), its scope rows (1-3 categories, a handful of CPV divisions, following the
trade in the name) and its 1-3 status events (issued, suspended, renewed, expired, revoked). As
the sealing job would have left them, every certificate carries its documents: a PDF rendered
by ``render_pdf`` and padded to the size of a sealed one, its canonical JSON from
``render_json`` and a detached seal of the measured size (``documents=False``: as before the
sealing job ran). Then ``VACUUM (ANALYZE)``.

Imported by ``bench/register.py``, which puts the project first on the import path.
"""

from __future__ import annotations

__all__ = [
    "TABLES",
    "Loaded",
    "Register",
    "load",
]

import json
import random
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

import asyncpg
from _common import Copied, copy_tables
from _common import weighted as _weighted
from _common import words as _words

from infra.profile import Profile
from infra.profile_prequalification import CPV_DIVISIONS, Category, add_months
from prequalification.certificate_document import CertificateFacts, render_json, render_pdf
from prequalification.certificates import certificate_number

SEALED_PDF_BYTES = 59_405
"""A certificate PDF sealed as PAdES B-LTA by the development seal (measured): the rendered
PDF is padded with random bytes to this size."""
SEAL_P7S_BYTES = 4_734
"""The detached CAdES seal over the JSON form, sealed the same way (measured)."""

# --- the register's content ------------------------------------------------------------------


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


@dataclass(slots=True, repr=False)
class Register:
    """The rows to load, and what the load needs to know of them.

    No ``repr``: asyncio's ``run`` may format the repr of the task that returned it (Python
    3.11's ``signal.getsignal`` puts the SIGINT handler, which holds the task, into an error
    message it then drops), which with the documents took minutes and 15 GB.
    """

    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in TABLES}
    )
    numbers: list[str] = field(default_factory=list)
    """In the order of the register (by number)."""
    verify_at: list[str] = field(default_factory=list)
    """``/verify/{number}?at=…`` paths, a moment after each certificate's issue."""
    company_names: list[str] = field(default_factory=list)
    document_bytes: int = 0


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
    copied: Copied


async def load(
    url: str, count: int, profile: Profile, public_url: str, *, documents: bool, seed: int
) -> Loaded:
    started = time.perf_counter()
    register = _generate(count, profile, public_url, documents=documents, seed=seed)
    generated = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        await _check_schema(connection)
        # ANALYZE for the planner; VACUUM sets hint bits and the visibility map as autovacuum
        # would have on a register that has been in use (its TOAST table is left alone).
        tables = ", ".join(t for t in TABLES if t != "pq_number_counters")
        copied = await copy_tables(
            connection, TABLES, register.rows, f"VACUUM (ANALYZE, PROCESS_TOAST FALSE) {tables}"
        )
    finally:
        await connection.close()
    return Loaded(register=register, generate_seconds=generated - started, copied=copied)
