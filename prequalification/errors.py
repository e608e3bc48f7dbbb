"""Errors of the pre-qualification domain; each carries its HTTP status and problem code."""

from __future__ import annotations

__all__ = [
    "AlreadyOpen",
    "ApplicationIncomplete",
    "ApplicationNotFound",
    "CertificateNotFound",
    "DocumentsNotSealed",
    "EvidenceNotFound",
    "EvidenceRefused",
    "Excluded",
    "InvalidScope",
    "NotAPrequalificationOffice",
    "OwnOrganisation",
    "PrequalificationError",
    "RevocationRefused",
    "StaleVersion",
    "WrongState",
]

from http import HTTPStatus

from infra.errors import DomainError


class PrequalificationError(DomainError):
    """Base of all pre-qualification errors."""


class ApplicationNotFound(PrequalificationError):
    status_code = HTTPStatus.NOT_FOUND
    code = "application-not-found"
    title = "There is no such application"


class EvidenceNotFound(PrequalificationError):
    status_code = HTTPStatus.NOT_FOUND
    code = "evidence-not-found"
    title = "There is no such piece of evidence"


class InvalidScope(PrequalificationError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-scope"
    title = "The categories and CPV divisions do not fit together"


class AlreadyOpen(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "application-already-open"
    title = "An open application already covers this scope"


class WrongState(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "application-wrong-state"
    title = "The application is not in a state that allows this"


class StaleVersion(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "application-changed"
    title = "The application changed since you loaded it"


class ApplicationIncomplete(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "application-incomplete"
    title = "Mandatory items are missing or not accepted"


class EvidenceRefused(PrequalificationError):
    """The upload itself is unacceptable (wrong type, expired, missing expiry …)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "evidence-refused"
    title = "This evidence cannot be accepted"


class NotAPrequalificationOffice(PrequalificationError):
    status_code = HTTPStatus.FORBIDDEN
    code = "not-a-prequalification-office"
    title = "Only officers of a pre-qualification office may do this"


class OwnOrganisation(PrequalificationError):
    status_code = HTTPStatus.FORBIDDEN
    code = "own-organisation"
    title = "An officer never reviews an application of an organisation they belong to"


class RevocationRefused(PrequalificationError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "revocation-refused"
    title = "The revocation cannot be made like this"


class Excluded(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "excluded"
    title = "The company is excluded from pre-qualification until the period ends"


class CertificateNotFound(PrequalificationError):
    status_code = HTTPStatus.NOT_FOUND
    code = "certificate-not-found"
    title = "There is no such certificate"


class DocumentsNotSealed(PrequalificationError):
    status_code = HTTPStatus.CONFLICT
    code = "certificate-documents-pending"
    title = "The sealed documents of the certificate are not there yet"
