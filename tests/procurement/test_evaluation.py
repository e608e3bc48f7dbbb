"""The evaluation through the API (issue 8, items 1, 2 and 8): starting it after the opening,
the declarations on conflicts of interest before any bid content, the formal and eligibility
checks, admission and exclusion with a recorded reason, quality points given independently by
two evaluators, price points by formula, the ranking per lot with abnormally low prices flagged,
requests to bidders answered on the platform, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from prequalification.models import (
    Application,
    ApplicationStatus,
    Certificate,
    CertificateEvent,
    CertificateScope,
    CertificateStatus,
)
from procurement.award import scoring
from procurement.award.models import Assessment, Declaration, EvaluationRequest, Score
from procurement.tenders.models import Tender
from tests.procurement.bid_checks import problem
from tests.procurement.bid_support import (
    OFFER,
    bid_content,
    deadline_of,
    office_url,
    open_bids,
    pass_deadline,
    submit,
)
from tests.procurement.test_clarifications import mails
from tests.procurement.test_tenders import _count, _json, published
from tests.worlds import World

LOW = "70000.00"
"""The company's price for lot 2: more than 20 % below the other company's 101500.50."""


def evaluation_url(world: World, tender: dict[str, Any], organisation: str = "authority") -> str:
    return f"{office_url(world, tender, organisation)}/evaluation"


async def opened_tender(world: World) -> dict[str, Any]:
    """A published tender with two bids (the company's abnormally low in lot 2), opened."""
    tender = await published(world)
    await submit(
        world,
        tender,
        content=bid_content(
            lots=[{"lot": 1, "price": "612345.67"}, {"lot": 2, "price": LOW}],
        ),
    )
    world.clock.advance(timedelta(seconds=30))
    await submit(world, tender, role="stranger")
    await pass_deadline(world, tender, timedelta(minutes=5))
    await open_bids(world, tender)
    return tender


async def start(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    started: dict[str, Any] = await _json(
        await world.clients["officer"].post(evaluation_url(world, tender)), 201
    )
    return started


async def declare(world: World, tender: dict[str, Any], *roles: str) -> None:
    for role in roles:
        await _json(
            await world.clients[role].post(
                f"{evaluation_url(world, tender)}/declaration", json={"conflict": False}
            ),
            201,
        )


async def bids_by_company(world: World, tender: dict[str, Any], role: str) -> dict[str, Any]:
    bids = await _json(await world.clients[role].get(f"{evaluation_url(world, tender)}/bids"))
    return {bid["company_name"]: bid for bid in bids}


def quality(tender: dict[str, Any]) -> int:
    (criterion,) = [c for c in tender["criteria"] if c["kind"] == "quality"]
    return int(criterion["position"])


async def score(
    world: World,
    tender: dict[str, Any],
    role: str,
    bid_id: str,
    lot: int,
    points: Any,
    *,
    status: int = 200,
    criterion: int | None = None,
) -> Any:
    return await _json(
        await world.clients[role].put(
            f"{evaluation_url(world, tender)}/bids/{bid_id}/scores",
            json={
                "lot": lot,
                "scores": [
                    {
                        "criterion": criterion or quality(tender),
                        "points": points,
                        "justification": "Schlüssiges Bauablaufkonzept mit Puffern.",
                    }
                ],
            },
        ),
        status,
    )


class TestEvaluationFlow:
    async def test_checks_declarations_points_and_a_ranking_per_lot(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a tender whose two bids two officers have opened
        tender = await opened_tender(world)
        # When an officer starts the evaluation
        started = await start(world, tender)
        # Then the tender is in evaluation and each bid is checked and awaits a decision
        assert started["tender_status"] == "in_evaluation"
        assert (started["bids"], started["pending"]) == (2, 2)
        assert started["declared"] is False
        # And the evaluator sees no content before declaring on conflicts of interest
        refused = await world.clients["evaluator"].get(f"{evaluation_url(world, tender)}/bids")
        problem(refused, 403, "declaration-required")
        # When they declare
        await declare(world, tender, "evaluator", "officer", "officer2")
        bids = await bids_by_company(world, tender, "evaluator")
        # Then the checks show each bid in time, complete, eligible by its evidence documents
        company, other = bids["Muster Bau GmbH"], bids["Deichbau AG"]
        for bid in (company, other):
            assert bid["status"] == "pending"
            assert bid["received_in_time"] is True
            assert bid["complete"] is True
            assert bid["signature"] == "not-required"
            assert bid["eligibility"] == "evidence"
            assert bid["checks_passed"] is True
        assert [lot["price"] for lot in company["lots"]] == ["612345.67", LOW]
        # And the declarations are listed by name
        state = await _json(await world.clients["evaluator"].get(evaluation_url(world, tender)))
        assert sorted(d["name"] for d in state["declarations"]) == [
            "Eva Wert",
            "Olga Vergabe",
            "Otto Zweit",
        ]
        assert state["declared"] is True
        # When the officer admits both bids
        for bid in (company, other):
            admitted = await _json(
                await world.clients["officer"].post(
                    f"{evaluation_url(world, tender)}/bids/{bid['bid_id']}/admission", json={}
                )
            )
            assert admitted["status"] == "admitted"
            assert admitted["decided_by"] == "Olga Vergabe"
        # And a ranking before all points are given is refused
        missing = await world.clients["officer"].post(f"{evaluation_url(world, tender)}/ranking")
        assert len(problem(missing, 409, "scores-missing")["missing"]) == 4
        # When two evaluators give their points independently for each bid in each lot
        given = {
            "evaluator": {company["bid_id"]: "8", other["bid_id"]: "6"},
            "officer2": {company["bid_id"]: "9", other["bid_id"]: "7.5"},
        }
        for role, points in given.items():
            for bid_id, value in points.items():
                for lot in (1, 2):
                    await score(world, tender, role, bid_id, lot, value)
        # Then each sees only their own points
        own = await _json(
            await world.clients["evaluator"].get(f"{evaluation_url(world, tender)}/scores")
        )
        assert len(own) == 4
        assert {s["points"] for s in own} == {"8.00", "6.00"}
        # When the officer computes the ranking
        ranking = await _json(
            await world.clients["officer"].post(f"{evaluation_url(world, tender)}/ranking")
        )
        # Then each lot is ranked by the weighted points (price 70 %, concept 30 %)
        lot1, lot2 = ranking["lots"]
        assert ranking["tie_rule"] == "lower_price"
        assert ranking["seed"] is None
        prices = {company["bid_id"]: Decimal("612345.67"), other["bid_id"]: Decimal("598765.43")}
        price_points = scoring.price_points_lowest(prices, 100)
        expected = {
            bid: scoring.weighted_total(
                [
                    (70, price_points[bid], 100),
                    (
                        30,
                        scoring.consolidate(
                            {role: Decimal(given[role][bid]) for role in given}, max_points=10
                        ),
                        10,
                    ),
                ]
            )
            for bid in prices
        }
        assert {e["bid_id"]: Decimal(e["total"]) for e in lot1["entries"]} == expected
        assert [e["company_name"] for e in lot1["entries"]] == ["Muster Bau GmbH", "Deichbau AG"]
        assert [e["rank"] for e in lot1["entries"]] == [1, 2]
        first = lot1["entries"][0]
        assert [p["points"] for p in first["points"]] == [
            str(price_points[company["bid_id"]]),
            "8.50",
        ]
        # And the company's price in lot 2, far below the next, is flagged (§ 60 VgV)
        assert lot2["entries"][0]["company_name"] == "Muster Bau GmbH"
        assert lot2["entries"][0]["abnormally_low"] is True
        assert lot2["entries"][0]["price"] == LOW
        assert lot2["entries"][1]["abnormally_low"] is False
        assert not any(e["abnormally_low"] for e in lot1["entries"])
        # And the evaluator reads the same ranking; every decision and read is recorded
        again = await _json(
            await world.clients["evaluator"].get(f"{evaluation_url(world, tender)}/ranking")
        )
        assert again["lots"] == ranking["lots"]
        async with sessions() as session:
            actions = set(await session.scalars(select(AuditEvent.action)))
        assert {
            "tender.evaluation_start",
            "tender.conflict_declaration",
            "bid.admit",
            "bid.score",
            "tender.rank",
            "bid.read",
        } <= actions
        # And a later change of points makes the ranking stale
        await score(world, tender, "evaluator", other["bid_id"], 1, "10")
        stale = await world.clients["officer"].get(f"{evaluation_url(world, tender)}/ranking")
        assert problem(stale, 409, "evaluation-refused")["reason"] == "not-ranked"

    async def test_an_exclusion_is_recorded_with_its_reason_and_the_bid_is_not_ranked(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        await declare(world, tender, "officer", "evaluator")
        bids = await bids_by_company(world, tender, "officer")
        other = bids["Deichbau AG"]
        url = f"{evaluation_url(world, tender)}/bids/{other['bid_id']}/exclusion"
        # A blank reason is refused
        blank = await world.clients["officer"].post(url, json={"ground": "other", "reason": " "})
        assert blank.status_code == 422
        # An evaluator does not decide
        evaluator = await world.clients["evaluator"].post(
            url, json={"ground": "other", "reason": "Kein Grund"}
        )
        problem(evaluator, 403, "access-denied")
        reason = "Die geforderte Referenzliste fehlt auch nach Nachforderung (§ 57 VgV)."
        excluded = await _json(
            await world.clients["officer"].post(
                url, json={"ground": "incomplete", "reason": reason}
            )
        )
        assert (excluded["status"], excluded["ground"], excluded["reason"]) == (
            "excluded",
            "incomplete",
            reason,
        )
        async with sessions() as session:
            row = (
                await session.scalars(
                    select(Assessment).where(Assessment.bid_id == uuid.UUID(other["bid_id"]))
                )
            ).one()
            assert row.reason == reason
            events = (
                await session.scalars(select(AuditEvent).where(AuditEvent.action == "bid.exclude"))
            ).all()
        assert [e.object_id for e in events] == [other["bid_id"]]
        # An excluded bid takes no points
        refused = await score(world, tender, "evaluator", other["bid_id"], 1, "5", status=409)
        assert refused["reason"] == "excluded"
        # And the ranking holds the admitted bid alone
        company = bids["Muster Bau GmbH"]
        await _json(
            await world.clients["officer"].post(
                f"{evaluation_url(world, tender)}/bids/{company['bid_id']}/admission", json={}
            )
        )
        for lot in (1, 2):
            await score(world, tender, "evaluator", company["bid_id"], lot, "7")
        ranking = await _json(
            await world.clients["officer"].post(f"{evaluation_url(world, tender)}/ranking")
        )
        for lot in ranking["lots"]:
            assert [e["bid_id"] for e in lot["entries"]] == [company["bid_id"]]
            assert lot["entries"][0]["total"] == "91.00"  # 70 (lowest price) + 30 × 7 / 10


async def certificate_suspended_at(
    sessions: async_sessionmaker[AsyncSession], world: World, suspended: datetime
) -> str:
    """A certificate of the company for works, CPV 45, valid from now and suspended at
    ``suspended``; its number."""
    now = world.clock.now()
    number = "HB-PQ-2026-000042"
    async with sessions() as session, session.begin():
        application = Application(
            id=uuid.uuid4(),
            organisation_id=world.organisations["company"],
            status=ApplicationStatus.APPROVED,
            categories='["works"]',
            cpv_divisions='["45"]',
            created_at=now,
        )
        session.add(application)
        await session.flush()
        certificate = Certificate(
            id=uuid.uuid4(),
            number=number,
            organisation_id=world.organisations["company"],
            application_id=application.id,
            status=CertificateStatus.SUSPENDED,
            valid_from=date(2026, 3, 27),
            valid_to=date(2027, 3, 26),
            issued_at=now,
        )
        session.add(certificate)
        await session.flush()
        session.add_all(
            [
                CertificateScope(certificate_id=certificate.id, category="works", division="45"),
                CertificateEvent(certificate_id=certificate.id, at=now, status="valid"),
                CertificateEvent(
                    certificate_id=certificate.id,
                    at=suspended,
                    status="suspended",
                    reason="evidence-expired",
                ),
            ]
        )
    return number


class TestEligibility:
    async def test_a_certificate_valid_at_the_deadline_proves_eligibility_though_suspended_since(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a company pre-qualified until an hour after the deadline, bidding without
        # evidence documents, and a company without a certificate that leaves out its evidence
        tender = await published(world)
        deadline = deadline_of(tender)
        number = await certificate_suspended_at(sessions, world, deadline + timedelta(hours=1))
        await submit(world, tender, documents=[("angebot.pdf", OFFER, "offer")])
        await submit(world, tender, role="stranger")
        # When the bids are opened and checked two hours after the deadline
        await pass_deadline(world, tender, timedelta(hours=2))
        await open_bids(world, tender)
        await start(world, tender)
        await declare(world, tender, "officer")
        bids = await bids_by_company(world, tender, "officer")
        # Then the register's answer for the deadline counts
        company = bids["Muster Bau GmbH"]
        assert (company["eligibility"], company["certificate_number"]) == ("certificate", number)
        assert company["checks_passed"] is True
        assert bids["Deichbau AG"]["eligibility"] == "evidence"

    async def test_a_certificate_suspended_before_the_deadline_does_not_count(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a company whose certificate was valid at its submission but suspended an hour
        # before the deadline, and no evidence documents in its bid
        tender = await published(world)
        deadline = deadline_of(tender)
        await certificate_suspended_at(sessions, world, deadline - timedelta(hours=1))
        await submit(world, tender, documents=[("angebot.pdf", OFFER, "offer")])
        await pass_deadline(world, tender, timedelta(minutes=5))
        await open_bids(world, tender)
        await start(world, tender)
        await declare(world, tender, "officer")
        (bid,) = (await bids_by_company(world, tender, "officer")).values()
        # Then the check finds the eligibility missing
        assert bid["eligibility"] == "missing"
        assert bid["checks_passed"] is False
        assert any("not pre-qualified" in finding for finding in bid["findings"])
        # And the bid is admitted only with a note saying why
        url = f"{evaluation_url(world, tender)}/bids/{bid['bid_id']}/admission"
        problem(await world.clients["officer"].post(url, json={}), 422, "invalid-decision")
        note = "Eignung durch nachgereichte Unterlagen (§ 56 VgV) belegt."
        admitted = await _json(await world.clients["officer"].post(url, json={"note": note}))
        assert (admitted["status"], admitted["reason"]) == ("admitted", note)


class TestRequests:
    async def test_the_bidder_answers_a_request_for_documents_on_the_platform(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        await declare(world, tender, "officer")
        company = (await bids_by_company(world, tender, "officer"))["Muster Bau GmbH"]
        deadline = (world.clock.now() + timedelta(days=6)).isoformat()
        asked = await _json(
            await world.clients["officer"].post(
                f"{evaluation_url(world, tender)}/bids/{company['bid_id']}/requests",
                json={"text": "Bitte reichen Sie die Referenzliste nach.", "deadline": deadline},
            ),
            201,
        )
        assert asked["kind"] == "documents"
        # The company is told by mail, without the text
        (mail,) = await mails(sessions, "info@musterbaugmbh.example")
        assert tender["number"] in mail.subject
        assert "Referenzliste" not in mail.body
        # And reads and answers the request on the platform
        url = f"/api/v1/organisations/{world.organisations['company']}/bids/{tender['id']}/requests"
        (request,) = await _json(await world.clients["member"].get(url))
        assert request["open"] is True
        answered = await _json(
            await world.clients["member"].post(
                f"{url}/{request['id']}/answer", json={"text": "Die Referenzliste: …"}
            )
        )
        assert answered["answer"] == "Die Referenzliste: …"
        twice = await world.clients["member"].post(
            f"{url}/{request['id']}/answer", json={"text": "Noch einmal"}
        )
        problem(twice, 409, "request-closed")
        # The other company sees nothing of it
        other = f"/api/v1/organisations/{world.organisations['other_company']}/bids/{tender['id']}"
        assert await _json(await world.clients["stranger"].get(f"{other}/requests")) == []
        # And the officer reads the answer (sealed in the database)
        (seen,) = await _json(
            await world.clients["officer"].get(f"{evaluation_url(world, tender)}/requests")
        )
        assert seen["answer"] == "Die Referenzliste: …"
        async with sessions() as session:
            row = (await session.scalars(select(EvaluationRequest))).one()
            assert row.answer is not None
            assert b"Referenzliste" not in row.answer

    async def test_an_answer_after_the_deadline_is_refused(self, world: World) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        await declare(world, tender, "officer")
        company = (await bids_by_company(world, tender, "officer"))["Muster Bau GmbH"]
        deadline = world.clock.now() + timedelta(days=2)
        await _json(
            await world.clients["officer"].post(
                f"{evaluation_url(world, tender)}/bids/{company['bid_id']}/requests",
                json={
                    "kind": "explanation",
                    "text": "Bitte erläutern Sie den Preis für Los 2.",
                    "deadline": deadline.isoformat(),
                },
            ),
            201,
        )
        world.clock.set(deadline)
        await world.log_in_again("owner")
        url = f"/api/v1/organisations/{world.organisations['company']}/bids/{tender['id']}/requests"
        (request,) = await _json(await world.clients["owner"].get(url))
        assert request["open"] is False
        late = await world.clients["owner"].post(
            f"{url}/{request['id']}/answer", json={"text": "Zu spät"}
        )
        assert problem(late, 409, "request-closed")["reason"] == "deadline-passed"


class TestBadInput:
    async def test_scoring_before_the_declaration_is_refused_and_stores_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        await declare(world, tender, "officer")
        company = (await bids_by_company(world, tender, "officer"))["Muster Bau GmbH"]
        refused = await world.clients["evaluator"].put(
            f"{evaluation_url(world, tender)}/bids/{company['bid_id']}/scores",
            json={"lot": 1, "scores": [{"criterion": quality(tender), "points": "5"}]},
        )
        problem(refused, 403, "declaration-required")
        assert await _count(sessions, Score) == 0

    async def test_points_outside_the_scale_are_refused_and_store_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        await declare(world, tender, "evaluator", "officer")
        company = (await bids_by_company(world, tender, "officer"))["Muster Bau GmbH"]
        bid = company["bid_id"]
        for points in ("10.01", "-1", 11, "NaN", "Infinity", "1E+400"):
            body = await score(world, tender, "evaluator", bid, 1, points, status=422)
            assert body["code"] == "points-out-of-scale", body
        price = next(c["position"] for c in tender["criteria"] if c["kind"] == "price")
        for lot, points, criterion in (
            (1, "7.125", None),  # more than two decimal places
            (3, "7", None),  # a lot the tender does not have
            (1, "7", price),  # price points follow from the formula
            (1, "7", 9),  # no such criterion
        ):
            body = await score(
                world, tender, "evaluator", bid, lot, points, criterion=criterion, status=422
            )
            assert body["code"] == "invalid-score", body
        malformed = await world.clients["evaluator"].put(
            f"{evaluation_url(world, tender)}/bids/{bid}/scores", json={"lot": 1, "scores": []}
        )
        assert malformed.status_code in (400, 422)
        assert await _count(sessions, Score) == 0

    async def test_an_officer_of_another_authority_is_not_let_in(self, world: World) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        for method, suffix in (("GET", ""), ("POST", ""), ("GET", "/bids"), ("POST", "/ranking")):
            response = await world.clients["other_officer"].request(
                method, f"{evaluation_url(world, tender)}{suffix}"
            )
            problem(response, 404, "organisation-not-found")
        # Nor with the tender under their own authority's path
        response = await world.clients["other_officer"].get(
            evaluation_url(world, tender, "other_authority")
        )
        problem(response, 404, "tender-not-found")
        # Nor a company
        response = await world.clients["owner"].get(evaluation_url(world, tender))
        problem(response, 404, "organisation-not-found")

    async def test_nothing_is_evaluated_before_the_opening(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await submit(world, tender)
        refused = await world.clients["officer"].post(evaluation_url(world, tender))
        assert problem(refused, 409, "evaluation-refused")["reason"] == "not-opened"
        declared = await world.clients["evaluator"].post(
            f"{evaluation_url(world, tender)}/declaration", json={}
        )
        assert problem(declared, 409, "evaluation-refused")["reason"] == "not-opened"
        sealed = await world.clients["evaluator"].get(f"{evaluation_url(world, tender)}/bids")
        problem(sealed, 409, "bids-sealed")
        # After the deadline and before the opening, still not
        await pass_deadline(world, tender, timedelta(minutes=1))
        refused = await world.clients["officer"].post(evaluation_url(world, tender))
        assert problem(refused, 409, "evaluation-refused")["reason"] == "not-opened"
        async with sessions() as session:
            row = await session.get(Tender, uuid.UUID(tender["id"]))
            assert row is not None
            assert row.status in ("published", "closed")
        assert await _count(sessions, Assessment) == 0
        assert await _count(sessions, Declaration) == 0

    async def test_a_declared_conflict_bars_the_evaluator_and_cannot_be_withdrawn(
        self, world: World
    ) -> None:
        tender = await opened_tender(world)
        await start(world, tender)
        url = f"{evaluation_url(world, tender)}/declaration"
        vague = await world.clients["evaluator"].post(url, json={"conflict": True})
        problem(vague, 422, "invalid-decision")
        await _json(
            await world.clients["evaluator"].post(
                url, json={"conflict": True, "details": "Mein Bruder ist Geschäftsführer."}
            ),
            201,
        )
        barred = await world.clients["evaluator"].get(f"{evaluation_url(world, tender)}/bids")
        problem(barred, 403, "conflict-of-interest")
        back = await world.clients["evaluator"].post(url, json={"conflict": False})
        assert problem(back, 409, "evaluation-refused")["reason"] == "conflict-declared"
