"""Tender search under load: ``GET /api/v1/tenders`` with 100,000 tenders beside the ceiling.

Creates a PostgreSQL database of its own for the run (``vergabe_bench_<random>``), migrates it to
head with the project's migrations (``vergabe db upgrade``: the GIN full-text index and the
search indexes of migration 0010 included) and bulk-loads generated public tenders with their
lots and search rows through COPY (``bench/_tender_load.py``), then ``VACUUM (ANALYZE)``.

The platform is served as ``bench/ceiling.py`` serves it (production settings, JSON access log
at INFO to a file, one uvicorn process with the command line's options, ``bench/_serve.py``)
against that database. The search is asked a rotating mix of queries in six kinds, ten or so
each: full text (frequent, rare and absent words, two words), CPV prefixes (division, group,
a full code), NUTS prefixes (state, region, district), combined filters (with procedure,
kind, deadline range, ``status=all``), unfiltered first pages (20 to 100 a page) and next
pages by the cursor the first pages returned. ``wrk`` (a Lua script drawing a path at random
per request from a file, as ``bench/register.py`` does, and printing p95) measures, each warmed
up and alternating with ``/health/live`` (the ceiling of this run):

- under load: 2 threads, 32 connections (the platform's throughput; latency there is mostly
  waiting in line: one server process answers 32 clients);
- one request at a time: 1 thread, 1 connection (the latency of a search itself), the mix and
  each kind on its own.

Every response must be 200; every query is checked to answer a page first. The script prints
req/s, p50, p95 and p99 per endpoint, the ratio to the ceiling and whether p95 of the mix one
request at a time is under the target of 50 ms (exit status 2 when not); then times every
query alone (median of 3)
and shows ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest of each kind, built by the search
module itself (``procurement.tenders.search``). The server is stopped and the database
dropped at the end, also after an error or Ctrl-C (``--keep-db`` keeps it).

Run ``.venv/bin/python bench/tender_search.py`` (``--quick`` for a short run, ``--help`` for
more). Needs ``wrk`` and a PostgreSQL the ``postgres`` role can create databases in
(``--postgres``).
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

# The project before this directory, where bench/signatures.py would stand for the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import asyncpg
import msgspec
from _common import (
    HOST,
    add_database_options,
    database_url,
    free_port,
    migrate,
    platform_environment,
    print_loaded,
    tail,
    with_database,
)
from _tender_load import load
from ceiling import WrkResult, _server, parse_wrk
from register import LUA, _get, _wrk_version
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from procurement.tenders import search

TARGET_P95_MS = 50.0
SEARCH = "/api/v1/tenders"
P95_LUA = (
    LUA
    + """
function done(summary, latency, requests)
  io.write(string.format("p95_us: %d\\n", latency:percentile(95)))
end
"""
)
KINDS = ("text", "cpv", "nuts", "combined", "first pages", "next pages")


@dataclass(frozen=True, slots=True)
class RunOptions:
    wrk: str
    duration: float
    warmup: float
    rounds: int
    threads: int
    connections: int
    tenders: int
    kind_seconds: float
    keep_db: bool
    postgres: str
    seed: int


@dataclass(frozen=True, slots=True)
class Measured:
    wrk: WrkResult
    p95_ms: float


# --- the queries -------------------------------------------------------------------------------


def _path(**query: str) -> str:
    if not query:
        return SEARCH
    return f"{SEARCH}?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())


def _moment(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat()


def _queries(now: datetime) -> dict[str, list[str]]:
    """Ten or so first pages per kind (the next pages come from their answers)."""
    soon, later = _moment(now + timedelta(days=14)), _moment(now + timedelta(days=30))
    words = ["Sporthalle", "Kindertagesstätte", "Brücke", "Unterhaltsreinigung", "Streusalz"]
    words += ["Photovoltaikanlagen", "Referenzen", "elektronisch", "Tariftreue Asbest"]
    words += ["Neubau Feuerwache", "Gerüstarbeiten Grundschule", "Deichscharte Vegesack"]
    words += ["Raumfahrt", "Schulen", "Winterdienst or Streusalz"]
    cpvs = ["45", "4521", "45210000-2", "4526", "72", "7221", "9091", "30", "3414", "33"]
    cpvs += ["09310000-9", "60"]
    nuts = ["DE5", "DE501", "DE502", "DE9", "DE92", "DE6", "DEA", "DE1", "DE21", "DEG"]
    return {
        "text": [_path(text=w) for w in words],
        "cpv": [_path(cpv=c) for c in cpvs],
        "nuts": [_path(nuts=n) for n in nuts],
        "combined": [
            _path(text="Sanierung", nuts="DE5"),
            _path(cpv="45", nuts="DE501", procedure="public-tender"),
            _path(contract_kind="services", deadline_to=soon),
            _path(text="Notebooks", status="all"),
            _path(cpv="90", status="all", nuts="DE9"),
            _path(procedure="open", contract_kind="works"),
            _path(text="Grundschule", cpv="4526"),
            _path(deadline_from=later),
            _path(status="all", nuts="DE502", contract_kind="supplies"),
            _path(text="Winterdienst", deadline_to=later, limit="50"),
        ],
        "first pages": [
            _path(),
            _path(limit="50"),
            _path(limit="100"),
            _path(status="all"),
            _path(status="all", limit="100"),
            _path(procedure="public-tender"),
            _path(contract_kind="works"),
            _path(contract_kind="supplies", status="all"),
            _path(deadline_from=_moment(now)),
            _path(status="all", procedure="restricted"),
        ],
    }


def _check(port: int, queries: dict[str, list[str]]) -> dict[str, list[int]]:
    """Ask every query once (each must answer a page); add the next pages by cursor: the second
    of every first page and of some filtered ones, the fifth of two. Items per page by kind."""
    counts: dict[str, list[int]] = {}
    next_pages: list[str] = []
    for kind, paths in queries.items():
        for path in paths:
            page = _get(port, path)
            if not isinstance(page, dict) or "items" not in page:
                raise RuntimeError(f"{path} answered no page: {str(page)[:300]}")
            counts.setdefault(kind, []).append(len(page["items"]))
            cursor = page["next_cursor"]
            if cursor and (kind == "first pages" or path.endswith(("=DE5", "=45", "=DE9"))):
                separator = "&" if "?" in path else "?"
                next_pages.append(f"{path}{separator}cursor={cursor}")
    for path in next_pages[:2]:
        deeper = path
        for _ in range(3):
            cursor = _get(port, deeper)["next_cursor"]
            if cursor is None:
                break
            deeper = f"{path.split('cursor=')[0]}cursor={cursor}"
        next_pages.append(deeper)
    queries["next pages"] = next_pages
    counts["next pages"] = [len(_get(port, path)["items"]) for path in next_pages]
    return counts


# --- measuring ---------------------------------------------------------------------------------


def _wrk(
    options: RunOptions,
    port: int,
    seconds: float,
    paths: Path,
    script: Path,
    *,
    threads: int,
    connections: int,
) -> Measured:
    command = [options.wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s"]
    command += ["--timeout", "5s", "--latency", "-s", str(script)]
    command += [f"http://{HOST}:{port}/", "--", str(paths)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    p95 = re.search(r"^p95_us: (\d+)", done.stdout, re.MULTILINE)
    if p95 is None:
        raise RuntimeError(f"no p95 in the wrk output:\n{done.stdout}")
    return Measured(parse_wrk(done.stdout), int(p95.group(1)) / 1000)


def _measure(
    name: str,
    process: subprocess.Popen[bytes],
    log: Path,
    run: tuple[RunOptions, int, Path],
    paths: Path,
    seconds: float,
    *,
    threads: int,
    connections: int,
) -> Measured:
    options, port, script = run
    measured = _wrk(options, port, seconds, paths, script, threads=threads, connections=connections)
    if process.poll() is not None:
        raise RuntimeError(f"{name}: server exited under load:\n{tail(log)}")
    if measured.wrk.non_2xx:
        raise RuntimeError(
            f"{name}: {measured.wrk.non_2xx} of {measured.wrk.requests} responses were not 2xx:"
            f"\n{tail(log)}"
        )
    return measured


def _median(rounds: Sequence[Measured], field: str) -> float:
    if field == "p95_ms":
        return statistics.median(m.p95_ms for m in rounds)
    return statistics.median(getattr(m.wrk, field) for m in rounds)


# --- why: the slowest query of each kind, explained ----------------------------------------------


def _time_alone(port: int, path: str) -> float:
    timings = []
    for _ in range(3):
        begun = time.perf_counter()
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as response:
            response.read()
        timings.append((time.perf_counter() - begun) * 1000)
    return statistics.median(timings)


def _statement(path: str, now: datetime) -> tuple[str, list[Any]]:
    """The SQL the search runs for ``path``, with its parameters (asyncpg's ``$n``)."""
    params = dict(parse_qsl(urlsplit(path).query))
    query = msgspec.convert(params, search.TenderQuery, strict=False)
    criteria = search._criteria(query)
    statement = search._filtered("postgresql", query, criteria, now).limit(query.limit + 1)
    compiled = statement.compile(
        dialect=PGDialect_asyncpg(), compile_kwargs={"render_postcompile": True}
    )
    values = [compiled.params[name] for name in compiled.positiontup or ()]
    return compiled.string, values


async def _explain(url: str, slowest: dict[str, tuple[str, float]]) -> None:
    connection = await asyncpg.connect(url)
    try:
        for kind, (path, ms) in slowest.items():
            sql, values = _statement(path, datetime.now(UTC))
            plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *values)
            print()
            print(f"--- {kind}: {path} ({ms:.1f} ms through HTTP, alone)")
            for row in plan:
                print("   ", row[0])
    finally:
        await connection.close()


# --- report ------------------------------------------------------------------------------------


def _table(title: str, results: dict[str, list[Measured]], ceiling: float) -> None:
    print()
    print(title)
    print(
        f"  {'median':24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}"
        f"{'x ceiling':>11}"
    )
    for name, rounds in results.items():
        rps = _median(rounds, "requests_per_second")
        print(
            f"  {name:24}{rps:>9,.0f}{_median(rounds, 'p50_ms'):>9.2f}"
            f"{_median(rounds, 'p95_ms'):>9.2f}{_median(rounds, 'p99_ms'):>9.2f}"
            f"{sum(m.wrk.requests for m in rounds):>10,}{rps / ceiling:>11.3f}"
        )


def _report(
    options: RunOptions,
    loaded: dict[str, list[Measured]],
    alone: dict[str, list[Measured]],
    load_average: tuple[float, float],
    pg_version: str,
) -> bool:
    print()
    print(
        f"{options.tenders:,} tenders in PostgreSQL {pg_version}; {options.rounds} x "
        f"{options.duration:g} s per endpoint (interleaved) after {options.warmup:g} s warm-up; "
        f"each kind alone {options.kind_seconds:g} s"
    )
    print(
        f"{os.cpu_count()} CPUs shared by wrk, the server and PostgreSQL (load average "
        f"{load_average[0]:.2f} before, {load_average[1]:.2f} after), Python "
        f"{platform.python_version()}, litestar {version('litestar')}, uvicorn "
        f"{version('uvicorn')}, SQLAlchemy {version('sqlalchemy')}, asyncpg "
        f"{version('asyncpg')}, wrk {_wrk_version(options.wrk)}"
    )
    ceiling = _median(loaded["/health/live"], "requests_per_second")
    _table(
        f"under load: wrk {options.threads} threads, {options.connections} connections",
        loaded,
        ceiling,
    )
    _table(
        "one request at a time: wrk 1 thread, 1 connection",
        alone,
        _median(alone["/health/live"], "requests_per_second"),
    )
    p95 = _median(alone["search (mix)"], "p95_ms")
    met = p95 < TARGET_P95_MS
    print()
    print(
        f"search p95 one at a time < {TARGET_P95_MS:g} ms: {'met' if met else 'NOT met'} "
        f"({p95:.2f} ms); under load {_median(loaded['search (mix)'], 'p95_ms'):.2f} ms; "
        f"throughput {_median(loaded['search (mix)'], 'requests_per_second') / ceiling:.3f} "
        "x the ceiling"
    )
    return met


# --- the run -----------------------------------------------------------------------------------


def _options(argv: Sequence[str] | None) -> RunOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenders", type=int, default=100_000, help="tenders loaded (100000)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (3)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per endpoint, interleaved (3)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads under load (2)")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections under load (32)"
    )
    parser.add_argument(
        "--kind-seconds", type=float, default=5.0, help="seconds per kind, alone (5)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 s warm-up, one round of 3 s, 2 s per kind (loads as many tenders)",
    )
    add_database_options(parser)
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated tenders")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds, args.kind_seconds = 3.0, 1.0, 1, 2.0
    if min(args.duration, args.warmup, args.kind_seconds) < 1 or args.rounds < 1:
        parser.error("--duration, --warmup and --kind-seconds must be >= 1 s, --rounds >= 1")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("--connections must be >= --threads >= 1")
    if args.tenders < 1_000:
        parser.error("--tenders must be >= 1000")
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench/tender_search.py: wrk (HTTP load generator) is not installed or not on PATH; "
            "install it with 'apt-get install wrk'",
            file=sys.stderr,
        )
        raise SystemExit(3)
    return RunOptions(
        wrk=wrk,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        threads=args.threads,
        connections=args.connections,
        tenders=args.tenders,
        kind_seconds=args.kind_seconds,
        keep_db=args.keep_db,
        postgres=args.postgres,
        seed=args.seed,
    )


def _load(options: RunOptions, env: dict[str, str], log: Path, plain_url: str) -> None:
    print(f"  migrating ('vergabe db upgrade') and loading {options.tenders:,} tenders (COPY) ...")
    migrate(env, log)
    loaded = asyncio.run(load(plain_url, options.tenders, seed=options.seed))
    print_loaded(loaded.generate_seconds, loaded.copied)


def _run(options: RunOptions, database: str, root: Path, pg_version: str) -> int:
    load_before = os.getloadavg()[0]
    (root / "data").mkdir()
    log, port = root / "platform.log", free_port()
    env = platform_environment(root / "data", port, options.postgres, database)
    plain_url = database_url(options.postgres, database, "postgresql")
    _load(options, env, log, plain_url)
    script = root / "paths.lua"
    script.write_text(P95_LUA)
    queries = _queries(datetime.now(UTC))
    with _server(["platform"], env, port, log) as process:
        counts = _check(port, queries)
        print(
            "  items on the page (queries): "
            + "; ".join(f"{kind} {statistics.mean(c):.0f} ({len(c)})" for kind, c in counts.items())
        )
        files = {"/health/live": root / "live.txt", "search (mix)": root / "mix.txt"}
        files["/health/live"].write_text("/health/live\n")
        files["search (mix)"].write_text("".join(f"{p}\n" for ps in queries.values() for p in ps))
        for kind in KINDS:
            files[kind] = root / f"{kind.replace(' ', '-')}.txt"
            files[kind].write_text("".join(f"{p}\n" for p in queries[kind]))
        run = (options, port, script)
        loaded: dict[str, list[Measured]] = {"/health/live": [], "search (mix)": []}
        alone: dict[str, list[Measured]] = {"/health/live": [], "search (mix)": []}
        crowd = {"threads": options.threads, "connections": options.connections}
        single = {"threads": 1, "connections": 1}
        for name in loaded:
            print(f"  {name}: warming up {options.warmup:g} s ...")
            _measure(name, process, log, run, files[name], options.warmup, **crowd)
        for n in range(1, options.rounds + 1):
            for name, rounds in loaded.items():
                print(f"  {name}: round {n}, {options.duration:g} s under load ...")
                rounds.append(
                    _measure(name, process, log, run, files[name], options.duration, **crowd)
                )
                print(f"  {name}: round {n}, {options.duration:g} s one at a time ...")
                alone[name].append(
                    _measure(name, process, log, run, files[name], options.duration, **single)
                )
        for kind in KINDS:
            print(f"  {kind}: {options.kind_seconds:g} s one at a time ...")
            alone[kind] = [
                _measure(kind, process, log, run, files[kind], options.kind_seconds, **single)
            ]
        print("  timing every query alone (median of 3) ...")
        timed = {
            kind: sorted(((_time_alone(port, p), p) for p in queries[kind]), reverse=True)
            for kind in KINDS
        }
    met = _report(options, loaded, alone, (load_before, os.getloadavg()[0]), pg_version)
    print()
    print("slowest queries alone (ms, through HTTP):")
    for kind, found in timed.items():
        print(f"  {kind:12} " + ", ".join(f"{ms:.1f}" for ms, _ in found[:5]))
    slowest = {kind: (found[0][1], found[0][0]) for kind, found in timed.items()}
    asyncio.run(_explain(plain_url, slowest))
    return 0 if met else 2


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    return with_database(
        "tender_search.py",
        options.postgres,
        options.keep_db,
        partial(_run, options),
    )


if __name__ == "__main__":
    raise SystemExit(main())
