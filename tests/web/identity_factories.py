"""Factories for the identity page tests: companies, people, mails, and filling in forms.

Companies and people are made through the identity services (the same code the pages call),
so a test sets up its world in a few lines and spends its requests on the page under test.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pyotp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import Clock
from infra.identity import admin, registration
from infra.identity.models import Membership, User
from infra.identity.schemas import CompanyRegistration
from infra.identity.secrets import seal_secret
from infra.mail.models import Mail
from infra.settings import Settings

PASSWORD = "Weserwehr-Fahrradkeller-Nordwind"
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_-]{20,})")
VAT_IDS = {1: "DE136695976", 2: "DE811128135", 3: "DE813331589"}


def company(n: int = 1, **overrides: str) -> dict[str, str]:
    """The sign-up form of company ``n`` (distinct register number, VAT ID and owner)."""
    data = {
        "legal_name": f"Hafenbau {n} GmbH",
        "street": "Am Wall 1",
        "postal_code": "28195",
        "city": "Bremen",
        "contact_email": f"info@hafenbau{n}.example",
        "register_court": "Bremen",
        "register_number": f"HRB {1000 + n}",
        "vat_id": VAT_IDS[n],
        "owner_name": f"Hanna Hafen{n}",
        "owner_email": f"owner{n}@hafenbau{n}.example",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


@dataclass(frozen=True)
class Company:
    organisation_id: uuid.UUID
    owner_id: uuid.UUID
    owner_email: str
    owner_name: str
    legal_name: str


@dataclass
class World:
    """The database, clock and settings the app under test uses, and ways to fill them."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings

    async def company(self, n: int = 1, *, verified: bool = True) -> Company:
        """A registered company whose owner has (or has not) confirmed the address."""
        data = company(n)
        async with self.sessions() as session, session.begin():
            done = await registration.register_company(
                session,
                self.clock,
                self.settings,
                msgspec.convert(data, CompanyRegistration),
            )
            if verified:
                user = await session.get(User, done.user_id)
                assert user is not None
                user.email_verified_at = self.clock.now()
        return Company(
            organisation_id=done.organisation_id,
            owner_id=done.user_id,
            owner_email=data["owner_email"],
            owner_name=data["owner_name"],
            legal_name=data["legal_name"],
        )

    async def person(
        self,
        email: str,
        name: str = "Kai Kran",
        *,
        member_of: uuid.UUID | None = None,
        role: str = "member",
        platform_admin: bool = False,
    ) -> uuid.UUID:
        """A confirmed account, optionally a member of an organisation already."""
        async with self.sessions() as session, session.begin():
            user_id = await admin.create_user(
                session,
                self.clock,
                email=email,
                name=name,
                password=PASSWORD,
                platform_admin=platform_admin,
            )
            if member_of is not None:
                session.add(
                    Membership(
                        user_id=user_id,
                        organisation_id=member_of,
                        role=role,
                        created_at=self.clock.now(),
                    )
                )
        return user_id

    async def second_factor(self, user_id: uuid.UUID) -> str:
        """Switch the user's second factor on; returns the TOTP secret."""
        secret = pyotp.random_base32()
        async with self.sessions() as session, session.begin():
            user = await session.get(User, user_id)
            assert user is not None
            user.totp_secret = seal_secret(self.settings.secret_key, secret)
            user.totp_enabled_at = self.clock.now()
        return secret

    def code(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.clock.now())

    async def last_mail(self, to: str, containing: str = "") -> Mail:
        """The newest mail to ``to`` (whose body contains ``containing``)."""
        query = (
            select(Mail)
            .where(Mail.to_address == to, Mail.body.contains(containing))
            .order_by(Mail.created_at.desc())
        )
        async with self.sessions() as session:
            mail = (await session.scalars(query)).first()
        assert mail is not None, f"no mail to {to}"
        return mail

    async def mails_to(self, to: str) -> int:
        async with self.sessions() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(Mail).where(Mail.to_address == to)
                )
                or 0
            )

    async def count(self, model: Any, *where: Any) -> int:
        async with self.sessions() as session:
            return int(
                await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
            )

    async def role_of(self, user_id: uuid.UUID, organisation_id: uuid.UUID) -> str | None:
        async with self.sessions() as session:
            membership = await session.get(Membership, (user_id, organisation_id))
            return membership.role if membership else None


def token_in(body: str) -> str:
    """The token of the link in a mail."""
    found = _LINK_TOKEN.search(body)
    assert found, body
    return found.group(1)


async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    """Open ``path`` like a browser and return the CSRF token of its forms."""
    response = await client.get(path, follow_redirects=False)
    found = _CSRF.search(response.text)
    assert found, f"{path} has no form with a CSRF token ({response.status_code})"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient,
    action: str,
    data: dict[str, Any],
    *,
    page: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send the form on ``page`` (default: ``action``) to ``action`` with its CSRF token."""
    token = await csrf_token(client, page or action)
    return await client.post(
        action, data={**data, "_csrf_token": token}, headers=headers, follow_redirects=False
    )


async def log_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_path: str = ""
) -> httpx.Response:
    """Log in through the login form, as somebody else than before."""
    client.cookies.clear()
    response = await submit(
        client, "/login", {"email": email, "password": password, "next": next_path}
    )
    assert response.status_code == 303, response.text
    return response


COLLEAGUE = "kai@hafenbau1.example"
SUMMARY = 'role="alert"'


def field_in_error(html: str, field_id: str) -> bool:
    """Whether the field is marked invalid and described by its error message."""
    tag = re.search(rf'<(?:input|select|fieldset)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    return 'aria-invalid="true"' in tag.group(0) and f"{field_id}-error" in tag.group(0)


def summary_links(html: str) -> list[str]:
    """The fields the error summary links to."""
    start = html.index(SUMMARY)
    block = html[start : html.index("</ul>", start)]
    return re.findall(r'href="#([^"]+)"', block)
