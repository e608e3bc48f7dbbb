"""Helpers of the bid tests: a company's bid through the API, the deadline passing, the opening."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.procurement.test_tenders import _json, base_url
from tests.worlds import World

OFFER = b"%PDF-1.7\n" + b"Angebotsschreiben mit Preisblatt " * 300 + b"\n%%EOF\n"
INSURANCE = b"%PDF-1.7\n" + b"Versicherungsbestaetigung Haftpflicht " * 100 + b"\n%%EOF\n"
PRICES = {"company": ("612345.67", "98000.00"), "other_company": ("598765.43", "101500.50")}
COMPANY_OF = {"owner": "company", "member": "company", "stranger": "other_company"}


def bids_url(world: World, organisation: str = "company") -> str:
    return f"/api/v1/organisations/{world.organisations[organisation]}/bids"


def bid_url(world: World, tender: dict[str, Any], organisation: str = "company") -> str:
    return f"{bids_url(world, organisation)}/{tender['id']}"


def office_url(world: World, tender: dict[str, Any], organisation: str = "authority") -> str:
    return f"{base_url(world, organisation)}/{tender['id']}"


def bid_content(organisation: str = "company", **changes: Any) -> dict[str, Any]:
    first, second = PRICES[organisation]
    base: dict[str, Any] = {
        "lots": [{"lot": 1, "price": first}, {"lot": 2, "price": second}],
        "declarations": {"no_exclusion_grounds": True, "binding_period_accepted": True},
    }
    return {**base, **changes}


async def submit(
    world: World,
    tender: dict[str, Any],
    *,
    role: str = "owner",
    content: dict[str, Any] | None = None,
    documents: list[tuple[str, bytes, str]] | None = None,
    idempotency_key: str | None = None,
    version: int | None = None,
    status: int = 201,
) -> Any:
    """Submit in one step: ``content`` and ``documents`` (name, bytes, purpose)."""
    organisation = COMPANY_OF[role]
    if documents is None:
        documents = [
            ("angebot.pdf", OFFER, "offer"),
            ("haftpflicht.pdf", INSURANCE, "liability-insurance"),
        ]
    data: dict[str, str] = {
        "content": json.dumps(content if content is not None else bid_content(organisation)),
        "requirements": json.dumps([purpose for _, _, purpose in documents]),
    }
    if version is not None:
        data["version"] = str(version)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    files = [("documents", (name, body, "application/pdf")) for name, body, _ in documents]
    response = await world.clients[role].post(
        f"{bid_url(world, tender, organisation)}/submission",
        data=data,
        files=files or {"none": ("", b"", "application/octet-stream")},
        headers=headers,
    )
    return await _json(response, status)


def deadline_of(tender: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(tender["submission_deadline"])


async def pass_deadline(world: World, tender: dict[str, Any], after: timedelta) -> None:
    """Move the clock to ``after`` past the tender's deadline; everyone logs in again."""
    world.clock.set(deadline_of(tender) + after)
    await world.log_in_again(*world.clients.keys() - {"anonymous"})


async def open_bids(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    """Officer starts, officer2 confirms."""
    url = f"{office_url(world, tender)}/opening"
    await _json(await world.clients["officer"].post(url), 201)
    confirmed: dict[str, Any] = await _json(
        await world.clients["officer2"].post(f"{url}/confirmation"), 200
    )
    return confirmed


async def declare_no_conflict(
    world: World, tender: dict[str, Any], role: str = "evaluator"
) -> None:
    """``role`` declares that no conflict of interest exists (§ 6 VgV): an evaluator reads
    the opened bids only after that."""
    url = f"{office_url(world, tender)}/evaluation/declaration"
    await _json(await world.clients[role].post(url, json={"conflict": False}), 201)
