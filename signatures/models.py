"""The signature check table: one uploaded document, its validation state and its reports.

The id is a random 22-character token and is the only way to read a check: whoever uploaded the
document holds it, nobody can list checks. The uploaded files live in the document storage
(:mod:`signatures.service` names them by the id); the row keeps their hash and size, and once
the job has run the JSON report, the ETSI TS 119 102-2 XML report or why the input could not be
read. Housekeeping deletes rows and files after a day.
"""

from __future__ import annotations

__all__ = ["CheckStatus", "SignatureCheck"]

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.base import Base, UTCDateTime


class CheckStatus(enum.StrEnum):
    """Where a check is in its life."""

    PENDING = "pending"
    """Stored and queued; the job has not finished yet."""
    DONE = "done"
    """Validated: the report is there."""
    FAILED = "failed"
    """The input could not be read (not a PDF, encrypted, corrupt, over a limit)."""


class SignatureCheck(Base):
    """One request to check the signatures of a document."""

    __tablename__ = "signature_checks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random token (``secrets.token_urlsafe(16)``): the capability to read the check."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default=CheckStatus.PENDING)
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_size: Mapped[int] = mapped_column(Integer)
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether a detached signature (``.p7s``) was uploaded with the document."""
    report: Mapped[str | None] = mapped_column(Text)
    """The :class:`~signatures.schemas.DocumentReport` as JSON, once done."""
    etsi_report: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The ETSI TS 119 102-2 validation report (XML), once done."""
    failure_reason: Mapped[str | None] = mapped_column(String(20))
    """Why the input could not be read (``not-pdf`` …), when failed."""
    failure_de: Mapped[str | None] = mapped_column(Text)
    failure_en: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
