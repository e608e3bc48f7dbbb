"""What the benches share: the deployment they serve, their PostgreSQL database, their server
processes and their figures.

- :func:`environment` is a production deployment in a temporary data directory (JSON access log
  at INFO, placeholders for the SMTP server, the seal, the timestamp authority and the key of
  sealed bids: nothing is mailed or sealed while measuring); :func:`platform_environment` adds
  a PostgreSQL database and the import path a server started from ``bench/`` needs.
  :func:`migrate` runs ``vergabe db upgrade`` in it.
- :func:`with_database` is the frame of every database bench: a database of its own
  (``vergabe_bench_<random>``) and a temporary directory for the run, the database dropped at the
  end, also after an error or Ctrl-C (unless it is to be kept), the errors said in one line.
- :func:`copy_tables` bulk-loads generated rows with COPY, then ``VACUUM (ANALYZE)``.
- :func:`wait_until_serving` and :func:`stop` start and end a server process (and uvicorn's
  worker processes under it).
- :func:`percentile`, :func:`words` and :func:`weighted` serve the figures and the generated
  data.

Imports nothing of the platform.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_POSTGRES",
    "HOST",
    "PROJECT",
    "Copied",
    "add_database_options",
    "copy_tables",
    "create_database",
    "database_url",
    "descendants",
    "drop_database",
    "environment",
    "free_port",
    "free_ports",
    "migrate",
    "percentile",
    "plain_environment",
    "platform_environment",
    "print_loaded",
    "proc_read",
    "stop",
    "tail",
    "wait_until_serving",
    "weighted",
    "with_database",
    "words",
]

import argparse
import asyncio
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

HOST = "127.0.0.1"
PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LIVE_BODY = b'{"status":"live"}'
"""What ``/health/live`` answers, on the platform as on the bare servers."""


# --- the deployment -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    """``count`` different free ports."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def plain_environment() -> dict[str, str]:
    """The process environment without the caller's ``VERGABE_*`` (for processes that are not
    the platform, and to start a deployment from)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VERGABE_")}


def environment(data_dir: Path, port: int) -> dict[str, str]:
    """The process environment without the caller's ``VERGABE_*``, plus a production deployment."""
    env = plain_environment()
    env.update(
        {
            "VERGABE_ENV": "production",
            # Generated per run and thrown away with the data directory.
            "VERGABE_SECRET_KEY": secrets.token_urlsafe(48),
            "VERGABE_DATA_DIR": str(data_dir),
            "VERGABE_LOG_FORMAT": "json",
            "VERGABE_LOG_LEVEL": "INFO",
            "VERGABE_HOST": HOST,
            "VERGABE_PORT": str(port),
            # Production requires an SMTP server, a seal, a timestamp authority and the key of
            # sealed bids; no mail is sent and nothing is sealed while measuring (the bid rush
            # puts a key of its own here).
            "VERGABE_SMTP_URL": "smtp://127.0.0.1:25",
            "VERGABE_SEAL_PKCS12": str(data_dir / "no-seal-while-measuring.p12"),
            "VERGABE_TSA_URL": "https://tsa.invalid/rfc3161",
            "VERGABE_BID_KEK_FILE": str(data_dir / "no-bid-key-while-measuring.key"),
        }
    )
    return env


def platform_environment(data_dir: Path, port: int, postgres: str, database: str) -> dict[str, str]:
    """:func:`environment` on the PostgreSQL database ``database`` of the server ``postgres``."""
    env = environment(data_dir, port)
    env.update(
        {
            "VERGABE_DATABASE_URL": database_url(postgres, database, "postgresql+asyncpg"),
            # A server started as a script from bench/ would have bench/ first on its path,
            # where bench/signatures.py shadows the signatures package the platform imports:
            # the project as installed instead.
            "PYTHONSAFEPATH": "1",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(PROJECT), os.environ.get("PYTHONPATH")) if p
            ),
        }
    )
    return env


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def migrate(env: dict[str, str], log: Path) -> None:
    """``vergabe db upgrade`` in the deployment ``env``."""
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "infra.cli", "db", "upgrade"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"'vergabe db upgrade' failed:\n{tail(log)}")


# --- server processes ---------------------------------------------------------------------------


def proc_read(name: str) -> Iterator[tuple[int, bytes]]:
    """Every process's pid and its ``/proc/<pid>/<name>`` (those gone meanwhile left out)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / name).read_bytes()
            except OSError:
                continue


def descendants(pid: int) -> list[int]:
    """``pid`` and its children (uvicorn's worker processes)."""
    return [pid] + [
        child for child, stat in proc_read("stat") if int(stat.rsplit(b")", 1)[1].split()[1]) == pid
    ]


def wait_until_serving(
    process: subprocess.Popen[bytes],
    url: str,
    log: Path,
    seconds: float,
    refuse: Callable[[], str | None] | None = None,
) -> None:
    """Until ``url`` answers ``/health/live`` as the platform does; refuses a server that
    exits, that answers something else, or of which ``refuse`` says why (read from its log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log)}")
        if refuse is not None and (reason := refuse()):
            raise RuntimeError(f"{url}: {reason}\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/health/live", timeout=2) as response:
                body = response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
            continue
        if body != LIVE_BODY:
            raise RuntimeError(f"{url}/health/live answered {body!r}, expected {LIVE_BODY!r}")
        return
    raise RuntimeError(f"server not serving {url} after {seconds:.0f} s:\n{tail(log)}")


def stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    """SIGTERM to the server; after ``seconds`` SIGKILL to it and its worker processes."""
    if process.poll() is not None:
        return
    workers = descendants(process.pid)[1:]
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in workers:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- the database -------------------------------------------------------------------------------


def database_url(admin: str, database: str, driver: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))


async def create_database(admin: str, database: str) -> str:
    """Create ``database``; the server's version."""
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{database}"')
        version_: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version_


async def drop_database(admin: str, database: str) -> None:
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """``--keep-db`` and ``--postgres``, for :func:`with_database`."""
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the database at the end (and say its URL)"
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help=f"a database to connect to for creating the run's one ({DEFAULT_POSTGRES})",
    )


def with_database(
    script: str,
    postgres: str,
    keep_db: bool,
    run: Callable[[str, Path, str], int],
    servers: str = "the server is stopped",
) -> int:
    """``run(database, directory, server version)`` on a database of its own and in a temporary
    directory; the database dropped afterwards unless ``keep_db``. Exits 3 when no database can
    be created, 1 after an error, 130 after Ctrl-C (``servers`` says what became of them)."""
    name = f"bench/{script}"
    database = f"vergabe_bench_{secrets.token_hex(4)}"
    try:
        pg_version = asyncio.run(create_database(postgres, database))
    except (OSError, asyncpg.PostgresError) as exc:
        print(
            f"{name}: cannot create a database through {postgres}: {exc}\n"
            "  (start PostgreSQL with 'pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start')",
            file=sys.stderr,
        )
        return 3
    try:
        with tempfile.TemporaryDirectory(prefix="vergabe-bench-") as tmp:
            return run(database, Path(tmp), pg_version)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired, asyncpg.PostgresError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted ({servers})", file=sys.stderr)
        return 130
    finally:
        if keep_db:
            url = database_url(postgres, database, "postgresql+asyncpg")
            print(f"database kept: VERGABE_DATABASE_URL={url}")
        else:
            asyncio.run(drop_database(postgres, database))
            print(f"database {database} dropped")


@dataclass(frozen=True, slots=True)
class Copied:
    copy_seconds: float
    analyze_seconds: float
    rows: dict[str, int]
    table_seconds: dict[str, float]
    """COPY per table."""
    sizes: dict[str, int]
    """Bytes on disk per table, TOAST and indexes included."""


async def copy_tables(
    connection: asyncpg.Connection,
    tables: Mapping[str, Sequence[str]],
    rows: Mapping[str, Sequence[Sequence[Any]]],
    vacuum: str,
) -> Copied:
    """COPY ``rows`` into ``tables`` (name -> columns) in their order, without waiting for the
    WAL to be flushed, then run ``vacuum`` (``VACUUM (ANALYZE ...) tables``)."""
    began = time.perf_counter()
    table_seconds: dict[str, float] = {}
    await connection.execute("SET synchronous_commit = off")
    for table, columns in tables.items():
        begun = time.perf_counter()
        await connection.copy_records_to_table(table, records=rows[table], columns=list(columns))
        table_seconds[table] = time.perf_counter() - begun
    copied = time.perf_counter()
    await connection.execute(vacuum)
    analyzed = time.perf_counter()
    sizes = {
        table: int(await connection.fetchval("SELECT pg_total_relation_size($1)", table))
        for table in tables
    }
    return Copied(
        copy_seconds=copied - began,
        analyze_seconds=analyzed - copied,
        rows={table: len(rows[table]) for table in tables},
        table_seconds=table_seconds,
        sizes=sizes,
    )


def print_loaded(generate_seconds: float, copied: Copied, extra: str = "") -> float:
    """Say how the loading went; the seconds it took."""
    total = generate_seconds + copied.copy_seconds + copied.analyze_seconds
    print(
        f"  loaded in {total:.1f} s: generating {generate_seconds:.1f} s, COPY "
        f"{copied.copy_seconds:.1f} s, VACUUM (ANALYZE) {copied.analyze_seconds:.1f} s"
    )
    print(
        "  rows (COPY s): "
        + ", ".join(
            f"{table} {count:,} ({copied.table_seconds[table]:.1f})"
            for table, count in copied.rows.items()
        )
        + extra
    )
    print(
        "  on disk: "
        + ", ".join(f"{t} {b / 1e6:,.1f} MB" for t, b in copied.sizes.items() if b > 1e6)
    )
    return total


# --- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest rank (NaN without values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def words(text: str) -> tuple[str, ...]:
    """The words of a list written as one string."""
    return tuple(text.split())


def weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    """One of ``choices`` (value, weight)."""
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
