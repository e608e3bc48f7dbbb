"""The bid rush bench's world and its checks (part of ``bench/bid_rush.py``).

:func:`seed` writes, in a migrated database, a contracting authority with an officer, published
tenders and the suppliers: organisations, each with an owner and a login session.

- The tenders are made through the service layer, as the officer's requests make them
  (``authoring.create_draft``, ``authoring.add_document``, ``publication.publish``): a national
  works tender (``public-tender``, two lots, price and quality, pre-qualification scope
  ``works``/``45`` and evidence ``liability-insurance``, as ``content()`` of
  ``tests/procurement/test_tenders.py``) with its deadlines weeks ahead, since publishing checks
  the minimum periods. The rush tender's deadline is moved just before the rush
  (:func:`move_deadline`).
- The suppliers are inserted in bulk (one statement per table), as ``tests/worlds.py`` makes
  its people: every owner shares one argon2 hash of a random password nobody uses, and the
  session is written as the login writes it, without 500 password checks.

:func:`check` reads back what a tender holds after the rush: submissions with their receipt
time, the receipt jobs in the outbox, the receipt mails, the documents and whether their sealed
files are on disk.

Imported by ``bench/bid_rush.py``, which puts the project first on the import path.
"""

from __future__ import annotations

__all__ = ["Stored", "Supplier", "World", "check", "move_deadline", "seed"]

import io
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import msgspec
from sqlalchemy import insert

from infra.db.engine import create_engine, session_factory
from infra.identity.models import Membership, Organisation, Role, User
from infra.identity.models import Session as LoginSession
from infra.identity.passwords import hash_password
from infra.identity.principal import OrgRole, Principal
from infra.identity.secrets import new_secret
from infra.settings import load_settings
from procurement.tenders import authoring, publication
from procurement.tenders.schemas import TenderContent

TENDER_DOCUMENT = b"%PDF-1.7\n" + b"Leistungsverzeichnis " * 200 + b"\n%%EOF\n"
_RECEIPT_IN_MAIL = re.compile(r"Eingangsnummer: (\S+)")


@dataclass(frozen=True, slots=True)
class Supplier:
    organisation_id: str
    email: str
    cookie: str
    """The value of the ``vergabe_session`` cookie."""


@dataclass(frozen=True, slots=True)
class World:
    authority_id: str
    tenders: list[str]
    tender_numbers: list[str]
    suppliers: list[Supplier]
    seconds: float


@dataclass(frozen=True, slots=True)
class Stored:
    """What a tender holds after the rush."""

    deadline: datetime
    submissions: dict[str, tuple[str, datetime, str]]
    """Submission id -> receipt number, receipt time, organisation id."""
    receipt_jobs: set[str]
    """Submission ids with a ``procurement.seal_receipt`` job in the outbox."""
    mailed: set[str]
    """Receipt numbers named by a receipt mail."""
    documents: dict[str, list[tuple[str, int, bool]]]
    """Organisation id -> its bid's documents: id, sealed size, whether the file is there with
    that size."""
    orphan_files: int
    """Files in the tender's bid directory that no document row names."""


def tender_content(now: datetime, number: int) -> TenderContent:
    """The tender of ``tests/procurement/test_tenders.py:content()``, deadlines from ``now``."""
    submission = now + timedelta(days=45)
    return msgspec.convert(
        {
            "title": f"Neubau Grundschule Am Deich: Rohbau ({number})",
            "description": "Rohbauarbeiten für den Neubau einer dreizügigen Grundschule.",
            "procedure": "public-tender",
            "contract_kind": "works",
            "estimated_value": "850000.00",
            "cpv_codes": ["45210000-2", "45223220-4"],
            "nuts_code": "DE501",
            "clarification_deadline": (submission - timedelta(days=10)).isoformat(),
            "submission_deadline": submission.isoformat(),
            "binding_until": (submission + timedelta(days=60)).date().isoformat(),
            "lots": [
                {"title": "Rohbau", "estimated_value": "700000.00", "cpv_codes": ["45210000-2"]},
                {"title": "Gerüst", "estimated_value": "150000.00", "cpv_codes": ["45262100-2"]},
            ],
            "criteria": [
                {"name": "Preis", "kind": "price", "weight": 70, "method": "lowest-price-ratio"},
                {
                    "name": "Bauablaufkonzept",
                    "kind": "quality",
                    "weight": 30,
                    "method": "points",
                    "max_points": 10,
                },
            ],
            "pq_categories": ["works"],
            "pq_divisions": ["45"],
            "evidence_types": ["liability-insurance"],
        },
        TenderContent,
    )


def _supplier_rows(
    count: int, now: datetime, password_hash: str, session_hours: int
) -> tuple[dict[str, list[dict[str, object]]], list[Supplier]]:
    rows: dict[str, list[dict[str, object]]] = {
        "organisations": [],
        "users": [],
        "memberships": [],
        "sessions": [],
    }
    suppliers = []
    for n in range(1, count + 1):
        organisation_id, user_id = uuid.uuid4(), uuid.uuid4()
        email = f"inhaber{n:04d}@bieter{n:04d}.example"
        cookie, id_hash = new_secret()
        rows["organisations"].append(
            {
                "id": organisation_id,
                "kind": "supplier",
                "legal_name": f"Bieter {n:04d} Bau GmbH",
                "street": f"Am Deich {n}",
                "postal_code": "28195",
                "city": "Bremen",
                "country": "DE",
                "register_court": "Bremen",
                "register_number": f"HRB {40000 + n}",
                "vat_id": None,
                "contact_email": f"info@bieter{n:04d}.example",
                "created_at": now,
            }
        )
        rows["users"].append(
            {
                "id": user_id,
                "email": email,
                "name": f"Inhaberin {n:04d}",
                "password_hash": password_hash,
                "email_verified_at": now,
                "is_platform_admin": False,
                "language": "de",
                "created_at": now,
            }
        )
        rows["memberships"].append(
            {
                "user_id": user_id,
                "organisation_id": organisation_id,
                "role": Role.OWNER,
                "created_at": now,
            }
        )
        rows["sessions"].append(
            {
                "id_hash": id_hash,
                "user_id": user_id,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=session_hours),
                "second_factor_pending": False,
            }
        )
        suppliers.append(Supplier(str(organisation_id), email, cookie))
    return rows, suppliers


async def seed(env: Mapping[str, str], *, suppliers: int, tenders: int) -> World:
    """The authority, its officer, ``tenders`` published tenders and ``suppliers`` suppliers."""
    began = datetime.now(UTC)
    settings = load_settings(env)
    engine = create_engine(settings.database)
    password_hash = hash_password(secrets.token_urlsafe(24))
    try:
        async with session_factory(engine)() as session, session.begin():
            now = datetime.now(UTC)
            authority_id, officer_id = uuid.uuid4(), uuid.uuid4()
            session.add(
                Organisation(
                    id=authority_id,
                    kind="authority",
                    legal_name="Freie Hansestadt Bremen, Immobilien Bremen",
                    street="Theodor-Heuss-Allee 14",
                    postal_code="28215",
                    city="Bremen",
                    country="DE",
                    contact_email="vergabe@immobilien.bremen.example",
                    created_at=now,
                )
            )
            session.add(
                User(
                    id=officer_id,
                    email="officer@immobilien.bremen.example",
                    name="Olga Vergabe",
                    password_hash=password_hash,
                    email_verified_at=now,
                    is_platform_admin=False,
                    language="de",
                    created_at=now,
                )
            )
            await session.flush()
            session.add(
                Membership(
                    user_id=officer_id,
                    organisation_id=authority_id,
                    role=Role.OFFICER,
                    created_at=now,
                )
            )
            rows, people = _supplier_rows(
                suppliers, now, password_hash, settings.sessions.max_hours
            )
            for model, key in (
                (Organisation, "organisations"),
                (User, "users"),
                (Membership, "memberships"),
                (LoginSession, "sessions"),
            ):
                await session.execute(insert(model), rows[key])
            officer = Principal(
                kind="user",
                user_id=officer_id,
                email="officer@immobilien.bremen.example",
                name="Olga Vergabe",
                memberships={authority_id: OrgRole(kind="authority", role=Role.OFFICER)},
            )
            files = authoring.DocumentFiles(settings.storage.root)
            ids, numbers = [], []
            for n in range(1, tenders + 1):
                tender = await authoring.create_draft(
                    session,
                    profile=settings.profile,
                    authority_id=authority_id,
                    content=tender_content(now, n),
                    by=officer,
                    now=now,
                )
                await authoring.add_document(
                    session,
                    files=files,
                    tender=tender,
                    title="Leistungsverzeichnis",
                    filename="leistungsverzeichnis.pdf",
                    media_type="application/pdf",
                    stream=io.BytesIO(TENDER_DOCUMENT),
                    limit=settings.signatures.max_document_bytes,
                    replaces=None,
                    by=officer,
                    now=now,
                )
                await publication.publish(
                    session,
                    profile=settings.profile,
                    tender=tender,
                    version=tender.version,
                    by=officer,
                    now=now,
                )
                ids.append(str(tender.id))
                numbers.append(tender.number)
    finally:
        await engine.dispose()
    return World(
        authority_id=str(authority_id),
        tenders=ids,
        tender_numbers=numbers,
        suppliers=people,
        seconds=(datetime.now(UTC) - began).total_seconds(),
    )


async def move_deadline(url: str, tender_id: str, deadline: datetime) -> None:
    """Move the published tender's submission deadline to ``deadline``.

    A direct UPDATE, not an amendment: publishing checks the minimum periods (weeks), and an
    amendment may only extend a deadline. The questions close a day before it, as they would
    have. The closing job written at publication stays due at the old deadline; no scheduler
    runs during the bench, and a submission is decided by the deadline on the tender row
    (``drafting.open_tender``), never by that job.
    """
    connection = await asyncpg.connect(url)
    try:
        done = await connection.execute(
            "UPDATE tenders SET submission_deadline = $2, clarification_deadline = $3 "
            "WHERE id = $1 AND status = 'published'",
            uuid.UUID(tender_id),
            deadline,
            deadline - timedelta(days=1),
        )
    finally:
        await connection.close()
    if done != "UPDATE 1":
        raise RuntimeError(f"the deadline of tender {tender_id} was not moved ({done})")


async def check(url: str, tender_id: str, storage: Path) -> Stored:
    """Read back what the tender ``tender_id`` holds."""
    tender = uuid.UUID(tender_id)
    connection = await asyncpg.connect(url)
    try:
        deadline = await connection.fetchval(
            "SELECT submission_deadline FROM tenders WHERE id = $1", tender
        )
        submissions = {
            str(row["id"]): (row["receipt_number"], row["received_at"], str(row["org"]))
            for row in await connection.fetch(
                "SELECT s.id, s.receipt_number, s.received_at, b.organisation_id AS org "
                "FROM bid_submissions s JOIN bids b ON b.id = s.bid_id WHERE s.tender_id = $1",
                tender,
            )
        }
        receipt_jobs = {
            row["dedupe_key"].removeprefix("bid-receipt:")
            for row in await connection.fetch(
                "SELECT dedupe_key FROM jobs WHERE actor = 'procurement.seal_receipt' "
                "AND dedupe_key LIKE 'bid-receipt:%'"
            )
        }
        mailed = {
            match.group(1)
            for row in await connection.fetch("SELECT body FROM mails")
            if (match := _RECEIPT_IN_MAIL.search(row["body"]))
        }
        rows = await connection.fetch(
            "SELECT d.id, d.stored_bytes, b.organisation_id AS org FROM bid_documents d "
            "JOIN bids b ON b.id = d.bid_id WHERE d.tender_id = $1 AND d.removed_at IS NULL",
            tender,
        )
    finally:
        await connection.close()
    directory = storage / "bids" / tender_id
    on_disk = {path.name: path.stat().st_size for path in directory.glob("*")}
    documents: dict[str, list[tuple[str, int, bool]]] = {}
    for row in rows:
        document_id = str(row["id"])
        there = on_disk.get(document_id) == row["stored_bytes"]
        documents.setdefault(str(row["org"]), []).append((document_id, row["stored_bytes"], there))
    named = {str(row["id"]) for row in rows}
    return Stored(
        deadline=deadline,
        submissions=submissions,
        receipt_jobs=receipt_jobs,
        mailed=mailed,
        documents=documents,
        orphan_files=sum(1 for name in on_disk if name not in named),
    )
