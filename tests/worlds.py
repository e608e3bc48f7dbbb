"""Worlds for the domain tests: organisations, people with roles, each person logged in with a
client of their own, and the embedded worker that runs the jobs when a test releases them.

A domain's conftest names its organisations and people and passes them to :func:`world_of`;
the world is the app under test with the database, the clock and the settings of the run.
"""

from __future__ import annotations

__all__ = ["PASSWORD_HASH", "World", "organisation", "person", "world_of"]

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity.authentication import SESSION_COOKIE
from infra.identity.models import Membership, Organisation, Session, User
from infra.identity.passwords import hash_password
from infra.identity.secrets import new_secret
from infra.settings import Settings
from tests.infra.identity.conftest import PASSWORD
from tests.jobs.conftest import eventually
from tests.support import LoopClient
from workers.process import JobProcess

PASSWORD_HASH = hash_password(PASSWORD)

Setup = Callable[[AsyncSession, Mapping[str, uuid.UUID], datetime], Awaitable[None]]


@dataclass
class World:
    organisations: dict[str, uuid.UUID]
    clients: dict[str, LoopClient]
    emails: dict[str, str]
    worker: JobProcess
    """Started by the first :meth:`run_jobs` (most tests never run a job)."""
    engine: AsyncEngine
    clock: ManualClock
    worker_started: bool = False

    def company_url(self, role: str = "owner", organisation: str = "company") -> str:
        return f"/api/v1/organisations/{self.organisations[organisation]}/pq-applications"

    async def log_in_again(self, *roles: str) -> None:
        """After moving the clock past the session lifetime."""
        for role in roles:
            response = await self.clients[role].post(
                "/api/v1/auth/login", json={"email": self.emails[role], "password": PASSWORD}
            )
            assert response.status_code == 200, response.text

    async def run_jobs(self, done: Callable[[], Awaitable[bool]], what: str) -> None:
        """Release due jobs to the worker and wait (bounded) until ``done``."""
        if not self.worker_started:
            await self.worker.start()
            self.worker_started = True
        await self.worker.scheduler(self.engine).tick()
        await eventually(done, what)


async def organisation(session: AsyncSession, kind: str, name: str, now: datetime) -> uuid.UUID:
    org = Organisation(
        id=uuid.uuid4(),
        kind=kind,
        legal_name=name,
        street="Am Markt 1",
        postal_code="28195",
        city="Bremen",
        country="DE",
        register_court="Bremen" if kind == "supplier" else None,
        register_number=f"HRB {abs(hash(name)) % 90000 + 10000}" if kind == "supplier" else None,
        contact_email=f"info@{name.lower().replace(' ', '')}.example",
        created_at=now,
    )
    session.add(org)
    await session.flush()
    return org.id


async def person(
    session: AsyncSession, email: str, name: str, now: datetime, org: uuid.UUID, role: str
) -> uuid.UUID:
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=name,
        password_hash=PASSWORD_HASH,
        email_verified_at=now,
        is_platform_admin=False,
        language="de",
        created_at=now,
    )
    session.add(user)
    await session.flush()
    session.add(Membership(user_id=user.id, organisation_id=org, role=role, created_at=now))
    return user.id


def logged_in(session: AsyncSession, user_id: uuid.UUID, settings: Settings, now: datetime) -> str:
    """A session of ``user_id`` as the login opens it, without the password check (each
    argon2 verification costs a tenth of a second; the login itself is tested in identity)."""
    token, token_hash = new_secret()
    session.add(
        Session(
            id_hash=token_hash,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.sessions.max_hours),
            second_factor_pending=False,
        )
    )
    return token


@asynccontextmanager
async def world_of(
    app: Litestar,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    clock: ManualClock,
    *,
    organisations: Mapping[str, tuple[str, str]],
    people: Mapping[str, tuple[str, str, str, str]],
    setup: Setup | None = None,
) -> AsyncIterator[World]:
    """A world of ``organisations`` (key: kind, name) and ``people`` (key: email, name,
    organisation key, role), each person logged in; ``setup`` adds what else the domain needs
    in the same transaction."""
    now = clock.now()
    async with sessions() as session, session.begin():
        orgs = {
            key: await organisation(session, kind, name, now)
            for key, (kind, name) in organisations.items()
        }
        tokens = {
            key: logged_in(
                session, await person(session, email, name, now, orgs[org], role), settings, now
            )
            for key, (email, name, org, role) in people.items()
        }
        if setup is not None:
            await setup(session, orgs, now)
    process = JobProcess(settings, clock, worker=True, scheduler=False, periodic=())
    stack = AsyncExitStack()
    clients: dict[str, LoopClient] = {}
    for role, token in tokens.items():
        client = await stack.enter_async_context(LoopClient(app, lifespan=False))
        client.cookies.set(SESSION_COOKIE, token)
        clients[role] = client
    clients["anonymous"] = await stack.enter_async_context(LoopClient(app, lifespan=False))
    world = World(
        organisations=orgs,
        clients=clients,
        emails={role: spec[0] for role, spec in people.items()},
        worker=process,
        engine=engine,
        clock=clock,
    )
    try:
        async with stack:
            yield world
    finally:
        if world.worker_started:
            await process.stop()
