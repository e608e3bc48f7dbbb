"""The ``vergabe`` command with the ``VERGABE_*`` variables an operator sets.

Each test gets its own data directory and SQLite file, so migration state is its own; the tests
are about the command, so they stay on SQLite also when the suite runs against PostgreSQL.
What only a real process shows (serving until SIGTERM, exit code and stderr of the installed
script at start-up) runs the console script; the commands' arguments, output, exit codes and
database effects are checked in this process (:func:`tests.support.run_cli`), seconds faster.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.clock import ManualClock
from infra.db.engine import create_engine, session_factory
from infra.jobs import outbox
from infra.jobs.repository import JobRepository
from infra.settings import DatabaseSettings
from tests.support import (
    COMMAND_TIMEOUT,
    VERGABE,
    Result,
    process_environment,
    run_cli,
    vergabe_process,
)

GRACE_SECONDS = 10

Runner = Callable[..., Awaitable[Result]]


async def vergabe(*args: str, env: dict[str, str]) -> Result:
    """``vergabe args`` in this process (see :func:`tests.support.run_cli`)."""
    return run_cli(args, env=env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def cli_env(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A fresh deployment: own data dir, own (un-migrated) SQLite file, in-process broker."""
    return environment | {
        "VERGABE_DATA_DIR": str(tmp_path / "data"),
        "VERGABE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "VERGABE_BROKER_URL": "memory://",
        "VERGABE_LOG_LEVEL": "WARNING",
    }


def _assert_one_line_error(done: Result, starts_with: str) -> None:
    assert done.exit_code == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr_lines) == 1, done.stderr
    assert done.stderr_lines[0].startswith(starts_with)


class TestConfigurationErrors:
    @pytest.mark.parametrize(
        ("command", "runner"),
        [
            # the installed script: nothing else reaches stderr at start-up
            pytest.param(("run",), vergabe_process, id="run-process"),
            pytest.param(("db", "status"), vergabe, id="db-status"),
        ],
    )
    async def test_given_a_port_that_is_no_number_then_exit_2_with_one_line(
        self, cli_env: dict[str, str], command: tuple[str, ...], runner: Runner
    ) -> None:
        done = await runner(*command, env=cli_env | {"VERGABE_PORT": "abc"})

        _assert_one_line_error(done, "vergabe: VERGABE_PORT")

    async def test_given_api_on_the_memory_broker_then_exit_2_naming_the_broker(
        self, cli_env: dict[str, str]
    ) -> None:
        done = await vergabe("api", env=cli_env)

        _assert_one_line_error(done, "vergabe: VERGABE_BROKER_URL")

    async def test_given_worker_on_the_memory_broker_without_scheduler_then_exit_2(
        self, cli_env: dict[str, str]
    ) -> None:
        done = await vergabe("worker", env=cli_env)

        _assert_one_line_error(done, "vergabe: VERGABE_BROKER_URL")

    async def test_given_an_unreachable_database_then_exit_2_naming_the_variable(
        self, cli_env: dict[str, str]
    ) -> None:
        # Given a PostgreSQL URL on a port where nothing listens
        env = cli_env | {"VERGABE_DATABASE_URL": "postgresql+asyncpg://vergabe@127.0.0.1:1/x"}

        # When the installed script is run (a failed connection must not print more at exit)
        done = await vergabe_process("db", "status", env=env)

        _assert_one_line_error(done, "vergabe: database unreachable")
        assert "VERGABE_DATABASE_URL" in done.stderr


class TestProductionCommandsRefuseAnUnmigratedDatabase:
    @pytest.mark.parametrize(
        ("command", "runner"),
        [
            # the installed script refuses at process start; the scheduler takes the same
            # check (_require_migrated) from its own command function, in this process
            pytest.param("worker", vergabe_process, id="worker-process"),
            pytest.param("scheduler", vergabe, id="scheduler"),
        ],
    )
    async def test_given_no_migrations_then_exit_2_asking_for_db_upgrade(
        self, cli_env: dict[str, str], command: str, runner: Runner
    ) -> None:
        env = cli_env | {"VERGABE_BROKER_URL": "redis://127.0.0.1:6379/15"}

        done = await runner(command, env=env)

        _assert_one_line_error(done, "vergabe: database is at migration none")
        assert "run 'vergabe db upgrade'" in done.stderr


class TestDb:
    async def test_status_fails_before_and_passes_after_upgrade(
        self, cli_env: dict[str, str]
    ) -> None:
        # Given a fresh database
        before = await vergabe("db", "status", env=cli_env)
        assert before.exit_code == 1
        found = re.fullmatch(r"current: none  head: (\w+)", before.stdout.strip())
        assert found is not None, before.stdout
        head = found.group(1)

        # When it is upgraded
        upgraded = await vergabe("db", "upgrade", env=cli_env)

        # Then the status is current
        assert upgraded.exit_code == 0, upgraded.stderr
        assert upgraded.stdout.strip() == f"database migrated to {head}"
        after = await vergabe("db", "status", env=cli_env)
        assert after.exit_code == 0
        assert after.stdout.strip() == f"current: {head}  head: {head}"

    async def test_upgrade_twice_changes_nothing_the_second_time(
        self, cli_env: dict[str, str]
    ) -> None:
        first = await vergabe("db", "upgrade", env=cli_env)
        second = await vergabe("db", "upgrade", env=cli_env)

        assert (first.exit_code, second.exit_code) == (0, 0)
        assert second.stdout == first.stdout
        assert (await vergabe("db", "status", env=cli_env)).exit_code == 0


class Ping(msgspec.Struct, frozen=True):
    tender_id: int


def _engine(env: dict[str, str]) -> AsyncEngine:
    return create_engine(DatabaseSettings(url=env["VERGABE_DATABASE_URL"]))


class TestJobsFailed:
    async def test_given_a_fresh_database_then_no_failed_jobs(
        self, cli_env: dict[str, str]
    ) -> None:
        assert (await vergabe("db", "upgrade", env=cli_env)).exit_code == 0

        done = await vergabe("jobs", "failed", env=cli_env)

        assert done.exit_code == 0, done.stderr
        assert done.stdout.strip() == "no failed jobs"

    async def test_given_an_unmigrated_database_then_exit_2_asking_for_db_upgrade(
        self, cli_env: dict[str, str]
    ) -> None:
        done = await vergabe("jobs", "failed", env=cli_env)

        _assert_one_line_error(done, "vergabe: database is at migration none")
        assert "run 'vergabe db upgrade'" in done.stderr

    async def test_given_a_job_that_used_up_its_attempts_then_it_is_listed(
        self, cli_env: dict[str, str], clock: ManualClock
    ) -> None:
        # Given a job whose only attempt failed
        assert (await vergabe("db", "upgrade", env=cli_env)).exit_code == 0
        engine = _engine(cli_env)
        sessions = session_factory(engine)
        now, lease = clock.now(), timedelta(minutes=5)
        try:
            async with sessions() as session, session.begin():
                await outbox.enqueue(
                    session, "tests.ping", Ping(tender_id=42), run_at=now, now=now, max_attempts=1
                )
            async with sessions() as session, session.begin():
                repository = JobRepository(session)
                (released,) = await repository.release_due(now, lease)
                claimed = await repository.claim(released.id, "token", now, lease)
                assert claimed is not None
                error = "Traceback (most recent call last):\n  ...\nLookupError: tender 42 is gone"
                assert await repository.record_failure(claimed.id, "token", now, error, None)
        finally:
            await engine.dispose()

        # When
        done = await vergabe("jobs", "failed", env=cli_env)

        # Then one line with the job, its attempts, when and why it failed
        assert done.exit_code == 0, done.stderr
        (line,) = done.stdout.splitlines()
        assert line.startswith(f"{released.id}  tests.ping  attempts=1  ")
        assert f"failed={now:%Y-%m-%d %H:%M:%S}Z" in line
        assert line.endswith("LookupError: tender 42 is gone")


class TestRun:
    async def test_serves_until_sigterm_then_exits_0_within_the_grace_period(
        self, cli_env: dict[str, str]
    ) -> None:
        # Given the all-in-one process on a free port and a fresh data directory
        port = _free_port()
        env = cli_env | {
            "VERGABE_PORT": str(port),
            "VERGABE_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        }
        process = await asyncio.create_subprocess_exec(
            str(VERGABE),
            "run",
            env=process_environment(env),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        stderr = asyncio.create_task(process.stderr.read())  # drained all along, read at the end
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                # When it has become ready (it migrates and starts its worker first)
                ready = await _poll_ready(http, process, stderr)
                assert ready.json()["status"] == "ready"

                # Then pages, API schema and probes answer
                assert (await http.get("/")).status_code == 200
                schema = await http.get("/schema/openapi.json")
                assert schema.status_code == 200
                assert schema.json()["openapi"].startswith("3.1")
                assert (await http.get("/health/live")).status_code == 200

            # And SIGTERM ends it cleanly within the grace period
            process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.wait_for(process.wait(), GRACE_SECONDS + 5)
            output = (await stderr).decode()
            assert exit_code == 0, output
            assert "Traceback" not in output
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await stderr


async def _poll_ready(
    http: httpx.AsyncClient, process: asyncio.subprocess.Process, stderr: asyncio.Task[bytes]
) -> httpx.Response:
    """Ask ``/health/ready`` until it answers 200, the process dies or the deadline passes."""
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while time.monotonic() < deadline:
        if process.returncode is not None:
            pytest.fail(f"vergabe run ended early: {(await stderr).decode()}")
        try:
            response = await http.get("/health/ready")
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        await asyncio.sleep(0.1)  # polling a starting process, not waiting for domain time
    pytest.fail("vergabe run did not become ready in time")
