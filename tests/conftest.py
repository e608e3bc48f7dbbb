"""Fixtures shared by the whole suite.

The suite runs on SQLite with the in-process broker by default. ``VERGABE_TEST_DATABASE_URL``
(a PostgreSQL server URL) and ``VERGABE_TEST_BROKER_URL`` (``amqp://…`` or ``redis://…``) switch
it to the real services: each run then works in a database and a queue namespace of its own,
removed at the end. Every test gets a clean database and a :class:`ManualClock`.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.stores.registry import StoreRegistry
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine

from infra.app import create_app
from infra.clock import ManualClock
from infra.db import migrate
from infra.db.base import Base
from infra.db.engine import create_engine, session_factory
from infra.settings import Settings, load_settings
from signatures.trust import TrustedList, TrustStore, build_trust_store
from tests.signatures.pki import PKI_NOW, TestPki, build_test_pki
from tests.signatures.trusted_list import TEST_LIST_ISSUED_AT, install_test_trust, make_trusted_list
from tests.support import LoopClient

# DEVELOPMENT/TEST KEY, generated per run: never a production secret.
TEST_SECRET_KEY = "test-only-" + secrets.token_urlsafe(32)

TEST_START = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
"""Friday before the switch to summer time (29 March 2026), 10:00 in Berlin."""


def pytest_report_header() -> list[str]:
    database = os.environ.get("VERGABE_TEST_DATABASE_URL", "sqlite (per run)")
    broker = os.environ.get("VERGABE_TEST_BROKER_URL", "memory:// (in-process)")
    return [
        f"vergabe: database {make_url(database).render_as_string(hide_password=True)}"
        if "://" in database
        else f"vergabe: database {database}",
        f"vergabe: broker {broker}",
    ]


BACKEND_FIXTURES = frozenset({"database_server", "broker_url"})
"""A test whose fixtures reach neither of these runs the same on every database and broker."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` run only against PostgreSQL (on SQLite they are deselected,
    not skipped: there is nothing missing to hide). With ``VERGABE_TEST_BACKENDS_ONLY=1`` (CI's
    runs on PostgreSQL with RabbitMQ or Redis, beside the whole suite on SQLite) only the tests
    that use the database or the broker run: the others cannot tell one backend from another."""
    on_postgresql = bool(os.environ.get("VERGABE_TEST_DATABASE_URL"))
    backends_only = os.environ.get("VERGABE_TEST_BACKENDS_ONLY") == "1"

    def left_out(item: pytest.Item) -> bool:
        if item.get_closest_marker("postgresql") and not on_postgresql:
            return True
        return backends_only and not BACKEND_FIXTURES & set(getattr(item, "fixturenames", ()))

    deselected = [item for item in items if left_out(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not left_out(item)]


@pytest.fixture(scope="session")
def run_id() -> str:
    """Unique per test run: names the run's database and queue namespace."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def database_server() -> str | None:
    """The PostgreSQL server the run works on (``VERGABE_TEST_DATABASE_URL``); None on SQLite."""
    return os.environ.get("VERGABE_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
async def database_url(
    database_server: str | None, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    server = database_server
    if not server:
        path = tmp_path_factory.mktemp("db") / "vergabe.sqlite3"
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = make_url(server)
    admin = sa_create_async_engine(url, isolation_level="AUTOCOMMIT")
    name = f"vergabe_{run_id}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
def broker_url() -> str:
    return os.environ.get("VERGABE_TEST_BROKER_URL", "memory://")


@pytest.fixture(scope="session")
def base_environment(
    database_url: str, broker_url: str, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The ``VERGABE_*`` variables of a test deployment (also handed to child processes)."""
    data_dir: Path = tmp_path_factory.mktemp("data")
    return {
        "VERGABE_ENV": "development",
        "VERGABE_DATA_DIR": str(data_dir),
        "VERGABE_SECRET_KEY": TEST_SECRET_KEY,
        "VERGABE_DATABASE_URL": database_url,
        "VERGABE_BROKER_URL": broker_url,
        "VERGABE_BROKER_NAMESPACE": run_id,
        "VERGABE_LOG_FORMAT": "text",
        "VERGABE_LOG_LEVEL": "INFO",
    }


@pytest.fixture(scope="session")
def settings(base_environment: dict[str, str], pki: TestPki) -> Settings:
    settings = load_settings(base_environment)
    install_test_trust(settings, pki)  # every test app trusts the test PKI
    return settings


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after a test that used the database."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture(scope="session")
def _run_clock() -> ManualClock:
    return ManualClock(TEST_START)


@pytest.fixture
def clock(_run_clock: ManualClock) -> ManualClock:
    """The run's one manual clock, set back to :data:`TEST_START` for every test (one object,
    so that the app is built once per run)."""
    _run_clock.set(TEST_START)
    return _run_clock


@pytest.fixture(scope="session")
def _run_app(settings: Settings, _run_clock: ManualClock, engine: AsyncEngine) -> Litestar:
    return create_app(settings, clock=_run_clock, engine=engine)


@pytest.fixture
def app(_run_app: Litestar, clock: ManualClock) -> Litestar:
    """The platform's app on the run's database and clock. Built once per run: registering its
    routes takes a third of a second, and besides the database (emptied after every test) it
    keeps only the rate limits' counters, which start afresh here. A test that adds routes
    takes :func:`own_app`."""
    _run_app.stores = StoreRegistry()  # the rate limits count afresh, as in a new app
    return _run_app


@pytest.fixture
def own_app(settings: Settings, clock: ManualClock, engine: AsyncEngine) -> Litestar:
    """An app of the test's own, for a test that registers routes on it."""
    return create_app(settings, clock=clock, engine=engine)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[LoopClient]:
    # No lifespan here: a fixture's setup and teardown run in different tasks, which anyio's
    # cancel scopes refuse; this app has nothing to start (tests with jobs open their own).
    async with LoopClient(app, lifespan=False) as client:
        yield client


@pytest.fixture
def environment(base_environment: dict[str, str]) -> Iterator[dict[str, str]]:
    """A copy of the test deployment's variables a test may change."""
    return dict(base_environment)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """The test PKI (:mod:`tests.signatures.pki`), keys generated once per session."""
    return build_test_pki(tmp_path_factory.mktemp("pki-keys"))


@pytest.fixture(scope="session")
def trusted_list_xml(pki: TestPki) -> bytes:
    """The test PKI's signed trusted list (:mod:`tests.signatures.trusted_list`)."""
    return make_trusted_list(pki, issued_at=TEST_LIST_ISSUED_AT)


@pytest.fixture(scope="session")
def trust(pki: TestPki, trusted_list_xml: bytes) -> TrustStore:
    """Trusts the test PKI through its generated list: the root as qualified CA, ``qtsa`` as
    qualified TSA (``tsa`` chains to the root: valid, not qualified)."""
    tl = TrustedList(trusted_list_xml, (pki.cert("tlso"),), source="test trusted list")
    return build_trust_store(trusted_lists=(tl,), at=PKI_NOW)
