"""Errors of the signatures domain; each carries its HTTP status and problem code."""

from __future__ import annotations

__all__ = [
    "CheckNotFinished",
    "CheckNotFound",
    "DocumentTooLarge",
    "SealingFailed",
    "SignatureError",
    "TrustedListInvalid",
    "UnreadableDocument",
]

from http import HTTPStatus
from typing import Any, ClassVar, Literal

from infra.errors import DomainError

UnreadableReason = Literal[
    "not-pdf", "encrypted", "corrupt", "too-large", "decode-limit", "not-cms", "empty"
]

_REASONS: dict[str, tuple[str, str]] = {
    "not-pdf": ("Die Datei ist kein PDF-Dokument.", "The file is not a PDF document."),
    "encrypted": (
        "Das PDF ist verschlüsselt; verschlüsselte Dokumente können nicht geprüft werden.",
        "The PDF is encrypted; encrypted documents cannot be checked.",
    ),
    "corrupt": (
        "Das PDF ist beschädigt und kann nicht gelesen werden.",
        "The PDF is damaged and cannot be read.",
    ),
    "too-large": (
        "Die Datei ist größer als erlaubt.",
        "The file is larger than allowed.",
    ),
    "decode-limit": (
        "Ein Datenstrom im PDF entpackt sich auf mehr als erlaubt.",
        "A stream in the PDF decompresses to more than allowed.",
    ),
    "not-cms": (
        "Die Signaturdatei ist keine CAdES-/PKCS#7-Signatur.",
        "The signature file is not a CAdES/PKCS#7 signature.",
    ),
    "empty": ("Die Datei ist leer.", "The file is empty."),
}


class SignatureError(DomainError):
    """Base of all signature errors."""


class UnreadableDocument(SignatureError):
    """The input cannot be checked at all: not a PDF, encrypted, corrupt, over a limit."""

    status_code: ClassVar[int] = HTTPStatus.UNPROCESSABLE_ENTITY
    code: ClassVar[str] = "unreadable-document"
    title: ClassVar[str] = "The document cannot be checked"

    def __init__(self, reason: UnreadableReason, **extra: Any) -> None:
        de, en = _REASONS[reason]
        super().__init__(en, reason=reason, detail_de=de, **extra)
        self.reason: UnreadableReason = reason
        self.de = de
        self.en = en


class TrustedListInvalid(SignatureError):
    """A trusted list failed its signature check or could not be parsed."""

    status_code: ClassVar[int] = HTTPStatus.UNPROCESSABLE_ENTITY
    code: ClassVar[str] = "trusted-list-invalid"
    title: ClassVar[str] = "The trusted list is invalid"


class SealingFailed(SignatureError):
    """The platform could not seal a document, or the sealed result did not validate."""

    status_code: ClassVar[int] = HTTPStatus.SERVICE_UNAVAILABLE
    code: ClassVar[str] = "sealing-failed"
    title: ClassVar[str] = "The document could not be sealed"


class CheckNotFound(SignatureError):
    status_code: ClassVar[int] = HTTPStatus.NOT_FOUND
    code: ClassVar[str] = "signature-check-not-found"
    title: ClassVar[str] = "There is no such signature check"


class CheckNotFinished(SignatureError):
    status_code: ClassVar[int] = HTTPStatus.CONFLICT
    code: ClassVar[str] = "signature-check-not-finished"
    title: ClassVar[str] = "The signature check has no report (yet)"


class DocumentTooLarge(SignatureError):
    status_code: ClassVar[int] = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code: ClassVar[str] = "document-too-large"
    title: ClassVar[str] = "The file is too large"
