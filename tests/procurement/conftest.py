"""A procurement world: a contracting authority with two officers and an evaluator, another
authority with its officer, two companies; each person logged in with a client of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.settings import Settings
from tests.worlds import World, world_of

ORGANISATIONS = {
    "authority": ("authority", "Freie Hansestadt Bremen, Immobilien Bremen"),
    "other_authority": ("authority", "Stadt Bremerhaven"),
    "company": ("supplier", "Muster Bau GmbH"),
    "other_company": ("supplier", "Deichbau AG"),
}
PEOPLE = {
    "officer": ("officer@immobilien.bremen.example", "Olga Vergabe", "authority", "officer"),
    "officer2": ("officer2@immobilien.bremen.example", "Otto Zweit", "authority", "officer"),
    "evaluator": ("evaluator@immobilien.bremen.example", "Eva Wert", "authority", "evaluator"),
    "other_officer": ("officer@bremerhaven.example", "Ole Fremd", "other_authority", "officer"),
    "owner": ("owner@musterbau.example", "Alice Muster", "company", "owner"),
    "member": ("member@musterbau.example", "Max Muster", "company", "member"),
    "stranger": ("owner@deichbau.example", "Dora Deich", "other_company", "owner"),
}


@pytest.fixture
async def world(
    app: Litestar,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    clock: ManualClock,
) -> AsyncIterator[World]:
    async with world_of(
        app, settings, sessions, engine, clock, organisations=ORGANISATIONS, people=PEOPLE
    ) as world:
        yield world
