"""Housekeeping: purge what the platform no longer needs to keep.

Finished jobs after their retention period, temporary uploads after their time to live,
sessions past their absolute or idle expiry, used or expired one-time tokens, and login
throttles whose window has passed. Failed jobs are kept until an administrator has looked at
them. Run hourly by the scheduler.
"""

from __future__ import annotations

__all__ = ["PurgeReport", "purge_expired"]

from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.repository import IdentityRepository
from infra.jobs.repository import JobRepository
from infra.settings import Settings
from infra.storage import Storage


class PurgeReport(msgspec.Struct, frozen=True):
    """What one housekeeping run removed."""

    jobs: int
    temp_files: int
    sessions: int = 0
    tokens: int = 0
    throttles: int = 0


async def purge_expired(session: AsyncSession, clock: Clock, settings: Settings) -> PurgeReport:
    """Delete finished jobs past retention and stale temporary uploads."""
    now = clock.now()
    jobs = await JobRepository(session).purge_finished(
        now - timedelta(days=settings.jobs.finished_retention_days)
    )
    temp_files = Storage(settings.storage.root).purge_temp(
        now - timedelta(hours=settings.storage.temp_ttl_hours)
    )
    identity = IdentityRepository(session)
    sessions = await identity.purge_sessions(
        expired_before=now, idle_before=now - timedelta(minutes=settings.sessions.idle_minutes)
    )
    tokens = await identity.purge_one_time_tokens(before=now - timedelta(days=1))
    throttles = await identity.purge_throttles(before=now - timedelta(days=1))
    return PurgeReport(
        jobs=jobs, temp_files=temp_files, sessions=sessions, tokens=tokens, throttles=throttles
    )
