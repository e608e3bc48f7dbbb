"""Amendments through the API (issue 6, items 5 and 9): every change after publication is a
numbered amendment with its changes field by field, announced to everyone interested; the
closing job follows the deadline; a deadline below the minimum, a stale version, another
procedure, no change at all and another authority's officer are refused and change nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.jobs.models import Job
from infra.profile import load_profile
from procurement.tenders import closing
from procurement.tenders.amendments import _deadline_checks
from procurement.tenders.models import Amendment, Tender, TenderDocument
from procurement.tenders.schemas import TenderContent
from tests.procurement.test_clarifications import EU_TENDER, download, mails
from tests.procurement.test_tenders import PDF, _count, _json, base_url, content, draft, published
from tests.worlds import World

LATER = "2026-05-08T12:00:00+02:00"


def amendments_url(world: World, tender: dict[str, Any], organisation: str = "authority") -> str:
    return f"{base_url(world, organisation)}/{tender['id']}/amendments"


async def amend(
    world: World,
    tender: dict[str, Any],
    changes: dict[str, Any],
    *,
    base: dict[str, Any] | None = None,
    summary: str = "Die Angebotsfrist wird verlängert.",
    material: bool = False,
    version: int | None = None,
    role: str = "officer",
    status: int = 201,
) -> Any:
    """Amend ``tender`` with ``content(**base, **changes)`` (``base``: how it was published)."""
    body = {
        "version": tender["version"] if version is None else version,
        "content": content(**{**(base or {}), **changes}),
        "summary": summary,
        "material": material,
    }
    response = await world.clients[role].post(amendments_url(world, tender), json=body)
    return await _json(response, status)


async def closing_job(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> Job:
    async with sessions() as session:
        job = await session.scalar(
            select(Job).where(Job.dedupe_key == closing.close_key(uuid.UUID(tender_id)))
        )
        assert job is not None
        return job


async def stored(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> Tender:
    async with sessions() as session:
        row = await session.get(Tender, uuid.UUID(tender_id))
        assert row is not None
        return row


class TestAmending:
    async def test_extending_the_deadline_is_logged_announced_and_moves_the_closing_job(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "stranger")
        result = await amend(
            world, tender, {"submission_deadline": LATER, "binding_until": "2026-07-31"}
        )
        amendment, view = result["amendment"], result["tender"]
        assert amendment["number"] == 1
        assert amendment["summary"] == "Die Angebotsfrist wird verlängert."
        assert amendment["changes"] == {
            "submission_deadline": {
                "before": "2026-04-24T10:00:00Z",
                "after": "2026-05-08T10:00:00Z",
            },
            "binding_until": {"before": "2026-06-30", "after": "2026-07-31"},
        }
        assert view["version"] == tender["version"] + 1
        assert datetime.fromisoformat(view["submission_deadline"]) == datetime.fromisoformat(LATER)
        assert [a["number"] for a in view["amendments"]] == [1]
        assert result["warnings"] == []
        job = await closing_job(sessions, tender["id"])
        assert (job.state, job.run_at) == ("pending", datetime.fromisoformat(LATER))
        [mail] = await mails(sessions, world.emails["stranger"])
        assert mail.subject == f"Änderung Nr. 1: {tender['number']} / Amendment no. 1"
        assert "Die Angebotsfrist wird verlängert." in mail.body
        assert "08.05.2026, 12:00 Uhr" in mail.body
        assert "8 May 2026, 12:00 (Berlin time)" in mail.body
        assert "Angebots- bzw. Teilnahmefrist, Bindefrist" in mail.body
        assert "wesentlich" not in mail.body
        assert await mails(sessions, world.emails["owner"]) == []
        assert (
            await _count(
                sessions,
                AuditEvent,
                AuditEvent.action == "tender.amend",
                AuditEvent.object_id == tender["id"],
            )
            == 1
        )
        second = await amend(
            world,
            view,
            {"title": "Neubau Grundschule Am Deich: Rohbau (neu)"},
            base={"submission_deadline": LATER, "binding_until": "2026-07-31"},
        )
        assert second["amendment"]["number"] == 2
        assert second["amendment"]["changes"] == {
            "title": {
                "before": "Neubau Grundschule Am Deich: Rohbau",
                "after": "Neubau Grundschule Am Deich: Rohbau (neu)",
            }
        }
        job = await closing_job(sessions, tender["id"])
        assert job.run_at == datetime.fromisoformat(LATER)

    async def test_lots_and_criteria_are_compared_by_value(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        same_amounts = {
            "estimated_value": "850000",
            "lots": [
                {"title": "Rohbau", "estimated_value": "700000", "cpv_codes": ["45210000-2"]},
                {"title": "Gerüst", "estimated_value": "150000.0", "cpv_codes": ["45262100-2"]},
            ],
        }
        problem = await amend(world, tender, same_amounts, status=422)
        assert (problem["code"], problem["reason"]) == ("amendment-refused", "no-change")
        criteria = [
            {"name": "Preis", "kind": "price", "weight": 60, "method": "lowest-price-ratio"},
            {"name": "Bauablaufkonzept", "kind": "quality", "weight": 40, "method": "points"},
        ]
        result = await amend(world, tender, {"criteria": criteria}, material=True)
        changes = result["amendment"]["changes"]
        assert list(changes) == ["criteria"]
        assert [c["weight"] for c in changes["criteria"]["before"]] == [70, 30]
        assert [c["weight"] for c in changes["criteria"]["after"]] == [60, 40]
        assert [c["weight"] for c in result["tender"]["criteria"]] == [60, 40]
        assert await _count(sessions, Amendment) == 1

    async def test_a_material_change_tells_the_bidders_they_may_submit_again(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "owner")
        await amend(
            world,
            tender,
            {"description": "Rohbau mit geänderter Gründung (Pfähle statt Platte)."},
            summary="Die Gründung ändert sich.",
            material=True,
        )
        [mail] = await mails(sessions, world.emails["owner"])
        assert "Die Änderung ist wesentlich" in mail.body
        assert "may submit again" in mail.body

    async def test_an_eu_material_change_without_extension_is_warned_about(
        self, world: World
    ) -> None:
        tender = await published(world, **EU_TENDER)
        result = await amend(
            world,
            tender,
            {"description": "Andere Gründung."},
            base=EU_TENDER,
            material=True,
        )
        assert [w["code"] for w in result["warnings"]] == ["material-change-extension"]
        assert result["tender"]["regime"] == "eu"
        assert result["warnings"][0]["legal_basis"] == "§ 20 Abs. 3 Satz 1 Nr. 2 VgV"
        extended = await amend(
            world,
            result["tender"],
            {"description": "Andere Gründung.", "submission_deadline": "2026-05-22T12:00:00+02:00"},
            base=EU_TENDER,
            material=True,
        )
        assert extended["warnings"] == []
        # a lower estimate leaves it an EU procedure (§ 3 Abs. 3 VgV: the one at dispatch decides)
        lower = await amend(
            world,
            extended["tender"],
            {"estimated_value": "4000000.00"},
            base={
                **EU_TENDER,
                "description": "Andere Gründung.",
                "submission_deadline": "2026-05-22T12:00:00+02:00",
            },
        )
        assert list(lower["amendment"]["changes"]) == ["estimated_value"]
        assert lower["tender"]["regime"] == "eu"

    async def test_after_the_deadline_for_questions_it_may_stay_as_it_was(
        self, world: World
    ) -> None:
        tender = await published(world)
        world.clock.set(datetime.fromisoformat("2026-04-20T09:00:00+02:00"))
        await world.log_in_again("officer")
        result = await amend(world, tender, {"submission_deadline": LATER})
        assert list(result["amendment"]["changes"]) == ["submission_deadline"]
        # but a changed one must lie ahead
        problem = await amend(
            world,
            result["tender"],
            {"submission_deadline": LATER, "clarification_deadline": "2026-04-19T12:00:00+02:00"},
            status=422,
        )
        assert [p["field"] for p in problem["problems"]] == ["clarification_deadline"]

    async def test_a_shorter_deadline_above_the_minimum_is_taken(self, world: World) -> None:
        tender = await published(world)
        result = await amend(
            world,
            tender,
            {
                "clarification_deadline": "2026-04-10T12:00:00+02:00",
                "submission_deadline": "2026-04-20T12:00:00+02:00",
            },
        )
        deadline = datetime.fromisoformat(result["tender"]["submission_deadline"])
        assert deadline == datetime.fromisoformat("2026-04-20T10:00:00Z")


class TestRefusedAmendments:
    async def _unchanged(
        self, world: World, sessions: async_sessionmaker[AsyncSession], tender: dict[str, Any]
    ) -> None:
        row = await stored(sessions, tender["id"])
        assert (row.version, row.title) == (tender["version"], tender["title"])
        assert row.submission_deadline == datetime.fromisoformat(tender["submission_deadline"])
        assert await _count(sessions, Amendment) == 0
        job = await closing_job(sessions, tender["id"])
        assert job.run_at == datetime.fromisoformat(tender["submission_deadline"])
        assert await mails(sessions) == []

    async def test_shortening_below_the_minimum_period_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "owner")
        # published on Friday 27 March: ten days end on Easter Monday, so with Tuesday 7 April
        problem = await amend(
            world,
            tender,
            {
                "clarification_deadline": "2026-04-03T12:00:00+02:00",
                "submission_deadline": "2026-04-07T12:00:00+02:00",
            },
            status=422,
        )
        assert (problem["code"], problem["reason"]) == ("amendment-refused", "deadlines")
        [check] = problem["checks"]
        assert check["code"] == "submission-period"
        assert check["earliest"] == "2026-04-07T22:00:00+00:00"
        await self._unchanged(world, sessions, tender)

    async def test_a_stale_version_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        problem = await amend(
            world, tender, {"title": "Veraltet"}, version=tender["version"] - 1, status=409
        )
        assert (problem["code"], problem["current_version"]) == (
            "tender-changed",
            tender["version"],
        )
        await self._unchanged(world, sessions, tender)

    async def test_no_change_another_procedure_or_regime_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        same = await amend(world, tender, {}, status=422)
        assert same["reason"] == "no-change"
        other = await amend(world, tender, {"procedure": "restricted-tender"}, status=422)
        assert (other["reason"], other["fields"]) == ("new-procedure", ["procedure"])
        kind = await amend(world, tender, {"contract_kind": "services"}, status=422)
        assert "contract_kind" in kind["fields"]
        regime = await amend(world, tender, {"estimated_value": "6000000"}, status=422)
        assert regime["fields"] == ["regime"]  # national, now above the EU threshold
        invalid = await amend(world, tender, {"submission_deadline": None}, status=422)
        assert invalid["code"] == "invalid-tender"
        await self._unchanged(world, sessions, tender)

    async def test_an_officer_of_another_authority_changes_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        body = {
            "version": tender["version"],
            "content": content(title="Fremd geändert"),
            "summary": "Fremd",
        }
        other = world.clients["other_officer"]
        theirs = await other.post(amendments_url(world, tender, "other_authority"), json=body)
        assert (theirs.status_code, theirs.json()["code"]) == (404, "tender-not-found")
        ours = await other.post(amendments_url(world, tender), json=body)
        assert (ours.status_code, ours.json()["code"]) == (404, "organisation-not-found")
        for role in ("evaluator", "owner", "anonymous"):
            response = await world.clients[role].post(amendments_url(world, tender), json=body)
            assert response.status_code in (401, 403, 404), role
        await self._unchanged(world, sessions, tender)

    async def test_a_draft_or_a_closed_tender_is_not_amended(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        unpublished = await draft(world)
        problem = await amend(world, unpublished, {"title": "Entwurf"}, status=409)
        assert problem["code"] == "wrong-tender-state"
        tender = await published(world)
        world.clock.set(datetime.fromisoformat(tender["submission_deadline"]))
        await world.log_in_again("officer")
        late = await amend(world, tender, {"submission_deadline": LATER}, status=409)
        assert late["code"] == "wrong-tender-state"
        assert await _count(sessions, Amendment) == 0


class TestDocumentAmendments:
    async def test_a_new_version_of_a_document_is_an_amendment_of_its_own(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await download(world, tender, "stranger")
        original = tender["documents"][0]
        newer = PDF.replace(b"Leistungsverzeichnis", b"Leistungsverzeichnis, 2. Fassung")
        response = await world.clients["officer"].post(
            f"{amendments_url(world, tender)}/documents",
            files={"document": ("lv-2.pdf", newer, "application/pdf")},
            data={
                "version": str(tender["version"]),
                "summary": "Position 4.2 korrigiert.",
                "title": "Leistungsverzeichnis",
                "replaces": original["key"],
            },
        )
        result = await _json(response, 201)
        amendment, view = result["amendment"], result["tender"]
        assert amendment["number"] == 1
        change = amendment["changes"]["documents"]
        assert change["before"]["sha256"] == original["sha256"]
        assert change["after"]["sha256"] == hashlib.sha256(newer).hexdigest()
        assert (change["after"]["key"], change["after"]["version"]) == (original["key"], 2)
        [document] = view["documents"]
        assert (document["version"], document["amendment_number"]) == (2, 1)
        assert view["version"] == tender["version"] + 1
        [mail] = await mails(sessions, world.emails["stranger"])
        assert "Position 4.2 korrigiert." in mail.body
        assert "Vergabeunterlagen" in mail.body
        # the earlier version stays for the record
        async with sessions() as session:
            versions = (
                await session.scalars(
                    select(TenderDocument.version).where(
                        TenderDocument.key == uuid.UUID(original["key"])
                    )
                )
            ).all()
        assert sorted(versions) == [1, 2]

    async def test_a_document_without_summary_or_on_a_stale_version_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        url = f"{amendments_url(world, tender)}/documents"
        files = {"document": ("anlage.pdf", PDF, "application/pdf")}
        for data in ({}, {"summary": "   "}):
            refused = await world.clients["officer"].post(
                url, files=files, data={"version": str(tender["version"]), **data}
            )
            problem = await _json(refused, 422)
            assert [e["field"] for e in problem["errors"]] == ["summary"]
        stale = await world.clients["officer"].post(
            url,
            files=files,
            data={"version": str(tender["version"] - 1), "summary": "Neue Anlage."},
        )
        assert (await _json(stale, 409))["code"] == "tender-changed"
        assert await _count(sessions, Amendment) == 0
        row = await stored(sessions, tender["id"])
        assert row.version == tender["version"]
        changes = msgspec.json.encode(tender["documents"])
        view = await _json(await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}"))
        assert msgspec.json.encode(view["documents"]) == changes


class TestDeadlineRule:
    """Where the profile only warns of a short period on publication (Hamburg), shortening a
    deadline below the minimum is still refused; lengthening a short one is not."""

    def _checks(self, submission: str) -> dict[str, Any]:
        tender = Tender(
            regime="national",
            procedure="public-tender",
            published_at=datetime.fromisoformat("2026-03-27T10:00:00+01:00"),
            submission_deadline=datetime.fromisoformat("2026-04-06T12:00:00+02:00"),
        )
        changed = msgspec.convert(
            content(clarification_deadline=None, submission_deadline=submission),
            TenderContent,
            strict=False,
        )
        found = _deadline_checks(load_profile("hamburg"), tender, changed)
        return {c.code: c for c in found}

    def test_shortening_below_the_minimum_refuses_where_publication_warns(self) -> None:
        shorter = self._checks("2026-04-03T12:00:00+02:00")["submission-period"]
        assert (shorter.ok, shorter.refuses) == (False, True)
        longer = self._checks("2026-04-07T12:00:00+02:00")["submission-period"]
        assert (longer.ok, longer.refuses) == (False, False)
