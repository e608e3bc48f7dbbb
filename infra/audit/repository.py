"""All SQL on the audit chain: serialise appends, find the last event, add one, read in batches.

Appends are serialised so that the chain never forks: on PostgreSQL the appending transaction
takes a transaction-level advisory lock (:data:`CHAIN_LOCK_KEY`) before it reads the last event,
and holds it until commit or rollback; on SQLite every transaction starts with
``BEGIN IMMEDIATE`` (:mod:`infra.db.engine`), so writers are serialised already. Were either to
fail, the primary key on ``seq`` and the unique ``hash`` refuse a second event at the same
place rather than let the chain fork.
"""

from __future__ import annotations

__all__ = ["CHAIN_LOCK_KEY", "AuditRepository", "ChainHead", "StoredEvent"]

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.models import AuditEvent

CHAIN_LOCK_KEY = -5196260629876023925
"""PostgreSQL advisory lock key of the chain: the first 8 bytes (big-endian, signed) of
SHA-256(``b"openvergabe.audit_events"``), so that it collides with no other lock by accident."""


class ChainHead(msgspec.Struct, frozen=True):
    """The newest event: where the next one links to."""

    seq: int
    hash: str


class StoredEvent(msgspec.Struct, frozen=True):
    """An event as stored, read for verification (plain values, not tracked by the session)."""

    seq: int
    at: datetime
    actor_user_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    before_digest: str | None
    after_digest: str | None
    request_id: str | None
    prev_hash: str
    hash: str


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor_user_id,
    AuditEvent.organisation_id,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.before_digest,
    AuditEvent.after_digest,
    AuditEvent.request_id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


class AuditRepository:
    """SQL for the ``audit_events`` table, on the session it is given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_chain(self) -> None:
        """Wait until no other transaction appends; held until this transaction ends."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=CHAIN_LOCK_KEY)
            )

    async def head(self) -> ChainHead | None:
        """The event with the highest ``seq``; ``None`` while the chain is empty."""
        row = (
            await self.session.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            )
        ).first()
        return None if row is None else ChainHead(seq=row.seq, hash=row.hash)

    async def add(self, event: AuditEvent) -> None:
        """Insert ``event`` now (flushed, not committed), so that a conflict surfaces here."""
        self.session.add(event)
        await self.session.flush()

    async def batch(self, after_seq: int | None, limit: int) -> list[StoredEvent]:
        """Up to ``limit`` events after ``after_seq`` (``None``: from the lowest), by ``seq``."""
        query = select(*_COLUMNS).order_by(AuditEvent.seq).limit(limit)
        if after_seq is not None:
            query = query.where(AuditEvent.seq > after_seq)
        rows = await self.session.execute(query)
        return [StoredEvent(**row._asdict()) for row in rows]
