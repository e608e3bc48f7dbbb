"""The register bench's profile, in its own process (part of ``bench/register.py``).

The platform built as deployed on the bench's database, called through httpx's ASGI transport,
with the statements and round trips per request (SQLAlchemy cursor events and asyncpg's query
logger) and the CPU of the app and of the PostgreSQL backends (``/proc``); a what-if that
leaves the app's code alone (an engine that does not check a pooled connection before use),
interleaved with the platform as deployed; ``register.verify()`` as deployed, in a session
with ``BEGIN`` and ``COMMIT``, and one SQL text answering the same on a bare connection;
``EXPLAIN (ANALYZE, BUFFERS)`` of each kind's slowest request; and the name and place searches
with and without the trigram indexes of migration 0008 (the state the database is not in is
made inside a transaction that is rolled back).

Imported by ``bench/register.py``, which puts the project first on the import path.
"""

from __future__ import annotations

__all__ = ["profile"]

import asyncio
import os
import random
import re
import statistics
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import asyncpg
from _register_load import Register
from ceiling import HOST

from infra.settings import load_settings


@dataclass(slots=True)
class Capture:
    """Statements and round trips of the requests in flight."""

    statements: list[tuple[str, tuple[Any, ...], float]] = field(default_factory=list)
    """SQL through SQLAlchemy cursors: text, parameters, seconds (prepare + execute + fetch)."""
    protocol: list[tuple[str, float]] = field(default_factory=list)
    """asyncpg's own queries: BEGIN, COMMIT, ROLLBACK and the check before use."""
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
    check: bool
    """The engine checks a pooled connection before use (as deployed: ``SELECT 1``)."""
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


Statements = list[tuple[str, tuple[Any, ...], float]]
Searched = dict[str, list[tuple[str, str, tuple[Any, ...]]]]
"""Per kind of search: its paths with the first statement each sent and its parameters."""


async def _what_ifs(
    env: dict[str, str], kinds: dict[str, list[str]], rounds: int, searched: Sequence[str]
) -> tuple[dict[str, dict[str, Tally]], dict[str, tuple[Statements, list[str]]], Searched]:
    """Each kind of request under each variant, interleaved in rounds; then the statements and
    other round trips of each kind's slowest path, as deployed, and the first statement of
    every path of the kinds ``searched``."""
    import httpx
    from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

    from infra.app import create_app
    from infra.db.engine import create_engine

    settings = load_settings(env)
    variants = [
        Variant("as deployed", check=True),
        Variant("no check", check=False),
    ]
    deployed = variants[0]
    tallies = {v.name: {kind: Tally() for kind in kinds} for v in variants}
    found: dict[str, tuple[Statements, list[str]]] = {}
    first: Searched = {kind: [] for kind in searched}
    async with AsyncExitStack() as stack:
        for variant in variants:
            engine: AsyncEngine = (
                create_engine(settings.database)  # as the platform makes it
                if variant.check
                else create_async_engine(
                    settings.database.url,
                    pool_size=settings.database.pool_size,
                    max_overflow=0,
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
        for kind in searched:
            for path in dict.fromkeys(kinds[kind]):
                deployed.capture.clear()
                await deployed.client.get(path)
                statement, parameters, _elapsed = deployed.capture.statements[0]
                first[kind].append((path, statement, parameters))
    return tallies, found, first


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
    """``register.verify`` as the platform calls it, in a session as other requests read, and
    one SQL text answering the same; no HTTP."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from infra.db.engine import create_engine, reading, session_factory
    from prequalification import register

    settings = load_settings(env)
    now = datetime.now(UTC)
    deployed = create_engine(settings.database)
    lean = create_async_engine(
        settings.database.url,
        pool_size=settings.database.pool_size,
        max_overflow=0,
        isolation_level="AUTOCOMMIT",
    )
    captures = {"deployed": Capture(), "lean": Capture()}
    _instrument(deployed, captures["deployed"])
    _instrument(lean, captures["lean"])
    sessions = session_factory(deployed)

    async def as_deployed(number: str) -> None:
        async with reading(deployed) as connection:
            found = await register.verify(
                connection,
                profile=settings.profile,
                base_url=settings.public_url,
                number=number,
                now=now,
            )
        if not found.found:
            raise RuntimeError(f"{number} not found")

    async def in_session(number: str) -> None:
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
            ("register.verify() on reading(), as deployed", "deployed", as_deployed),
            ("register.verify() in a session", "deployed", in_session),
            ("one SQL text, autocommit, no check", "lean", core),
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


async def profile(
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
    tallies, found, searched = await _what_ifs(
        env, kinds, rounds=4, searched=("search: name", "search: place")
    )
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
    print("  RTs: asyncpg's BEGIN and COMMIT where a request has a transaction, and the check of a")
    print("  pooled connection before use: SELECT 1)")
    print()
    print("what-if, median us per request (the app's code unchanged; 'no check': an engine that")
    print("hands out pooled connections unchecked)")
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
        "documents (pdf, document_json, document_signature)"
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
    await _trigram_what_if(url, searched)


TRIGRAM_INDEXES = {
    "ix_organisations_legal_name_trgm": "CREATE INDEX ix_organisations_legal_name_trgm "
    "ON organisations USING gin (lower(legal_name) gin_trgm_ops)",
    "ix_organisations_city_trgm": "CREATE INDEX ix_organisations_city_trgm "
    "ON organisations USING gin (lower(city) gin_trgm_ops)",
}
"""Migration 0008's trigram indexes (left out where ``pg_trgm`` could not be created)."""


def _execution_ms(plan: Sequence[str]) -> float:
    for line in plan:
        match = re.search(r"Execution Time: ([\d.]+) ms", line)
        if match:
            return float(match.group(1))
    return float("nan")


def _term(path: str) -> str:
    query = parse_qs(urlsplit(path).query)
    return (query.get("name") or query.get("place") or ["?"])[0]


async def _plans(connection: asyncpg.Connection, searched: Searched) -> dict[str, list[list[str]]]:
    return {
        kind: [
            [row[0] for row in await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {s}", *p)]
            for _path, s, p in paths
        ]
        for kind, paths in searched.items()
    }


async def _trigram_what_if(url: str, searched: Searched) -> None:
    """The name and place searches' first statements with and without the trigram indexes:
    whichever state the database is not in is made inside a transaction and rolled back."""
    connection = await asyncpg.connect(url)
    try:
        present = await connection.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE indexname = ANY($1::text[])",
            list(TRIGRAM_INDEXES),
        ) == len(TRIGRAM_INDEXES)
        if not present and not await connection.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ):
            print("what-if trigram indexes: pg_trgm is not available on this server")
            return
        as_is = await _plans(connection, searched)
        transaction = connection.transaction()
        await transaction.start()
        try:
            if present:
                for name in TRIGRAM_INDEXES:
                    await connection.execute(f"DROP INDEX {name}")
            else:
                await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                for ddl in TRIGRAM_INDEXES.values():
                    await connection.execute(ddl)
                await connection.execute("ANALYZE organisations")
            other = await _plans(connection, searched)
        finally:
            await transaction.rollback()
    finally:
        await connection.close()
    with_, without = (as_is, other) if present else (other, as_is)
    print(
        "the name and place searches' first statement (EXPLAIN ANALYZE, execution ms) without "
        f"-> with the trigram indexes ({'as migrated' if present else 'not migrated'}; the other "
        "state inside a transaction, rolled back):"
    )
    for kind, paths in searched.items():
        before = [_execution_ms(plan) for plan in without[kind]]
        after = [_execution_ms(plan) for plan in with_[kind]]
        print(
            f"  {kind}: median {statistics.median(before):.1f} -> {statistics.median(after):.1f}"
            f" ms, slowest {max(before):.1f} -> {max(after):.1f} ms"
        )
        print(
            "    "
            + "; ".join(
                f"{_term(path)} {b:.1f} -> {a:.1f}"
                for (path, _s, _p), b, a in zip(paths, before, after, strict=True)
            )
        )
        print("    slowest with the indexes:")
        for line in _plan_summary(with_[kind][after.index(max(after))]):
            print(f"      {line}")


def _short(parameters: tuple[Any, ...]) -> str:
    shown = ", ".join(repr(p) for p in parameters[:4])
    return shown + (f", ... ({len(parameters)} in all)" if len(parameters) > 4 else "")
