"""Directive 2014/24/EU, Annex IV, point by point, through the API: the tools for the electronic
receipt of tenders must guarantee, through technical means and appropriate procedures, that

(a) the exact time and date of the receipt of tenders can be determined accurately;
(b) it can be reasonably ensured that, before the time limits laid down, no-one can have access
    to data transmitted under these requirements;
(c) only authorised persons can set or change the dates for opening data received;
(d) during the different stages of the procurement procedure, only authorised persons can have
    access to all, or part of, the data submitted;
(e) only authorised persons can give access to data transmitted and only after the prescribed
    date;
(f) data received and opened in accordance with these requirements remains accessible only to
    persons authorised to acquaint themselves therewith;
(g) where the access prohibitions or conditions referred to in points (b) to (f) are infringed
    or there is an attempt to do so, it can be reasonably ensured that the infringements or
    attempts are clearly detectable.

Every test names the point it proves. (b) reads the database and the files as someone holding a
copy of them would: raw, without the platform's key.
"""

from __future__ import annotations

import json
import logging
import subprocess
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.audit.service import digest, verify
from infra.db.base import Base
from infra.settings import Settings
from procurement.bids import drafting, vault
from procurement.bids.jobs import minutes_facts
from procurement.bids.models import Bid, Opening, Submission
from procurement.tenders.models import Amendment, Tender
from tests.procurement.bid_checks import (
    Refusal,
    api_token,
    as_bytes,
    bid_files,
    events,
    leaks,
    problem,
    refusals,
    stored,
    user_id,
)
from tests.procurement.bid_support import (
    INSURANCE,
    OFFER,
    PRICES,
    bid_content,
    bid_url,
    bids_url,
    deadline_of,
    declare_no_conflict,
    office_url,
    open_bids,
    pass_deadline,
    submit,
)
from tests.procurement.test_amendments import LATER, amendments_url
from tests.procurement.test_clarifications import mails
from tests.procurement.test_tenders import _json, content, published
from tests.worlds import World

SECRET_PRICES = ("734911.29", "86420.17")
SECRET_NAMES = ("Kalkulation-Vertraulich-Q7.pdf", "Nachweis-Haftpflicht-Z3.pdf")
MARKER = b"VERTRAULICHES-PREISBLATT-7Q3Z"
SECRET_OFFER = (
    b"%PDF-1.7\n" + (MARKER + b" Einheitspreis Position 01.02.0030 ") * 120 + b"\n%%EOF\n"
)
SECRET_EVIDENCE = (
    b"%PDF-1.7\n" + b"Haftpflicht-Police HV-2026-553190 Deckungssumme " * 60 + b"\n%%EOF\n"
)
DECLARATION = (
    "Selbstreinigung nach § 125 GWB: Schaden ersetzt, Geschäftsführung gewechselt (Az. 4711-ÖÜ)"
)
AUTHORITY_PEOPLE = ("officer", "officer2", "evaluator")


def secret_content() -> dict[str, Any]:
    return {
        "lots": [{"lot": 1, "price": SECRET_PRICES[0]}, {"lot": 2, "price": SECRET_PRICES[1]}],
        "declarations": {
            "no_exclusion_grounds": False,
            "self_cleaning": DECLARATION,
            "binding_period_accepted": True,
        },
    }


def _chunks(data: bytes, size: int = 48) -> set[bytes]:
    return {data[start : start + size] for start in range(0, len(data) - size + 1, size)}


def secrets_of_the_bid() -> list[bytes]:
    """Every piece of the owner's bid that nobody but the company may see before the opening."""
    texts = [
        *SECRET_PRICES,
        "734.911,29",
        "86.420,17",
        *SECRET_NAMES,
        *(name.removesuffix(".pdf") for name in SECRET_NAMES),
        DECLARATION,
        "Geschäftsführung gewechselt",
        json.dumps(DECLARATION)[1:-1],  # as JSON writes it with \u escapes
        "Schaden ersetzt",
        "HV-2026-553190",
    ]
    return [
        *(value.encode() for value in texts),
        MARKER,
        *_chunks(SECRET_OFFER[9:]),
        *_chunks(SECRET_EVIDENCE[9:]),
    ]


SECRETS = secrets_of_the_bid()


def no_secret_in(response: httpx.Response) -> None:
    assert leaks(response.content, SECRETS) == [], (response.request.url, response.text[:500])


async def submit_secret_bid(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    receipt: dict[str, Any] = await submit(
        world,
        tender,
        content=secret_content(),
        documents=[
            (SECRET_NAMES[0], SECRET_OFFER, "offer"),
            (SECRET_NAMES[1], SECRET_EVIDENCE, "liability-insurance"),
        ],
    )
    return receipt


async def _receipts_sealed(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        pending = await session.scalar(
            select(Submission.id).where(Submission.receipt_pdf.is_(None)).limit(1)
        )
        return pending is None


async def tender_row(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> Tender:
    async with sessions() as session:
        row = await session.get(Tender, uuid.UUID(tender_id))
        assert row is not None
        return row


async def opening_row(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> Opening | None:
    async with sessions() as session:
        return await session.get(Opening, uuid.UUID(tender_id))


# --- (a) ----------------------------------------------------------------------------------------


async def test_annex_iv_a_the_time_of_receipt_is_exact_to_the_microsecond_and_the_deadline_is_hard(
    world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    tender = await published(world)
    deadline = deadline_of(tender)
    just_before = deadline - timedelta(microseconds=1)
    # One microsecond before the deadline: accepted
    world.clock.set(just_before)
    await world.log_in_again("owner", "stranger")
    receipt = await submit(world, tender)
    assert receipt["received_at"] == "2026-04-24T09:59:59.999999Z"
    assert receipt["received_at_local"] == "2026-04-24T11:59:59.999999+02:00"
    # The submission row, the bid and the audit event hold the same moment
    owner = await user_id(sessions, world.emails["owner"])
    async with sessions() as session:
        row = await session.get(Submission, uuid.UUID(receipt["id"]))
        assert row is not None
        assert row.received_at == just_before
        assert row.by == owner
        bid = await session.get(Bid, row.bid_id)
        assert bid is not None
        assert bid.submitted_at == just_before
        (event,) = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "bid.submission"))
        ).all()
    assert event.at == just_before
    assert event.actor_user_id == owner
    assert event.object_id == str(row.bid_id)
    assert event.after_digest == digest(
        {
            "tender": tender["id"],
            "receipt_number": receipt["receipt_number"],
            "received_at": "2026-04-24T09:59:59.999999+00:00",
            "bid_sha256": receipt["bid_sha256"],
        }
    )
    # The company reads the same receipt again, and its mail states the moment in both zones
    again = await _json(
        await world.clients["owner"].get(f"{bid_url(world, tender)}/receipts/{receipt['id']}")
    )
    assert again["received_at"] == receipt["received_at"]
    (mail,) = await mails(sessions, world.emails["owner"])
    assert "2026-04-24 09:59:59.999999 UTC" in mail.body
    assert "24.04.2026, 11:59:59.999999 (Europe/Berlin, UTC+0200)" in mail.body
    # The sealed receipt PDF cuts the fraction: it never looks as if it came at the deadline
    await world.run_jobs(lambda: _receipts_sealed(sessions), "receipt sealed")
    pdf = await world.clients["owner"].get(f"{bid_url(world, tender)}/receipts/{receipt['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    words = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "2026-04-24 09:59:59 UTC (24.04.2026, 11:59:59 MESZ)" in words
    assert "10:00:00 UTC" in words  # the deadline, stated beside it
    assert words.count("10:00:00 UTC") == 1

    # Exactly at the deadline: refused, with both moments named, and nothing is stored
    world.clock.set(deadline)
    await world.log_in_again("stranger")
    before = await stored(sessions, settings)
    refused = problem(
        await world.clients["stranger"].post(
            f"{bid_url(world, tender, 'other_company')}/submission",
            data={
                "content": json.dumps(bid_content("other_company")),
                "requirements": json.dumps(["offer", "liability-insurance"]),
            },
            files=[
                ("documents", ("angebot.pdf", OFFER, "application/pdf")),
                ("documents", ("haftpflicht.pdf", INSURANCE, "application/pdf")),
            ],
        ),
        409,
        "deadline-passed",
    )
    assert refused["deadline"] == "2026-04-24T10:00:00+00:00"
    assert refused["received_at"] == "2026-04-24T10:00:00+00:00"
    assert datetime.fromisoformat(refused["deadline"]) == deadline
    assert "2026-04-24T10:00:00+00:00" in refused["detail"]
    assert await stored(sessions, settings) == before
    assert before.counts()["bids"] == 1
    assert await mails(sessions, world.emails["stranger"]) == []


async def test_annex_iv_a_the_receipt_time_is_taken_last_so_a_request_begun_in_time_can_be_late(
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request starts two seconds before the deadline; while its documents are sealed and
    written the deadline passes. Its receipt time is the moment it is stored: too late."""
    tender = await published(world)
    deadline = deadline_of(tender)
    world.clock.set(deadline - timedelta(seconds=2))
    await world.log_in_again("owner")
    checked: list[tuple[datetime, bool]] = []
    written: list[str] = []
    open_tender, store_document = drafting.open_tender, drafting.store_document

    async def slow_open_tender(*args: Any, **kwargs: Any) -> Tender:
        found = await open_tender(*args, **kwargs)
        checked.append((kwargs["now"], kwargs.get("share", True)))
        world.clock.set(deadline)  # the checks and the sealing take their time
        return found

    async def counting_store_document(*args: Any, **kwargs: Any) -> Any:
        stored_document = await store_document(*args, **kwargs)
        written.append(kwargs["filename"])
        return stored_document

    monkeypatch.setattr(drafting, "open_tender", slow_open_tender)
    monkeypatch.setattr(drafting, "store_document", counting_store_document)
    before = await stored(sessions, settings)
    refused = problem(
        await world.clients["owner"].post(
            f"{bid_url(world, tender)}/submission",
            data={
                "content": json.dumps(bid_content()),
                "requirements": json.dumps(["offer", "liability-insurance"]),
            },
            files=[
                ("documents", ("angebot.pdf", OFFER, "application/pdf")),
                ("documents", ("haftpflicht.pdf", INSURANCE, "application/pdf")),
            ],
        ),
        409,
        "deadline-passed",
    )
    # checked in time at the start, sealed and written, then refused at the receipt time
    assert checked == [(deadline - timedelta(seconds=2), True)]
    assert written == ["angebot.pdf", "haftpflicht.pdf"]
    assert refused["received_at"] == "2026-04-24T10:00:00+00:00"
    # … and nothing of it is left: no row, no file, no mail, no job, no event
    assert await stored(sessions, settings) == before
    assert before.counts() == {
        "bids": 0,
        "bid_documents": 0,
        "bid_submissions": 0,
        "bid_tender_keys": 0,
        "bid_openings": 0,
        "files": len(before.files),
    }
    assert not (settings.storage.root / "bids" / tender["id"]).exists() or not any(
        (settings.storage.root / "bids" / tender["id"]).iterdir()
    )


# --- (b) ----------------------------------------------------------------------------------------


class TestAnnexIvB:
    """Before the deadline nobody reads a bid: not through any route, not in the database, not
    in the files, not in the mails, not in the logs."""

    @pytest.fixture
    async def sealed(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> dict[str, Any]:
        """A published tender with the owner's secret bid and another company's bid, their
        receipts sealed; the ids an insider could have guessed."""
        tender = await published(world)
        await submit(world, tender, role="stranger")
        receipt = await submit_secret_bid(world, tender)
        await world.run_jobs(lambda: _receipts_sealed(sessions), "receipts sealed")
        own = await _json(await world.clients["owner"].get(bid_url(world, tender)))
        # the company itself reads its bid: the secrets are there to be found
        assert [lot["price"] for lot in own["content"]["lots"]] == list(SECRET_PRICES)
        assert [d["filename"] for d in own["documents"]] == list(SECRET_NAMES)
        return {
            "tender": tender,
            "bid": own["id"],
            "document": own["documents"][0]["id"],
            "receipt": receipt["id"],
        }

    async def test_annex_iv_b_no_route_gives_anyone_a_bid_before_the_deadline(
        self, world: World, sessions: async_sessionmaker[AsyncSession], sealed: dict[str, Any]
    ) -> None:
        tender = sealed["tender"]
        clients = world.clients
        now = world.clock.now()
        _, authority_token = await api_token(
            sessions, world.organisations["authority"], ["tenders:read", "tenders:write"], now
        )
        _, company_token = await api_token(
            sessions, world.organisations["company"], ["bids:write"], now
        )
        _, stranger_token = await api_token(
            sessions, world.organisations["other_company"], ["bids:write"], now
        )
        office = office_url(world, tender)
        sealed_routes = [
            f"{office}/bids/opened",
            f"{office}/bids/{sealed['bid']}/documents/{sealed['document']}",
            f"{office}/opening/minutes",
        ]
        outsiders: list[tuple[str, dict[str, str], int, str]] = [
            ("other_officer", {}, 404, "organisation-not-found"),
            ("owner", {}, 404, "organisation-not-found"),
            ("member", {}, 404, "organisation-not-found"),
            ("stranger", {}, 404, "organisation-not-found"),
            ("anonymous", {}, 401, "not-authenticated"),
            ("anonymous", company_token, 404, "organisation-not-found"),
        ]
        tried = 0
        for url in sealed_routes:
            for role in AUTHORITY_PEOPLE:
                response = await clients[role].get(url)
                problem(response, 409, "bids-sealed")
                no_secret_in(response)
                tried += 1
            # the authority's API token: no token reads bids
            response = await clients["anonymous"].get(url, headers=authority_token)
            problem(response, 403, "access-denied")
            for role, headers, status, code in outsiders:
                response = await clients[role].get(url, headers=headers)
                problem(response, status, code)
                no_secret_in(response)
                tried += 1
            # the officer of another authority, through their own authority's path
            theirs = url.replace(
                str(world.organisations["authority"]), str(world.organisations["other_authority"])
            )
            problem(await clients["other_officer"].get(theirs), 404, "tender-not-found")
        assert tried == 27

        # The number of bids is all the authority learns, and nobody else learns even that
        for role in AUTHORITY_PEOPLE:
            response = await clients[role].get(f"{office}/bids")
            count = await _json(response)
            assert set(count) == {
                "tender_id",
                "tender_status",
                "submission_deadline",
                "bids",
                "opening",
            }
            assert (count["bids"], count["opening"]) == (2, None)
            no_secret_in(response)
        by_token = await _json(
            await clients["anonymous"].get(f"{office}/bids", headers=authority_token)
        )
        assert by_token["bids"] == 2
        for role, headers, status, code in outsiders:
            problem(await clients[role].get(f"{office}/bids", headers=headers), status, code)
        assert await _json(await clients["officer"].get(f"{office}/opening")) is None

        # The company's routes are the company's: another company, the authority, anonymous
        company = bids_url(world, "company")
        receipt = f"{company}/{tender['id']}/receipts/{sealed['receipt']}"
        company_routes = [
            company,
            f"{company}/{tender['id']}",
            f"{company}/{tender['id']}/documents/{sealed['document']}",
            receipt,
            f"{receipt}/pdf",
        ]
        for url in company_routes:
            for role, headers, status, code in [
                ("stranger", {}, 404, "organisation-not-found"),
                ("anonymous", stranger_token, 404, "organisation-not-found"),
                ("officer", {}, 404, "organisation-not-found"),
                ("evaluator", {}, 404, "organisation-not-found"),
                ("other_officer", {}, 404, "organisation-not-found"),
                ("anonymous", {}, 401, "not-authenticated"),
            ]:
                response = await clients[role].get(url, headers=headers)
                problem(response, status, code)
                no_secret_in(response)
        # … and under another company's own path the ids of the owner's bid find nothing
        theirs = f"{bids_url(world, 'other_company')}/{tender['id']}"
        for role, headers in [("stranger", {}), ("anonymous", stranger_token)]:
            problem(
                await clients[role].get(
                    f"{theirs}/documents/{sealed['document']}", headers=headers
                ),
                404,
                "document-not-found",
            )
            for url in (
                f"{theirs}/receipts/{sealed['receipt']}",
                f"{theirs}/receipts/{sealed['receipt']}/pdf",
            ):
                problem(await clients[role].get(url, headers=headers), 404, "bid-not-found")
            response = await clients[role].get(theirs, headers=headers)
            assert [lot["price"] for lot in (await _json(response))["content"]["lots"]] == list(
                PRICES["other_company"]
            )
            no_secret_in(response)
        # the company's own token reads its own bid (the routes above are not broken)
        own = await clients["anonymous"].get(f"{company}/{tender['id']}", headers=company_token)
        assert own.status_code == 200
        assert SECRET_PRICES[0] in own.text

        # The public tender API knows nothing of bids
        for role in ("anonymous", "stranger", "officer"):
            for url in (
                f"/api/v1/tenders/{tender['id']}",
                "/api/v1/tenders",
                "/api/v1/tenders/feed.atom",
            ):
                response = await clients[role].get(url)
                assert response.status_code == 200, (url, response.text)
                no_secret_in(response)
        public = await _json(await clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}"))
        assert "bids" not in public
        assert "opening" not in public

    async def test_annex_iv_b_the_database_files_mails_and_logs_hold_only_ciphertext(
        self,
        world: World,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        tender = await published(world)
        await submit(world, tender, role="stranger")
        receipt = await submit_secret_bid(world, tender)
        # the working copy changes after the submission: the draft is sealed as well
        bid = await _json(await world.clients["owner"].get(bid_url(world, tender)))
        await _json(
            await world.clients["member"].put(
                bid_url(world, tender), json={**secret_content(), "version": bid["version"]}
            )
        )
        await world.run_jobs(lambda: _receipts_sealed(sessions), "receipts sealed")
        needles = [*SECRETS, b"%PDF"]

        # The bid tables, read raw: ciphertext only
        async with sessions() as session:
            contents = (await session.execute(text("SELECT id, content FROM bids"))).all()
            metas = (await session.execute(text("SELECT meta, checked FROM bid_documents"))).all()
            manifests = (
                await session.execute(
                    text("SELECT id, manifest, receipt_pdf, bid_sha256 FROM bid_submissions")
                )
            ).all()
        assert (len(contents), len(metas), len(manifests)) == (2, 4, 2)
        blobs = [as_bytes(c) for _, c in contents]
        blobs += [as_bytes(m) for m, _ in metas]
        blobs += [as_bytes(value) for _, m, r, _ in manifests for value in (m, r)]
        assert all(len(blob) > 28 for blob in blobs)  # all there, the receipts sealed too
        for blob in blobs:
            assert leaks(blob, needles) == []
            with pytest.raises(msgspec.DecodeError):  # no JSON, no structure to read
                msgspec.json.decode(blob)
        assert receipt["bid_sha256"] in {sha for *_, sha in manifests}

        # … and the whole database, every table and column, holds no word of the bid
        scanned = 0
        async with sessions() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    for value in row:
                        found = leaks(as_bytes(value), SECRETS)
                        assert found == [], (table.name, found)
                        scanned += 1
        assert scanned > 500

        # The files under <storage>/bids: one per document, each the document sealed
        root = settings.storage.root / "bids" / tender["id"]
        files = sorted(path for path in root.iterdir())
        assert len(files) == 4
        assert set(bid_files(settings)) >= {f"{tender['id']}/{path.name}" for path in files}
        kek = vault.kek_from_settings(settings)
        async with sessions() as session:
            key = await vault.data_key(
                session, kek, uuid.UUID(tender["id"]), now=world.clock.now(), create=False
            )
        assert key is not None
        opened = set()
        for path in files:
            data = path.read_bytes()
            assert leaks(data, needles) == []
            plain = vault.open_sealed(key, data, vault.document_context(uuid.UUID(path.name)))
            assert len(data) == len(plain) + 28
            opened.add(plain)
        # (with the key, which is not in the database, they are the documents)
        assert opened == {SECRET_OFFER, SECRET_EVIDENCE, OFFER, INSURANCE}
        owner_content = next(c for i, c in contents if uuid.UUID(str(i)) == uuid.UUID(bid["id"]))
        plain = vault.open_sealed(key, owner_content, vault.content_context(uuid.UUID(bid["id"])))
        assert SECRET_PRICES[0].encode() in plain
        assert DECLARATION.encode() in plain

        # The mails name neither prices nor documents
        sent = await mails(sessions)
        assert {mail.to_address for mail in sent} == {
            world.emails["owner"],
            world.emails["stranger"],
        }
        (owner_mail,) = [m for m in sent if m.to_address == world.emails["owner"]]
        assert receipt["bid_sha256"] in owner_mail.body
        for mail in sent:
            assert leaks(f"{mail.subject}\n{mail.body}".encode(), SECRETS) == []

        # The application's log records neither
        logged = [
            f"{record.getMessage()} {vars(record)} {record.exc_text or ''}"
            for record in caplog.records
        ]
        assert any(
            record.name == "vergabe.access"
            and str(getattr(record, "path", "")).endswith("/submission")
            for record in caplog.records
        )
        assert any(record.name == "vergabe.procurement" for record in caplog.records)
        for line in logged:
            assert leaks(line.encode(), SECRETS) == [], line[:300]


# --- (c) ----------------------------------------------------------------------------------------


async def test_annex_iv_c_only_the_authoritys_officers_set_the_deadline_or_start_the_opening(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender = await published(world)
    await submit(world, tender)
    body = {
        "version": tender["version"],
        "content": content(submission_deadline=LATER),
        "summary": "Die Angebotsfrist wird verlängert.",
        "material": False,
    }
    _, authority_token = await api_token(
        sessions,
        world.organisations["authority"],
        ["tenders:read", "tenders:write"],
        world.clock.now(),
    )
    url = amendments_url(world, tender)
    for role, headers, status, code in [
        ("evaluator", {}, 403, "access-denied"),
        ("other_officer", {}, 404, "organisation-not-found"),
        ("owner", {}, 404, "organisation-not-found"),
        ("stranger", {}, 404, "organisation-not-found"),
        ("anonymous", {}, 401, "not-authenticated"),
        ("anonymous", authority_token, 403, "access-denied"),
    ]:
        problem(await world.clients[role].post(url, json=body, headers=headers), status, code)
    problem(
        await world.clients["other_officer"].post(
            amendments_url(world, tender, "other_authority"), json=body
        ),
        404,
        "tender-not-found",
    )
    # Nothing changed
    row = await tender_row(sessions, tender["id"])
    assert row.submission_deadline == deadline_of(tender)
    assert row.version == tender["version"]
    async with sessions() as session:
        assert (await session.scalars(select(Amendment))).all() == []
    assert await events(sessions, "tender.amend") == []

    # The authority's officer may (the same request)
    amended = await _json(await world.clients["officer"].post(url, json=body), 201)
    assert (await tender_row(sessions, tender["id"])).submission_deadline == datetime.fromisoformat(
        LATER
    )
    tender = amended["tender"]

    # After the deadline nobody moves it any more, not even the officer
    await pass_deadline(world, tender, timedelta(minutes=1))
    late = {
        **body,
        "version": tender["version"],
        "content": content(submission_deadline="2026-06-01T12:00:00+02:00"),
    }
    problem(await world.clients["officer"].post(url, json=late), 409, "wrong-tender-state")
    assert (await tender_row(sessions, tender["id"])).submission_deadline == datetime.fromisoformat(
        LATER
    )

    # Only an officer of the authority starts the opening, and only another one confirms it
    opening = f"{office_url(world, tender)}/opening"
    refused = [
        ("evaluator", {}, 403, "access-denied"),
        ("other_officer", {}, 404, "organisation-not-found"),
        ("owner", {}, 404, "organisation-not-found"),
        ("stranger", {}, 404, "organisation-not-found"),
        ("anonymous", {}, 401, "not-authenticated"),
        ("anonymous", authority_token, 403, "access-denied"),
    ]
    for role, headers, status, code in refused:
        problem(await world.clients[role].post(opening, headers=headers), status, code)
    assert await opening_row(sessions, tender["id"]) is None
    started = await _json(await world.clients["officer"].post(opening), 201)
    for role, headers, status, code in refused:
        problem(
            await world.clients[role].post(f"{opening}/confirmation", headers=headers),
            status,
            code,
        )
    row_opening = await opening_row(sessions, tender["id"])
    assert row_opening is not None
    assert row_opening.started_by == await user_id(sessions, world.emails["officer"])
    assert (row_opening.confirmed_at, row_opening.confirmed_by) == (None, None)
    assert (await tender_row(sessions, tender["id"])).status == "published"
    assert started["confirmed_at"] is None
    problem(
        await world.clients["officer"].get(f"{office_url(world, tender)}/bids/opened"),
        409,
        "bids-sealed",
    )


# --- (d) ----------------------------------------------------------------------------------------


async def test_annex_iv_d_after_the_opening_only_the_authority_reads_and_a_company_its_own_bid(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender = await published(world)
    await submit(world, tender)
    await submit(world, tender, role="stranger")
    await pass_deadline(world, tender, timedelta(minutes=2))
    await open_bids(world, tender)
    office = office_url(world, tender)
    clients = world.clients

    # The authority's officers and evaluators (having declared no conflict of interest) read
    # every bid and its documents
    await declare_no_conflict(world, tender)
    for role in AUTHORITY_PEOPLE:
        bids = await _json(await clients[role].get(f"{office}/bids/opened"))
        assert {b["company_name"]: [lot["price"] for lot in b["lots"]] for b in bids} == {
            "Muster Bau GmbH": list(PRICES["company"]),
            "Deichbau AG": list(PRICES["other_company"]),
        }
    document = bids[0]["documents"][0]
    document_url = f"{office}/bids/{bids[0]['id']}/documents/{document['id']}"
    for role in AUTHORITY_PEOPLE:
        response = await clients[role].get(document_url)
        assert response.status_code == 200
        assert response.content == OFFER

    # Nobody else: another authority, the companies, anonymous, an API token
    _, authority_token = await api_token(
        sessions, world.organisations["authority"], ["tenders:read"], world.clock.now()
    )
    _, company_token = await api_token(
        sessions, world.organisations["company"], ["bids:write"], world.clock.now()
    )
    for url in (f"{office}/bids/opened", document_url, f"{office}/opening/minutes"):
        for role, headers, status, code in [
            ("other_officer", {}, 404, "organisation-not-found"),
            ("owner", {}, 404, "organisation-not-found"),
            ("member", {}, 404, "organisation-not-found"),
            ("stranger", {}, 404, "organisation-not-found"),
            ("anonymous", {}, 401, "not-authenticated"),
            ("anonymous", authority_token, 403, "access-denied"),
            ("anonymous", company_token, 404, "organisation-not-found"),
        ]:
            response = await clients[role].get(url, headers=headers)
            problem(response, status, code)
            assert PRICES["company"][0] not in response.text
        theirs = url.replace(
            str(world.organisations["authority"]), str(world.organisations["other_authority"])
        )
        problem(await clients["other_officer"].get(theirs), 404, "tender-not-found")

    # A company sees its own bid, never the other one
    for role, organisation, other in [
        ("owner", "company", "other_company"),
        ("member", "company", "other_company"),
        ("stranger", "other_company", "company"),
    ]:
        response = await clients[role].get(bid_url(world, tender, organisation))
        own = await _json(response)
        assert [lot["price"] for lot in own["content"]["lots"]] == list(PRICES[organisation])
        assert all(price not in response.text for price in PRICES[other])
        listed = await _json(await clients[role].get(bids_url(world, organisation)))
        assert [(b["tender_id"], b["id"]) for b in listed] == [(tender["id"], own["id"])]
        problem(
            await clients[role].get(bid_url(world, tender, other)), 404, "organisation-not-found"
        )
    stranger_bid = next(b for b in bids if b["company_name"] == "Deichbau AG")
    for url in (
        f"{bid_url(world, tender)}/documents/{stranger_bid['documents'][0]['id']}",
        f"{bid_url(world, tender)}/receipts/{uuid.uuid4()}",
    ):
        response = await clients["owner"].get(url)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


# --- (e) ----------------------------------------------------------------------------------------


async def test_annex_iv_e_two_different_officers_open_after_the_deadline_within_the_window(
    world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    tender = await published(world)
    await submit(world, tender)
    office = office_url(world, tender)
    opening = f"{office}/opening"
    officer, officer2 = world.clients["officer"], world.clients["officer2"]
    window = timedelta(minutes=settings.bids.opening_window_minutes)
    assert window == timedelta(minutes=30)

    # Before the deadline: neither start nor confirmation
    assert (await problem_of(officer.post(opening), 409))["reason"] == "deadline-not-passed"
    world.clock.set(deadline_of(tender) - timedelta(microseconds=1))
    await world.log_in_again("officer", "officer2")
    assert (await problem_of(officer.post(opening), 409))["reason"] == "deadline-not-passed"
    assert (await problem_of(officer2.post(f"{opening}/confirmation"), 409))[
        "reason"
    ] == "deadline-not-passed"
    assert await opening_row(sessions, tender["id"]) is None

    # At the deadline: one officer starts; the same officer cannot confirm
    world.clock.set(deadline_of(tender))
    await world.log_in_again("officer", "officer2", "evaluator")
    assert (await problem_of(officer2.post(f"{opening}/confirmation"), 409))[
        "reason"
    ] == "not-started"
    started = await _json(await officer.post(opening), 201)
    assert (
        datetime.fromisoformat(started["expires_at"])
        - datetime.fromisoformat(started["started_at"])
        == window
    )
    assert (await problem_of(officer.post(f"{opening}/confirmation"), 409))[
        "reason"
    ] == "same-officer"
    again = await _json(await officer.post(opening), 201)  # starting twice changes nothing
    assert again["started_at"] == started["started_at"]
    assert (await problem_of(officer2.post(opening), 409))["reason"] == "started-by-other"
    problem(await officer.get(f"{office}/bids/opened"), 409, "bids-sealed")

    # The window runs out: the confirmation comes too late, and the bids stay sealed
    world.clock.advance(window)
    assert (await problem_of(officer2.post(f"{opening}/confirmation"), 409))["reason"] == "expired"
    assert (await tender_row(sessions, tender["id"])).status == "published"
    problem(await officer2.get(f"{office}/bids/opened"), 409, "bids-sealed")

    # Anyone of the two starts again; the other confirms just within the new window
    restarted = await _json(await officer2.post(opening), 201)
    assert restarted["started_by"] == "Otto Zweit"
    assert datetime.fromisoformat(restarted["started_at"]) == deadline_of(tender) + window
    world.clock.advance(window - timedelta(microseconds=1))
    await world.log_in_again("officer", "officer2", "evaluator")
    assert (await problem_of(officer2.post(f"{opening}/confirmation"), 409))[
        "reason"
    ] == "same-officer"
    confirmed = await _json(await officer.post(f"{opening}/confirmation"))
    assert (confirmed["started_by"], confirmed["confirmed_by"]) == ("Otto Zweit", "Olga Vergabe")
    row = await tender_row(sessions, tender["id"])
    assert row.status == "opened"
    stored_opening = await opening_row(sessions, tender["id"])
    assert stored_opening is not None
    assert stored_opening.confirmed_at == deadline_of(tender) + 2 * window - timedelta(
        microseconds=1
    )
    await declare_no_conflict(world, tender)
    assert len(await _json(await world.clients["evaluator"].get(f"{office}/bids/opened"))) == 1

    # A second opening: refused, to either officer, and the first stands
    for client, url in [
        (officer, opening),
        (officer2, opening),
        (officer, f"{opening}/confirmation"),
        (officer2, f"{opening}/confirmation"),
    ]:
        assert (await problem_of(client.post(url), 409))["reason"] == "already-opened"
    after = await opening_row(sessions, tender["id"])
    assert after is not None
    assert (after.started_at, after.started_by, after.confirmed_at, after.confirmed_by) == (
        stored_opening.started_at,
        stored_opening.started_by,
        stored_opening.confirmed_at,
        stored_opening.confirmed_by,
    )
    assert len(await events(sessions, "tender.open")) == 1


async def problem_of(request: Any, status: int) -> dict[str, Any]:
    """The ``opening-refused`` problem a request is answered with."""
    return problem(await request, status, "opening-refused")


# --- (f) ----------------------------------------------------------------------------------------


async def test_annex_iv_f_every_read_after_the_opening_is_recorded_with_the_reader(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tender = await published(world)
    first = await submit(world, tender)
    second = await submit(world, tender, role="stranger")
    office = office_url(world, tender)
    # Refused reads before the opening are no reads
    problem(await world.clients["evaluator"].get(f"{office}/bids/opened"), 409, "bids-sealed")
    await pass_deadline(world, tender, timedelta(minutes=1))
    await open_bids(world, tender)
    assert await events(sessions, "bid.read") == []

    evaluator = await user_id(sessions, world.emails["evaluator"])
    officer2 = await user_id(sessions, world.emails["officer2"])
    authority = world.organisations["authority"]
    await declare_no_conflict(world, tender)
    bids = await _json(await world.clients["evaluator"].get(f"{office}/bids/opened"))
    reads = await events(sessions, "bid.read")
    assert [(e.actor_user_id, e.organisation_id, e.object_id) for e in reads] == [
        (evaluator, authority, bid["id"]) for bid in bids
    ]
    assert [e.after_digest for e in reads] == [
        digest({"tender": tender["id"], "receipt_number": bid["receipt_number"]}) for bid in bids
    ]
    assert {bid["receipt_number"] for bid in bids} == {
        first["receipt_number"],
        second["receipt_number"],
    }
    assert all(e.at == world.clock.now() for e in reads)

    # A document read names the document and its hash
    document = bids[1]["documents"][1]
    response = await world.clients["officer2"].get(
        f"{office}/bids/{bids[1]['id']}/documents/{document['id']}"
    )
    assert response.content == INSURANCE
    (read,) = await events(sessions, "bid.document_read")
    assert (read.actor_user_id, read.organisation_id, read.object_id) == (
        officer2,
        authority,
        bids[1]["id"],
    )
    assert read.after_digest == digest(
        {"tender": tender["id"], "document": document["id"], "sha256": document["sha256"]}
    )

    # Refused reads after the opening leave no read behind
    for role in ("other_officer", "owner", "anonymous"):
        response = await world.clients[role].get(f"{office}/bids/opened")
        assert response.status_code in (401, 404)
    assert len(await events(sessions, "bid.read")) == 2
    assert len(await events(sessions, "bid.document_read")) == 1

    # The minutes, once written, are read on record too
    async def minutes_ready() -> bool:
        opened = await opening_row(sessions, tender["id"])
        return opened is not None and opened.minutes_pdf is not None

    await world.run_jobs(minutes_ready, "minutes written")
    minutes = await world.clients["evaluator"].get(f"{office}/opening/minutes")
    assert minutes.status_code == 200
    (minutes_read,) = await events(sessions, "tender.minutes_read")
    assert (minutes_read.actor_user_id, minutes_read.object_id) == (evaluator, tender["id"])
    # They name every price; the database keeps them sealed like the bids, so that nobody
    # reads the opened bids past the platform (and past this record)
    text_of_minutes = " ".join(
        subprocess.run(
            ["pdftotext", "-", "-"], input=minutes.content, capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    assert "612.345,67 EUR" in text_of_minutes
    assert "Deichbau AG" in text_of_minutes
    async with sessions() as session:
        (stored_minutes,) = (
            await session.execute(text("SELECT minutes_pdf FROM bid_openings"))
        ).scalars()
    assert minutes.content.startswith(b"%PDF")
    assert leaks(as_bytes(stored_minutes), [b"%PDF", b"Deichbau", b"/FlateDecode"]) == []


# --- (g) ----------------------------------------------------------------------------------------


async def test_annex_iv_g_every_refused_attempt_is_recorded_and_the_chain_holds(
    world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    tender = await published(world)
    await submit(world, tender)
    bid = await _json(await world.clients["owner"].get(bid_url(world, tender)))
    document = bid["documents"][0]["id"]
    people: dict[str, uuid.UUID | None] = {
        role: await user_id(sessions, email) for role, email in world.emails.items()
    }
    people["anonymous"] = None
    authority = world.organisations["authority"]
    other_authority = world.organisations["other_authority"]
    token_id, authority_token = await api_token(
        sessions, authority, ["tenders:read", "tenders:write"], world.clock.now()
    )
    office = office_url(world, tender)
    theirs = office_url(world, tender, "other_authority")
    body = {
        "version": tender["version"],
        "content": content(submission_deadline=LATER),
        "summary": "Verlängerung",
        "material": False,
    }
    expected: list[Refusal] = []

    async def attempt(
        role: str,
        method: str,
        path: str,
        status: int,
        code: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> None:
        response = await world.clients[role].request(
            method, path, headers=headers or {}, json=json_body
        )
        problem(response, status, code)
        expected.append(
            Refusal(
                actor=None if headers else people[role],
                organisation_id=other_authority if path.startswith(theirs) else authority,
                method=method,
                path=path,
                code=code,
                status=status,
                token=token_id if headers else None,
            )
        )

    # Before the deadline: reads of the sealed bids, the opening, the deadline itself
    await attempt("officer", "GET", f"{office}/bids/opened", 409, "bids-sealed")
    await attempt(
        "evaluator", "GET", f"{office}/bids/{bid['id']}/documents/{document}", 409, "bids-sealed"
    )
    await attempt("officer2", "GET", f"{office}/opening/minutes", 409, "bids-sealed")
    await attempt("other_officer", "GET", f"{office}/bids/opened", 404, "organisation-not-found")
    await attempt("other_officer", "GET", f"{theirs}/bids/opened", 404, "tender-not-found")
    await attempt("stranger", "GET", f"{office}/bids", 404, "organisation-not-found")
    await attempt(
        "owner",
        "GET",
        f"{office}/bids/{bid['id']}/documents/{document}",
        404,
        "organisation-not-found",
    )
    await attempt("anonymous", "GET", f"{office}/bids/opened", 401, "not-authenticated")
    await attempt(
        "anonymous", "GET", f"{office}/bids/opened", 403, "access-denied", headers=authority_token
    )
    await attempt("evaluator", "POST", f"{office}/opening", 403, "access-denied")
    await attempt("officer", "POST", f"{office}/opening", 409, "opening-refused")
    await attempt("officer2", "POST", f"{office}/opening/confirmation", 409, "opening-refused")
    await attempt(
        "evaluator", "POST", amendments_url(world, tender), 403, "access-denied", json_body=body
    )
    await attempt(
        "owner",
        "POST",
        amendments_url(world, tender),
        404,
        "organisation-not-found",
        json_body=body,
    )
    await attempt(
        "anonymous", "POST", amendments_url(world, tender), 401, "not-authenticated", json_body=body
    )
    # Allowed requests are no attempts
    await _json(await world.clients["officer"].get(f"{office}/bids"))
    await _json(await world.clients["evaluator"].get(f"{office}/opening"))

    # After the deadline: an officer alone, outsiders, a late amendment, a second opening
    await pass_deadline(world, tender, timedelta(minutes=1))
    await attempt(
        "officer", "POST", amendments_url(world, tender), 409, "wrong-tender-state", json_body=body
    )
    await _json(await world.clients["officer"].post(f"{office}/opening"), 201)
    await attempt("officer", "POST", f"{office}/opening/confirmation", 409, "opening-refused")
    await attempt(
        "other_officer", "POST", f"{office}/opening/confirmation", 404, "organisation-not-found"
    )
    await attempt("evaluator", "POST", f"{office}/opening/confirmation", 403, "access-denied")
    await _json(await world.clients["officer2"].post(f"{office}/opening/confirmation"))
    await attempt("officer2", "POST", f"{office}/opening", 409, "opening-refused")
    await attempt("stranger", "GET", f"{office}/bids/opened", 404, "organisation-not-found")
    await attempt(
        "anonymous", "GET", f"{office}/bids/opened", 403, "access-denied", headers=authority_token
    )

    # Each attempt is one tender.refused event: who, where, what they were told
    recorded = await refusals(sessions)
    assert len(recorded) == len(expected) == 22
    for event, refusal in zip(recorded, expected, strict=True):
        assert event.object_type == "tender"
        assert event.object_id == tender["id"]
        assert event.actor_user_id == refusal.actor, refusal
        assert event.organisation_id == refusal.organisation_id, refusal
        assert event.after_digest == refusal.after_digest(), refusal
    assert [event.at for event in recorded] == sorted(event.at for event in recorded)

    # The minutes of the opening point them out
    async with sessions() as session:
        row = await session.get(Tender, uuid.UUID(tender["id"]))
        opening = await session.get(Opening, uuid.UUID(tender["id"]))
        assert row is not None
        assert opening is not None
        key = await vault.data_key(
            session, vault.kek_from_settings(settings), row.id, now=world.clock.now(), create=False
        )
        facts = await minutes_facts(session, row, opening, settings, key)
    assert any(f"{len(expected)} zurückgewiesene Zugriffsversuche" in a for a in facts.anomalies)

    # And the audit chain, with every refusal in it, verifies
    async with sessions() as session:
        report = await verify(session)
        total = len((await session.scalars(select(AuditEvent.seq))).all())
    assert report.ok, report
    assert report.events == total
    assert total > len(expected)
