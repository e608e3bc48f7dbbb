"""The tender search bench's data: generated public tenders, loaded by COPY into a PostgreSQL
database of its own (part of ``bench/tender_search.py``).

Some hundreds of contracting authorities (cities, districts, the state's offices) publish
``count`` tenders: titles and descriptions composed from German word lists that follow the
kind of contract (works: measure, building and trade; supplies and services: what and for
whom), 1-3 lots each, CPV codes under the division of the trade with valid check digits
(:func:`procurement.tenders.codes.cpv_check_digit`), NUTS codes of all German states (``DE1``
to ``DEG``, Bremen and Lower Saxony more often), procedures by regime, and submission deadlines
spread over 60 days before and after now, each published 2 to 10 weeks before its deadline
(never after now). A tender whose deadline has passed is ``closed`` (some ``awarded``, a few
``cancelled``), as the platform's jobs would have left it. The search rows
(``tender_cpv``: the eight digits of each code of a tender and its lots, once) are loaded with
them; the full-text index is the migration's. Then ``VACUUM (ANALYZE)``.

Imported by ``bench/tender_search.py``, which puts the project first on the import path.
"""

from __future__ import annotations

__all__ = ["TABLES", "Loaded", "Tenders", "load"]

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from _common import Copied, copy_tables
from _common import weighted as _weighted
from _common import words as _words

from procurement.tenders.codes import cpv_check_digit

# --- what is procured -----------------------------------------------------------------------

MEASURES = _words("Neubau Sanierung Erweiterung Umbau Instandsetzung Modernisierung Rückbau")
BUILDINGS = (
    "Grundschule",
    "Oberschule",
    "Gymnasium",
    "Kindertagesstätte",
    "Feuerwache",
    "Sporthalle",
    "Verwaltungsgebäude",
    "Rathaus",
    "Bürgerhaus",
    "Stadtbibliothek",
    "Hallenbad",
    "Polizeirevier",
    "Jugendfreizeitheim",
    "Pflegeheim",
    "Klärwerk",
    "Bauhof",
    "Museum",
    "Brücke",
    "Kaje",
    "Deichscharte",
    "Radweg",
    "Ortsdurchfahrt",
)
TRADES: tuple[tuple[str, str], ...] = (
    # trade (Los), the CPV code its codes fall under
    ("Rohbauarbeiten", "4521"),
    ("Erdarbeiten", "4511"),
    ("Abbrucharbeiten", "4511"),
    ("Gerüstarbeiten", "4526"),
    ("Dachdeckerarbeiten", "4526"),
    ("Zimmerarbeiten", "4542"),
    ("Fensterbauarbeiten", "4542"),
    ("Trockenbauarbeiten", "4541"),
    ("Malerarbeiten", "4544"),
    ("Fliesenarbeiten", "4543"),
    ("Elektroinstallation", "4531"),
    ("Heizung, Lüftung, Sanitär", "4533"),
    ("Aufzugsanlagen", "4531"),
    ("Straßenbauarbeiten", "4523"),
    ("Asphaltarbeiten", "4523"),
    ("Kanalbauarbeiten", "4523"),
    ("Stahlwasserbau", "4524"),
    ("Landschaftsbauarbeiten", "4511"),
)
SUPPLIES: tuple[tuple[str, str], ...] = (
    ("Notebooks und Dockingstationen", "3021"),
    ("Arbeitsplatzrechner", "3021"),
    ("Multifunktionsdrucker", "3012"),
    ("Büromöbel", "3912"),
    ("Schulmöbel", "3916"),
    ("Feuerwehrfahrzeuge", "3414"),
    ("Müllsammelfahrzeuge", "3414"),
    ("Elektrofahrzeuge für den Fuhrpark", "3411"),
    ("Streusalz", "3492"),
    ("Reinigungsmittel und Hygienepapier", "3383"),
    ("Schulbücher", "2211"),
    ("Medizinprodukte", "3314"),
    ("Berufsbekleidung", "1811"),
    ("Schutzausrüstung", "1814"),
    ("Lebensmittel für die Schulverpflegung", "1580"),
    ("Strom aus erneuerbaren Energien", "0931"),
    ("Heizöl", "0913"),
    ("Software-Lizenzen", "4876"),
    ("Netzwerktechnik", "3242"),
    ("Laborbedarf", "3869"),
)
SERVICES: tuple[tuple[str, str], ...] = (
    ("Unterhaltsreinigung", "9091"),
    ("Glasreinigung", "9091"),
    ("Winterdienst", "9062"),
    ("Bewachung und Empfangsdienst", "7971"),
    ("Objektplanung Gebäude", "7124"),
    ("Tragwerksplanung", "7132"),
    ("Technische Gebäudeausrüstung, Planung", "7132"),
    ("Projektsteuerung", "7154"),
    ("Vermessungsleistungen", "7135"),
    ("Betrieb des Rechenzentrums", "7251"),
    ("Softwareentwicklung Fachverfahren", "7221"),
    ("IT-Beratung", "7222"),
    ("Schülerbeförderung", "6013"),
    ("Mittagsverpflegung", "5552"),
    ("Abfallentsorgung", "9051"),
    ("Grünflächenpflege", "7731"),
    ("Übersetzungsleistungen", "7953"),
    ("Rechtsberatung", "7911"),
    ("Wartung der Lüftungsanlagen", "5073"),
    ("Fortbildungen für Beschäftigte", "8053"),
)
FOR_WHOM = (
    "die Schulen der Stadtgemeinde",
    "die Kindertagesstätten",
    "die Feuerwehr",
    "das Ordnungsamt",
    "die Bürgerämter",
    "die Stadtbibliothek",
    "den Umweltbetrieb",
    "die Hafenbehörde",
    "die Landesverwaltung",
    "das Gesundheitsamt",
    "die Polizei",
    "die Ortsämter",
)
PLACES = (
    "Bremen-Nord",
    "Vegesack",
    "Gröpelingen",
    "Findorff",
    "Schwachhausen",
    "Hemelingen",
    "Osterholz",
    "Huchting",
    "Walle",
    "Neustadt",
    "Bremerhaven-Lehe",
    "Geestemünde",
    "Oldenburg",
    "Delmenhorst",
    "Achim",
    "Cuxhaven",
    "Verden",
    "Hamburg-Harburg",
    "Hannover-Linden",
    "Osnabrück",
)
SENTENCES = (
    "Gegenstand der Ausschreibung sind {what} für {whom}.",
    "Die Leistungen werden am Standort {place} erbracht.",
    "Ausführungszeitraum voraussichtlich von {month} bis {month2}.",
    "Eine Ortsbesichtigung wird empfohlen und kann nach Absprache erfolgen.",
    "Nebenangebote sind {allowed}.",
    "Der Auftrag wird in {lots} Losen vergeben; Angebote können für ein oder mehrere Lose "
    "abgegeben werden.",
    "Die Arbeiten erfolgen bei laufendem Betrieb; Lärmschutz und Sicherheit der Nutzer haben "
    "Vorrang.",
    "Gefordert werden Referenzen über vergleichbare Leistungen aus den letzten drei Jahren.",
    "Die Vergabeunterlagen stehen elektronisch zur Verfügung; Angebote sind ausschließlich "
    "elektronisch einzureichen.",
    "Der Auftragnehmer hat die Tariftreue- und Mindestlohnvorgaben des Landes einzuhalten.",
    "Bestandteil sind {extra}.",
    "Die Leistung umfasst auch Dokumentation, Einweisung des Personals und Gewährleistung.",
    "Energieeffizienz und Lebenszykluskosten fließen in die Wertung ein.",
    "Bieterfragen sind über die Vergabeplattform zu stellen.",
    "Eine Präqualifikation im Präqualifikationsverzeichnis wird anerkannt.",
)
EXTRAS = (
    "Baustelleneinrichtung und Entsorgung",
    "Schadstoffsanierung und Rückbau von Asbest",
    "Wartungsverträge über vier Jahre",
    "Lieferung, Montage und Inbetriebnahme",
    "Schulungen und Support",
    "barrierefreie Zugänge",
    "Photovoltaikanlagen auf den Dachflächen",
    "ein Rahmenvertrag mit Abrufen",
)
MONTHS = _words("Januar Februar März April Mai Juni Juli August September Oktober November")
AUTHORITIES = (
    "Freie Hansestadt Bremen, Immobilien Bremen",
    "Freie Hansestadt Bremen, Die Senatorin für Kinder und Bildung",
    "Freie Hansestadt Bremen, Umweltbetrieb Bremen",
    "Freie Hansestadt Bremen, Amt für Straßen und Verkehr",
    "Freie Hansestadt Bremen, Dataport-Koordinierung",
    "Stadt Bremerhaven, Seestadt Immobilien",
    "Stadt Bremerhaven, Amt für Straßen- und Brückenbau",
    "bremenports GmbH & Co. KG",
    "Gesundheit Nord gGmbH, Klinikverbund Bremen",
    "hanseWasser Bremen GmbH",
)
TOWNS = (
    "Oldenburg",
    "Delmenhorst",
    "Cuxhaven",
    "Achim",
    "Verden (Aller)",
    "Osterholz-Scharmbeck",
    "Lilienthal",
    "Stuhr",
    "Weyhe",
    "Syke",
    "Diepholz",
    "Nienburg/Weser",
    "Rotenburg (Wümme)",
    "Wilhelmshaven",
    "Emden",
    "Leer",
    "Aurich",
    "Vechta",
    "Cloppenburg",
    "Stade",
)
OFFICES = (
    "Hochbauamt",
    "Tiefbauamt",
    "Zentrale Vergabestelle",
    "Schulamt",
    "Amt für Feuerwehr und Katastrophenschutz",
    "Fachdienst Gebäudemanagement",
    "IT-Dienstleistungszentrum",
)
NUTS: tuple[tuple[str, float], ...] = (
    *((f"DE5{sub}", 14.0) for sub in ("01", "02")),
    *((f"DE9{sub}", 1.2) for sub in ("11", "22", "23", "24", "25", "31", "32", "33", "34", "47")),
    *((f"DE6{sub}", 4.0) for sub in ("00",)),
    *(
        (f"DE{state}{sub}", 1.0)
        for state in "12346789ABCDEFG"
        if state not in "569"
        for sub in ("11", "12", "21", "22", "31")
    ),
)
"""NUTS 3 regions: Bremen's two, Lower Saxony and Hamburg often, the other states sometimes."""
WORKS_PROCEDURES = (("public-tender", 55), ("restricted-tender", 25), ("negotiated-award", 10))
EU_PROCEDURES = (("open", 70), ("restricted", 20), ("negotiated", 8), ("competitive-dialogue", 2))


@dataclass(slots=True, repr=False)
class Tenders:
    """The rows to load and what the bench asks for."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    count: int = 0


TABLES: dict[str, tuple[str, ...]] = {
    "organisations": _words(
        "id kind legal_name street postal_code city country contact_email created_at"
    ),
    "tenders": _words(
        "id number authority_id status title description procedure contract_kind authority_kind "
        "estimated_value regime cpv_codes nuts_code urgent clarification_deadline "
        "submission_deadline binding_until pq_categories pq_divisions evidence_types version "
        "created_at updated_at published_at closed_at cancelled_at cancellation_reason"
    ),
    "tender_lots": _words("id tender_id number title description estimated_value cpv_codes"),
    "tender_cpv": ("tender_id", "code8"),
    "tender_number_counters": ("year", "last"),
}


def _cpv(rng: random.Random, prefix: str) -> str:
    """A code beneath ``prefix`` (four digits), with its check digit."""
    tail = rng.choice(
        ("0000", "0000", f"{rng.randint(1, 9)}000", f"{rng.randint(1, 9)}{rng.randint(0, 9)}00")
    )
    digits = prefix + tail
    return f"{digits}-{cpv_check_digit(digits)}"


def _authorities(rng: random.Random, now: datetime) -> list[tuple[Any, ...]]:
    names = list(AUTHORITIES)
    names += [f"Stadt {town}, {office}" for town in TOWNS for office in OFFICES]
    names += [f"Landkreis {town}, Zentrale Vergabestelle" for town in TOWNS[:12]]
    return [
        (
            uuid.uuid4(),
            "authority",
            name,
            f"Am Markt {rng.randint(1, 40)}",
            f"{rng.randint(20000, 31999)}",
            "Bremen",
            "DE",
            f"vergabe{index}@authority.example",
            now - timedelta(days=800),
        )
        for index, name in enumerate(names)
    ]


def _content(rng: random.Random) -> tuple[str, str, str, list[tuple[str, str]]]:
    """Kind, title, description, and the lots (title, CPV prefix)."""
    kind = _weighted(rng, (("works", 50), ("supplies", 20), ("services", 30)))
    place = rng.choice(PLACES)
    if kind == "works":
        measure, building = rng.choice(MEASURES), rng.choice(BUILDINGS)
        trades = rng.sample(TRADES, rng.choice((1, 1, 2, 3)))
        title = f"{measure} {building} {place}: {trades[0][0]}"
        what = f"{', '.join(t for t, _ in trades)} (Maßnahme: {measure} {building})"
        whom = rng.choice(FOR_WHOM)
        lots = trades
    else:
        pool = SUPPLIES if kind == "supplies" else SERVICES
        items = rng.sample(pool, rng.choice((1, 1, 2, 3)))
        whom = rng.choice(FOR_WHOM)
        title = f"{items[0][0]} für {whom}"
        what = " und ".join(name for name, _ in items)
        lots = items
    month = rng.randrange(len(MONTHS) - 3)
    values = {
        "what": what,
        "whom": whom,
        "place": place,
        "month": MONTHS[month],
        "month2": MONTHS[month + rng.randint(1, 3)],
        "allowed": rng.choice(("zugelassen", "nicht zugelassen")),
        "lots": str(len(lots)),
        "extra": rng.choice(EXTRAS),
    }
    sentences = [SENTENCES[0], SENTENCES[1], *rng.sample(SENTENCES[2:], rng.randint(3, 9))]
    description = " ".join(s.format(**values) for s in sentences)
    return kind, title, description, lots


def _generate(count: int, seed: int, now: datetime) -> Tenders:
    rng = random.Random(seed)
    tenders = Tenders(count=count)
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
    rows["organisations"] = _authorities(rng, now)
    authority_ids = [row[0] for row in rows["organisations"]]
    drafts = []
    for _ in range(count):
        deadline = now + timedelta(seconds=rng.uniform(-60, 60) * 86_400)
        deadline = deadline.replace(minute=0, second=0, microsecond=0, hour=rng.choice((9, 10, 12)))
        published = deadline - timedelta(seconds=rng.uniform(14, 70) * 86_400)
        published = min(published, now - timedelta(seconds=rng.uniform(60, 86_400)))
        drafts.append((published, deadline))
    drafts.sort()
    counters: dict[int, int] = {}
    for published, deadline in drafts:
        kind, title, description, lots = _content(rng)
        tender_id = uuid.uuid4()
        value = Decimal(
            rng.randint(20, 8000) * 1000 if kind == "works" else rng.randint(10, 900) * 1000
        )
        eu = value >= (Decimal(5_404_000) if kind == "works" else Decimal(216_000))
        procedure = _weighted(rng, EU_PROCEDURES if eu else WORKS_PROCEDURES)
        codes = [_cpv(rng, prefix) for _, prefix in lots]
        general = lots[0][1] + "0000"
        main = list(dict.fromkeys([f"{general}-{cpv_check_digit(general)}", *codes[:1]]))
        status, closed, cancelled, reason = "published", None, None, None
        if deadline <= now:
            status, closed = (
                _weighted(rng, (("closed", 70), ("awarded", 25), ("cancelled", 5))),
                deadline,
            )
            if status == "cancelled":
                cancelled, reason = deadline + timedelta(days=3), "Kein wirtschaftliches Angebot."
        counters[published.year] = counters.get(published.year, 0) + 1
        rows["tenders"].append(
            (
                tender_id,
                f"HB-V-{published.year}-{counters[published.year]:06d}",
                rng.choice(authority_ids),
                status,
                title[:300],
                description,
                procedure,
                kind,
                "sub_central",
                value,
                "eu" if eu else "national",
                json.dumps(main),
                _weighted(rng, NUTS),
                False,
                deadline - timedelta(days=6),
                deadline,
                (deadline + timedelta(days=60)).date(),
                json.dumps([kind]),
                json.dumps(sorted({c[:2] for c in main})),
                "[]",
                2,
                published - timedelta(days=rng.randint(1, 20)),
                closed or published,
                published,
                closed,
                cancelled,
                reason,
            )
        )
        share = (value / len(lots)).quantize(Decimal("0.01"))
        rows["tender_lots"].extend(
            (uuid.uuid4(), tender_id, n, lot_title, "", share, json.dumps([code]))
            for n, ((lot_title, _), code) in enumerate(zip(lots, codes, strict=True), start=1)
        )
        rows["tender_cpv"].extend(
            (tender_id, digits) for digits in sorted({c[:8] for c in [*main, *codes]})
        )
    rows["tender_number_counters"] = sorted(counters.items())
    tenders.rows = rows
    return tenders


@dataclass(frozen=True, slots=True)
class Loaded:
    tenders: Tenders
    generate_seconds: float
    copied: Copied


async def load(url: str, count: int, *, seed: int) -> Loaded:
    started = time.perf_counter()
    tenders = _generate(count, seed, datetime.now(UTC))
    generated = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        copied = await copy_tables(
            connection, TABLES, tenders.rows, f"VACUUM (ANALYZE) {', '.join(TABLES)}"
        )
    finally:
        await connection.close()
    return Loaded(tenders=tenders, generate_seconds=generated - started, copied=copied)
