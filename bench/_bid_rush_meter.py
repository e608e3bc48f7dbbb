"""What the bid rush costs (part of ``bench/bid_rush.py``): CPU seconds of its processes and
the machine, and what the database sessions wait for.

:class:`Meter` takes snapshots of the CPU time (``/proc``) of the servers (with uvicorn's worker
processes), of the PostgreSQL backends serving the run's database, of the server's WAL writer,
checkpointer and background writer, of the bench itself and of the whole machine (busy, iowait,
steal). :class:`WaitSampler` samples ``pg_stat_activity`` of the run's database every 100 ms in
a thread of its own while a phase runs.
"""

from __future__ import annotations

__all__ = ["Meter", "WaitSampler", "workers"]

import asyncio
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from _common import descendants, proc_read

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """User and system CPU seconds of ``pid`` (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def workers(pid: int) -> list[int]:
    """The processes serving for the server ``pid``: its uvicorn workers, or itself."""
    return descendants(pid)[1:] or [pid]


def _postgres_processes(database: str) -> dict[str, list[int]]:
    """The backends serving ``database`` and the server's WAL writer, checkpointer and
    background writer (shared by every database of the cluster)."""
    groups: dict[str, list[int]] = {"postgres backends": [], "postgres WAL/checkpoint": []}
    for pid, cmdline in proc_read("cmdline"):
        command = cmdline.replace(b"\0", b" ").decode(errors="replace")
        if not command.startswith("postgres:"):
            continue
        if f" {database} " in command:
            groups["postgres backends"].append(pid)
        elif any(word in command for word in ("walwriter", "checkpointer", "background writer")):
            groups["postgres WAL/checkpoint"].append(pid)
    return groups


def _machine() -> tuple[float, float, float, float]:
    """Seconds of busy, iowait, steal and all CPU time of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    busy = user + nice + system + irq + softirq
    return (
        busy / CLOCK_TICKS,
        iowait / CLOCK_TICKS,
        steal / CLOCK_TICKS,
        (busy + idle + iowait + steal) / CLOCK_TICKS,
    )


@dataclass
class Meter:
    """CPU seconds of the parts of the run between two snapshots."""

    database: str
    servers: dict[str, list[int]] = field(default_factory=dict)
    """Name -> pids of its server processes (their worker processes are counted with them)."""

    def snapshot(self) -> dict[str, float]:
        groups = {
            name: [pid for parent in pids for pid in descendants(parent)]
            for name, pids in self.servers.items()
        }
        groups.update(_postgres_processes(self.database))
        seconds = {name: sum(_process_cpu(pid) for pid in pids) for name, pids in groups.items()}
        busy, iowait, steal, total = _machine()
        seconds.update(
            {
                "machine busy": busy,
                "machine iowait": iowait,
                "machine steal": steal,
                "machine total": total,
                "bench": sum(os.times()[:2]),
            }
        )
        return seconds


class WaitSampler:
    """Samples what the run's database sessions are doing, every 100 ms, in a thread."""

    def __init__(self, url: str, database: str) -> None:
        self.url, self.database = url, database
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                rows = await connection.fetch(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = "
                    "'client backend'",
                    self.database,
                )
                self.samples += 1
                for row in rows:
                    if row["state"] in ("active", "idle in transaction"):
                        what = row["wait_event_type"] or "CPU"
                        if row["wait_event"]:
                            what += f":{row['wait_event']}"
                        self.counts[f"{row['state']} {what}"] += 1
                await asyncio.sleep(0.1)
        finally:
            await connection.close()
