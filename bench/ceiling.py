"""The performance ceiling: requests/s of ``GET /health/live``, platform against bare Litestar.

Serves the platform (built as production builds it: ``create_app(load_settings(env))`` on a
freshly migrated SQLite database in a temporary data directory, JSON access log at INFO written
to a file) and a bare Litestar app answering the same JSON, each in a process of its own under
the same uvicorn options (the command line's: uvloop, httptools, no uvicorn access log, one
process, 127.0.0.1 on a free port). ``wrk`` loads them from a separate process: a warm-up each,
then measurement rounds alternating between the two, so that load from elsewhere on the machine
falls on both alike. The script prints the median requests/s and latency p50/p99 of each and the
ratio platform/bare. The servers are stopped at the end, also after an error or Ctrl-C.

Run ``.venv/bin/python bench/ceiling.py`` (``--quick`` for a short run, ``--help`` for more).
"""

from __future__ import annotations

__all__ = ["WrkResult", "main", "parse_wrk"]

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from _common import HOST, environment, free_ports, migrate, stop, tail, wait_until_serving

PATH = "/health/live"
SERVE = Path(__file__).with_name("_serve.py")
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    """Median latency."""
    p99_ms: float
    requests: int
    """Requests completed in the measured period."""
    non_2xx: int
    """Responses with a status other than 2xx or 3xx (should be 0)."""
    socket_errors: int
    """Connect, read, write errors and timeouts together."""


@dataclass(frozen=True, slots=True)
class Options:
    wrk: str
    duration: float
    """Seconds measured per server."""
    warmup: float
    """Seconds of load before the measurement, not counted."""
    rounds: int
    """Measurements per server, alternating between the servers."""
    threads: int
    connections: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected latency {text!r} in wrk output")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read the figures out of ``wrk --latency`` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"cannot read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def _platform_importable() -> None:
    """Drop bench/ from the import path, where bench/signatures.py would hide the platform's
    signatures package (Python puts a script's directory first); the project root goes first."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [
        entry for entry in sys.path if Path(entry or ".").resolve() not in (here, here.parent)
    ]


def _uvicorn_options(env: dict[str, str]) -> dict[str, object]:
    """The command line's uvicorn options for the deployment ``env`` describes."""
    _platform_importable()
    from infra.cli import _uvicorn_options as options
    from infra.settings import load_settings

    return options(load_settings(env))


@contextmanager
def _server(
    args: Sequence[str], env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process serving on ``port``, stopped (terminated, then killed) on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(SERVE), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until_serving(process, f"http://{HOST}:{port}", log, START_TIMEOUT_SECONDS)
        yield process
    finally:
        stop(process, STOP_TIMEOUT_SECONDS)


def _wrk(wrk: str, port: int, seconds: float, threads: int, connections: int) -> WrkResult:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "--latency",
        f"http://{HOST}:{port}{PATH}",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return parse_wrk(done.stdout)


@dataclass(frozen=True, slots=True)
class Server:
    """One of the two servers under load."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]


def _load(server: Server, seconds: float, options: Options) -> WrkResult:
    result = _wrk(options.wrk, server.port, seconds, options.threads, options.connections)
    if server.process.poll() is not None:
        raise RuntimeError(f"{server.name}: server exited under load:\n{tail(server.log)}")
    if result.non_2xx:
        raise RuntimeError(
            f"{server.name}: {result.non_2xx} responses were not 2xx:\n{tail(server.log)}"
        )
    return result


def _options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured (10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (3)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per server, interleaved (3)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--quick", action="store_true", help="1 s warm-up, one round of 3 s measured"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 3.0, 1.0, 1
    if args.duration < 1 or args.warmup < 1 or args.rounds < 1:
        parser.error("--duration and --warmup must be >= 1 s, --rounds >= 1")
    if args.threads < 1 or args.connections < args.threads:
        parser.error("--connections must be >= --threads >= 1")
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench/ceiling.py: wrk (HTTP load generator) is not installed or not on PATH; "
            "install it with 'apt-get install wrk'",
            file=sys.stderr,
        )
        raise SystemExit(3)
    return Options(wrk, args.duration, args.warmup, args.rounds, args.threads, args.connections)


def _median(results: Sequence[WrkResult], field: str) -> float:
    return statistics.median(getattr(r, field) for r in results)


def _report(
    options: Options, results: dict[str, list[WrkResult]], log_lines: int, load: float
) -> None:
    print()
    print(
        f"GET {PATH}  wrk {options.threads} threads, {options.connections} connections, "
        f"{options.rounds} x {options.duration:g} s per server (interleaved), "
        f"after {options.warmup:g} s warm-up"
    )
    print(
        f"{os.cpu_count()} CPUs (load average {load:.2f} before), "
        f"Python {platform.python_version()}, litestar {version('litestar')}, "
        f"uvicorn {version('uvicorn')} (uvloop, httptools)"
    )
    print()
    print(f"{'median':10}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'requests':>11}{'sock err':>10}")
    for name, rounds in results.items():
        print(
            f"{name:10}{_median(rounds, 'requests_per_second'):>11,.0f}"
            f"{_median(rounds, 'p50_ms'):>9.2f}{_median(rounds, 'p99_ms'):>9.2f}"
            f"{sum(r.requests for r in rounds):>11,}{sum(r.socket_errors for r in rounds):>10}"
        )
    print()
    platform_, bare = results["platform"], results["bare"]
    ratio = _median(platform_, "requests_per_second") / _median(bare, "requests_per_second")
    print(f"ratio platform/bare: {ratio:.3f}")
    if options.rounds > 1:
        per_round = "  ".join(
            f"{p.requests_per_second:,.0f}/{b.requests_per_second:,.0f}="
            f"{p.requests_per_second / b.requests_per_second:.3f}"
            for p, b in zip(platform_, bare, strict=True)
        )
        print(f"per round: {per_round}")
    print(f"platform access log: {log_lines:,} JSON lines written (warm-up included)")


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    load = os.getloadavg()[0]
    results: dict[str, list[WrkResult]] = {"platform": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="vergabe-bench-") as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        platform_port, bare_port = free_ports(2)
        env = environment(root / "data", platform_port)
        try:
            print("  migrating a fresh SQLite database ('vergabe db upgrade') ...")
            migrate(env, root / "platform.log")
            bare_options = json.dumps(_uvicorn_options(environment(root / "data", bare_port)))
            with ExitStack() as stack:
                servers = [
                    Server(name, port, log, stack.enter_context(_server(args, env, port, log)))
                    for name, args, port, log in (
                        ("platform", ["platform"], platform_port, root / "platform.log"),
                        ("bare", ["bare", bare_options], bare_port, root / "bare.log"),
                    )
                ]
                for server in servers:
                    print(f"  {server.name}: warming up {options.warmup:g} s ...")
                    _load(server, options.warmup, options)
                for n in range(1, options.rounds + 1):
                    for server in servers:
                        print(f"  {server.name}: round {n}, measuring {options.duration:g} s ...")
                        results[server.name].append(_load(server, options.duration, options))
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            print(f"bench/ceiling.py: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/ceiling.py: interrupted, servers stopped", file=sys.stderr)
            return 130
        log_lines = sum(
            1
            for line in (root / "platform.log").read_text().splitlines()
            if '"vergabe.access"' in line
        )
    _report(options, results, log_lines, load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
