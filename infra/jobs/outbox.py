"""What services call to have work done later: enqueue, move and cancel jobs.

A job is written in the caller's transaction, so a change that rolls back sends nothing and a
change that commits cannot lose its job; the scheduler releases it to the broker when due
(DESIGN.md §5). Jobs are named by actor name and carry a msgspec struct of ids.
"""

from __future__ import annotations

__all__ = ["cancel", "enqueue", "move"]

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.jobs.repository import JobRepository

DEFAULT_MAX_ATTEMPTS = 5


async def enqueue(
    session: AsyncSession,
    actor: str,
    payload: msgspec.Struct,
    *,
    run_at: datetime,
    now: datetime,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> bool:
    """Write a job for ``actor`` due at ``run_at`` in the session's transaction.

    Returns:
        ``False`` when a job with the same ``dedupe_key`` exists (nothing is written).
    """
    return await JobRepository(session).add(
        actor=actor,
        payload=msgspec.json.encode(payload).decode(),
        run_at=run_at,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
        now=now,
    )


async def move(session: AsyncSession, dedupe_key: str, run_at: datetime) -> bool:
    """Move a job that has not started to ``run_at``; ``False`` if there is none."""
    return await JobRepository(session).move(dedupe_key, run_at)


async def cancel(session: AsyncSession, dedupe_key: str, now: datetime) -> bool:
    """Cancel a job that has not started; ``False`` if there is none."""
    return await JobRepository(session).cancel(dedupe_key, now)
