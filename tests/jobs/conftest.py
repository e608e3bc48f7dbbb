"""Fixtures for the job tests: probe effects, an in-process job process, broker clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pika
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.jobs.models import Job
from infra.settings import Settings
from tests.jobs.probe_actors import ACTORS as PROBE_ACTORS
from tests.jobs.probe_actors import PROBE_METADATA, probe_effects
from workers import ACTORS
from workers.process import JobProcess

Predicate = Callable[[], Awaitable[bool]]


async def eventually(predicate: Predicate, what: str, timeout: float = 60.0) -> None:
    """Wait (bounded) until ``predicate`` holds: for work done by other threads or processes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def _drop_broker_namespace(settings: Settings) -> Iterator[None]:
    """Remove this run's queues from RabbitMQ or Redis at the end."""
    yield
    kind, url, namespace = settings.broker.kind, settings.broker.url, settings.broker.namespace
    if kind == "rabbitmq":
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        for queue in ("default", "default.DQ", "default.XQ"):
            channel.queue_delete(f"{namespace}-{queue}")
        connection.close()
    elif kind == "redis":
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
async def probe_table(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(PROBE_METADATA.create_all)
    yield
    async with engine.begin() as connection:
        await connection.execute(probe_effects.delete())


@pytest.fixture
def effects(
    sessions: async_sessionmaker[AsyncSession], probe_table: None
) -> Callable[[str], Awaitable[int]]:
    """How many committed effects a key has."""

    async def count(key: str) -> int:
        async with sessions() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(probe_effects)
                    .where(probe_effects.c.key == key)
                )
                or 0
            )

    return count


@pytest.fixture
def job_state(sessions: async_sessionmaker[AsyncSession]) -> Callable[[str], Awaitable[Job | None]]:
    """The job with a dedupe key, freshly read."""

    async def read(dedupe_key: str) -> Job | None:
        async with sessions() as session:
            return await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))

    return read


@pytest.fixture
async def job_process(
    settings: Settings, clock: ManualClock, probe_table: None
) -> AsyncIterator[JobProcess]:
    """A started worker on this run's broker, knowing the probe actors; no scheduler loop."""
    process = JobProcess(
        settings,
        clock,
        worker=True,
        scheduler=False,
        actors=ACTORS + PROBE_ACTORS,
        periodic=(),
    )
    await process.start()
    yield process
    await process.stop()
