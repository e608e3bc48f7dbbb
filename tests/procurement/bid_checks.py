"""Helpers of the Annex IV and bad-input bid tests: problems as RFC 9457 demands them, everything
a bid leaves behind (rows, files, mails, jobs, events) to compare before and after a refused
request, API tokens, the people's ids and the refusals recorded in the audit trail."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.audit.service import digest
from infra.identity.models import ApiToken, User
from infra.identity.secrets import new_api_token
from infra.jobs.models import Job
from infra.mail.models import Mail
from infra.settings import Settings
from procurement.bids.models import Bid, BidDocument, Opening, Submission, TenderKey

PROBLEM = "application/problem+json"
BID_TABLES = (Bid, BidDocument, Submission, TenderKey, Opening)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem of ``response``: its status, media type and ``code``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert body["title"], body
    return body


def bid_files(settings: Settings) -> dict[str, str]:
    """Every file under ``<storage>/bids``: its path there and the SHA-256 of its bytes."""
    root = settings.storage.root / "bids"
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass(frozen=True)
class Stored:
    """What the bid module keeps: every row of its tables, its files, and what went out with a
    submission (mails, jobs, ``bid.*`` events)."""

    rows: dict[str, list[tuple[Any, ...]]]
    files: dict[str, str]
    mails: int
    jobs: int
    bid_events: int

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()} | {"files": len(self.files)}


async def stored(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Stored:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for model in BID_TABLES:
            table = model.__table__
            found = (await session.execute(select(table))).all()
            rows[table.name] = sorted((tuple(row) for row in found), key=repr)
        mails = await session.scalar(select(func.count()).select_from(Mail))
        jobs = await session.scalar(select(func.count()).select_from(Job))
        events = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("bid.%"))
        )
    return Stored(
        rows=rows,
        files=bid_files(settings),
        mails=mails or 0,
        jobs=jobs or 0,
        bid_events=events or 0,
    )


async def user_id(sessions: async_sessionmaker[AsyncSession], email: str) -> uuid.UUID:
    async with sessions() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return found


async def api_token(
    sessions: async_sessionmaker[AsyncSession],
    organisation_id: uuid.UUID,
    scopes: Iterable[str],
    now: datetime,
) -> tuple[uuid.UUID, dict[str, str]]:
    """A valid API token of the organisation (as its manager would create it): its id and the
    header that sends it."""
    value, prefix, token_hash = new_api_token()
    token_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        session.add(
            ApiToken(
                id=token_id,
                organisation_id=organisation_id,
                name="ERP",
                prefix=prefix,
                token_hash=token_hash,
                scopes=" ".join(sorted(scopes)),
                created_by=None,
                created_at=now,
                expires_at=now + timedelta(days=365),
            )
        )
    return token_id, {"Authorization": f"Bearer {value}"}


@dataclass(frozen=True)
class Refusal:
    """A refused request as ``tender.refused`` must record it."""

    actor: uuid.UUID | None
    organisation_id: uuid.UUID
    method: str
    path: str
    code: str
    status: int
    token: uuid.UUID | None = None

    def after_digest(self) -> str | None:
        return digest(
            {
                "method": self.method,
                "path": self.path,
                "code": self.code,
                "status": self.status,
                "token": str(self.token) if self.token else None,
            }
        )


async def refusals(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEvent]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.action == "tender.refused")
                    .order_by(AuditEvent.seq)
                )
            ).all()
        )


async def events(sessions: async_sessionmaker[AsyncSession], action: str) -> list[AuditEvent]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
                )
            ).all()
        )


def leaks(haystack: bytes, needles: Iterable[bytes]) -> list[bytes]:
    """The needles found in ``haystack``, each also looked for as lowercase and uppercase hex."""
    found = []
    for needle in needles:
        forms = (needle, needle.hex().encode(), needle.hex().upper().encode())
        if any(form in haystack for form in forms):
            found.append(needle)
    return found


def as_bytes(value: Any) -> bytes:
    """A column's value as the bytes to search: raw for binary, UTF-8 for text."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()
