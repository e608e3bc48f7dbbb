"""Steps of the award flow through the API, shared by the award tests: a tender whose two bids
are opened, checked, admitted, scored and ranked, and the award's URLs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.procurement.bid_support import bid_content, office_url, open_bids, pass_deadline, submit
from tests.procurement.test_tenders import _json, published
from tests.worlds import World

WINNER, LOSER = "Muster Bau GmbH", "Deichbau AG"
"""The company (``owner``) wins both lots; the other company (``stranger``) loses both."""
REASONS = (
    "Das Angebot der Muster Bau GmbH erreicht in beiden Losen die höchste Punktzahl nach den "
    "bekannt gemachten Zuschlagskriterien (Preis 70 %, Konzept 30 %)."
)


def award_url(world: World, tender: dict[str, Any], organisation: str = "authority") -> str:
    return f"{office_url(world, tender, organisation)}/award"


def result_url(world: World, tender: dict[str, Any], organisation: str = "company") -> str:
    return f"/api/v1/organisations/{world.organisations[organisation]}/bids/{tender['id']}/result"


async def ranked_tender(world: World, lot1: str = "512345.67") -> dict[str, Any]:
    """A tender with two bids, opened, both admitted, scored by two evaluators, ranked; the
    company's price for lot 1 is ``lot1``."""
    tender = await published(world)
    await submit(
        world,
        tender,
        content=bid_content(lots=[{"lot": 1, "price": lot1}, {"lot": 2, "price": "98000"}]),
    )
    world.clock.advance(timedelta(seconds=30))
    await submit(world, tender, role="stranger")
    await pass_deadline(world, tender, timedelta(minutes=5))
    await open_bids(world, tender)
    evaluation = f"{office_url(world, tender)}/evaluation"
    await _json(await world.clients["officer"].post(evaluation), 201)
    for role in ("officer", "officer2", "evaluator"):
        await _json(
            await world.clients[role].post(f"{evaluation}/declaration", json={"conflict": False}),
            201,
        )
    bids = await _json(await world.clients["officer"].get(f"{evaluation}/bids"))
    (criterion,) = [c for c in tender["criteria"] if c["kind"] == "quality"]
    for bid in bids:
        await _json(
            await world.clients["officer"].post(
                f"{evaluation}/bids/{bid['bid_id']}/admission", json={}
            )
        )
        points = "9" if bid["company_name"] == WINNER else "6"
        for lot in (1, 2):
            await _json(
                await world.clients["evaluator"].put(
                    f"{evaluation}/bids/{bid['bid_id']}/scores",
                    json={
                        "lot": lot,
                        "scores": [
                            {
                                "criterion": criterion["position"],
                                "points": points,
                                "justification": "Schlüssiges Konzept.",
                            }
                        ],
                    },
                )
            )
    await _json(await world.clients["officer"].post(f"{evaluation}/ranking"))
    tender["bids"] = {bid["company_name"]: bid["bid_id"] for bid in bids}
    return tender


async def propose(world: World, tender: dict[str, Any], role: str = "officer") -> dict[str, Any]:
    proposed: dict[str, Any] = await _json(
        await world.clients[role].post(
            f"{award_url(world, tender)}/proposal", json={"reasons": REASONS}
        ),
        201,
    )
    return proposed


async def query_register(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    queried: dict[str, Any] = await _json(
        await world.clients["officer"].post(
            f"{award_url(world, tender)}/register-queries", json={}
        ),
        201,
    )
    return queried


async def approve(world: World, tender: dict[str, Any], role: str = "officer2") -> dict[str, Any]:
    approved: dict[str, Any] = await _json(
        await world.clients[role].post(f"{award_url(world, tender)}/approval", json={})
    )
    return approved


async def award_of(world: World, tender: dict[str, Any], role: str = "officer") -> dict[str, Any]:
    view: dict[str, Any] = await _json(await world.clients[role].get(award_url(world, tender)))
    return view
