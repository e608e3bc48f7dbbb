"""The bid rush of issue 7: 500 suppliers submit 1 MB bids in the last 60 seconds before the
deadline, against PostgreSQL and ``vergabe api`` processes, beside a bare Litestar endpoint
storing the same bytes.

Creates a PostgreSQL database of its own for the run (``vergabe_bench_<random>``), migrates it
(``vergabe db upgrade``) and writes the world (``bench/_bid_rush_seed.py``): a contracting
authority with an officer, published tenders made through the service layer (the national works
tender of the tests: two lots, pre-qualification scope, evidence ``liability-insurance``), and
the suppliers, each an organisation with an owner and a login session. A key-encryption key is
generated into the run's temporary directory (``VERGABE_BID_KEK_FILE``, the same file for every
API process).

Then it starts ``vergabe api`` (production settings, JSON access log at INFO to a file,
``VERGABE_API_PROCESSES`` processes, the outbox's broker RabbitMQ; no worker is needed for a
receipt: the receipt PDF job and the mail are written to the outbox in the submitting
transaction and stay there) and the bare endpoint (``bench/_bid_rush_bare.py``: the same path and
multipart form, parsed by Litestar into the same struct, each document written to a file with
fsync; the same uvicorn options and number of processes). Client processes
(``bench/_bid_rush_client.py``, httpx over HTTP/1.1 keep-alive) send the bids; each bid is the
one-step submission of the bid API: ``content`` (one lot with a price, both declarations),
``requirements`` and two documents, an offer of ``--offer-bytes`` random bytes with a PDF header
and a small liability insurance, with the supplier's session cookie and an ``Idempotency-Key``.

1. Warm-up: a few bids on a tender of their own, to each server.
2. The rush: the deadline of the rush tender is moved (a direct UPDATE: publishing checks the
   minimum periods) to ``--window`` + ``--margin`` seconds after the start; the suppliers' bids
   are sent spread evenly over the window (one per ``window / suppliers`` seconds, jittered),
   and ``--late`` more suppliers send theirs 0.5-3 s after the deadline. Afterwards the database
   is read back: every 201 must have its submission row (same id, receipt number and receipt
   time), its receipt job in the outbox, its receipt mail, and both documents with their sealed
   files on disk; every late bid must get 409 ``deadline-passed``.
3. The bare endpoint gets the same rush (the same moments).
4. Capacity: all suppliers at once (``--capacity-concurrency`` in flight) on a fresh tender,
   then the same uploads to the bare endpoint, in ``--rounds`` interleaved rounds.

It prints the time to receipt (request start to the whole 201 response) p50/p95/p99, the bids
lost (acknowledged with 201 but not all there afterwards, or answered by neither 201 nor a clean
4xx: network errors, 5xx), the bids accepted at or after the deadline (both must be 0), the
throughput of accepted bids during the rush and at capacity with the ratio to the bare endpoint,
the CPU each part took (``/proc``), the wait events of the database sessions during the rush
and the machine's load. The servers are stopped and the database dropped at the end, also after
an error or Ctrl-C (``--keep-db`` keeps it). Exits 2 when a bid was lost or accepted late.

The parts: ``_bid_rush_seed.py`` (the world and what is read back), ``_bid_rush_phases.py``
(options, servers, phases), ``_bid_rush_meter.py`` (CPU and waits), ``_bid_rush_report.py``
(the verdict and the report), ``_bid_rush_client.py``, ``_bid_rush_bare.py`` and
``_bid_rush_profile.py`` (``--profile``); what every database bench does alike (the database,
the deployment, starting and stopping servers) is ``_common.py``.

Run ``.venv/bin/python bench/bid_rush.py`` (``--quick`` for a short run, ``--help`` for more).
Needs a PostgreSQL the ``postgres`` role can create databases in (``--postgres``) and RabbitMQ
(``--broker``).
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import asyncio
import os
import platform
import secrets
import signal
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path

# The project before this directory, where bench/signatures.py would stand for the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from _bid_rush_meter import Meter, WaitSampler, workers
from _bid_rush_phases import (
    Context,
    Job,
    Launch,
    Phase,
    RunOptions,
    at_once,
    check_all_201,
    launches,
    phase,
    schedule,
    servers,
)
from _bid_rush_report import judge, report_capacity, report_rush, throughput
from _bid_rush_seed import World, check, move_deadline, seed
from _common import (
    PROJECT,
    add_database_options,
    database_url,
    free_ports,
    migrate,
    percentile,
    platform_environment,
    tail,
    with_database,
)

from infra.settings import load_settings

PROFILE = Path(__file__).with_name("_bid_rush_profile.py")
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672/"


def _options(argv: Sequence[str] | None) -> RunOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suppliers", type=int, default=500, help="bids in the rush (500)")
    parser.add_argument("--late", type=int, default=5, help="bids sent after the deadline (5)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of the rush (60)")
    parser.add_argument(
        "--margin", type=float, default=5.0, help="seconds from the last bid to the deadline (5)"
    )
    parser.add_argument(
        "--offer-bytes", type=int, default=1_000_000, help="size of each offer (1000000)"
    )
    parser.add_argument(
        "--insurance-bytes", type=int, default=20_000, help="size of each insurance (20000)"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="VERGABE_API_PROCESSES, also the bare's (2)"
    )
    parser.add_argument(
        "--layout",
        choices=("separate", "supervisor"),
        default="separate",
        help="separate: PROCESSES servers ('vergabe api' with VERGABE_API_PROCESSES=1) on ports "
        "of their own, the clients taking turns; supervisor: one 'vergabe api' with "
        "VERGABE_API_PROCESSES=PROCESSES (uvicorn's worker processes on one port); the bare "
        "endpoint alike (separate)",
    )
    parser.add_argument("--clients", type=int, default=2, help="client processes (2)")
    parser.add_argument(
        "--concurrency", type=int, default=128, help="bids in flight at most in the rush (128)"
    )
    parser.add_argument(
        "--capacity-concurrency",
        type=int,
        default=16,
        help="bids in flight when measuring capacity (16)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="capacity rounds per server, interleaved (2)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="bids to each server before the rush (20)"
    )
    parser.add_argument(
        "--no-bare-rush",
        action="store_true",
        help="do not give the bare endpoint the rush (capacity only)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="REPORT",
        help="at the end, profile one 'vergabe api' process taking the capacity load with "
        "pyinstrument and write its call tree to REPORT (its own times to REPORT.self.txt)",
    )
    parser.add_argument(
        "--pyinstrument",
        metavar="SITE_PACKAGES",
        help="site-packages of a throwaway virtual environment with pyinstrument (it is not a "
        "dependency of the project), for --profile",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100 suppliers over 15 s, 3 late, one capacity round",
    )
    add_database_options(parser)
    parser.add_argument(
        "--broker", default=DEFAULT_BROKER, help=f"the outbox's broker ({DEFAULT_BROKER})"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the schedule")
    args = parser.parse_args(argv)
    if args.quick:
        args.suppliers, args.window, args.late, args.rounds = 100, 15.0, 3, 1
    if args.suppliers < 1 or args.late < 0 or args.window <= 0 or args.margin < 0:
        parser.error("--suppliers >= 1, --late >= 0, --window > 0, --margin >= 0")
    if min(args.processes, args.clients, args.concurrency, args.capacity_concurrency) < 1:
        parser.error("--processes, --clients and the concurrencies must be >= 1")
    if args.rounds < 1 or args.warmup < 1 or args.offer_bytes < 100:
        parser.error("--rounds >= 1, --warmup >= 1, --offer-bytes >= 100")
    return RunOptions(
        suppliers=args.suppliers,
        late=args.late,
        window=args.window,
        margin=args.margin,
        offer_bytes=args.offer_bytes,
        insurance_bytes=args.insurance_bytes,
        processes=args.processes,
        layout=args.layout,
        clients=args.clients,
        concurrency=args.concurrency,
        capacity_concurrency=args.capacity_concurrency,
        rounds=args.rounds,
        warmup=args.warmup,
        bare_rush=not args.no_bare_rush,
        profile=args.profile.resolve() if args.profile else None,
        pyinstrument=args.pyinstrument,
        keep_db=args.keep_db,
        postgres=args.postgres,
        broker=args.broker,
        seed=args.seed,
    )


def _platform_environment(
    options: RunOptions, root: Path, database: str, port: int
) -> dict[str, str]:
    """The deployment every API process shares (each gets its port and process count)."""
    env = platform_environment(root / "data", port, options.postgres, database)
    kek = root / "bid-kek.key"
    kek.write_text(secrets.token_hex(32) + "\n")
    kek.chmod(0o600)
    env.update(
        {
            "VERGABE_BROKER_URL": options.broker,
            "VERGABE_BROKER_NAMESPACE": f"bench_{secrets.token_hex(4)}",
            "VERGABE_API_PROCESSES": str(options.processes),
            # One key file for every API process: each unwraps the tender's data key with it.
            "VERGABE_BID_KEK_FILE": str(kek),
        }
    )
    return env


def _profile(context: Context, env: dict[str, str], world: World, port: int) -> str:
    """One API process under pyinstrument, warmed up, then taking the capacity load; what to
    print of it."""
    options = context.options
    assert options.profile is not None
    path = [str(PROJECT), *([options.pyinstrument] if options.pyinstrument else [])]
    launch = Launch(
        [sys.executable, str(PROFILE), str(options.profile)],
        {
            **env,
            "VERGABE_PORT": str(port),
            "VERGABE_API_PROCESSES": "1",
            "PYTHONPATH": os.pathsep.join(path),
        },
        port,
        context.root / "profile.log",
    )
    summary = Path(f"{options.profile}.self.txt")
    for stale in (options.profile, summary):
        stale.unlink(missing_ok=True)
    tender = world.tenders[-1]
    warm = min(options.warmup, options.suppliers - 1)
    print(f"  profiling one API process: {warm} bids to warm it up, then the capacity load ...")
    # Writing the report takes a while on a busy machine.
    with servers([launch], stop_seconds=600.0) as (process,):
        context.meter.servers["profiled"] = [process.pid]
        check_all_201(
            phase(
                context,
                "profile warm-up",
                [launch.url],
                [Job(n, world.suppliers[n], tender, 0.0) for n in range(warm)],
                concurrency=min(8, options.capacity_concurrency),
            ),
            launch.log,
        )
        process.send_signal(signal.SIGUSR1)
        profiled = phase(
            context,
            "profile",
            [launch.url],
            [Job(n, world.suppliers[n], tender, 0.0) for n in range(warm, options.suppliers)],
            concurrency=options.capacity_concurrency,
        )
    check_all_201(profiled, launch.log)
    if process.returncode != 0 or not summary.exists():
        raise RuntimeError(
            f"no profile was written (exit status {process.returncode}):\n{tail(launch.log)}"
        )
    figure = throughput(profiled.results)
    cpu = profiled.cpu.get("profiled", 0.0)
    return (
        f"PROFILE of one API process: {figure.accepted} bids at once, "
        f"{options.capacity_concurrency} in flight, {figure.bids_per_second:,.2f} bids/s, "
        f"{cpu / max(1, figure.accepted) * 1000:,.1f} ms CPU per bid (with the profiler's "
        f"overhead); call tree in {options.profile}; SQL statements per bid: divide by "
        f"{figure.accepted}\n{summary.read_text()}"
    )


def _run(options: RunOptions, database: str, root: Path, pg_version: str) -> int:
    load_before = os.getloadavg()
    (root / "data").mkdir()
    (root / "bare").mkdir()
    ports = free_ports(2 * options.processes)
    env = _platform_environment(options, root, database, ports[0])
    settings = load_settings(env)
    plain_url = database_url(options.postgres, database, "postgresql")
    print(f"  migrating {database} ('vergabe db upgrade') ...")
    migrate(env, root / "migrate.log")
    # warm-up, rush, one per capacity round, one for the profile
    tenders = 2 + options.rounds + (1 if options.profile else 0)
    print(f"  seeding {options.suppliers + options.late} suppliers and {tenders} tenders ...")
    world = asyncio.run(seed(env, suppliers=options.suppliers + options.late, tenders=tenders))
    print(f"  seeded in {world.seconds:.1f} s")
    api_launches, bare_launches = launches(options, env, root, ports)
    platform_urls = [launch.url for launch in api_launches]
    bare_urls = [launch.url for launch in bare_launches]
    log, bare_log = api_launches[0].log, bare_launches[0].log
    meter = Meter(database)
    context = Context(options, root, meter)
    print(
        f"  starting {len(api_launches)} 'vergabe api' and {len(bare_launches)} bare server(s), "
        f"{options.processes} process(es) each side ({options.layout}) ..."
    )
    with ExitStack() as stack:
        api = stack.enter_context(servers(api_launches))
        bare = stack.enter_context(servers(bare_launches))
        meter.servers = {"api": [p.pid for p in api], "bare": [p.pid for p in bare]}
        print(
            "  serving: api processes "
            + ", ".join(str(pid) for p in api for pid in workers(p.pid))
            + "; bare "
            + ", ".join(str(pid) for p in bare for pid in workers(p.pid))
        )
        warm = min(options.warmup, options.suppliers)
        print(f"  warming up: {warm} bids to each server ...")
        for urls, server_log in ((platform_urls, log), (bare_urls, bare_log)):
            warmed = phase(
                context,
                "warm-up",
                urls,
                at_once(options, world, world.tenders[0], warm),
                concurrency=min(8, options.capacity_concurrency),
            )
            check_all_201(warmed, server_log)
        jobs, late_jobs = schedule(options, world)
        load_rush = os.getloadavg()

        def deadline_at(start: float) -> None:
            deadline = datetime.fromtimestamp(start + options.window + options.margin, UTC)
            asyncio.run(move_deadline(plain_url, world.tenders[1], deadline))

        print(
            f"  the rush: {options.suppliers} bids over {options.window:g} s, deadline "
            f"{options.window + options.margin:g} s after the start, {options.late} late ..."
        )
        rush = phase(
            context,
            "rush",
            platform_urls,
            jobs,
            concurrency=options.concurrency,
            before_start=deadline_at,
            sampler=WaitSampler(plain_url, database),
        )
        load_after_rush = os.getloadavg()
        stored = asyncio.run(check(plain_url, world.tenders[1], settings.storage.root))
        verdict = judge(rush, stored, late_jobs)
        bare_rush = None
        if options.bare_rush:
            print(f"  the same rush to the bare endpoint ({options.window:g} s) ...")
            bare_rush = phase(
                context,
                "bare rush",
                bare_urls,
                [job for job in jobs if not job.late],
                concurrency=options.concurrency,
            )
        rounds: dict[str, list[Phase]] = {"platform": [], "bare": []}
        for n in range(options.rounds):
            for name, urls in (("platform", platform_urls), ("bare", bare_urls)):
                print(f"  capacity, round {n + 1}: {name} ...")
                rounds[name].append(
                    phase(
                        context,
                        f"capacity {name} {n + 1}",
                        urls,
                        at_once(options, world, world.tenders[2 + n], options.suppliers),
                        concurrency=options.capacity_concurrency,
                    )
                )
    profile = None
    if options.profile is not None:
        profile = _profile(context, env, world, free_ports(1)[0])
    errors_logged = sum(
        1
        for launch in api_launches
        for line in launch.log.read_text(errors="replace").splitlines()
        if '"level":"ERROR"' in line
    )
    print()
    print(
        f"{os.cpu_count()} CPUs shared by the clients, {options.processes} API process(es) "
        f"({options.layout}), "
        f"PostgreSQL {pg_version} and other work (load average {load_before[0]:.2f} before the "
        f"run, {load_rush[0]:.2f} at the rush, {load_after_rush[0]:.2f} after it, "
        f"{os.getloadavg()[0]:.2f} at the end); Python {platform.python_version()}, litestar "
        f"{version('litestar')}, uvicorn {version('uvicorn')}, SQLAlchemy "
        f"{version('sqlalchemy')}, asyncpg {version('asyncpg')}, httpx {version('httpx')}"
    )
    rush_ratio = report_rush(options, rush, verdict, stored, bare_rush)
    capacity, capacity_ratio = report_capacity(options, rounds)
    if profile is not None:
        print()
        print(profile)
    print()
    print(f"platform log: {errors_logged} ERROR lines")
    seconds = [r["seconds"] for r in verdict.accepted]
    ok = verdict.lost == 0 and not verdict.late_accepted
    print(
        f"lost {verdict.lost}, accepted after the deadline {len(verdict.late_accepted)}: "
        f"{'met' if ok else 'NOT met'}; time to receipt p50/p95/p99 "
        + "/".join(f"{percentile(seconds, p) * 1000:,.0f}" for p in (50, 95, 99))
        + f" ms; rush {throughput(rush.results).bids_per_second:,.2f} bids/s "
        f"({rush_ratio:.3f} x bare); capacity {capacity:,.2f} bids/s ({capacity_ratio:.3f} x bare)"
    )
    return 0 if ok else 2


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    return with_database(
        "bid_rush.py",
        options.postgres,
        options.keep_db,
        partial(_run, options),
        "the servers are stopped",
    )


if __name__ == "__main__":
    raise SystemExit(main())
