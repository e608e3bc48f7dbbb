"""Fixtures of the web tests: live servers for the browser tests and the browser itself.

The live server is the real app (``create_app(settings)``) served by uvicorn on a free port of
127.0.0.1, in a background thread with an event loop of its own; it is started once per run and
only when a browser test asks for it. :func:`server_with_jobs` is the same with the embedded job
process (worker and scheduler, as ``vergabe run`` starts them), so that mails queued by a page
are delivered into the development mailbox by the real job pipeline; it has a database and a
broker namespace of its own, so that its scheduler never touches the jobs of other tests, and
lives for one test module. Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pika
import pytest
import redis
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, async_playwright
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine

from infra.app import create_app
from infra.clock import ManualClock, SystemClock
from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.settings import Settings, load_settings
from tests.web.identity_factories import World
from workers.process import JobProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Server(uvicorn.Server):
    """A uvicorn server that reports when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def _free_port() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    return listener


@contextmanager
def _serving(app: Litestar, listener: socket.socket) -> Iterator[None]:
    """Serve ``app`` on ``listener`` in a background thread until the block ends."""
    server = _Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))

    def serve() -> None:
        try:
            server.run(sockets=[listener])
        finally:
            server.ready.set()

    thread = threading.Thread(target=serve, name="live-server", daemon=True)
    thread.start()
    assert server.ready.wait(timeout=60), "the live server did not start"
    assert server.started, "the live server failed to start"
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listener.close()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The base URL of the app served over real HTTP."""
    listener = _free_port()
    with _serving(create_app(settings), listener):
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@dataclass(frozen=True)
class JobServer:
    """A live server with the embedded job process, and access to its own database."""

    url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def _database_of_its_own(server_url: str, directory: Path, name: str) -> AsyncIterator[str]:
    """A fresh database next to the run's: a SQLite file, or a PostgreSQL database."""
    if server_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{directory / 'vergabe.sqlite3'}"
        return
    url = make_url(server_url)
    admin = sa_create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def _drop_broker_namespace(settings: Settings) -> None:
    """Remove the server's queues from RabbitMQ or Redis (the in-process broker has none)."""
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


@pytest.fixture(scope="module")
async def server_with_jobs(
    base_environment: dict[str, str], run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[JobServer]:
    """The app as ``vergabe run`` serves it: with worker and scheduler, mail to the mailbox."""
    listener = _free_port()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    data_dir = tmp_path_factory.mktemp("web-jobs")
    name = f"vergabe_{run_id}_web"
    async with _database_of_its_own(base_environment["VERGABE_DATABASE_URL"], data_dir, name) as db:
        settings = load_settings(
            {
                **base_environment,
                "VERGABE_DATA_DIR": str(data_dir),
                "VERGABE_DATABASE_URL": db,
                "VERGABE_BROKER_NAMESPACE": f"{run_id}-web",
                "VERGABE_PUBLIC_URL": url,
                "VERGABE_JOB_POLL_INTERVAL": "0.2",
            }
        )
        engine = create_engine(settings.database)
        await migrate.upgrade(engine)
        clock = SystemClock()
        jobs = JobProcess(settings, clock, worker=True, scheduler=True)
        try:
            with _serving(create_app(settings, clock=clock, jobs=jobs), listener):
                yield JobServer(url=url, settings=settings, sessions=session_factory(engine))
        finally:
            await engine.dispose()
            _drop_broker_namespace(settings)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def axe_source(settings: Settings) -> str:
    return (Path(settings.assets_dir) / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def world(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, settings: Settings
) -> World:
    """The database, clock and settings of the app under test, with ways to fill them."""
    return World(sessions=sessions, clock=clock, settings=settings)
