"""Bad input to the bid API: empty, oversized and too many documents, content that is not a bid,
prices that are not euros, lots the tender does not have, tenders that take no bid, a company
that proves no suitability, stale versions, a second opening, a withdrawal of nothing, another
company's receipt.

Each is answered with an RFC 9457 problem naming its ``code`` (never a 500), and leaves nothing
behind: the rows of the bid tables, the sealed files under ``<storage>/bids``, the mails, the
jobs and the ``bid.*`` events are exactly what they were before the request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.app import create_app
from infra.clock import ManualClock
from infra.identity.authentication import SESSION_COOKIE
from infra.settings import Settings
from procurement.bids.models import Opening
from procurement.tenders.models import Tender
from tests.procurement.bid_checks import problem, stored
from tests.procurement.bid_support import (
    INSURANCE,
    OFFER,
    bid_content,
    bid_url,
    bids_url,
    office_url,
    open_bids,
    pass_deadline,
    submit,
)
from tests.procurement.test_tender_lifecycle import _jobs_settled, cancel
from tests.procurement.test_tenders import _json, draft, published
from tests.support import LoopClient
from tests.worlds import World

LIMIT = 16 * 1024
"""The document size limit of the small app (OFFER and INSURANCE fit)."""
MAX_DOCUMENTS = 4
EVIDENCE = ("liability-insurance", INSURANCE)


def form(
    content: Any = None,
    documents: list[tuple[str, bytes, str]] | None = None,
    **fields: str,
) -> dict[str, Any]:
    """A one-step submission's multipart form: ``content`` (a dict, or the text as sent) and
    ``documents`` (name, bytes, purpose)."""
    if documents is None:
        documents = [("angebot.pdf", OFFER, "offer"), ("haftpflicht.pdf", *EVIDENCE[::-1])]
    data = dict(fields)
    if content is not None:
        data["content"] = content if isinstance(content, str) else json.dumps(content)
    if documents:
        data.setdefault("requirements", json.dumps([purpose for *_, purpose in documents]))
    files = [("documents", (name, body, "application/pdf")) for name, body, _ in documents]
    return {"data": data, "files": files or {"none": ("", b"", "application/octet-stream")}}


class Refusals:
    """Sends a request that must be refused, and checks that nothing changed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.count = 0

    async def __call__(
        self, request: Callable[[], Awaitable[httpx.Response]], status: int, code: str
    ) -> dict[str, Any]:
        before = await stored(self.sessions, self.settings)
        body = problem(await request(), status, code)
        after = await stored(self.sessions, self.settings)
        assert after.counts() == before.counts(), body
        assert after == before, body
        self.count += 1
        return body


@pytest.fixture
def refused(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Refusals:
    return Refusals(sessions, settings)


@pytest.fixture
async def small(
    world: World, settings: Settings, clock: ManualClock, engine: AsyncEngine
) -> AsyncIterator[LoopClient]:
    """The owner's client of an app taking documents of at most ``LIMIT`` bytes and at most
    ``MAX_DOCUMENTS`` per bid."""
    signatures = msgspec.structs.replace(settings.signatures, max_document_bytes=LIMIT)
    bids = msgspec.structs.replace(settings.bids, max_documents=MAX_DOCUMENTS)
    app: Litestar = create_app(
        msgspec.structs.replace(settings, signatures=signatures, bids=bids),
        clock=clock,
        engine=engine,
    )
    async with LoopClient(app, lifespan=False) as client:
        client.cookies.set(SESSION_COOKIE, world.clients["owner"].cookies[SESSION_COOKIE])
        yield client


def _submission(client: httpx.AsyncClient, url: str, **kwargs: Any) -> Callable[[], Any]:
    return lambda: client.post(f"{url}/submission", **form(**kwargs))


def _upload(
    client: httpx.AsyncClient, url: str, body: bytes, requirement: str = "offer"
) -> Callable[[], Any]:
    return lambda: client.post(
        f"{url}/documents",
        files={"document": ("angebot.pdf", body, "application/pdf")},
        data={"requirement": requirement},
    )


async def _draft_bid(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    saved: dict[str, Any] = await _json(
        await world.clients["owner"].put(
            bid_url(world, tender), json={**bid_content(), "version": 0}
        )
    )
    return saved


class TestDocuments:
    async def test_an_empty_document_is_refused_alone_and_within_a_submission(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        await _draft_bid(world, tender)  # a bid to leave untouched
        owner, url = world.clients["owner"], bid_url(world, tender)
        body = await refused(_upload(owner, url, b""), 422, "invalid-document")
        assert body["reason"] == "empty"
        # the offer is sealed and written first; the empty one after it undoes everything
        body = await refused(
            _submission(
                owner,
                url,
                content=bid_content(),
                documents=[
                    ("angebot.pdf", OFFER, "offer"),
                    ("leer.pdf", b"", "liability-insurance"),
                ],
            ),
            422,
            "invalid-document",
        )
        assert body["reason"] == "empty"
        # and with no bid at all yet, none is created
        other = world.clients["stranger"]
        await refused(
            _upload(other, bid_url(world, tender, "other_company"), b""), 422, "invalid-document"
        )

    async def test_a_document_over_the_limit_is_refused(
        self,
        world: World,
        small: LoopClient,
        refused: Refusals,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        tender = await published(world)
        url = bid_url(world, tender)
        body = await refused(
            _upload(small, url, b"%PDF" + b"x" * (LIMIT - 3)), 422, "invalid-document"
        )
        assert (body["reason"], body["limit_bytes"]) == ("too-large", LIMIT)
        body = await refused(
            _submission(
                small,
                url,
                content=bid_content(),
                documents=[
                    ("angebot.pdf", OFFER, "offer"),
                    ("haftpflicht.pdf", INSURANCE + b"x" * LIMIT, "liability-insurance"),
                ],
            ),
            422,
            "invalid-document",
        )
        assert body["reason"] == "too-large"
        # a body beyond what the route takes at all: 413, before anything is read
        response = await small.post(
            f"{url}/documents",
            files={"document": ("riesig.pdf", b"x" * (5 * LIMIT + 300 * 1024), "application/pdf")},
        )
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("application/problem+json")
        # exactly at the limit: taken
        before = await stored(sessions, settings)
        added = await _json(await _upload(small, url, b"%PDF" + b"x" * (LIMIT - 4))(), 201)
        assert added["size"] == LIMIT
        assert len((await stored(sessions, settings)).files) == len(before.files) + 1

    async def test_more_documents_than_a_bid_holds_are_refused(
        self,
        world: World,
        small: LoopClient,
        refused: Refusals,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        tender = await published(world)
        url = bid_url(world, tender)
        names = [f"anlage-{n}.pdf" for n in range(1, MAX_DOCUMENTS + 2)]
        documents = [
            ("angebot.pdf", OFFER, "offer"),
            ("haftpflicht.pdf", INSURANCE, "liability-insurance"),
            *((name, OFFER + name.encode(), "other") for name in names[2:]),
        ]
        body = await refused(
            _submission(small, url, content=bid_content(), documents=documents),
            422,
            "invalid-document",
        )
        assert (body["reason"], body["limit"]) == ("too-many", MAX_DOCUMENTS)
        # as many as it holds: taken, in the order sent
        before = await stored(sessions, settings)
        receipt = await _json(
            await _submission(small, url, content=bid_content(), documents=documents[:-1])(), 201
        )
        sent = [name for name, *_ in documents[:-1]]
        assert [d["filename"] for d in receipt["documents"]] == sent
        assert [d["position"] for d in receipt["documents"]] == [1, 2, 3, 4]
        own = await _json(await small.get(url))
        assert [d["filename"] for d in own["documents"]] == sent
        # one more to the working copy: refused
        await refused(_upload(small, url, OFFER, "other"), 422, "invalid-document")
        assert len((await stored(sessions, settings)).rows["bid_documents"]) == MAX_DOCUMENTS
        # a resubmission in one step sends the bid's documents again: they replace the earlier
        # ones (which stay stored for the first receipt), they are not added to them
        again = await _json(
            await _submission(small, url, content=bid_content(), documents=documents[:-1])(), 201
        )
        assert again["kind"] == "resubmission"
        assert [d["filename"] for d in again["documents"]] == sent
        own = await _json(await small.get(url))
        assert [d["filename"] for d in own["documents"]] == sent
        assert [r["documents"] for r in own["receipts"]] == [
            receipt["documents"],
            again["documents"],
        ]
        after = await stored(sessions, settings)
        assert (len(after.rows["bid_documents"]), len(after.files)) == (
            2 * MAX_DOCUMENTS,
            len(before.files) + 2 * MAX_DOCUMENTS,
        )


class TestContent:
    @pytest.mark.parametrize(
        ("text", "mentioned"),
        [
            ('{"lots": [{"lot": 1, "price": "1.00"}', "not JSON"),
            ("Angebot: 1.000 EUR", "not JSON"),
            ('{"lots": "viele"}', "Expected `array`"),
            ('[{"lot": 1, "price": "1.00"}]', "Expected `object`"),
            ('{"lots": [{"lot": 1, "price": "1.00"}], "rabatt": "3 %"}', "rabatt"),
            ('{"lots": [{"lot": 1, "price": "1.00", "skonto": 2}]}', "skonto"),
            ('{"lots": [{"lot": 0, "price": "1.00"}]}', ">= 1"),
            ('{"lots": [{"lot": "eins", "price": "1.00"}]}', "Expected `int`"),
            ('{"declarations": {"no_exclusion_grounds": "ja"}}', "Expected `bool | null`"),
        ],
    )
    async def test_content_that_is_not_a_bid_is_refused(
        self, world: World, refused: Refusals, text: str, mentioned: str
    ) -> None:
        tender = await published(world)
        body = await refused(
            _submission(world.clients["owner"], bid_url(world, tender), content=text),
            422,
            "invalid-bid",
        )
        assert body["errors"][0]["field"] == "content"
        assert mentioned in body["errors"][0]["message"]

    async def test_form_fields_of_the_wrong_type_are_refused(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        body = await refused(
            _submission(owner, url, content=bid_content(), version="drei"), 422, "invalid"
        )
        assert "version" in json.dumps(body)
        for requirements, field in [
            ("offer", "requirements"),
            ('{"offer": 1}', "requirements"),
            ('["offer", 2]', "requirements"),
            ('["offer", "../../etc/passwd"]', "requirement"),
            ('["offer", ""]', "requirement"),
        ]:
            body = await refused(
                _submission(owner, url, content=bid_content(), requirements=requirements),
                422,
                "invalid-bid",
            )
            assert body["errors"][0]["field"] == field, requirements
        body = await refused(
            lambda: owner.post(
                f"{url}/documents",
                files={"dokument": ("angebot.pdf", OFFER, "application/pdf")},
            ),
            422,
            "invalid",
        )
        assert "document" in json.dumps(body)

    async def test_json_bodies_that_are_malformed_unknown_or_mistyped_are_refused(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        headers = {"content-type": "application/json"}
        await refused(
            lambda: owner.put(url, content=b'{"lots": [', headers=headers), 400, "malformed"
        )
        body = await refused(
            lambda: owner.put(url, json={**bid_content(), "version": 0, "rabatt": "3 %"}),
            422,
            "invalid",
        )
        assert "rabatt" in json.dumps(body)
        await refused(lambda: owner.put(url, json={"lots": "viele", "version": 0}), 422, "invalid")
        await refused(lambda: owner.put(url, json={**bid_content(), "version": -1}), 422, "invalid")
        await submit(world, tender)
        await refused(
            lambda: owner.post(f"{url}/withdrawal", content=b"{", headers=headers), 400, "malformed"
        )
        for version in ("zwei", 0, None):
            await refused(
                partial(owner.post, f"{url}/withdrawal", json={"version": version}),
                422,
                "invalid",
            )
        await refused(lambda: owner.post(f"{url}/withdrawal", json={}), 422, "invalid")


PRICES_REFUSED: list[tuple[Any, str, str]] = [
    ("zwölf", "content", "Invalid decimal string"),
    ("12,50", "content", "Invalid decimal string"),
    ("", "content", "Invalid decimal string"),
    ("1e999", "lots[0].price", "implausibly large"),
    ("10000000000000", "lots[0].price", "implausibly large"),
    ("NaN", "lots[0].price", "positive number"),
    ("sNaN", "lots[0].price", "positive number"),
    ("-Infinity", "lots[0].price", "positive number"),
    ("-5", "lots[0].price", "positive number"),
    ("0", "lots[0].price", "positive number"),
    ("-0.00", "lots[0].price", "positive number"),
    ("1.234", "lots[0].price", "two decimal places"),
    ("1e-3", "lots[0].price", "two decimal places"),
    (True, "content", "Expected `decimal`"),
    (None, "content", "Expected `decimal`"),
]


class TestPrices:
    @pytest.mark.parametrize(("price", "field", "message"), PRICES_REFUSED)
    async def test_a_price_that_is_no_amount_of_euros_is_refused_with_the_submission(
        self, world: World, refused: Refusals, price: Any, field: str, message: str
    ) -> None:
        tender = await published(world)
        content = bid_content(lots=[{"lot": 1, "price": price}, {"lot": 2, "price": "1.00"}])
        body = await refused(
            _submission(world.clients["owner"], bid_url(world, tender), content=content),
            422,
            "invalid-bid",
        )
        assert [error["field"] for error in body["errors"]] == [field]
        assert message in body["errors"][0]["message"], body

    async def test_a_price_that_is_no_amount_of_euros_is_refused_in_the_draft(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        saved = await _draft_bid(world, tender)
        owner, url = world.clients["owner"], bid_url(world, tender)
        for price, field, message in PRICES_REFUSED:
            content = bid_content(lots=[{"lot": 1, "price": price}])
            update = {**content, "version": saved["version"]}
            if field == "content":  # not even a decimal: the request's schema refuses it (422)
                await refused(partial(owner.put, url, json=update), 422, "invalid")
                continue
            body = await refused(partial(owner.put, url, json=update), 422, "invalid-bid")
            assert [e["field"] for e in body["errors"]] == [field], price
            assert message in body["errors"][0]["message"]
        # the bid is as it was saved
        assert (await _json(await owner.get(url)))["content"] == saved["content"]

    async def test_lots_the_tender_does_not_have_or_twice_are_refused(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        cases = [
            ([{"lot": 3, "price": "1.00"}], [("lots[0].lot", "no lot 3")]),
            (
                [
                    {"lot": 1, "price": "1.00"},
                    {"lot": 2, "price": "2.00"},
                    {"lot": 1, "price": "3.00"},
                ],
                [("lots[2].lot", "listed twice")],
            ),
            (
                [{"lot": 999, "price": "-1"}],
                [("lots[0].lot", "no lot 999"), ("lots[0].price", "positive number")],
            ),
        ]
        for lots, expected in cases:
            for request in (
                _submission(owner, url, content=bid_content(lots=lots)),
                partial(owner.put, url, json={**bid_content(lots=lots), "version": 0}),
            ):
                body = await refused(request, 422, "invalid-bid")
                found = [(e["field"], e["message"]) for e in body["errors"]]
                assert [f for f, _ in found] == [f for f, _ in expected]
                assert all(part in m for (_, m), (_, part) in zip(found, expected, strict=True))
        assert refused.count == 6


class TestTenders:
    async def _everything(
        self, world: World, tender: dict[str, Any], refused: Refusals, status: int, code: str
    ) -> list[dict[str, Any]]:
        """Save, upload, submit and withdraw on ``tender``: all refused alike."""
        owner, url = world.clients["owner"], bid_url(world, tender)
        return [
            await refused(
                lambda: owner.put(url, json={**bid_content(), "version": 1}), status, code
            ),
            await refused(_upload(owner, url, OFFER), status, code),
            await refused(_submission(owner, url, content=bid_content()), status, code),
            await refused(
                lambda: owner.post(f"{url}/withdrawal", json={"version": 2}), status, code
            ),
        ]

    async def test_no_bid_after_the_deadline_nor_once_the_tender_is_closed(
        self, world: World, refused: Refusals, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await submit(world, tender)
        await pass_deadline(world, tender, timedelta(0))
        for body in await self._everything(world, tender, refused, 409, "deadline-passed"):
            assert body["deadline"] == "2026-04-24T10:00:00+00:00"
            assert body["received_at"] == "2026-04-24T10:00:00+00:00"

        async def closed() -> bool:
            async with sessions() as session:
                row = await session.get(Tender, uuid.UUID(tender["id"]))
                return row is not None and row.status == "closed"

        async def closed_and_settled() -> bool:
            return await closed() and await _jobs_settled(sessions)

        world.clock.advance(timedelta(seconds=1))
        await world.run_jobs(closed_and_settled, "tender closed, the receipt sealed")
        for body in await self._everything(world, tender, refused, 409, "wrong-tender-state"):
            assert body["status"] == 409
            assert "closed" in body["detail"]

    async def test_no_bid_on_a_cancelled_tender(self, world: World, refused: Refusals) -> None:
        tender = await published(world)
        await submit(world, tender)
        await cancel(world, tender)
        for body in await self._everything(world, tender, refused, 409, "wrong-tender-state"):
            assert "cancelled" in body["detail"]

    async def test_a_draft_tender_or_none_at_all_is_not_found(
        self, world: World, refused: Refusals
    ) -> None:
        for tender in (await draft(world), {"id": str(uuid.uuid4())}):
            await self._everything(world, tender, refused, 404, "tender-not-found")
            await refused(
                partial(world.clients["owner"].get, bid_url(world, tender)), 404, "tender-not-found"
            )


class TestEligibility:
    async def test_a_company_without_certificate_or_evidence_is_told_what_is_missing(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        only_offer = [("angebot.pdf", OFFER, "offer")]
        body = await refused(
            _submission(owner, url, content=bid_content(), documents=only_offer),
            422,
            "eligibility-missing",
        )
        certificate, evidence = body["missing"]
        assert certificate == "The company holds no valid pre-qualification certificate."
        assert "Confirmation of business liability insurance (liability-insurance)" in evidence
        assert "Without a certificate covering the tender's scope" in evidence
        # naming a certificate it does not hold changes nothing but the reason
        body = await refused(
            _submission(
                owner,
                url,
                content=bid_content(certificate_number="PQ-HB-2026-999999"),
                documents=only_offer,
            ),
            422,
            "eligibility-missing",
        )
        assert body["missing"][0] == "The company holds no certificate PQ-HB-2026-999999."
        assert "(liability-insurance)" in body["missing"][1]
        # evidence under another purpose is no evidence
        body = await refused(
            _submission(
                owner,
                url,
                content=bid_content(),
                documents=[*only_offer, ("haftpflicht.pdf", INSURANCE, "other")],
            ),
            422,
            "eligibility-missing",
        )
        assert len(body["missing"]) == 2
        # what the bid lacks besides is said first, as invalid-bid
        body = await refused(
            _submission(owner, url, content=bid_content(lots=[]), documents=only_offer),
            422,
            "invalid-bid",
        )
        assert body["errors"] == [
            {"field": "bid", "message": "Offer a price for at least one lot."}
        ]


class TestVersions:
    async def test_a_stale_version_is_refused_everywhere(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        saved = await _draft_bid(world, tender)
        for stale in (0, saved["version"] - 1, saved["version"] + 1):
            body = await refused(
                partial(owner.put, url, json={**bid_content(), "version": stale}),
                409,
                "bid-changed",
            )
            assert body["version"] == saved["version"]
        body = await refused(
            _submission(owner, url, content=bid_content(), version=str(saved["version"] - 1)),
            409,
            "bid-changed",
        )
        assert body["version"] == saved["version"]
        receipt = await submit(world, tender, version=saved["version"])
        current = (await _json(await owner.get(url)))["version"]
        assert receipt["kind"] == "submission"
        body = await refused(
            lambda: owner.post(f"{url}/withdrawal", json={"version": current - 1}),
            409,
            "bid-changed",
        )
        assert body["version"] == current


class TestOpeningAndWithdrawal:
    async def test_a_second_opening_is_refused_and_the_first_stands(
        self, world: World, refused: Refusals, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await submit(world, tender)
        await pass_deadline(world, tender, timedelta(minutes=3))
        await open_bids(world, tender)
        async with sessions() as session:
            first = await session.get(Opening, uuid.UUID(tender["id"]))
            before = await session.get(Tender, uuid.UUID(tender["id"]))
        assert first is not None
        assert before is not None
        url = f"{office_url(world, tender)}/opening"
        for role in ("officer", "officer2"):
            for path in (url, f"{url}/confirmation"):
                body = await refused(
                    partial(world.clients[role].post, path),
                    409,
                    "opening-refused",
                )
                assert body["reason"] == "already-opened"
        async with sessions() as session:
            again = await session.get(Opening, uuid.UUID(tender["id"]))
            row = await session.get(Tender, uuid.UUID(tender["id"]))
        assert again is not None
        assert row is not None
        assert (again.started_by, again.confirmed_at, again.confirmed_by) == (
            first.started_by,
            first.confirmed_at,
            first.confirmed_by,
        )
        assert (row.status, row.version) == ("opened", before.version)

    async def test_withdrawing_a_bid_that_was_never_submitted_is_refused(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        owner, url = world.clients["owner"], bid_url(world, tender)
        # no bid at all
        body = await refused(
            lambda: owner.post(f"{url}/withdrawal", json={"version": 1}), 409, "wrong-tender-state"
        )
        assert body["status"] == 409
        assert "no submitted bid" in body["detail"]
        # a draft
        saved = await _draft_bid(world, tender)
        await refused(
            lambda: owner.post(f"{url}/withdrawal", json={"version": saved["version"]}),
            409,
            "wrong-tender-state",
        )
        # a bid withdrawn already
        await submit(world, tender, version=saved["version"])
        current = (await _json(await owner.get(url)))["version"]
        await _json(await owner.post(f"{url}/withdrawal", json={"version": current}), 201)
        current = (await _json(await owner.get(url)))["version"]
        await refused(
            lambda: owner.post(f"{url}/withdrawal", json={"version": current}),
            409,
            "wrong-tender-state",
        )


class TestReceipts:
    async def test_the_receipt_of_another_company_is_not_found(
        self, world: World, refused: Refusals
    ) -> None:
        tender = await published(world)
        receipt = await submit(world, tender)
        stranger = world.clients["stranger"]
        theirs = f"{bid_url(world, tender)}/receipts/{receipt['id']}"
        mine = f"{bid_url(world, tender, 'other_company')}/receipts/{receipt['id']}"
        for url in (theirs, f"{theirs}/pdf"):
            await refused(partial(stranger.get, url), 404, "organisation-not-found")
        # under its own path: before and after it has a bid of its own
        for _ in range(2):
            for url in (
                mine,
                f"{mine}/pdf",
                f"{bid_url(world, tender, 'other_company')}/receipts/{uuid.uuid4()}",
            ):
                await refused(partial(stranger.get, url), 404, "bid-not-found")
            if not await _has_bid(world, tender):
                await submit(world, tender, role="stranger")
        assert await _has_bid(world, tender)
        # the owner's list names its receipt only
        listed = await _json(await world.clients["owner"].get(bids_url(world)))
        assert [b["receipt_number"] for b in listed] == [receipt["receipt_number"]]


async def _has_bid(world: World, tender: dict[str, Any]) -> bool:
    response = await world.clients["stranger"].get(bid_url(world, tender, "other_company"))
    return response.status_code == 200
