"""Finding tenders through the public API (issue 6, item 3): full text, CPV, NUTS, procedure,
kind and deadline filters, open or all, drafts never, pages by cursor, and no input that makes
it fail. Every assertion holds on SQLite (FTS5, prefixes) and PostgreSQL (German stemming)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from alembic import command
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    insert,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.identity.models import Organisation
from infra.settings import DatabaseSettings
from procurement.tenders import search
from procurement.tenders.models import Lot, Tender, TenderCpv
from tests.conftest import TEST_START
from tests.procurement.test_tenders import draft, published
from tests.support import LoopClient
from tests.worlds import World

SEARCH = "/api/v1/tenders"

SCHOOL = {
    "title": "Sanierung der Schulen am Deich",
    "description": "Dach- und Fassadenarbeiten an zwei Grundschulen; Gerüst als eigenes Los.",
}
CLEANING = {
    "title": "Unterhaltsreinigung Verwaltungsgebäude",
    "description": "Reinigung der Büros und Sitzungsräume des Ortsamts Müllerstraße.",
    "contract_kind": "services",
    "procedure": "restricted-tender",
    "estimated_value": "180000.00",
    "cpv_codes": ["90911200-8"],
    "nuts_code": "DE502",
    "submission_deadline": "2026-05-20T12:00:00+02:00",
    "lots": [],
    "pq_categories": ["services"],
    "pq_divisions": ["90"],
}
SOFTWARE = {
    "title": "Fachverfahren Abfallwirtschaft",
    "description": "Entwicklung und Betrieb einer Software für die Abfuhrplanung.",
    "contract_kind": "services",
    "estimated_value": "120000.00",
    "cpv_codes": ["72000000-5"],
    "nuts_code": "DE600",
    "submission_deadline": "2026-04-17T12:00:00+02:00",
    "lots": [
        {"title": "Entwicklung", "estimated_value": "80000.00", "cpv_codes": ["72212000-4"]},
        {"title": "Betrieb", "estimated_value": "40000.00", "cpv_codes": ["72000000-5"]},
    ],
    "pq_categories": ["services"],
    "pq_divisions": ["72"],
}

HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "NEAR(a b",
    "-",
    "-Schule",
    '"Schule',
    "Schule*",
    "title:Schule",
    "a OR",
    "OR",
    "or or or",
    "AND NOT ^",
    "' OR 1=1 --",
    "%_\\",
    "\x00",
    "Schule\x00",
    "\u202eelnhcS",
    "🏗️ Baustelle",
    "Straße ß",
    "()",
    "{title description}: x",
]
"""Full text that FTS5 or PostgreSQL would take as syntax, or that a database refuses."""


async def _search(world: World, expect: int = 200, role: str = "anonymous", **params: Any) -> Any:
    response = await world.clients[role].get(SEARCH, params=params)
    assert response.status_code == expect, response.text
    return response.json()


async def _numbers(world: World, **params: Any) -> list[str]:
    page = await _search(world, **params)
    return [item["number"] for item in page["items"]]


async def _three(world: World) -> dict[str, dict[str, Any]]:
    """School (works, DE501), cleaning (services, DE502), software (services, DE600), published
    a minute apart in this order; a draft that would match everything beside them."""
    tenders = {}
    for name, changes in (("school", SCHOOL), ("cleaning", CLEANING), ("software", SOFTWARE)):
        tenders[name] = await published(world, **changes)
        world.clock.advance(timedelta(minutes=1))
    tenders["draft"] = await draft(
        world, title="Schulen Reinigung Software", description="Alles in einem Entwurf."
    )
    return tenders


class TestFullText:
    async def test_words_find_title_and_description_in_their_forms(self, world: World) -> None:
        t = await _three(world)
        school, cleaning = t["school"]["number"], t["cleaning"]["number"]
        assert await _numbers(world, text="Schule") == [school]
        assert await _numbers(world, text="schule deich") == [school]
        assert await _numbers(world, text="Fassadenarbeiten") == [school]
        assert await _numbers(world, text="Reinigung") == [cleaning]
        assert await _numbers(world, text="Schule Reinigung") == []
        assert await _numbers(world, text="Schule or Reinigung") == [cleaning, school]
        assert await _numbers(world, text="Raumfahrt") == []

    async def test_each_database_matches_words_its_own_way(
        self, world: World, engine: AsyncEngine
    ) -> None:
        t = await _three(world)
        cleaning = [t["cleaning"]["number"]]
        if engine.dialect.name == "postgresql":
            # PostgreSQL stems German words: inflected forms find the tender
            assert await _numbers(world, text="Reinigungen") == cleaning
            assert await _numbers(world, text="Sitzungsräumen") == cleaning
        else:
            # SQLite's FTS5 matches word beginnings and folds diacritics (unicode61)
            assert await _numbers(world, text="Mullerstrasse") == []
            assert await _numbers(world, text="mullerstr") == cleaning
            assert await _numbers(world, text="Reinig") == cleaning

    async def test_the_full_text_condition_asks_the_index(
        self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        dialect = engine.dialect.name
        # the search's full-text condition, alone: only the full-text index can serve it
        condition = search._fulltext(dialect, search.fulltext_words("Schulen or Kita"))
        statement = select(Tender.id).where(condition)
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        async with sessions() as session, session.begin():
            if dialect == "postgresql":
                await session.execute(text("SET LOCAL enable_seqscan = off"))
                plan = "\n".join((await session.scalars(text(f"EXPLAIN {compiled}"))).all())
                assert "ix_tenders_fulltext" in plan, plan
            else:
                rows = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
                plan = "\n".join(str(row[-1]) for row in rows)
                assert "VIRTUAL TABLE INDEX" in plan, plan
                assert "tenders_fts" in plan, plan

    async def test_no_input_makes_it_fail(self, world: World) -> None:
        await published(world, **SCHOOL)
        for hostile in HOSTILE:
            response = await world.clients["anonymous"].get(SEARCH, params={"text": hostile})
            assert response.status_code in (200, 422), (hostile, response.text)
            assert isinstance(response.json(), dict)

    async def test_a_long_text_is_refused(self, client: LoopClient) -> None:
        for long in ("x" * 10_000, "Schule " * 40):
            response = await client.get(SEARCH, params={"text": long})
            assert response.status_code == 422, response.text
            assert response.headers["content-type"].startswith("application/problem+json")


class TestFilters:
    async def test_cpv_prefix_finds_own_and_lot_codes(self, world: World) -> None:
        t = await _three(world)
        school, cleaning, software = (t[n]["number"] for n in ("school", "cleaning", "software"))
        assert await _numbers(world, cpv="45") == [school]
        assert await _numbers(world, cpv="4521") == [school]
        assert await _numbers(world, cpv="45210000-2") == [school]
        assert await _numbers(world, cpv="45210000") == [school]
        # only the lot "Gerüst" has 45262100-2
        assert await _numbers(world, cpv="452621") == [school]
        assert await _numbers(world, cpv="72212000-4") == [software]
        assert await _numbers(world, cpv="90") == [cleaning]
        assert await _numbers(world, cpv="33") == []

    async def test_nuts_procedure_kind(self, world: World) -> None:
        t = await _three(world)
        school, cleaning, software = (t[n]["number"] for n in ("school", "cleaning", "software"))
        assert await _numbers(world, nuts="DE5") == [cleaning, school]
        assert await _numbers(world, nuts="de50") == [cleaning, school]
        assert await _numbers(world, nuts="DE501") == [school]
        assert await _numbers(world, nuts="DE6") == [software]
        assert await _numbers(world, procedure="restricted-tender") == [cleaning]
        assert await _numbers(world, contract_kind="services") == [software, cleaning]
        assert await _numbers(world, contract_kind="services", nuts="DE5", text="Büros") == [
            cleaning
        ]

    async def test_deadline_range(self, world: World) -> None:
        t = await _three(world)
        school, cleaning, software = (t[n]["number"] for n in ("school", "cleaning", "software"))
        # deadlines: software 17 April, school 24 April, cleaning 20 May
        assert await _numbers(world, deadline_from="2026-04-24T12:00:00+02:00") == [
            cleaning,
            school,
        ]
        assert await _numbers(world, deadline_to="2026-04-24T11:59:59+02:00") == [software]
        assert await _numbers(
            world,
            deadline_from="2026-04-18T00:00:00+02:00",
            deadline_to="2026-05-01T00:00:00+02:00",
        ) == [school]

    async def test_open_or_all_and_never_a_draft(self, world: World) -> None:
        t = await _three(world)
        school, cleaning, software = (t[n]["number"] for n in ("school", "cleaning", "software"))
        assert await _numbers(world) == [software, cleaning, school]
        for role in ("anonymous", "officer", "owner"):
            page = await _search(world, role=role, status="all", text="Entwurf")
            assert page == {"items": [], "next_cursor": None}
        assert t["draft"]["number"] not in await _numbers(world, status="all", limit=100)
        world.clock.set(datetime.fromisoformat(SOFTWARE["submission_deadline"]))
        assert await _numbers(world) == [cleaning, school]
        assert await _numbers(world, status="all") == [software, cleaning, school]

    async def test_a_summary_says_what_the_list_shows(self, world: World) -> None:
        t = await _three(world)
        response = await world.clients["anonymous"].get(SEARCH, params={"text": "Schule"})
        assert response.headers["cache-control"] == "public, max-age=60"
        (item,) = response.json()["items"]
        for moment in ("published_at", "submission_deadline"):
            assert datetime.fromisoformat(item[moment]) == datetime.fromisoformat(
                t["school"][moment]
            )
        assert item == {
            **item,
            "id": t["school"]["id"],
            "number": t["school"]["number"],
            "title": SCHOOL["title"],
            "authority_name": "Freie Hansestadt Bremen, Immobilien Bremen",
            "procedure": "public-tender",
            "contract_kind": "works",
            "regime": "national",
            "cpv_codes": ["45210000-2", "45223220-4"],
            "nuts_code": "DE501",
            "status": "published",
        }

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"cpv": "4"}, "cpv"),
            ({"cpv": "123456789"}, "cpv"),
            ({"cpv": "45210000-3"}, "cpv"),
            ({"cpv": "4521-2"}, "cpv"),
            ({"cpv": "45%"}, "cpv"),
            ({"nuts": "D"}, "nuts"),
            ({"nuts": "DE5%"}, "nuts"),
            ({"nuts": "12345"}, "nuts"),
            ({"deadline_from": "2026-04-01T12:00:00"}, "deadline_from"),
        ],
    )
    async def test_malformed_filters_are_named(
        self, client: LoopClient, params: dict[str, str], field: str
    ) -> None:
        response = await client.get(SEARCH, params=params)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "invalid-search"
        assert [e["field"] for e in problem["errors"]] == [field]

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": "0"},
            {"limit": "101"},
            {"limit": "zwei"},
            {"status": "draft"},
            {"procedure": "secret"},
            {"deadline_to": "morgen"},
            {"cpv": "4" * 100},
        ],
    )
    async def test_malformed_parameters_are_refused(
        self, client: LoopClient, params: dict[str, str]
    ) -> None:
        response = await client.get(SEARCH, params=params)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_the_index_of_codes_follows_publication_and_reindex(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await draft(world)
        async with sessions() as session:
            assert (await session.scalars(text("SELECT code8 FROM tender_cpv"))).all() == []
        tender = await published(world, **SOFTWARE)
        tender_id = uuid.UUID(tender["id"])
        async with sessions() as session, session.begin():
            codes = (await session.scalars(text("SELECT code8 FROM tender_cpv"))).all()
            assert sorted(codes) == ["72000000", "72212000"]
            session.add(TenderCpv(tender_id=tender_id, code8="99999999"))
            await session.flush()
            await search.reindex(session, tender_id)
        async with sessions() as session:
            codes = (await session.scalars(text("SELECT code8 FROM tender_cpv"))).all()
            assert sorted(codes) == ["72000000", "72212000"]


class TestPages:
    async def test_walking_the_pages_gives_each_tender_once_in_order(self, world: World) -> None:
        # five published in the same second (the id decides among them), two later
        numbers = [(await published(world, title=f"Neubau Kita {n}"))["number"] for n in range(5)]
        for n in range(2):
            world.clock.advance(timedelta(seconds=30))
            numbers.append((await published(world, title=f"Neubau Hort {n}"))["number"])
        everything = await _search(world, limit=100)
        assert sorted(i["number"] for i in everything["items"]) == sorted(numbers)
        assert everything["next_cursor"] is None
        expected = [i["number"] for i in everything["items"]]
        keys = [(i["published_at"], uuid.UUID(i["id"])) for i in everything["items"]]
        assert keys == sorted(keys, reverse=True)
        walked: list[str] = []
        cursor = None
        for _ in range(10):
            page = await _search(world, limit=2, **({"cursor": cursor} if cursor else {}))
            walked += [i["number"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == expected
        # a tender published meanwhile does not shift the pages that follow
        first = await _search(world, limit=3)
        world.clock.advance(timedelta(minutes=1))
        await published(world, title="Neubau Kita spät")
        rest = await _search(world, limit=100, cursor=first["next_cursor"])
        assert [i["number"] for i in rest["items"]] == expected[3:]

    @pytest.mark.parametrize(
        "cursor",
        [
            "abc",
            "!!!!",
            "%%%",
            "ä",
            base64.urlsafe_b64encode(b'{"a": 1}').decode(),
            base64.urlsafe_b64encode(b'["2026-03-27T09:00:00", "' + b"0" * 32 + b'"]').decode(),
            base64.urlsafe_b64encode(b'["2026-03-27T09:00:00Z", "not-a-uuid"]').decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
            "A" * 199,
            "A" * 5_000,
        ],
    )
    async def test_a_bad_cursor_is_a_problem(self, client: LoopClient, cursor: str) -> None:
        response = await client.get(SEARCH, params={"cursor": cursor})
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_a_cursor_is_opaque_but_well_formed(self, world: World) -> None:
        for n in range(3):
            await published(world, title=f"Neubau Kita {n}")
        page = await _search(world, limit=1)
        raw = base64.urlsafe_b64decode(page["next_cursor"] + "==")
        published_at, tender_id = msgspec.json.decode(raw)
        assert tender_id == page["items"][0]["id"]
        assert datetime.fromisoformat(published_at) == datetime.fromisoformat(
            page["items"][0]["published_at"]
        )


@pytest.fixture
async def fresh_engine(tmp_path: Path, database_server: str | None) -> AsyncIterator[AsyncEngine]:
    """An empty database of its own: SQLite, or PostgreSQL when the suite runs there."""
    server = database_server
    if not server:
        engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))
        yield engine
        await engine.dispose()
        return
    name = f"vergabe_s{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(make_url(server), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(DatabaseSettings(url=url))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(migrate._config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def _insert_at_revision(session: AsyncSession, model: type[Any], **values: object) -> None:
    """Insert a row into the table as it is at the database's revision (the model may be newer).

    Columns the model has but the table has not yet are left out; the others not given take the
    model's scalar default.
    """
    connection = await session.connection()
    present = await connection.run_sync(
        lambda sync: {column["name"] for column in inspect(sync).get_columns(model.__tablename__)}
    )
    columns = [column for column in model.__table__.columns if column.name in present]
    row: dict[str, object] = {}
    for column in columns:
        default = column.default
        scalar = default.arg if default is not None and default.is_scalar else None
        row[column.name] = values.get(column.name, scalar)
    table = Table(model.__tablename__, MetaData(), *(Column(c.name, c.type) for c in columns))
    await session.execute(insert(table).values(row))


class TestMigration:
    async def test_tenders_published_before_it_are_found_after_it(
        self, fresh_engine: AsyncEngine
    ) -> None:
        # Given a tender published before migration 0010, and a draft
        await migrate.upgrade(fresh_engine, "0009")
        sessions = session_factory(fresh_engine)
        now = TEST_START
        ids = {status: uuid.uuid4() for status in ("published", "draft")}
        async with sessions() as session, session.begin():
            authority = Organisation(
                kind="authority",
                legal_name="Stadt Bremerhaven",
                street="Am Markt 1",
                postal_code="27568",
                city="Bremerhaven",
                contact_email="vergabe@bremerhaven.example",
                created_at=now,
            )
            session.add(authority)
            await session.flush()
            for number, (status, tender_id) in enumerate(ids.items(), start=1):
                await _insert_at_revision(
                    session,
                    Tender,
                    id=tender_id,
                    number=f"HB-V-2026-00000{number}",
                    authority_id=authority.id,
                    status=status,
                    title="Sanierung der Schulen",
                    description="Dacharbeiten.",
                    procedure="public-tender",
                    contract_kind="works",
                    estimated_value=Decimal(500_000),
                    cpv_codes='["45210000-2"]',
                    nuts_code="DE502",
                    created_at=now,
                    updated_at=now,
                    published_at=now if status == "published" else None,
                    submission_deadline=now + timedelta(days=30),
                )
                await _insert_at_revision(
                    session,
                    Lot,
                    id=uuid.uuid4(),
                    tender_id=tender_id,
                    number=1,
                    title="Gerüst",
                    estimated_value=Decimal(500_000),
                    cpv_codes='["45262100-2"]',
                )
        # When the database is migrated to head
        await migrate.upgrade(fresh_engine)
        # Then the published tender (only) is found by its words and its lot's code
        async with sessions() as session:
            codes = (await session.execute(text("SELECT tender_id, code8 FROM tender_cpv"))).all()
            assert sorted(code for _, code in codes) == ["45210000", "45262100"]
            for query in (
                search.TenderQuery(text="Schule"),
                search.TenderQuery(cpv="452621"),
                search.TenderQuery(text="Dacharbeiten", status="all"),
            ):
                page = await search.search_tenders(session, query=query, now=now)
                assert [item.id for item in page.items] == [ids["published"]], query
        # and the migration can be undone and done again
        await _downgrade(fresh_engine, "0009")
        await migrate.upgrade(fresh_engine)
