"""A pre-qualification world: two companies, a designated office with two officers, another
authority, each person logged in with their own client; the embedded worker runs the jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.settings import Settings
from prequalification.models import PrequalificationOffice
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.worlds import World, world_of
from tests.worlds import organisation as _organisation
from tests.worlds import person as _person

__all__ = ["SIGNER", "World", "_organisation", "_person", "answers_all_no"]
SIGNER = "Alice Muster"
"""The name in the test PKI's qualified signer certificate: the company's owner is her."""


@pytest.fixture
def trusted(settings: Settings, pki: TestPki) -> Settings:
    install_test_trust(settings, pki)
    return settings


ORGANISATIONS = {
    "company": ("supplier", "Muster Bau GmbH"),
    "other_company": ("supplier", "Deichbau AG"),
    "office": ("authority", "PQ-Stelle Bremen"),
    "authority": ("authority", "Stadt Bremerhaven"),
}
PEOPLE = {
    "owner": ("owner@musterbau.example", SIGNER, "company", "owner"),
    "member": ("member@musterbau.example", "Max Muster", "company", "member"),
    "stranger": ("owner@deichbau.example", "Dora Deich", "other_company", "owner"),
    "officer": ("officer@pq.bremen.example", "Olga Prüfer", "office", "officer"),
    "officer2": ("officer2@pq.bremen.example", "Otto Zweit", "office", "officer"),
    "other_officer": ("officer@bremerhaven.example", "Ole Fremd", "authority", "officer"),
}


async def _designate(session: AsyncSession, orgs: Mapping[str, uuid.UUID], now: datetime) -> None:
    session.add(PrequalificationOffice(organisation_id=orgs["office"], designated_at=now))


@pytest.fixture
async def world(
    app: Litestar,
    trusted: Settings,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    clock: ManualClock,
) -> AsyncIterator[World]:
    async with world_of(
        app,
        trusted,
        sessions,
        engine,
        clock,
        organisations=ORGANISATIONS,
        people=PEOPLE,
        setup=_designate,
    ) as world:
        yield world


def answers_all_no() -> dict[str, Any]:
    from prequalification.exclusion import GROUND_CODES

    return {"answers": [{"code": code, "applies": False} for code in GROUND_CODES]}
