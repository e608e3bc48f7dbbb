"""The pre-qualification API end to end: a company applies with signed evidence, an officer
reviews and approves, the certificate is issued and sealed; and every bad input is refused
with a clear problem and no change (issue 5, items 2, 3 and 7)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.identity.models import Membership, User
from infra.mail.models import Mail
from infra.settings import Settings
from prequalification.models import Certificate, Evidence
from tests.prequalification.conftest import World, answers_all_no
from tests.prequalification.test_lifecycle import approved
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki

PROBLEM = "application/problem+json"
ISSUED = "2026-03-17"
STATED_EXPIRY = "2027-01-31"
WORKS = {"categories": ["works"], "cpv_divisions": ["45"]}


@pytest.fixture(scope="module")
def qes_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")


@pytest.fixture(scope="module")
def other_signer_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-adv", level="B-LTA")


async def _create(world: World, body: dict[str, Any] = WORKS) -> dict[str, Any]:
    response = await world.clients["owner"].post(world.company_url(), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _upload(
    world: World,
    application_id: str,
    type_code: str,
    document: bytes,
    *,
    issued_on: str = ISSUED,
    stated_expiry: str | None = STATED_EXPIRY,
    role: str = "owner",
) -> Any:
    data = {"type_code": type_code, "issued_on": issued_on}
    if stated_expiry:
        data["stated_expiry"] = stated_expiry
    return await world.clients[role].post(
        f"{world.company_url()}/{application_id}/evidence",
        data=data,
        files={"document": (f"{type_code}.pdf", document, "application/pdf")},
    )


async def _read(world: World, application_id: str, role: str = "owner") -> dict[str, Any]:
    response = await world.clients[role].get(f"{world.company_url()}/{application_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _all_checked(world: World, application_id: str) -> dict[str, Any]:
    async def checked() -> bool:
        view = await _read(world, application_id)
        return all(item["status"] != "checking" for item in view["evidence"])

    await world.run_jobs(checked, "every evidence upload was checked")
    return await _read(world, application_id)


async def _complete(world: World, application_id: str, document: bytes) -> dict[str, Any]:
    """Upload every mandatory document and declare; returns the checked application."""
    view = await _read(world, application_id)
    for item in view["checklist"]:
        if not item["mandatory"] or item["type_code"] == "exclusion-grounds":
            continue
        for _ in range(item["required_items"]):
            response = await _upload(world, application_id, item["type_code"], document)
            assert response.status_code == 202, response.text
    declared = await world.clients["owner"].put(
        f"{world.company_url()}/{application_id}/self-declaration", json=answers_all_no()
    )
    assert declared.status_code == 200, declared.text
    assert declared.json()["outcome"] == "pass"
    return await _all_checked(world, application_id)


def _office(world: World, application_id: str, action: str = "") -> str:
    return f"/api/v1/prequalification/applications/{application_id}{action}"


class TestTheWholePath:
    async def test_from_application_to_a_sealed_certificate(
        self,
        world: World,
        qes_pdf: bytes,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        # Given a company that applies for works and uploads every mandatory item, signed
        created = await _create(world)
        assert created["status"] == "draft"
        assert not created["complete"]
        assert {item["state"] for item in created["checklist"]} == {"missing"}
        application_id = created["id"]
        view = await _complete(world, application_id, qes_pdf)

        # Then each item is checked: qualified, accepted, signed by the company's owner
        assert view["complete"], view["checklist"]
        for item in view["evidence"]:
            assert item["status"] == "checked"
            assert item["signature_verdict"] == "accepted"
            assert item["signature_label"] == "QESig"
            assert item["flags"] == []
            assert item["signers"] == ["Alice Muster"]

        # When it is submitted and an officer of the office reviews it
        submitted = await world.clients["owner"].post(
            f"{world.company_url()}/{application_id}/submit"
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"
        officer = world.clients["officer"]
        queue = (await officer.get("/api/v1/prequalification/queue")).json()
        assert [(e["id"], e["age_days"]) for e in queue] == [(application_id, 0)]
        started = await officer.post(_office(world, application_id, "/review"))
        assert started.json()["status"] == "in_review"
        for item in started.json()["evidence"]:
            decided = await officer.post(
                _office(world, application_id, f"/evidence/{item['id']}/decision"),
                json={"decision": "accept", "reason": "Geprüft, in Ordnung."},
            )
            assert decided.status_code == 204, decided.text
        current = (await officer.get(_office(world, application_id))).json()
        approved = await officer.post(
            _office(world, application_id, "/approve"), json={"version": current["version"]}
        )

        # Then the certificate is issued with the instance's number, and the owner is told
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        assert approved.json()["certificate_number"] == "HB-PQ-2026-000001"
        async with sessions() as session:
            mail = (
                await session.scalars(select(Mail).where(Mail.to_address == world.emails["owner"]))
            ).one()
        assert "HB-PQ-2026-000001" in mail.subject
        assert "präqualifiziert" in mail.body

        # And the sealing job puts the sealed PDF and the sealed JSON on it
        async def sealed() -> bool:
            async with sessions() as session:
                certificate = (await session.scalars(select(Certificate))).one()
                return certificate.pdf is not None

        await world.run_jobs(sealed, "the certificate was sealed")
        async with sessions() as session:
            certificate = (await session.scalars(select(Certificate))).one()
        assert certificate.pdf is not None
        assert certificate.pdf.startswith(b"%PDF-")
        assert certificate.document_json is not None
        assert b"HB-PQ-2026-000001" in certificate.document_json
        assert certificate.document_signature is not None


class TestCompanyBadInput:
    async def test_divisions_outside_the_categories_are_refused(self, world: World) -> None:
        response = await world.clients["owner"].post(
            world.company_url(), json={"categories": ["works"], "cpv_divisions": ["45", "30"]}
        )
        assert response.status_code == 422
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "invalid-scope"

    async def test_a_second_open_application_for_the_same_scope_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        first = await _create(world)
        second = await world.clients["member"].post(world.company_url(), json=WORKS)
        assert second.status_code == 409
        assert second.json()["code"] == "application-already-open"
        assert second.json()["application_id"] == first["id"]
        listed = (await world.clients["owner"].get(world.company_url())).json()
        assert [item["id"] for item in listed] == [first["id"]]

    async def test_a_non_pdf_is_refused_and_nothing_stored(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await _create(world)
        response = await _upload(world, application["id"], "turnover", b"GIF89a not a pdf")
        assert response.status_code == 422
        assert response.json()["code"] == "unreadable-document"
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Evidence)) == 0

    async def test_an_unsigned_file_where_a_qualified_signature_is_required_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await _create(world)
        response = await _upload(world, application["id"], "tax-clearance", make_pdf())
        assert response.status_code == 422
        assert response.json()["code"] == "evidence-refused"
        assert response.json()["reason"] == "signature-required"
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Evidence)) == 0

    async def test_evidence_already_expired_at_upload_is_refused(self, world: World) -> None:
        application = await _create(world)
        response = await _upload(
            world,
            application["id"],
            "commercial-register-extract",
            make_pdf(),
            issued_on="2025-11-01",
            stated_expiry=None,
        )
        assert response.status_code == 422
        assert response.json()["reason"] == "expired"
        assert (await _read(world, application["id"]))["evidence"] == []

    async def test_a_signer_who_is_not_a_registered_person_is_flagged(
        self, world: World, other_signer_pdf: bytes
    ) -> None:
        application = await _create(world)
        response = await _upload(world, application["id"], "turnover", other_signer_pdf)
        assert response.status_code == 202, response.text
        view = await _all_checked(world, application["id"])
        (item,) = view["evidence"]
        assert "signer-not-representative" in item["flags"]
        assert item["signers"] == ["Bob Beispiel"]

    async def test_submitting_with_a_mandatory_item_missing_is_refused(self, world: World) -> None:
        application = await _create(world)
        response = await world.clients["owner"].post(
            f"{world.company_url()}/{application['id']}/submit"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "application-incomplete"
        assert "tax-clearance" in response.json()["missing"]
        assert (await _read(world, application["id"]))["status"] == "draft"

    async def test_another_company_sees_nothing(self, world: World) -> None:
        application = await _create(world)
        url = f"{world.company_url(organisation='company')}/{application['id']}"
        response = await world.clients["stranger"].get(url)
        assert response.status_code == 404
        other = world.company_url(organisation="other_company")
        response = await world.clients["stranger"].get(f"{other}/{application['id']}")
        assert response.status_code == 404
        assert response.json()["code"] == "application-not-found"


ESPD_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "espd" / "ESPD-Response.xml"


class TestEspdImport:
    async def _import(self, world: World, application_id: str, data: bytes) -> Any:
        return await world.clients["owner"].post(
            f"{world.company_url()}/{application_id}/self-declaration/espd",
            files={"document": ("espd.xml", data, "application/xml")},
        )

    async def test_an_invalid_espd_is_refused_with_line_numbers(self, world: World) -> None:
        application = await _create(world)
        broken = ESPD_SAMPLE.read_bytes().replace(
            b"<cbc:UBLVersionID", b"<cbc:NoSuchElement>x</cbc:NoSuchElement><cbc:UBLVersionID", 1
        )
        response = await self._import(world, application["id"], broken)
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "invalid-espd"
        line = broken[: broken.index(b"<cbc:NoSuchElement>")].count(b"\n") + 1
        assert problem["errors"][0]["line"] == line
        assert (await _read(world, application["id"]))["declaration"] is None

    async def test_an_espd_that_leaves_grounds_open_returns_what_it_mapped(
        self, world: World
    ) -> None:
        application = await _create(world)
        response = await self._import(world, application["id"], ESPD_SAMPLE.read_bytes())
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "incomplete-declaration"
        assert problem["missing"] == ["tax-social-security"]
        assert problem["sme_size"] == "sme"
        assert {answer["code"] for answer in problem["answers"]} >= {"corruption", "fraud"}
        assert (await _read(world, application["id"]))["declaration"] is None


class TestOfficeBadInput:
    async def _submitted(self, world: World, document: bytes) -> str:
        application = await _create(world)
        await _complete(world, application["id"], document)
        response = await world.clients["owner"].post(
            f"{world.company_url()}/{application['id']}/submit"
        )
        assert response.status_code == 200, response.text
        return str(application["id"])

    async def test_an_officer_of_another_authority_may_not_review(
        self, world: World, qes_pdf: bytes
    ) -> None:
        application_id = await self._submitted(world, qes_pdf)
        response = await world.clients["other_officer"].post(
            _office(world, application_id, "/review")
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not-a-prequalification-office"
        queue = await world.clients["other_officer"].get("/api/v1/prequalification/queue")
        assert queue.status_code == 403

    async def test_approval_with_a_mandatory_item_not_accepted_is_refused(
        self, world: World, qes_pdf: bytes
    ) -> None:
        application_id = await self._submitted(world, qes_pdf)
        officer = world.clients["officer"]
        view = (await officer.post(_office(world, application_id, "/review"))).json()
        response = await officer.post(
            _office(world, application_id, "/approve"), json={"version": view["version"]}
        )
        assert response.status_code == 409
        assert response.json()["code"] == "application-incomplete"
        assert (await officer.get(_office(world, application_id))).json()["status"] == "in_review"

    async def test_a_stale_version_is_refused(self, world: World, qes_pdf: bytes) -> None:
        application_id = await self._submitted(world, qes_pdf)
        officer = world.clients["officer"]
        view = (await officer.post(_office(world, application_id, "/review"))).json()
        response = await officer.post(
            _office(world, application_id, "/reject"),
            json={"version": view["version"] - 1, "reason": "Unvollständig."},
        )
        assert response.status_code == 409
        assert response.json()["code"] == "application-changed"

    async def test_an_item_decision_on_a_stale_version_is_refused_and_changes_nothing(
        self, world: World, qes_pdf: bytes
    ) -> None:
        application_id = await self._submitted(world, qes_pdf)
        officer = world.clients["officer"]
        view = (await officer.post(_office(world, application_id, "/review"))).json()
        item = next(e for e in view["evidence"] if e["status"] == "checked")
        decide = _office(world, application_id, f"/evidence/{item['id']}/decision")
        # Given a decision by a colleague in between (the application's version moves on)
        accepted = await officer.post(
            decide, json={"decision": "accept", "reason": "Geprüft.", "version": view["version"]}
        )
        assert accepted.status_code == 204, accepted.text
        # When the officer decides on the version they saw before it
        stale = await officer.post(
            decide, json={"decision": "reject", "reason": "Zu alt.", "version": view["version"]}
        )
        # Then it is refused with the current version, and the item stays accepted
        assert stale.status_code == 409
        assert stale.json()["code"] == "application-changed"
        assert stale.json()["current_version"] == view["version"] + 1
        after = (await officer.get(_office(world, application_id))).json()
        assert next(e for e in after["evidence"] if e["id"] == item["id"])["status"] == "accepted"
        declaration = await officer.post(
            _office(world, application_id, "/self-declaration/decision"),
            json={"decision": "accept", "reason": "Geprüft.", "version": view["version"]},
        )
        assert declaration.status_code == 409

    async def test_changes_requested_mail_lists_what_to_fix_and_resubmission_works(
        self,
        world: World,
        qes_pdf: bytes,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        application_id = await self._submitted(world, qes_pdf)
        officer = world.clients["officer"]
        view = (await officer.post(_office(world, application_id, "/review"))).json()
        turnover = next(e for e in view["evidence"] if e["type_code"] == "turnover")
        rejected = await officer.post(
            _office(world, application_id, f"/evidence/{turnover['id']}/decision"),
            json={"decision": "reject", "reason": "Geschäftsjahr 2025 fehlt."},
        )
        assert rejected.status_code == 204
        current = (await officer.get(_office(world, application_id))).json()
        response = await officer.post(
            _office(world, application_id, "/request-changes"),
            json={"version": current["version"], "message": "Bitte Umsatz ergänzen."},
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "changes_requested"
        async with sessions() as session:
            mail = (
                await session.scalars(select(Mail).where(Mail.to_address == world.emails["owner"]))
            ).one()
        assert "Geschäftsjahr 2025 fehlt." in mail.body
        assert "Bitte Umsatz ergänzen." in mail.body

        # The company replaces the item and resubmits: back in the queue
        replaced = await _upload(world, application_id, "turnover", qes_pdf)
        assert replaced.status_code == 202
        await _all_checked(world, application_id)
        again = await world.clients["owner"].post(f"{world.company_url()}/{application_id}/submit")
        assert again.json()["status"] == "submitted"


class TestOwnOrganisation:
    async def test_an_officer_never_reviews_an_application_of_their_own_company(
        self, world: World, qes_pdf: bytes, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given an officer of the office who is also a member of the applying company
        async with sessions() as session, session.begin():
            officer = (
                await session.scalars(select(User).where(User.email == world.emails["officer2"]))
            ).one()
            session.add(
                Membership(
                    user_id=officer.id,
                    organisation_id=world.organisations["company"],
                    role="member",
                    created_at=world.clock.now(),
                )
            )
        await world.log_in_again("officer2")  # memberships are read at login
        application = await _create(world)
        await _complete(world, application["id"], qes_pdf)
        submitted = await world.clients["owner"].post(
            f"{world.company_url()}/{application['id']}/submit"
        )
        assert submitted.status_code == 200

        # When that officer tries to take it into review or read it as the office
        for response in (
            await world.clients["officer2"].post(_office(world, application["id"], "/review")),
            await world.clients["officer2"].get(_office(world, application["id"])),
        ):
            # Then it is refused, and the application stays untouched
            assert response.status_code == 403
            assert response.json()["code"] == "own-organisation"
        assert (await _read(world, application["id"]))["status"] == "submitted"


class TestExclusionPeriod:
    async def test_the_company_may_apply_again_from_the_day_after_the_last_berlin_day(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        revoked = await world.clients["officer"].post(
            f"/api/v1/prequalification/certificates/{certificate.number}/revoke",
            json={
                "ground": "professional-misconduct",
                "event_date": "2026-01-10",
                "excluded_until": "2026-03-28",
                "reason": "Schwere Verfehlung.",
            },
        )
        assert revoked.status_code == 200, revoked.text
        # 23:30 in Berlin on the last day of the period (22:30 UTC): still excluded
        world.clock.set(datetime.fromisoformat("2026-03-28T22:30:00+00:00"))
        await world.log_in_again("owner")
        still = await world.clients["owner"].post(world.company_url(), json=WORKS)
        assert still.status_code == 409
        assert still.json()["code"] == "excluded"
        # 00:30 in Berlin on the next day, while it is still the 28th in UTC: the period is over
        world.clock.set(datetime.fromisoformat("2026-03-28T23:30:00+00:00"))
        await world.log_in_again("owner")
        again = await world.clients["owner"].post(world.company_url(), json=WORKS)
        assert again.status_code == 201, again.text
