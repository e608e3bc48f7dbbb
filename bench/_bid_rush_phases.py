"""How the bid rush runs (part of ``bench/bid_rush.py``): its options, its servers, and its
phases of bids sent by client processes.

- :func:`launches` lays out the platform's servers (``vergabe api``) and the bare endpoint's
  (``bench/_bid_rush_bare.py``) as ``--layout`` says; :func:`servers` starts them together and
  stops them (with uvicorn's worker processes) on the way out.
- :func:`phase` sends a list of :class:`Job` (a supplier's bid to a tender at a moment) from
  ``--clients`` client processes (``bench/_bid_rush_client.py``), which are told the start
  together once all are connected, and collects every answer with the CPU each part took
  (:class:`~_bid_rush_meter.Meter`) and, for the rush, the database sessions' waits.
- :func:`schedule` makes the rush (the suppliers spread over the window, the late ones after the
  deadline); :func:`at_once` all bids at the start (warm-up and capacity).
"""

from __future__ import annotations

__all__ = [
    "Context",
    "Job",
    "Launch",
    "Phase",
    "RunOptions",
    "at_once",
    "check_all_201",
    "launches",
    "phase",
    "schedule",
    "servers",
]

import json
import math
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _bid_rush_meter import Meter, WaitSampler
from _bid_rush_seed import Supplier, World
from _common import HOST, PROJECT, plain_environment, stop, tail, wait_until_serving

from infra.cli import _uvicorn_options
from infra.settings import load_settings

CLIENT = Path(__file__).with_name("_bid_rush_client.py")
BARE = Path(__file__).with_name("_bid_rush_bare.py")
START_SECONDS = 180.0
"""How long a server may take to serve: importing the platform takes seconds of CPU."""
WORKER_DEATHS = 4
"""Worker processes uvicorn's supervisor may replace while starting before the bench gives up."""
LEAD_SECONDS = 1.0
"""Between telling the clients the start and the start."""
STOP_SECONDS = 40.0
"""A server gets this long to stop (uvicorn waits for open connections) before it is killed."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    suppliers: int
    late: int
    window: float
    margin: float
    offer_bytes: int
    insurance_bytes: int
    processes: int
    layout: str
    """``supervisor``: one server with ``processes`` worker processes (``VERGABE_API_PROCESSES``);
    ``separate``: ``processes`` servers of one process each, on ports of their own."""
    clients: int
    concurrency: int
    capacity_concurrency: int
    rounds: int
    warmup: int
    bare_rush: bool
    profile: Path | None
    """Where to write pyinstrument's report of one API process taking the capacity load."""
    pyinstrument: str | None
    """A ``site-packages`` holding pyinstrument, for the profiled process's path."""
    keep_db: bool
    postgres: str
    broker: str
    seed: int


# --- servers ------------------------------------------------------------------------------------


def _worker_deaths(log: Path) -> Callable[[], str | None]:
    """Why to give up on a server whose uvicorn supervisor keeps replacing its worker processes
    (read from its log), or None."""

    def refuse() -> str | None:
        deaths = log.read_text(errors="replace").count('died"')
        if deaths < WORKER_DEATHS:
            return None
        return (
            f"uvicorn replaced its worker processes {deaths} times without one serving. Its "
            "supervisor kills a worker that does not answer its health check within 5 s "
            "(timeout_worker_healthcheck), and a worker answers only once it has imported the "
            "platform, which takes longer on a busy machine. Use --layout separate."
        )

    return refuse


@dataclass(frozen=True, slots=True)
class Launch:
    command: list[str]
    env: dict[str, str]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextmanager
def servers(
    launches: Sequence[Launch], stop_seconds: float = STOP_SECONDS
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Server processes, started together, each serving; stopped on exit."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for launch in launches:
            with launch.log.open("ab") as out:
                processes.append(
                    subprocess.Popen(
                        launch.command,
                        env=launch.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        cwd=PROJECT,
                    )
                )
        for process, launch in zip(processes, launches, strict=True):
            wait_until_serving(
                process, launch.url, launch.log, START_SECONDS, _worker_deaths(launch.log)
            )
        yield processes
    finally:
        for process in processes:
            stop(process, stop_seconds)


# --- phases -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    n: int
    supplier: Supplier
    tender: str
    offset: float
    """Seconds after the start of the phase."""
    late: bool = False


@dataclass
class Phase:
    name: str
    start: float
    """Epoch seconds."""
    results: list[dict[str, Any]]
    cpu: dict[str, float]
    """CPU seconds by part, from the start to the last answer."""
    client_cpu: float
    wall: float
    waits: Counter[str] = field(default_factory=Counter)
    wait_samples: int = 0


def _read_line(process: subprocess.Popen[str], log: Path, expected: str) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != expected:
        process.wait(10)
        raise RuntimeError(f"a client said {line!r}, not {expected!r}:\n{tail(log)}")


@dataclass(frozen=True, slots=True)
class Context:
    options: RunOptions
    root: Path
    """Where the clients' job and result files go."""
    meter: Meter


def phase(
    context: Context,
    name: str,
    urls: Sequence[str],
    jobs: Sequence[Job],
    *,
    concurrency: int,
    before_start: Callable[[float], None] | None = None,
    sampler: WaitSampler | None = None,
) -> Phase:
    """Send ``jobs`` from ``options.clients`` client processes, ``concurrency`` in flight in
    all, each to one of the servers ``urls`` in turn; ``before_start`` gets the start (epoch
    seconds) before the clients do."""
    options, root, meter = context.options, context.root, context.meter
    clients = max(1, min(options.clients, len(jobs)))
    shares: list[list[Job]] = [[] for _ in range(clients)]
    for index, job in enumerate(sorted(jobs, key=lambda job: job.offset)):
        shares[index % clients].append(job)
    processes: list[tuple[subprocess.Popen[str], Path, Path]] = []
    slug = name.replace(" ", "-")
    try:
        for number, share in enumerate(shares):
            spec = {
                "concurrency": math.ceil(concurrency / clients),
                "offer_bytes": options.offer_bytes,
                "insurance_bytes": options.insurance_bytes,
                "seed": options.seed + number,
                "jobs": [
                    {
                        "n": job.n,
                        "base_url": urls[job.n % len(urls)],
                        "org": job.supplier.organisation_id,
                        "tender": job.tender,
                        "cookie": job.supplier.cookie,
                        "offset": job.offset,
                        "key": f"{slug}-{job.n}-{secrets.token_hex(6)}",
                    }
                    for job in share
                ],
            }
            jobs_path = root / f"{slug}-{number}-jobs.json"
            results_path = root / f"{slug}-{number}-results.json"
            log = root / f"{slug}-{number}-client.log"
            jobs_path.write_text(json.dumps(spec))
            with log.open("ab") as err:
                process = subprocess.Popen(
                    [sys.executable, str(CLIENT), str(jobs_path), str(results_path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    env=plain_environment(),
                    text=True,
                )
            processes.append((process, results_path, log))
        for process, _, log in processes:
            _read_line(process, log, "ready")
        start = time.time() + LEAD_SECONDS
        if before_start is not None:
            before_start(start)
        before = meter.snapshot()
        began = time.perf_counter()
        with ExitStack() as stack:
            if sampler is not None:
                stack.enter_context(sampler)
            for process, _, _ in processes:
                assert process.stdin is not None
                process.stdin.write(f"go {start!r}\n")
                process.stdin.flush()
            for process, _, log in processes:
                _read_line(process, log, "done")
            after = meter.snapshot()
            wall = time.perf_counter() - began
        results: list[dict[str, Any]] = []
        client_cpu = 0.0
        for process, results_path, _ in processes:
            process.wait(30)
            answer = json.loads(results_path.read_text())
            results.extend(answer["results"])
            client_cpu += answer["cpu_seconds"]
    finally:
        for process, _, _ in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return Phase(
        name=name,
        start=start,
        results=results,
        cpu={part: after[part] - before.get(part, 0.0) for part in after},
        client_cpu=client_cpu,
        wall=wall,
        waits=sampler.counts if sampler else Counter(),
        wait_samples=sampler.samples if sampler else 0,
    )


def schedule(options: RunOptions, world: World) -> tuple[list[Job], set[int]]:
    """The rush: the suppliers in random order, one per ``window / suppliers`` seconds with
    jitter; the late ones 0.5-3 s after the deadline."""
    rng = random.Random(options.seed)
    tender = world.tenders[1]
    step = options.window / options.suppliers
    order = list(range(options.suppliers))
    rng.shuffle(order)
    jobs = [
        Job(n, world.suppliers[n], tender, (slot + rng.random()) * step)
        for slot, n in enumerate(order)
    ]
    deadline = options.window + options.margin
    late = [
        Job(
            options.suppliers + k,
            world.suppliers[options.suppliers + k],
            tender,
            deadline + 0.5 + 2.5 * k / max(1, options.late - 1),
            late=True,
        )
        for k in range(options.late)
    ]
    return jobs + late, {job.n for job in late}


def at_once(options: RunOptions, world: World, tender: str, count: int) -> list[Job]:
    return [Job(n, world.suppliers[n], tender, 0.0) for n in range(count)]


def check_all_201(phase: Phase, log: Path) -> None:
    bad = [r for r in phase.results if r["status"] != 201]
    if bad:
        example = bad[0]
        raise RuntimeError(
            f"{phase.name}: {len(bad)} of {len(phase.results)} bids not accepted, e.g. "
            f"{example['status']} {example.get('error') or example.get('answer')}\n{tail(log)}"
        )


def launches(
    options: RunOptions, env: dict[str, str], root: Path, ports: Sequence[int]
) -> tuple[list[Launch], list[Launch]]:
    """The platform's servers and the bare endpoint's, as ``--layout`` lays them out."""
    separate = options.layout == "separate"
    count = options.processes if separate else 1
    per_server = 1 if separate else options.processes
    platform_ports, bare_ports = ports[:count], ports[count : 2 * count]
    api = [
        Launch(
            [sys.executable, "-m", "infra.cli", "api"],
            {**env, "VERGABE_PORT": str(port), "VERGABE_API_PROCESSES": str(per_server)},
            port,
            root / f"platform-{k}.log",
        )
        for k, port in enumerate(platform_ports)
    ]
    bare_env = {
        **plain_environment(),
        "BID_RUSH_BARE_DIR": str(root / "bare"),
        "PYTHONPATH": str(BARE.parent),
    }
    bare = []
    for k, port in enumerate(bare_ports):
        uvicorn_options = _uvicorn_options(load_settings({**env, "VERGABE_PORT": str(port)}))
        bare.append(
            Launch(
                [sys.executable, str(BARE), str(per_server), json.dumps(uvicorn_options)],
                bare_env,
                port,
                root / f"bare-{k}.log",
            )
        )
    return api, bare
