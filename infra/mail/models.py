"""The mail table: every message the platform sends, kept with its delivery state."""

from __future__ import annotations

__all__ = ["Mail"]

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime


class Mail(Base):
    __tablename__ = "mails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transport: Mapped[str | None] = mapped_column(String(10))
    """``smtp`` or ``mailbox`` (the development mailbox) once sent."""
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    """One file sent with the message (a sealed PDF), or ``None``."""
