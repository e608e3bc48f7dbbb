"""Logins per second through the real API, and the CPU cost of one password hash.

Starts the platform as ``vergabe api`` would (production settings, SQLite in a temporary data
directory, JSON access log), creates one verified account, then has ``wrk`` post correct
logins to ``/api/v1/auth/login`` for a while and reports logins/s with latencies. Each login
verifies an argon2id hash, writes a session and an audit event. Separately, in this process,
it measures the CPU time of hashing and of verifying one password with the platform's
parameters (``infra/identity/passwords.py``).

    .venv/bin/python bench/login.py [--duration 10] [--connections 4] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HOST, environment, free_port, migrate, tail
from ceiling import _server, parse_wrk

from infra.clock import SystemClock
from infra.db.engine import create_engine, session_factory
from infra.identity.admin import create_user
from infra.identity.passwords import hash_password, verify_password
from infra.settings import load_settings

EMAIL = "bench@example.de"
PASSWORD = "Benchmark-Weserbogen-Kranhaus"
BODY = json.dumps({"email": EMAIL, "password": PASSWORD})
LUA = f"""
wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""


def hash_cost(samples: int) -> tuple[float, float]:
    """Median CPU milliseconds to hash and to verify one password."""
    hashes, verifies = [], []
    stored = hash_password(PASSWORD)
    for _ in range(samples):
        start = time.process_time()
        hash_password(PASSWORD)
        hashes.append((time.process_time() - start) * 1000)
        start = time.process_time()
        verify_password(stored, PASSWORD)
        verifies.append((time.process_time() - start) * 1000)
    return statistics.median(hashes), statistics.median(verifies)


async def _create_account(env: dict[str, str]) -> None:
    settings = load_settings(env)
    engine = create_engine(settings.database)
    try:
        async with session_factory(engine)() as session, session.begin():
            await create_user(
                session,
                SystemClock(),
                email=EMAIL,
                name="Bench Mark",
                password=PASSWORD,
                platform_admin=False,
            )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 s of load, 5 hash samples")
    args = parser.parse_args(argv)
    duration = 3.0 if args.quick else args.duration
    samples = 5 if args.quick else args.samples
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench/login.py needs wrk (Debian package 'wrk')", file=sys.stderr)
        return 3

    hashing, verifying = hash_cost(samples)
    with tempfile.TemporaryDirectory(prefix="vergabe-bench-") as tmp:
        data, log, script = Path(tmp) / "data", Path(tmp) / "platform.log", Path(tmp) / "login.lua"
        script.write_text(LUA)
        port = free_port()
        env = environment(data, port)
        migrate(env, log)
        asyncio.run(_create_account(env))
        with _server(["platform"], env, port, log):
            done = subprocess.run(
                [
                    wrk,
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{duration:g}s",
                    "--timeout",
                    "10s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://{HOST}:{port}/api/v1/auth/login",
                ],
                capture_output=True,
                text=True,
                timeout=duration + 60,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed:\n{done.stderr}{done.stdout}\n{tail(log)}")
        result = parse_wrk(done.stdout)
        if result.non_2xx:
            raise RuntimeError(f"{result.non_2xx} logins were refused:\n{tail(log)}")

    print(f"argon2id (t=3, m=32 MiB, p=1) CPU per hash:   {hashing:6.1f} ms  (median of {samples})")
    print(f"argon2id CPU per verification:             {verifying:6.1f} ms")
    print(
        f"logins/s through the API (1 process, {args.connections} connections, {duration:g} s): "
        f"{result.requests_per_second:,.1f}"
    )
    print(
        f"login latency p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
        f"{result.requests:,} logins"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
