"""Liveness and readiness probes: ready means database migrated and jobs able to run.

The apps here open their own engine on the test database (``engine`` is requested so that it
is migrated and emptied): Litestar's test client serves them in an event loop of its own, where
the session's PostgreSQL connections cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.app import create_app
from infra.clock import ManualClock
from infra.settings import Settings, load_settings
from tests.support import LoopClient
from workers.process import JobProcess

PROBLEM = "application/problem+json"


def _memory(environment: dict[str, str], **variables: str) -> Settings:
    """The test deployment on the in-process broker (whatever the suite's broker is)."""
    return load_settings(environment | {"VERGABE_BROKER_URL": "memory://"} | variables)


@pytest.fixture
def memory_settings(environment: dict[str, str]) -> Settings:
    return _memory(environment)


def _checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in body["checks"]}


class TestLive:
    async def test_answers_200_while_serving(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.get("/health/live")

        assert response.status_code == 200
        assert response.json() == {"status": "live"}


class TestReady:
    @pytest.mark.usefixtures("engine")
    async def test_given_memory_broker_without_embedded_jobs_then_503_naming_the_broker(
        self, memory_settings: Settings, clock: ManualClock
    ) -> None:
        # Given an app on the in-process broker but without the process that would run jobs
        app = create_app(memory_settings, clock=clock)

        # When
        async with LoopClient(app) as client:
            response = await client.get("/health/ready")

        # Then
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == 503
        assert body["detail"] == "Not ready: broker"
        assert body["trace_id"] == response.headers["x-request-id"]
        checks = _checks(body)
        assert checks["database"]["ok"] is True
        assert checks["broker"] == {
            "name": "broker",
            "ok": False,
            "detail": "embedded worker not running",
        }

    @pytest.mark.usefixtures("engine")
    async def test_given_a_started_job_process_then_200_and_stopped_with_the_app(
        self, memory_settings: Settings, clock: ManualClock
    ) -> None:
        # Given the embedded worker and scheduler, started and stopped by the app's lifespan
        jobs = JobProcess(memory_settings, clock, worker=True, scheduler=True)
        app = create_app(memory_settings, clock=clock, jobs=jobs)

        # When
        async with LoopClient(app) as client:
            assert jobs.alive
            response = await client.get("/health/ready")

        # Then
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ready"
        assert {name: check["ok"] for name, check in _checks(body).items()} == {
            "database": True,
            "broker": True,
        }
        assert not jobs.alive

    async def test_given_an_unmigrated_database_then_503_naming_the_database(
        self, environment: dict[str, str], clock: ManualClock, tmp_path: Path
    ) -> None:
        # Given the app on a new SQLite file that was never migrated
        settings = _memory(environment, VERGABE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db")
        jobs = JobProcess(settings, clock, worker=True, scheduler=False)
        app = create_app(settings, clock=clock, jobs=jobs)

        async with LoopClient(app) as client:
            response = await client.get("/health/ready")

        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["detail"] == "Not ready: database"
        database = _checks(body)["database"]
        assert database["ok"] is False
        assert database["detail"].startswith("migrations at none, code at ")
        assert _checks(body)["broker"]["ok"] is True

    async def test_given_an_unreachable_database_then_503_naming_the_database(
        self, environment: dict[str, str], clock: ManualClock
    ) -> None:
        # Given a PostgreSQL URL on a port where nothing listens
        settings = _memory(
            environment, VERGABE_DATABASE_URL="postgresql+asyncpg://vergabe@127.0.0.1:1/vergabe"
        )
        app = create_app(settings, clock=clock)

        async with LoopClient(app) as client:
            response = await client.get("/health/ready")

        assert response.status_code == 503
        database = _checks(response.json())["database"]
        assert database["ok"] is False
        assert database["detail"].startswith("unreachable: ")

    @pytest.mark.usefixtures("engine")
    async def test_given_a_check_that_raises_then_503_not_500(
        self, environment: dict[str, str], clock: ManualClock
    ) -> None:
        # Given a broker URL the settings accept but the broker client refuses to parse
        settings = _memory(environment, VERGABE_BROKER_URL="amqp://127.0.0.1:1/?heartbeat=often")
        app = create_app(settings, clock=clock)

        async with LoopClient(app) as client:
            response = await client.get("/health/ready")

        assert response.status_code == 503
        broker = _checks(response.json())["broker"]
        assert broker == {"name": "broker", "ok": False, "detail": "failed: ValueError"}
