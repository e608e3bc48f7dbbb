"""Actors used only by the job tests; a worker process loads them with ``--actors``.

Each effect is a row in ``probe_effects`` written in the job's own transaction, so counting rows
per key tells how often a job's work really committed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from infra.jobs.specs import ActorSpec, JobContext

PROBE_METADATA = MetaData()
probe_effects = Table(
    "probe_effects",
    PROBE_METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
)
HOLD_LIMIT_SECONDS = 120


class Record(msgspec.Struct, frozen=True):
    key: str


class Fail(msgspec.Struct, frozen=True):
    key: str


class Hold(msgspec.Struct, frozen=True):
    """Write the effect, say so in ``<hold>.started``, then wait while ``hold`` exists."""

    key: str
    hold: str


async def _effect(context: JobContext, key: str) -> None:
    await context.session.execute(
        insert(probe_effects).values(key=key, pid=os.getpid(), attempt=context.attempt)
    )


async def _record(context: JobContext, payload: Record) -> None:
    await _effect(context, payload.key)


async def _fail(context: JobContext, payload: Fail) -> None:
    await _effect(context, payload.key)  # rolled back with the failure
    raise RuntimeError(f"probe failure for {payload.key}")


async def _hold(context: JobContext, payload: Hold) -> None:
    await _effect(context, payload.key)
    hold = Path(payload.hold)
    Path(f"{payload.hold}.started").write_text(str(os.getpid()))
    for _ in range(HOLD_LIMIT_SECONDS * 20):
        if not hold.exists():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("hold file never removed")


RECORD = ActorSpec(name="probe.record", payload_type=Record, fn=_record)
FAIL = ActorSpec(name="probe.fail", payload_type=Fail, fn=_fail)
HOLD = ActorSpec(name="probe.hold", payload_type=Hold, fn=_hold)
ACTORS: tuple[ActorSpec[Any], ...] = (RECORD, FAIL, HOLD)
