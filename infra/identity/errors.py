"""Errors of the identity domain, each with its HTTP status and problem code."""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AlreadyMember",
    "AlreadyRegistered",
    "EmailNotVerified",
    "Forbidden",
    "IdentityError",
    "InvalidCredentials",
    "NotAuthenticated",
    "NotFound",
    "OrganisationNotFound",
    "SecondFactorRequired",
    "TokenInvalid",
    "TooManyAttempts",
    "WeakPassword",
]

from http import HTTPStatus

from infra.errors import DomainError


class IdentityError(DomainError):
    """Base of all identity errors."""


class AlreadyRegistered(IdentityError):
    status_code = HTTPStatus.CONFLICT
    code = "already-registered"
    title = "Already registered"


class AlreadyMember(IdentityError):
    status_code = HTTPStatus.CONFLICT
    code = "already-member"
    title = "Already a member of this organisation"


class WeakPassword(IdentityError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "weak-password"
    title = "The password is not acceptable"


class InvalidCredentials(IdentityError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "invalid-credentials"
    title = "E-mail address or password is wrong"


class EmailNotVerified(IdentityError):
    status_code = HTTPStatus.FORBIDDEN
    code = "email-not-verified"
    title = "The e-mail address has not been verified yet"


class SecondFactorRequired(IdentityError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "second-factor-required"
    title = "A one-time code from the authenticator app is required"


class TooManyAttempts(IdentityError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "too-many-attempts"
    title = "Too many failed attempts"


class TokenInvalid(IdentityError):
    status_code = HTTPStatus.GONE
    code = "token-invalid"
    title = "The link is invalid, expired or already used"


class NotAuthenticated(IdentityError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "not-authenticated"
    title = "Log in first"


class Forbidden(IdentityError):
    status_code = HTTPStatus.FORBIDDEN
    code = "forbidden"
    title = "Not allowed"


class AccessDenied(IdentityError):
    """A guard refused: the principal may not use this operation at all."""

    status_code = HTTPStatus.FORBIDDEN
    code = "access-denied"
    title = "Access denied"


class NotFound(IdentityError):
    status_code = HTTPStatus.NOT_FOUND
    code = "not-found"
    title = "Not found"


class OrganisationNotFound(NotFound):
    """Also what a non-member hears, so that ids of other organisations reveal nothing."""

    code = "organisation-not-found"
    title = "No such organisation"
