"""The competition register (Wettbewerbsregister, § 6 WRegG) behind an adapter interface.

Before an award of at least the profile's ``award.competition_register_from`` (EUR 30,000 net
by § 6 Abs. 1 WRegG) the authority must ask the register whether entries exist about the
company to be awarded. The register is run by the Bundeskartellamt; its electronic interface
is open only to registered authorities, so an instance plugs in the adapter its state has
(:class:`RegisterAdapter`). Two come with the platform:

- :class:`DevelopmentRegister`: answers at once, from a list of companies given to it, and
  records the query and its answer like a real one (development and tests);
- :class:`PortalRegister`: for an authority that queries the register on its portal; the
  officer records the reference and the answer received there (:class:`ManualRegisterAnswer`).

Either way the query is a recorded step: who asked, when, about whom, for what value, the
register's reference and its answer (:class:`~procurement.award.models.RegisterQuery`).
"""

from __future__ import annotations

__all__ = [
    "Company",
    "DevelopmentRegister",
    "PortalRegister",
    "RegisterAdapter",
    "RegisterAnswer",
    "adapter_for",
]

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import msgspec

from infra.settings import Settings
from procurement.award.award_schemas import ManualRegisterAnswer
from procurement.errors import InvalidAward


class Company(msgspec.Struct, frozen=True, kw_only=True):
    """What the register is asked about (§ 6 Abs. 1 WRegG: the company to be awarded)."""

    legal_name: str
    register_court: str | None
    register_number: str | None
    vat_id: str | None
    city: str


class RegisterAnswer(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    entries: bool
    answer: str
    """The answer as the register gave it (JSON or text), kept as the record."""


class RegisterAdapter(Protocol):
    name: str

    async def query(
        self,
        company: Company,
        *,
        value: Decimal,
        at: datetime,
        manual: ManualRegisterAnswer | None,
    ) -> RegisterAnswer:
        """Ask the register about ``company``.

        Raises:
            InvalidAward: the adapter cannot answer without ``manual`` (or must not get it).
        """
        ...


class DevelopmentRegister:
    """A stand-in register that answers at once: entries for the companies whose VAT id or
    name is listed in ``entries_for``, none for any other. Its reference is derived from the
    query, so the record can be checked."""

    name = "development"

    def __init__(self, entries_for: frozenset[str] = frozenset()) -> None:
        self.entries_for = entries_for

    async def query(
        self,
        company: Company,
        *,
        value: Decimal,
        at: datetime,
        manual: ManualRegisterAnswer | None,
    ) -> RegisterAnswer:
        if manual is not None:
            raise InvalidAward(
                "This instance queries the register itself: send no answer with the query.",
                errors=[{"field": "answers", "message": "not accepted by this adapter"}],
            )
        keys = {company.legal_name, company.vat_id or ""}
        entries = bool(keys & self.entries_for)
        digest = hashlib.sha256(
            f"{company.legal_name}|{company.vat_id}|{value}|{at.isoformat()}".encode()
        ).hexdigest()
        reference = f"DEV-WR-{digest[:12].upper()}"
        answer = msgspec.json.encode(
            {
                "register": "Wettbewerbsregister (development stand-in)",
                "reference": reference,
                "asked_at": at.isoformat(),
                "company": msgspec.to_builtins(company),
                "entries": (
                    [{"kind": "§ 2 Abs. 1 WRegG", "note": "development entry"}] if entries else []
                ),
            }
        ).decode()
        return RegisterAnswer(reference=reference, entries=entries, answer=answer)


class PortalRegister:
    """The authority queries the register on the register's portal and records its answer."""

    name = "portal"

    async def query(
        self,
        company: Company,
        *,
        value: Decimal,
        at: datetime,
        manual: ManualRegisterAnswer | None,
    ) -> RegisterAnswer:
        if manual is None:
            raise InvalidAward(
                f"Query the Wettbewerbsregister about {company.legal_name} on its portal and "
                "record the reference and the answer.",
                errors=[{"field": "answers", "message": "required for each company"}],
            )
        return RegisterAnswer(
            reference=manual.reference, entries=manual.entries, answer=manual.answer
        )


def adapter_for(settings: Settings) -> RegisterAdapter:
    """The register adapter of the instance: the stand-in outside production, the portal (the
    officer records the answer) in production until the state plugs in its interface."""
    if settings.env == "production":
        return PortalRegister()
    return DevelopmentRegister()
