"""What the signature-check API answers: the accepted upload and the state of a check."""

from __future__ import annotations

__all__ = ["CheckAccepted", "CheckProblem", "CheckUpload", "CheckView", "Status"]

from datetime import datetime
from typing import Literal

import msgspec
from litestar.datastructures import UploadFile

from signatures.schemas import DocumentReport

Status = Literal["pending", "done", "failed"]


class CheckUpload(msgspec.Struct, kw_only=True):
    """The multipart form of a new check."""

    document: UploadFile
    """The PDF to check, or the signed file when ``signature`` is given."""
    signature: UploadFile | None = None
    """A detached CAdES signature (``.p7s``) over ``document``."""


class CheckAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """A stored check, queued for validation."""

    id: str
    """The check's id: keep it, it is the only way to read the result."""
    status: Status
    status_url: str
    """Where to ask for the result (also the ``Location`` header)."""


class CheckProblem(msgspec.Struct, frozen=True, kw_only=True):
    """Why a document could not be checked at all."""

    code: str
    """Always ``unreadable-document``."""
    reason: str
    """``not-pdf``, ``encrypted``, ``corrupt``, ``too-large``, ``decode-limit``, ``not-cms`` …"""
    de: str
    en: str


class CheckView(msgspec.Struct, frozen=True, kw_only=True):
    """A check and, once validated, its report."""

    id: str
    status: Status
    """``pending`` until the job has run; then ``done`` (see ``report``) or ``failed``."""
    status_url: str
    created_at: datetime
    finished_at: datetime | None
    document_sha256: str
    document_size: int
    detached: bool
    """Whether a detached signature was checked against the document."""
    report: DocumentReport | None
    """The verdict and every signature's details, when done."""
    problem: CheckProblem | None
    """Why the input could not be read, when failed."""
    report_json_url: str | None
    """Download of the JSON report, when done."""
    report_xml_url: str | None
    """Download of the ETSI TS 119 102-2 XML validation report, when done."""
