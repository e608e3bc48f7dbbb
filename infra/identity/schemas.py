"""Msgspec structs the identity API takes and returns.

Inputs validate their own format (e-mail address, postal code, register number, VAT id) in
``__post_init__`` so that a malformed value is a 422 naming the field; business conflicts
(already registered, already a member) are service errors (409).
"""

from __future__ import annotations

__all__ = [
    "AcceptInvitation",
    "AccountView",
    "ApiTokenCreate",
    "ApiTokenCreated",
    "ApiTokenView",
    "AuthorityCreate",
    "CompanyRegistration",
    "Email",
    "InvitationCreate",
    "InvitationView",
    "LoginRequest",
    "MemberView",
    "MembershipView",
    "OrganisationView",
    "PasswordResetConfirm",
    "PasswordResetRequest",
    "RoleChange",
    "SecondFactorRequest",
    "TokenBody",
    "TotpSetup",
]

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from stdnum.de import handelsregisternummer, vat
from stdnum.exceptions import ValidationError as NumberError

_EMAIL = re.compile(
    r"^[^@\s<>\"'\x00-\x1f\x7f]+@[^@\s<>\"'\x00-\x1f\x7f]+\.[^@\s<>\"'\x00-\x1f\x7f]{2,}$"
)

Email = Annotated[str, msgspec.Meta(min_length=6, max_length=254, examples=["max@example.de"])]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Secret = Annotated[str, msgspec.Meta(min_length=16, max_length=200)]

SCOPES = (
    "organisation:read",
    "tenders:read",
    "tenders:write",
    "bids:write",
    "prequalification:read",
)
"""What an API token may be allowed; checked by the guards of each operation."""


def check_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid e-mail address")
    return value


class CompanyRegistration(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A company registers itself; the person registering becomes its owner."""

    legal_name: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]
    street: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    postal_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$")]
    city: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    contact_email: Email
    owner_name: Name
    owner_email: Email
    password: Password
    register_court: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    """Registergericht as in the Handelsregister, e.g. ``Bremen``."""
    register_number: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    """e.g. ``HRB 12345``."""
    vat_id: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    """USt-IdNr., e.g. ``DE136695976``."""

    def __post_init__(self) -> None:
        check_email(self.contact_email)
        check_email(self.owner_email)
        if (self.register_court is None) != (self.register_number is None):
            raise ValueError("register_court and register_number go together")
        if self.register_court is not None and self.register_number is not None:
            normalised_register(self.register_court, self.register_number)
        if self.vat_id is not None:
            normalised_vat(self.vat_id)
        if self.register_court is None and self.vat_id is None:
            raise ValueError("give the Handelsregister entry or the VAT id (USt-IdNr.)")


def normalised_register(court: str, number: str) -> tuple[str, str]:
    """Court and number as the Handelsregister writes them; ValueError if invalid."""
    try:
        valid = handelsregisternummer.validate(f"{court.strip()} {number.strip()}")
    except NumberError as exc:
        raise ValueError(f"not a valid Handelsregister entry: {exc}") from exc
    court_part, _, rest = valid.rpartition(" HR")
    if not court_part:
        for kind in (" GnR ", " PR ", " VR ", " GsR "):
            court_part, sep, tail = valid.partition(kind)
            if sep:
                return court_part, kind.strip() + " " + tail
        raise ValueError("not a valid Handelsregister entry")
    return court_part, "HR" + rest


def normalised_vat(value: str) -> str:
    try:
        return "DE" + vat.validate(value)
    except NumberError as exc:
        raise ValueError(f"not a valid German VAT id: {exc}") from exc


class AuthorityCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A platform admin creates a contracting authority and its first admin."""

    legal_name: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]
    street: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    postal_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{5}$")]
    city: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    contact_email: Email
    admin_email: Email

    def __post_init__(self) -> None:
        check_email(self.contact_email)
        check_email(self.admin_email)


class TokenBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A token from a link in a mail."""

    token: Secret


class LoginRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    password: Password

    def __post_init__(self) -> None:
        check_email(self.email)


class SecondFactorRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


class PasswordResetRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email

    def __post_init__(self) -> None:
        check_email(self.email)


class PasswordResetConfirm(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: Secret
    password: Password


class AcceptInvitation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Accept an invitation; name and password only when the invitee has no account yet."""

    token: Secret
    name: Name | None = None
    password: Password | None = None


class InvitationCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    role: Literal["owner", "member", "admin", "officer", "evaluator"]

    def __post_init__(self) -> None:
        check_email(self.email)


class RoleChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: Literal["owner", "member", "admin", "officer", "evaluator"]


class ApiTokenCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: Annotated[list[Literal[SCOPES]], msgspec.Meta(min_length=1, max_length=10)]  # type: ignore[valid-type]
    days_valid: Annotated[int, msgspec.Meta(ge=1, le=365)] = 90


class TotpSetup(msgspec.Struct, frozen=True):
    """Shown once when setting up the second factor."""

    secret: str
    otpauth_uri: str


class OrganisationView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    kind: str
    legal_name: str
    street: str
    postal_code: str
    city: str
    country: str
    register_court: str | None
    register_number: str | None
    vat_id: str | None
    contact_email: str


class MembershipView(msgspec.Struct, frozen=True):
    organisation: OrganisationView
    role: str


class AccountView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    email: str
    name: str
    is_platform_admin: bool
    second_factor: bool
    memberships: list[MembershipView]


class MemberView(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    since: datetime


class InvitationView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    email: str
    role: str
    expires_at: datetime


class ApiTokenView(msgspec.Struct, frozen=True):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(msgspec.Struct, frozen=True):
    """The token itself is shown this once and never again."""

    token: str
    details: ApiTokenView
