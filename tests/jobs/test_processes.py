"""The job guarantees with real processes: several schedulers and workers, kill and drain.

With the in-process broker a "worker process" is ``vergabe worker --scheduler`` (the embedded
mode, where the broker lives inside the process); with RabbitMQ or Redis schedulers and workers
are separate ``vergabe scheduler`` and ``vergabe worker`` processes. After a worker is killed,
the test releases the orphaned job itself with its clock moved past the lease.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock, SystemClock
from infra.jobs import outbox
from infra.jobs.models import Job, JobState
from infra.settings import Settings
from tests.jobs.conftest import eventually
from tests.jobs.probe_actors import ACTORS as PROBE_ACTORS
from tests.jobs.probe_actors import Hold, Record, probe_effects
from workers import ACTORS
from workers.process import JobProcess

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
VERGABE = str(Path(sys.executable).parent / "vergabe")
PROBES = ["--actors", "tests.jobs.probe_actors"]

Effects = Callable[[str], Awaitable[int]]
JobState_ = Callable[[str], Awaitable[Job | None]]


@dataclass
class Processes:
    """Child processes of one test, stopped at its end; their output kept for failures."""

    env: dict[str, str]
    logs: Path
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{len(self.children)}-{args[0]}.log").open("wb")
        child = subprocess.Popen(
            [VERGABE, *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(child)
        return child

    def log_of(self, child: subprocess.Popen[bytes]) -> str:
        index = self.children.index(child)
        (path,) = self.logs.glob(f"{index}-*.log")
        return path.read_text(errors="replace")

    def stop_all(self) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)


@pytest.fixture
def processes(
    environment: dict[str, str], tmp_path: Path, probe_table: None
) -> Iterator[Processes]:
    env = {
        **os.environ,
        **environment,
        "PYTHONPATH": str(ROOT),
        "VERGABE_JOB_POLL_INTERVAL": "0.2",
        "VERGABE_LOG_FORMAT": "text",
    }
    group = Processes(env=env, logs=tmp_path)
    yield group
    group.stop_all()
    for path in sorted(tmp_path.glob("*.log")):
        print(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")


def _start_workers(
    processes: Processes, settings: Settings, count: int
) -> list[subprocess.Popen[bytes]]:
    if settings.broker.kind == "memory":
        return [processes.start("worker", "--scheduler", *PROBES) for _ in range(count)]
    return [processes.start("worker", *PROBES) for _ in range(count)]


def _recovery(settings: Settings, clock: ManualClock, *, worker: bool) -> JobProcess:
    return JobProcess(
        settings, clock, worker=worker, scheduler=False, actors=ACTORS + PROBE_ACTORS, periodic=()
    )


async def _all_done(sessions: async_sessionmaker[AsyncSession], count: int) -> bool:
    async with sessions() as session:
        states = (
            await session.scalars(select(Job.state).where(Job.actor.startswith("probe.")))
        ).all()
    return len(states) == count and all(state == JobState.DONE for state in states)


class TestManyProcesses:
    async def test_due_jobs_run_exactly_once_with_two_schedulers_and_two_workers(
        self,
        processes: Processes,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        effects: Effects,
    ) -> None:
        # Given 40 due jobs
        clock = SystemClock()
        async with sessions() as session, session.begin():
            for n in range(40):
                await outbox.enqueue(
                    session,
                    "probe.record",
                    Record(key=f"job-{n}"),
                    run_at=clock.now(),
                    now=clock.now(),
                    dedupe_key=f"job-{n}",
                )

        # When two schedulers and two workers run at once
        if settings.broker.kind == "memory":
            _start_workers(processes, settings, 2)  # each also schedules
        else:
            processes.start("scheduler", *PROBES)
            processes.start("scheduler", *PROBES)
            _start_workers(processes, settings, 2)
        await eventually(lambda: _all_done(sessions, 40), "all 40 jobs done", timeout=120)

        # Then each job's effect committed exactly once
        assert [await effects(f"job-{n}") for n in range(40)] == [1] * 40
        async with sessions() as session:
            attempts = (
                await session.scalars(select(Job.attempts).where(Job.actor == "probe.record"))
            ).all()
        assert set(attempts) == {1}


class TestKilledWorker:
    async def test_job_whose_worker_is_killed_mid_run_runs_again_and_completes_once(
        self,
        processes: Processes,
        settings: Settings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        effects: Effects,
        job_state: JobState_,
        tmp_path: Path,
    ) -> None:
        # Given workers, and a job that writes its effect and then holds inside its transaction
        workers = _start_workers(processes, settings, 1 if settings.broker.kind == "memory" else 2)
        hold = tmp_path / "hold"
        hold.touch()
        clock = SystemClock()
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                "probe.hold",
                Hold(key="killed", hold=str(hold)),
                run_at=clock.now(),
                now=clock.now(),
                dedupe_key="killed",
            )
        if settings.broker.kind != "memory":
            await (
                _recovery(settings, ManualClock(clock.now()), worker=False).scheduler(engine).tick()
            )
        started = Path(f"{hold}.started")
        await eventually(lambda: _exists(started), "the job started")

        # When the worker running it is killed with SIGKILL
        pid = int(started.read_text())
        (victim,) = [w for w in workers if w.pid == pid]
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        hold.unlink()

        # Then its uncommitted effect is gone, and once the lease has run out the job is
        # released again, runs on a surviving worker and completes once
        assert await effects("killed") == 0
        later = ManualClock(clock.now() + timedelta(seconds=settings.jobs.lease_seconds + 1))
        recovery = _recovery(settings, later, worker=settings.broker.kind == "memory")
        if settings.broker.kind == "memory":
            await recovery.start()
        try:
            # (the killed process's periodic housekeeping job may come back with it)
            assert await recovery.scheduler(engine).tick() >= 1
            await eventually(lambda: _state_is(job_state, "killed", JobState.DONE), "re-run done")
        finally:
            if settings.broker.kind == "memory":
                await recovery.stop()
        job = await job_state("killed")
        assert job is not None
        assert job.attempts == 2
        assert await effects("killed") == 1
        async with sessions() as session:
            pids = (await session.scalars(select(probe_effects.c.pid))).all()
        assert pid not in pids


class TestGracefulStop:
    async def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(
        self,
        processes: Processes,
        settings: Settings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        effects: Effects,
        job_state: JobState_,
        tmp_path: Path,
    ) -> None:
        (worker,) = _start_workers(processes, settings, 1)
        hold = tmp_path / "hold"
        hold.touch()
        clock = SystemClock()
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                "probe.hold",
                Hold(key="drained", hold=str(hold)),
                run_at=clock.now(),
                now=clock.now(),
                dedupe_key="drained",
            )
        if settings.broker.kind != "memory":
            await (
                _recovery(settings, ManualClock(clock.now()), worker=False).scheduler(engine).tick()
            )
        await eventually(lambda: _exists(Path(f"{hold}.started")), "the job started")

        # When the worker is told to stop while the job runs, and the job then finishes
        worker.send_signal(signal.SIGTERM)
        await eventually(
            lambda: _contains(processes.log_of(worker), "signal received, draining"),
            "the worker began draining",
        )
        hold.unlink()

        # Then the worker exits cleanly after the job has completed
        assert worker.wait(timeout=60) == 0
        job = await job_state("drained")
        assert job is not None
        assert job.state == JobState.DONE
        assert await effects("drained") == 1


async def _exists(path: Path) -> bool:
    return path.exists()


async def _contains(text: str, needle: str) -> bool:
    return needle in text


async def _state_is(job_state: JobState_, key: str, state: JobState) -> bool:
    job = await job_state(key)
    return job is not None and job.state == state
