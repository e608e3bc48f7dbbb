"""Demo data for a local instance: the people, and what the domains' demo steps share.

DEMO CREDENTIALS, for development only: every demo account has the password
:data:`DEMO_PASSWORD`; ``vergabe demo`` refuses to run in production. Seeding is idempotent:
what exists already (by e-mail address or organisation name) is left as it is. The domains add
their own steps (``prequalification.demo``, ``procurement.demo``) in the command line's
composition; they act as the people made here (:func:`demo_principal`), through their own
service functions, and attach the documents :func:`demo_pdf` writes.
"""

from __future__ import annotations

__all__ = [
    "AUTHORITY",
    "DEMO_PASSWORD",
    "EVALUATOR",
    "OFFICER",
    "OFFICER2",
    "PEOPLE",
    "PQ_OFFICE",
    "PQ_OFFICER",
    "SUPPLIERS",
    "demo_organisation",
    "demo_pdf",
    "demo_principal",
    "seed_identity",
]

import uuid

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import Clock
from infra.identity.models import Membership, Organisation, User
from infra.identity.passwords import hash_password_async
from infra.identity.principal import OrgRole, Principal
from infra.identity.repository import IdentityRepository

DEMO_PASSWORD = "Demo-Passwort-Bremen-2026"  # noqa: S105 - demo accounts of a local instance

AUTHORITY = "Immobilien Bremen AöR (Demo)"
PQ_OFFICE = "Präqualifizierungsstelle Bremen (Demo)"
SUPPLIERS = (
    ("Weserbau GmbH (Demo)", "owner@weserbau.demo"),
    ("Nordlicht Elektro KG (Demo)", "owner@nordlicht.demo"),
    ("Hanse Dach & Fassade GmbH (Demo)", "owner@hansedach.demo"),
)
"""The companies (legal name, the owner who acts for them)."""
OFFICER = "officer@immobilien.demo"
OFFICER2 = "officer2@immobilien.demo"
EVALUATOR = "evaluator@immobilien.demo"
PQ_OFFICER = "pruefung@pq.demo"

# kind, legal name, street, postal code, register number, VAT id, contact e-mail
ORGANISATIONS = (
    ("authority", AUTHORITY, "Theodor-Heuss-Allee 14", "28215", None, None, "info@immobilien.demo"),
    (
        "supplier",
        SUPPLIERS[0][0],
        "Hafenstraße 12",
        "28217",
        "HRB 90001",
        "DE136695976",
        "info@weserbau.demo",
    ),
    (
        "supplier",
        SUPPLIERS[1][0],
        "Am Deich 5",
        "28199",
        "HRA 90002",
        "DE811128135",
        "info@nordlicht.demo",
    ),
    ("authority", PQ_OFFICE, "Zweite Schlachtpforte 3", "28195", None, None, "info@pq.demo"),
    (
        "supplier",
        SUPPLIERS[2][0],
        "Überseetor 20",
        "28217",
        "HRB 90003",
        "DE812345608",
        "info@hansedach.demo",
    ),
)
PEOPLE = (
    ("admin@immobilien.demo", "Amelie Admin", 0, "admin"),
    (OFFICER, "Otto Officer", 0, "officer"),
    (OFFICER2, "Olga Officer", 0, "officer"),
    (EVALUATOR, "Eva Evaluator", 0, "evaluator"),
    ("owner@weserbau.demo", "Wilma Weser", 1, "owner"),
    ("member@weserbau.demo", "Max Meister", 1, "member"),
    ("owner@nordlicht.demo", "Nils Nordlicht", 2, "owner"),
    (PQ_OFFICER, "Paula Prüfer", 3, "officer"),
    ("owner@hansedach.demo", "Hanna Hanse", 4, "owner"),
)


async def seed_identity(session: AsyncSession, clock: Clock) -> list[str]:
    """Create the demo organisations and people that do not exist yet; returns what it made."""
    now = clock.now()
    created: list[str] = []
    organisation_ids: list[uuid.UUID] = []
    for kind, name, street, postal_code, register, vat_id, email in ORGANISATIONS:
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
                contact_email=email,
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
    await session.flush()
    return created


async def demo_organisation(session: AsyncSession, legal_name: str) -> uuid.UUID:
    """The id of a demo organisation (:func:`seed_identity` made it)."""
    found = await session.scalar(
        select(Organisation.id).where(Organisation.legal_name == legal_name)
    )
    if found is None:
        raise LookupError(f"demo organisation {legal_name!r} is missing: seed the identity first")
    return found


async def demo_principal(session: AsyncSession, email: str) -> Principal:
    """A demo person as a request of theirs would see them: a user with their memberships."""
    repo = IdentityRepository(session)
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(f"demo user {email!r} is missing: seed the identity first")
    return Principal(
        kind="user",
        user_id=user.id,
        email=user.email,
        name=user.name,
        memberships={
            m.organisation_id: OrgRole(kind=o.kind, role=m.role)
            for m, o in await repo.memberships_of_user(user.id)
        },
    )


def demo_pdf(title: str, *paragraphs: str) -> bytes:
    """A one-page PDF with a title and paragraphs (Latin-1 text: write "EUR", not the sign)."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("OpenVergabe demo")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, title)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for paragraph in (*paragraphs, "Beispieldokument der Demo-Daten, ohne rechtliche Wirkung."):
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(2)
    return bytes(pdf.output())
