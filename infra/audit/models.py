"""The ``audit_events`` table: one row per audited change or read, each linked to its predecessor.

Actor and organisation are plain columns, not foreign keys: deleting a user or an organisation
must never break (or cascade into) the chain. ``seq`` is assigned by
:func:`infra.audit.service.record` as the last ``seq`` plus one, not by a database sequence:
it is part of the hash, and a PostgreSQL sequence would leave gaps on rollback that
:func:`infra.audit.service.verify` would have to report as deletions.
"""

from __future__ import annotations

__all__ = ["GENESIS_HASH", "AuditEvent"]

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event."""


class AuditEvent(Base):
    """One audited action on one object, hash-chained to the event before it."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    """Position in the chain: 1, 2, 3, … without gaps."""
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The user who acted; ``None`` for the system (jobs, scheduler) or an anonymous caller."""
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The organisation the actor acted for, or that owns the object."""
    action: Mapped[str] = mapped_column(String(80))
    """What happened, ``<object>.<verb>``: ``organisation.register``, ``bid.read``."""
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(80))
    before_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the canonical JSON of the object before the change; ``None``: none given."""
    after_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the canonical JSON of the object after the change; ``None``: none given."""
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    """The ``hash`` of the event with ``seq - 1``; :data:`GENESIS_HASH` for the first."""
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) over this event's content and ``prev_hash`` (format: infra.audit.service)."""
