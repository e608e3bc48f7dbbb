"""A pre-qualification world: two companies, a designated office with two officers, another
authority, each person logged in with their own client; the embedded worker runs the jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity.models import Membership, Organisation, User
from infra.identity.passwords import hash_password
from infra.settings import Settings
from prequalification.models import PrequalificationOffice
from tests.infra.identity.conftest import PASSWORD
from tests.jobs.conftest import eventually
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.support import LoopClient
from workers.process import JobProcess

PASSWORD_HASH = hash_password(PASSWORD)
SIGNER = "Alice Muster"
"""The name in the test PKI's qualified signer certificate: the company's owner is her."""


@dataclass
class World:
    organisations: dict[str, uuid.UUID]
    clients: dict[str, LoopClient]
    emails: dict[str, str]
    worker: JobProcess
    engine: AsyncEngine
    clock: ManualClock

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
        await self.worker.scheduler(self.engine).tick()
        await eventually(done, what)


async def _organisation(session: AsyncSession, kind: str, name: str, now: datetime) -> uuid.UUID:
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


async def _person(
    session: AsyncSession, email: str, name: str, now: datetime, org: uuid.UUID, role: str
) -> None:
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


@pytest.fixture
def trusted(settings: Settings, pki: TestPki) -> Settings:
    install_test_trust(settings, pki)
    return settings


@pytest.fixture
async def world(
    app: Litestar,
    trusted: Settings,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    clock: ManualClock,
) -> AsyncIterator[World]:
    now = clock.now()
    async with sessions() as session, session.begin():
        orgs = {
            "company": await _organisation(session, "supplier", "Muster Bau GmbH", now),
            "other_company": await _organisation(session, "supplier", "Deichbau AG", now),
            "office": await _organisation(session, "authority", "PQ-Stelle Bremen", now),
            "authority": await _organisation(session, "authority", "Stadt Bremerhaven", now),
        }
        people = {
            "owner": ("owner@musterbau.example", SIGNER, "company", "owner"),
            "member": ("member@musterbau.example", "Max Muster", "company", "member"),
            "stranger": ("owner@deichbau.example", "Dora Deich", "other_company", "owner"),
            "officer": ("officer@pq.bremen.example", "Olga Prüfer", "office", "officer"),
            "officer2": ("officer2@pq.bremen.example", "Otto Zweit", "office", "officer"),
            "other_officer": ("officer@bremerhaven.example", "Ole Fremd", "authority", "officer"),
        }
        for email, name, org, role in people.values():
            await _person(session, email, name, now, orgs[org], role)
        session.add(PrequalificationOffice(organisation_id=orgs["office"], designated_at=now))
    process = JobProcess(trusted, clock, worker=True, scheduler=False, periodic=())
    await process.start()
    stack = AsyncExitStack()
    clients: dict[str, LoopClient] = {}
    for role, (email, _name, _org, _role) in people.items():
        client = await stack.enter_async_context(LoopClient(app, lifespan=False))
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        clients[role] = client
    clients["anonymous"] = await stack.enter_async_context(LoopClient(app, lifespan=False))
    try:
        async with stack:
            yield World(
                organisations=orgs,
                clients=clients,
                emails={role: spec[0] for role, spec in people.items()},
                worker=process,
                engine=engine,
                clock=clock,
            )
    finally:
        await process.stop()


def answers_all_no() -> dict[str, Any]:
    from prequalification.exclusion import GROUND_CODES

    return {"answers": [{"code": code, "applies": False} for code in GROUND_CODES]}
