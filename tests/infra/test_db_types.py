"""``UTCDateTime``: instants only, stored in UTC and handed back aware, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import msgspec
import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.db.base import UTCDateTime
from infra.jobs import outbox
from infra.jobs.models import Job
from infra.jobs.repository import JobRepository

BERLIN = ZoneInfo("Europe/Berlin")


class Reminder(msgspec.Struct, frozen=True):
    tender_id: int
    days_left: int


async def _enqueue_and_read(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, run_at: datetime, key: str
) -> Job:
    async with sessions() as session, session.begin():
        assert await outbox.enqueue(
            session,
            "tests.reminder",
            Reminder(tender_id=7, days_left=3),
            run_at=run_at,
            now=clock.now(),
            dedupe_key=key,
        )
    async with sessions() as session:
        found = await JobRepository(session).by_dedupe_key(key)
        assert found is not None
        job_id = found.id
    async with sessions() as session:  # a new session: read from the database, not the cache
        job = await JobRepository(session).get(job_id)
    assert job is not None
    return job


class TestUTCDateTimeType:
    @pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
    def test_given_a_naive_datetime_then_refused(self, dialect: Dialect) -> None:
        with pytest.raises(ValueError, match="naive datetime"):
            UTCDateTime().process_bind_param(datetime(2026, 3, 27, 10, 0), dialect)

    def test_given_sqlite_then_stored_as_utc_wall_time(self) -> None:
        stored = UTCDateTime().process_bind_param(
            datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN), sqlite.dialect()
        )

        assert stored == datetime(2026, 3, 27, 9, 0)

    def test_given_postgresql_then_stored_aware_in_utc(self) -> None:
        stored = UTCDateTime().process_bind_param(
            datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN), postgresql.dialect()
        )

        assert stored == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
        assert stored is not None
        assert stored.utcoffset() == timedelta(0)

    @pytest.mark.parametrize(
        "raw",
        [
            datetime(2026, 3, 27, 9, 0),
            "2026-03-27 09:00:00.000000",
            datetime(2026, 3, 27, 4, 0, tzinfo=timezone(timedelta(hours=-5))),
        ],
    )
    def test_given_what_a_driver_returns_then_an_aware_utc_datetime(self, raw: object) -> None:
        value = UTCDateTime().process_result_value(raw, sqlite.dialect())

        assert value == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
        assert value is not None
        assert value.tzinfo is UTC


class TestUTCDateTimeColumn:
    async def test_given_a_naive_datetime_then_nothing_is_written(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        async with sessions() as session:
            with pytest.raises(StatementError, match="naive datetime"):
                async with session.begin():
                    await outbox.enqueue(
                        session,
                        "tests.reminder",
                        Reminder(tender_id=7, days_left=3),
                        run_at=datetime(2026, 4, 1, 9, 0),
                        now=clock.now(),
                        dedupe_key="naive",
                    )
        async with sessions() as session:
            assert await JobRepository(session).by_dedupe_key("naive") is None

    async def test_given_berlin_summer_time_then_read_back_as_the_same_instant_in_utc(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given 03:30 in Berlin on the night summer time starts (CEST, UTC+2)
        run_at = datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)

        # When written to and read from the jobs table
        job = await _enqueue_and_read(sessions, clock, run_at, "summer")

        # Then
        assert job.run_at == run_at
        assert job.run_at.tzinfo is UTC
        assert job.run_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert job.created_at == clock.now()
        assert job.created_at.tzinfo is UTC
        assert msgspec.json.decode(job.payload, type=Reminder) == Reminder(7, 3)

    async def test_given_the_repeated_hour_in_autumn_then_both_instants_are_kept_apart(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given 02:30 in Berlin twice on 25 October 2026: first CEST, then (fold=1) CET
        first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
        second = first.replace(fold=1)

        # When
        job_first = await _enqueue_and_read(sessions, clock, first, "autumn-1")
        job_second = await _enqueue_and_read(sessions, clock, second, "autumn-2")

        # Then they are one hour apart, as the clocks were
        assert job_first.run_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert job_second.run_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
