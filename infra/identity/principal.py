"""Who is asking: the principal a request acts as, resolved once per request."""

from __future__ import annotations

__all__ = ["ANONYMOUS", "OrgRole", "Principal"]

import uuid
from typing import Literal

import msgspec


class OrgRole(msgspec.Struct, frozen=True):
    """A membership as the guards see it."""

    kind: str
    """``authority`` or ``supplier``."""
    role: str


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The acting user or API token; anonymous when neither was presented."""

    kind: Literal["anonymous", "user", "token"]
    user_id: uuid.UUID | None = None
    email: str | None = None
    name: str | None = None
    is_platform_admin: bool = False
    memberships: dict[uuid.UUID, OrgRole] = msgspec.field(default_factory=dict)
    """Organisations the user belongs to (for a token: its one organisation)."""
    scopes: frozenset[str] | None = None
    """A token's scopes; ``None`` for a person, who has every scope of their roles."""
    session_id_hash: str | None = None
    token_id: uuid.UUID | None = None
    second_factor: bool = False
    """The person has a second factor enabled (and, being a user, has passed it)."""
    second_factor_pending: bool = False
    """Password checked, code still to come: anonymous until then."""

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def role_in(self, organisation_id: uuid.UUID) -> OrgRole | None:
        return self.memberships.get(organisation_id)

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


ANONYMOUS = Principal(kind="anonymous")
