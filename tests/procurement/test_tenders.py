"""Tender authoring and publication through the API (issue 6, items 1, 2, 7 and 9): drafts with
their rules, documents with hash and version, the publication checklist, publishing once, the
public view, downloads that are remembered, and closing at the deadline by the job system."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.jobs.models import Job
from procurement.tenders import closing
from procurement.tenders.models import Download, Tender
from tests.worlds import World

PDF = b"%PDF-1.7\n" + b"Leistungsverzeichnis " * 200 + b"\n%%EOF\n"


def content(**changes: Any) -> dict[str, Any]:
    """A national works tender (below the EU threshold), deadlines 4 weeks ahead."""
    base: dict[str, Any] = {
        "title": "Neubau Grundschule Am Deich: Rohbau",
        "description": "Rohbauarbeiten für den Neubau einer dreizügigen Grundschule.",
        "procedure": "public-tender",
        "contract_kind": "works",
        "estimated_value": "850000.00",
        "cpv_codes": ["45210000-2", "45223220-4"],
        "nuts_code": "DE501",
        "clarification_deadline": "2026-04-14T12:00:00+02:00",
        "submission_deadline": "2026-04-24T12:00:00+02:00",
        "binding_until": "2026-06-30",
        "lots": [
            {"title": "Rohbau", "estimated_value": "700000.00", "cpv_codes": ["45210000-2"]},
            {"title": "Gerüst", "estimated_value": "150000.00", "cpv_codes": ["45262100-2"]},
        ],
        "criteria": [
            {"name": "Preis", "kind": "price", "weight": 70, "method": "lowest-price-ratio"},
            {
                "name": "Bauablaufkonzept",
                "kind": "quality",
                "weight": 30,
                "method": "points",
                "max_points": 10,
            },
        ],
        "pq_categories": ["works"],
        "pq_divisions": ["45"],
        "evidence_types": ["liability-insurance"],
    }
    return {**base, **changes}


def base_url(world: World, organisation: str = "authority") -> str:
    return f"/api/v1/organisations/{world.organisations[organisation]}/tenders"


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def draft(world: World, **changes: Any) -> dict[str, Any]:
    created: dict[str, Any] = await _json(
        await world.clients["officer"].post(base_url(world), json=content(**changes)), 201
    )
    return created


async def with_document(world: World, tender: dict[str, Any]) -> dict[str, Any]:
    url = f"{base_url(world)}/{tender['id']}/documents"
    document: dict[str, Any] = await _json(
        await world.clients["officer"].post(
            url,
            files={"document": ("leistungsverzeichnis.pdf", PDF, "application/pdf")},
            data={"title": "Leistungsverzeichnis"},
        ),
        201,
    )
    return document


async def published(world: World, **changes: Any) -> dict[str, Any]:
    tender = await draft(world, **changes)
    await with_document(world, tender)
    current = await _json(await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}"))
    result: dict[str, Any] = await _json(
        await world.clients["officer"].post(
            f"{base_url(world)}/{tender['id']}/publish", json={"version": current["version"]}
        )
    )
    return result


async def _count(sessions: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestDrafts:
    async def test_an_officer_creates_a_draft_with_lots_criteria_and_a_number(
        self, world: World
    ) -> None:
        tender = await draft(world)
        assert tender["status"] == "draft"
        assert tender["number"] == "HB-V-2026-000001"
        assert tender["regime"] == "national"
        assert [lot["number"] for lot in tender["lots"]] == [1, 2]
        assert tender["lots"][1]["estimated_value"] == "150000.00"
        assert [c["weight"] for c in tender["criteria"]] == [70, 30]
        assert tender["cpv_codes"] == ["45210000-2", "45223220-4"]
        second = await draft(world, title="Neubau Kita Hafenkante")
        assert second["number"] == "HB-V-2026-000002"

    async def test_an_eu_value_previews_the_eu_regime(self, world: World) -> None:
        tender = await draft(world, procedure="open", estimated_value="5404000")
        assert tender["regime"] == "eu"

    async def test_broken_rules_are_each_named_and_nothing_is_stored(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await world.clients["officer"].post(
            base_url(world),
            json=content(
                cpv_codes=["45210000-3"],
                nuts_code="XX1",
                estimated_value="1000.001",
                submission_deadline="2026-03-01T12:00:00+01:00",
                criteria=[
                    {"name": "Preis", "kind": "price", "weight": 60, "method": "points"},
                    {"name": "Qualität", "kind": "quality", "weight": 30, "method": "points"},
                ],
                evidence_types=["no-such-type"],
            ),
        )
        problem = await _json(response, 422)
        assert problem["code"] == "invalid-tender"
        fields = {p["field"] for p in problem["problems"]}
        assert fields == {
            "cpv_codes[0]",
            "nuts_code",
            "estimated_value",
            "submission_deadline",
            "clarification_deadline",
            "criteria[0].method",
            "criteria",
            "evidence_types[0]",
        }
        weights = next(p for p in problem["problems"] if p["field"] == "criteria")
        assert "90" in weights["message"]
        assert await _count(sessions, Tender) == 0

    async def test_questions_must_end_before_the_submission_deadline(self, world: World) -> None:
        response = await world.clients["officer"].post(
            base_url(world),
            json=content(clarification_deadline="2026-04-24T12:00:00+02:00"),
        )
        problem = await _json(response, 422)
        assert [p["field"] for p in problem["problems"]] == ["clarification_deadline"]

    async def test_malformed_json_and_unknown_fields_are_refused(self, world: World) -> None:
        officer = world.clients["officer"]
        bad = await officer.post(
            base_url(world), content=b"{", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400
        unknown = await officer.post(base_url(world), json=content(secret_field=1))
        assert unknown.status_code == 422
        assert "secret_field" in unknown.text
        assert bad.headers["content-type"].startswith("application/problem+json")

    async def test_saving_needs_the_version_seen_and_changes_the_content(
        self, world: World
    ) -> None:
        tender = await draft(world)
        url = f"{base_url(world)}/{tender['id']}"
        changed = await _json(
            await world.clients["officer"].put(
                url,
                json={"version": tender["version"], "content": content(title="Neubau Schule")},
            )
        )
        assert (changed["title"], changed["version"]) == ("Neubau Schule", tender["version"] + 1)
        stale = await world.clients["officer2"].put(
            url, json={"version": tender["version"], "content": content(title="Anders")}
        )
        problem = await _json(stale, 409)
        assert problem["code"] == "tender-changed"
        assert problem["current_version"] == changed["version"]
        now = await _json(await world.clients["officer"].get(url))
        assert now["title"] == "Neubau Schule"

    async def test_another_authority_sees_nothing_and_companies_may_not(self, world: World) -> None:
        tender = await draft(world)
        # an officer of another authority, through their own authority's path: not found
        other = world.clients["other_officer"]
        theirs = f"{base_url(world, 'other_authority')}/{tender['id']}"
        assert (await other.get(theirs)).status_code == 404
        put = await other.put(theirs, json={"version": 1, "content": content()})
        assert put.status_code == 404
        # through the first authority's path: not a member
        assert (await other.get(f"{base_url(world)}/{tender['id']}")).status_code == 404
        # a company, an evaluator and the public may not write
        for role in ("owner", "evaluator", "anonymous"):
            response = await world.clients[role].post(base_url(world), json=content())
            assert response.status_code in (401, 403, 404), (role, response.text)
        # and a draft is nobody's business in public
        public = await world.clients["owner"].get(f"/api/v1/tenders/{tender['id']}")
        assert public.status_code == 404


class TestDocuments:
    async def test_a_document_is_stored_with_its_hash_and_a_new_version_replaces_it(
        self, world: World
    ) -> None:
        tender = await draft(world)
        first = await with_document(world, tender)
        assert first["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert (first["version"], first["size"]) == (1, len(PDF))
        url = f"{base_url(world)}/{tender['id']}/documents"
        newer = PDF.replace(b"Leistungsverzeichnis", b"Leistungsverzeichnis v2")
        second = await _json(
            await world.clients["officer"].post(
                url,
                files={"document": ("lv.pdf", newer, "application/pdf")},
                data={"title": "Leistungsverzeichnis", "replaces": first["key"]},
            ),
            201,
        )
        assert (second["key"], second["version"]) == (first["key"], 2)
        view = await _json(await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}"))
        assert [d["id"] for d in view["documents"]] == [second["id"]]
        download = await world.clients["officer"].get(f"{url}/{second['id']}")
        assert download.status_code == 200
        assert download.content == newer

    async def test_empty_files_and_active_content_are_handled(self, world: World) -> None:
        tender = await draft(world)
        url = f"{base_url(world)}/{tender['id']}/documents"
        empty = await world.clients["officer"].post(
            url, files={"document": ("leer.pdf", b"", "application/pdf")}
        )
        assert (await _json(empty, 422))["reason"] == "empty"
        html = await _json(
            await world.clients["officer"].post(
                url, files={"document": ("x.html", b"<script>alert(1)</script>", "text/html")}
            ),
            201,
        )
        assert html["media_type"] == "application/octet-stream"
        served = await world.clients["officer"].get(f"{url}/{html['id']}")
        assert served.headers["content-type"].startswith("application/octet-stream")
        assert served.headers["content-disposition"].startswith("attachment")


class TestPublication:
    async def test_the_checklist_names_what_is_missing(self, world: World) -> None:
        tender = await draft(world, binding_until=None)
        check = await _json(
            await world.clients["officer"].get(
                f"{base_url(world)}/{tender['id']}/publication-check"
            )
        )
        assert check["can_publish"] is False
        by_code = {c["code"]: c for c in check["checks"]}
        assert by_code["documents"]["refuses"] is True
        assert by_code["binding-period-set"] == {
            **by_code["binding-period-set"],
            "ok": False,
            "refuses": False,
        }
        assert by_code["criteria"]["ok"] is True
        assert by_code["submission-period"]["ok"] is True
        refused = await world.clients["officer"].post(
            f"{base_url(world)}/{tender['id']}/publish", json={"version": tender["version"]}
        )
        problem = await _json(refused, 422)
        assert problem["code"] == "publication-refused"
        assert [c["code"] for c in problem["checks"]] == ["documents"]

    async def test_publishing_twice_has_one_effect(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        assert tender["status"] == "published"
        assert tender["regime"] == "national"
        again = await _json(
            await world.clients["officer"].post(
                f"{base_url(world)}/{tender['id']}/publish", json={"version": 1}
            )
        )
        assert (again["status"], again["version"]) == ("published", tender["version"])
        assert await _count(sessions, Job, Job.actor == closing.CLOSE_TENDER) == 1
        assert (
            await _count(
                sessions,
                AuditEvent,
                AuditEvent.action == "tender.publish",
                AuditEvent.object_id == tender["id"],
            )
            == 1
        )

    async def test_a_published_tender_is_changed_only_by_amendment(self, world: World) -> None:
        tender = await published(world)
        url = f"{base_url(world)}/{tender['id']}"
        put = await world.clients["officer"].put(
            url, json={"version": tender["version"], "content": content(title="Heimlich")}
        )
        assert (await _json(put, 409))["code"] == "wrong-tender-state"
        added = await world.clients["officer"].post(
            f"{url}/documents", files={"document": ("x.pdf", PDF, "application/pdf")}
        )
        assert (await _json(added, 409))["code"] == "wrong-tender-state"
        assert (await _json(await world.clients["officer"].get(url)))["title"] == tender["title"]

    async def test_a_period_below_the_minimum_is_refused(self, world: World) -> None:
        tender = await draft(
            world,
            clarification_deadline="2026-03-30T12:00:00+02:00",
            submission_deadline="2026-04-02T12:00:00+02:00",
        )
        await with_document(world, tender)
        current = await _json(
            await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}")
        )
        refused = await world.clients["officer"].post(
            f"{base_url(world)}/{tender['id']}/publish", json={"version": current["version"]}
        )
        problem = await _json(refused, 422)
        assert "submission-period" in [c["code"] for c in problem["checks"]]


class TestPublicReadingAndDownloads:
    async def test_the_public_reads_it_and_a_company_download_is_remembered_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        public = await _json(
            await world.clients["anonymous"].get(f"/api/v1/tenders/{tender['id']}")
        )
        assert public["number"] == tender["number"]
        document = public["documents"][0]
        url = f"/api/v1/tenders/{tender['id']}/documents/{document['id']}"
        assert (await world.clients["anonymous"].get(url)).status_code == 401
        for _ in range(2):
            response = await world.clients["owner"].get(url)
            assert response.status_code == 200
            assert hashlib.sha256(response.content).hexdigest() == document["sha256"]
        async with sessions() as session:
            rows = (await session.scalars(select(Download))).all()
        assert [(r.organisation_id, r.document_id) for r in rows] == [
            (world.organisations["company"], uuid.UUID(document["id"]))
        ]
        other = f"/api/v1/tenders/{tender['id']}/documents/{uuid.uuid4()}"
        assert (await world.clients["owner"].get(other)).status_code == 404


class TestClosing:
    async def test_the_job_closes_it_at_the_deadline_and_not_before(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        deadline = datetime.fromisoformat(tender["submission_deadline"])
        world.clock.set(deadline - timedelta(seconds=1))
        async with sessions() as session, session.begin():
            assert not await closing.close(
                session, tender_id=uuid.UUID(tender["id"]), now=world.clock.now()
            )
        world.clock.set(deadline)

        async def closed() -> bool:
            async with sessions() as session:
                row = await session.get(Tender, uuid.UUID(tender["id"]))
                return row is not None and row.status == "closed"

        await world.run_jobs(closed, "the tender was closed at its deadline")
        async with sessions() as session:
            row = await session.get(Tender, uuid.UUID(tender["id"]))
            assert row is not None
            assert row.closed_at == deadline

    async def test_the_sweep_closes_what_a_lost_job_left_open(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        async with sessions() as session, session.begin():
            job = (
                await session.scalars(select(Job).where(Job.actor == closing.CLOSE_TENDER))
            ).one()
            await session.delete(job)
        world.clock.advance(timedelta(days=40))
        async with sessions() as session, session.begin():
            assert await closing.close_overdue(session, now=world.clock.now()) == 1
        async with sessions() as session, session.begin():
            assert await closing.close_overdue(session, now=world.clock.now()) == 0
        async with sessions() as session:
            row = await session.get(Tender, uuid.UUID(tender["id"]))
            assert row is not None
            assert row.status == "closed"
        payload = msgspec.json.encode(closing.SweepTenders())
        assert payload == b"{}"


class TestControlCharacters:
    async def test_a_nul_in_a_text_is_never_a_server_error(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # PostgreSQL refuses NUL in text (422, nothing stored); SQLite stores it as given
        created = await world.clients["officer"].post(
            base_url(world), json=content(title="Schule\u0000Neubau")
        )
        assert created.status_code in (201, 422), created.text
        if created.status_code == 422:
            assert created.json()["code"] == "invalid"
            assert await _count(sessions, Tender) == 0
        searched = await world.clients["anonymous"].get(
            "/api/v1/tenders", params={"text": "a\u0000b"}
        )
        assert searched.status_code in (200, 422), searched.text
