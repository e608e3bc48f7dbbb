"""Broker set-up: Dramatiq on the in-process stub, RabbitMQ or Redis, chosen by URL.

The broker only carries job ids. Dramatiq's own retries are off because the outbox retries
(visible and movable in the database). :func:`ping` answers the readiness probe.
"""

from __future__ import annotations

__all__ = ["BrokerUnavailable", "build_broker", "ping", "queue_name"]

import asyncio
from collections.abc import Sequence
from typing import Any

import dramatiq
import pika
import redis
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from infra.jobs.runner import JobRunner
from infra.jobs.specs import ActorSpec
from infra.settings import BrokerSettings

PING_TIMEOUT_SECONDS = 2.0


class BrokerUnavailable(Exception):
    """The broker cannot be reached."""


class _RunnerLifecycle(Middleware):
    """Closes the runner's database engine inside the worker's event loop before it stops."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = get_event_loop_thread()
        if thread is not None:
            thread.run_coroutine(self.runner.close())


def queue_name(settings: BrokerSettings, queue: str) -> str:
    """The broker queue of a logical queue, prefixed by the instance's namespace."""
    return f"{settings.namespace}-{queue}"


def build_broker(
    settings: BrokerSettings, specs: Sequence[ActorSpec[Any]], runner: JobRunner
) -> dramatiq.Broker:
    """A broker with one Dramatiq actor per spec, each handing its job id to ``runner``."""
    middleware = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=0),
        AsyncIO(),
        _RunnerLifecycle(runner),
    ]
    broker: dramatiq.Broker
    if settings.kind == "memory":
        broker = StubBroker(middleware=middleware)
    elif settings.kind == "rabbitmq":
        broker = RabbitmqBroker(url=settings.url, middleware=middleware, confirm_delivery=True)
    else:
        broker = RedisBroker(url=settings.url, middleware=middleware, namespace=settings.namespace)
    for spec in specs:
        dramatiq.Actor(
            _deliver(runner),
            broker=broker,
            actor_name=spec.name,
            queue_name=queue_name(settings, spec.queue),
            priority=0,
            options={"max_retries": 0},
        )
    return broker


def _deliver(runner: JobRunner) -> Any:
    async def deliver(job_id: str) -> None:
        await runner.run(job_id)

    return deliver


async def ping(settings: BrokerSettings) -> None:
    """Check that the broker answers; raises :class:`BrokerUnavailable` if not."""
    if settings.kind == "memory":
        return
    try:
        await asyncio.wait_for(
            asyncio.to_thread(_ping_blocking, settings), PING_TIMEOUT_SECONDS + 1
        )
    except (OSError, TimeoutError, pika.exceptions.AMQPError, redis.RedisError) as exc:
        raise BrokerUnavailable(f"{settings.kind} unreachable: {type(exc).__name__}") from exc


def _ping_blocking(settings: BrokerSettings) -> None:
    if settings.kind == "rabbitmq":
        parameters = pika.URLParameters(settings.url)
        parameters.socket_timeout = PING_TIMEOUT_SECONDS
        parameters.blocked_connection_timeout = PING_TIMEOUT_SECONDS
        parameters.connection_attempts = 1
        pika.BlockingConnection(parameters).close()
    else:
        client = redis.Redis.from_url(
            settings.url,
            socket_timeout=PING_TIMEOUT_SECONDS,
            socket_connect_timeout=PING_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
