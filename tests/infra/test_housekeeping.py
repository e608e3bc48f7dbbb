"""Housekeeping purges finished jobs past retention and stale temporary uploads, nothing else."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.housekeeping import PurgeReport, purge_expired
from infra.jobs.models import Job, JobState
from infra.settings import Settings, load_settings
from infra.storage import Storage


@pytest.fixture
def settings_here(environment: dict[str, str], tmp_path: Path) -> Settings:
    """The test deployment with its document storage in this test's directory."""
    return load_settings(environment | {"VERGABE_STORAGE_DIR": str(tmp_path / "documents")})


def _job(state: JobState, finished_at: datetime | None, created_at: datetime) -> Job:
    return Job(
        id=uuid.uuid4(),
        actor="tests.noop",
        payload="{}",
        state=state,
        run_at=created_at,
        attempts=1,
        max_attempts=5,
        created_at=created_at,
        finished_at=finished_at,
    )


def _age(path: Path, moment: datetime) -> None:
    """Make ``path`` look last modified at ``moment``."""
    os.utime(path, (moment.timestamp(), moment.timestamp()))


class TestPurgeExpiredJobs:
    async def test_given_finished_jobs_then_only_done_and_cancelled_past_retention_go(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings_here: Settings,
    ) -> None:
        # Given jobs that finished at the start, and one that finished two days later
        start = clock.now()
        old_done = _job(JobState.DONE, start, start)
        old_cancelled = _job(JobState.CANCELLED, start, start)
        old_failed = _job(JobState.FAILED, start, start)
        pending = _job(JobState.PENDING, None, start)
        recent_done = _job(JobState.DONE, start + timedelta(days=2), start)
        async with sessions() as session, session.begin():
            session.add_all([old_done, old_cancelled, old_failed, pending, recent_done])

        # When the retention has passed for the first ones only
        retention = timedelta(days=settings_here.jobs.finished_retention_days)
        clock.advance(retention + timedelta(hours=1))
        async with sessions() as session, session.begin():
            report = await purge_expired(session, clock, settings_here)

        # Then
        assert report == PurgeReport(jobs=2, temp_files=0)
        async with sessions() as session:
            left = set(await session.scalars(select(Job.id)))
        assert left == {old_failed.id, pending.id, recent_done.id}

    async def test_given_nothing_expired_then_nothing_goes(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings_here: Settings,
    ) -> None:
        done = _job(JobState.DONE, clock.now(), clock.now())
        async with sessions() as session, session.begin():
            session.add(done)

        clock.advance(timedelta(days=settings_here.jobs.finished_retention_days - 1))
        async with sessions() as session, session.begin():
            report = await purge_expired(session, clock, settings_here)

        assert report.jobs == 0
        async with sessions() as session:
            assert await session.get(Job, done.id) is not None


class TestPurgeTemporaryUploads:
    async def test_given_uploads_older_than_the_ttl_then_removed_and_recent_ones_stay(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings_here: Settings,
    ) -> None:
        # Given two temporary uploads, one older and one younger than the TTL, and a document
        storage = Storage(settings_here.storage.root)
        ttl = timedelta(hours=settings_here.storage.temp_ttl_hours)
        stale = storage.write_temp(b"stale part of an upload")
        fresh = storage.write_temp(b"fresh part of an upload")
        document = settings_here.storage.root / "kept.pdf"
        document.write_bytes(b"%PDF-1.7 stored document")
        _age(stale, clock.now() - ttl - timedelta(minutes=1))
        _age(fresh, clock.now() - ttl + timedelta(minutes=1))
        _age(document, clock.now() - 10 * ttl)

        # When
        async with sessions() as session, session.begin():
            report = await purge_expired(session, clock, settings_here)

        # Then
        assert report == PurgeReport(jobs=0, temp_files=1)
        assert not stale.exists()
        assert fresh.read_bytes() == b"fresh part of an upload"
        assert document.exists()

    async def test_given_no_temporary_area_yet_then_nothing_to_purge(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        settings_here: Settings,
    ) -> None:
        async with sessions() as session, session.begin():
            report = await purge_expired(session, clock, settings_here)

        assert report == PurgeReport(jobs=0, temp_files=0)
        assert not Storage(settings_here.storage.root).temp_dir.exists()
