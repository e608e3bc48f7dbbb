"""Demo data for a local instance: an authority with officers, two suppliers with staff.

DEMO CREDENTIALS, for development only: every demo account has the password
:data:`DEMO_PASSWORD`; ``vergabe demo`` refuses to run in production. Seeding is idempotent:
what exists already (by e-mail address or organisation name) is left as it is. Later domains
add their own steps (tenders, applications) in the command line's composition.
"""

from __future__ import annotations

__all__ = ["DEMO_PASSWORD", "seed_identity"]

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.models import Membership, Organisation, User
from infra.identity.passwords import hash_password_async

DEMO_PASSWORD = "Demo-Passwort-Bremen-2026"  # noqa: S105 - demo accounts of a local instance

ORGANISATIONS = (
    ("authority", "Immobilien Bremen AöR (Demo)", "Theodor-Heuss-Allee 14", "28215", None, None),
    ("supplier", "Weserbau GmbH (Demo)", "Hafenstraße 12", "28217", "HRB 90001", "DE136695976"),
    ("supplier", "Nordlicht Elektro KG (Demo)", "Am Deich 5", "28199", "HRA 90002", "DE811128135"),
)
PEOPLE = (
    ("admin@immobilien.demo", "Amelie Admin", 0, "admin"),
    ("officer@immobilien.demo", "Otto Officer", 0, "officer"),
    ("officer2@immobilien.demo", "Olga Officer", 0, "officer"),
    ("evaluator@immobilien.demo", "Eva Evaluator", 0, "evaluator"),
    ("owner@weserbau.demo", "Wilma Weser", 1, "owner"),
    ("member@weserbau.demo", "Max Meister", 1, "member"),
    ("owner@nordlicht.demo", "Nils Nordlicht", 2, "owner"),
)


async def seed_identity(session: AsyncSession, clock: Clock) -> list[str]:
    """Create the demo organisations and people that do not exist yet; returns what it made."""
    now = clock.now()
    created: list[str] = []
    organisation_ids: list[uuid.UUID] = []
    for kind, name, street, postal_code, register, vat_id in ORGANISATIONS:
        existing = await session.scalar(select(Organisation).where(Organisation.legal_name == name))
        if existing is None:
            existing = Organisation(
                id=uuid.uuid4(),
                kind=kind,
                legal_name=name,
                street=street,
                postal_code=postal_code,
                city="Bremen",
                country="DE",
                register_court="Bremen" if register else None,
                register_number=register,
                vat_id=vat_id,
                contact_email=f"info@{name.split()[0].lower()}.demo",
                created_at=now,
            )
            session.add(existing)
            created.append(f"organisation {name}")
        organisation_ids.append(existing.id)
    await session.flush()
    password_hash = await hash_password_async(DEMO_PASSWORD)
    for email, name, organisation, role in PEOPLE:
        if await session.scalar(select(User).where(User.email == email)) is not None:
            continue
        user = User(
            id=uuid.uuid4(),
            email=email,
            name=name,
            password_hash=password_hash,
            email_verified_at=now,
            is_platform_admin=False,
            language="de",
            created_at=now,
        )
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                user_id=user.id,
                organisation_id=organisation_ids[organisation],
                role=role,
                created_at=now,
            )
        )
        created.append(f"{role} {email}")
    return created
