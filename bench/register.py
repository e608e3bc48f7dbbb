"""The pre-qualification register under load: search and verification beside the ceiling.

Creates a PostgreSQL database of its own for the run (``vergabe_bench_<random>``), migrates it to
head with the project's migrations (``vergabe db upgrade``) and bulk-loads a register of
generated suppliers, their certificates with scope, history and sealed documents through COPY
(``bench/_register_load.py``; ``--without-documents``: as before the sealing job ran), then
``VACUUM (ANALYZE)``.

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
looks for the reason in this process (``bench/_register_profile.py``): the platform built the
same way on the same database, called through httpx's ASGI transport, with the statements and
round trips per request and the CPU of the app and of the PostgreSQL backends; a what-if
that leaves the app's code alone (no check of a pooled connection before use);
``register.verify()`` as deployed, in a session, and as one SQL text; ``EXPLAIN (ANALYZE,
BUFFERS)`` of each kind's slowest request; and the name and place searches with and without
the trigram indexes. The server is stopped and the database dropped at the end, also after an
error or Ctrl-C (``--keep-db`` keeps it).

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
import shutil
import statistics
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

# The project before this directory, where bench/signatures.py would stand for the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

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
from _register_load import Register, load
from _register_profile import profile
from ceiling import Options, WrkResult, _median, _server, _wrk, parse_wrk

from infra.settings import load_settings

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
        raise RuntimeError(f"{endpoint.name}: server exited under load:\n{tail(log)}")
    if result.non_2xx:
        raise RuntimeError(
            f"{endpoint.name}: {result.non_2xx} of {result.requests} responses were not 2xx:\n"
            f"{tail(log)}"
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
    add_database_options(parser)
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
    port = free_port()
    env = platform_environment(data, port, options.postgres, database)
    plain_url = database_url(options.postgres, database, "postgresql")
    settings = load_settings(env)
    print(f"  migrating {database} ('vergabe db upgrade') ...")
    migrate(env, log)
    print(f"  generating and loading {options.certificates:,} certificates (COPY) ...")
    loaded = asyncio.run(
        load(
            plain_url,
            options.certificates,
            settings.profile,
            settings.public_url,
            documents=options.documents,
            seed=options.seed,
        )
    )
    total = print_loaded(
        loaded.generate_seconds,
        loaded.copied,
        f"; documents {loaded.register.document_bytes / 1e6:,.0f} MB",
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
        asyncio.run(profile(env, plain_url, register, searches, options.profile_requests))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    return with_database(
        "register.py",
        options.postgres,
        options.keep_db,
        partial(_run, options),
    )


if __name__ == "__main__":
    raise SystemExit(main())
