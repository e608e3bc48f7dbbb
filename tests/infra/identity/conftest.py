"""Identity test helpers: register companies, read their mail, log in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.mail.models import Mail

PASSWORD = "Weserwehr-Fahrradkeller-Nordwind"
Client = AsyncTestClient[Litestar]


def company(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid registration of company ``n`` (distinct register number, VAT id and owner)."""
    vat_ids = {1: "DE136695976", 2: "DE811128135", 3: "DE813331584"}
    data = {
        "legal_name": f"Hafenbau {n} GmbH",
        "street": "Am Wall 1",
        "postal_code": "28195",
        "city": "Bremen",
        "contact_email": f"info@hafenbau{n}.example",
        "owner_name": f"Hanna Hafen{n}",
        "owner_email": f"owner{n}@hafenbau{n}.example",
        "password": PASSWORD,
        "register_court": "Bremen",
        "register_number": f"HRB {1000 + n}",
        "vat_id": vat_ids[n],
    }
    data.update(overrides)
    return data


@pytest.fixture
def last_mail(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[..., Awaitable[Mail]]:
    """The newest mail to an address, optionally the newest whose body contains a text.

    (With the clock standing still several mails share one time, so tests that send more than
    one mail to an address say which one they mean.)
    """

    async def read(to: str, containing: str | None = None) -> Mail:
        query = select(Mail).where(Mail.to_address == to).order_by(Mail.created_at.desc())
        if containing is not None:
            query = query.where(Mail.body.contains(containing))
        async with sessions() as session:
            mail = (await session.scalars(query)).first()
        assert mail is not None, f"no mail to {to}"
        return mail

    return read


def token_in(body: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_-]{20,})", body)
    assert match, body
    return match.group(1)


async def registered_and_verified(
    client: Client, last_mail: Callable[[str], Awaitable[Mail]], n: int = 1
) -> dict[str, Any]:
    """Register company ``n``, confirm its owner's address; returns the registration answer."""
    data = company(n)
    response = await client.post("/api/v1/registrations", json=data)
    assert response.status_code == 201, response.text
    mail = await last_mail(data["owner_email"])
    verified = await client.post("/api/v1/auth/verify-email", json={"token": token_in(mail.body)})
    assert verified.status_code == 204, verified.text
    return {**response.json(), **data}


async def logged_in(client: Client, email: str, password: str = PASSWORD) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
