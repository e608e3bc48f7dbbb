"""After approval: reminders, suspension, renewal and reinstatement, expiry, revocation; the
register, verification and the authorities' question, each at the right moment (issue 5,
items 4 and 5). The approved state is written through the services (no signing needed); the
renewal goes through the API, the worker and the officer like a real one."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.identity.principal import Principal
from infra.mail.models import Mail
from infra.settings import Settings
from prequalification import certificates, lifecycle
from prequalification.models import (
    Application,
    ApplicationStatus,
    Certificate,
    CertificateEvent,
    Evidence,
    EvidenceStatus,
    SelfDeclarationRecord,
)
from tests.prequalification.conftest import World
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki

SHORT = "liability-insurance"
"""The item that expires first here: max-age 3 months, issued 2026-01-26, last day 2026-04-26."""


async def approved(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> Certificate:
    """An approved works application of the company with every mandatory item accepted; the
    liability insurance expires on 2026-04-26 (30 days after the tests' present)."""
    profile = settings.profile
    now = world.clock.now()
    async with sessions() as session, session.begin():
        application = Application(
            id=uuid.uuid4(),
            organisation_id=world.organisations["company"],
            status=ApplicationStatus.APPROVED,
            categories='["works"]',
            cpv_divisions='["45"]',
            created_at=now,
            submitted_at=now,
            decided_at=now,
            version=5,
        )
        session.add(application)
        await session.flush()
        for evidence_type in profile.prequalification.required_for(["works"]):
            if not evidence_type.mandatory or evidence_type.form != "document":
                continue
            issued = date(2026, 1, 26) if evidence_type.code == SHORT else date(2026, 3, 20)
            stated = date(2027, 1, 31)
            for _ in range(evidence_type.min_items):
                session.add(
                    Evidence(
                        id=uuid.uuid4(),
                        application_id=application.id,
                        organisation_id=application.organisation_id,
                        type_code=evidence_type.code,
                        status=EvidenceStatus.ACCEPTED,
                        filename="x.pdf",
                        sha256="0" * 64,
                        size=1,
                        issued_on=issued,
                        stated_expiry=stated,
                        expires_on=evidence_type.validity.expires_on(issued, stated),
                        uploaded_at=now,
                    )
                )
        session.add(
            SelfDeclarationRecord(
                application_id=application.id,
                answers="[]",
                outcome="pass",
                findings="[]",
                source="form",
                declared_at=now,
            )
        )
        await session.flush()
        return await certificates.issue(
            session,
            profile=profile,
            application=application,
            by=Principal(kind="anonymous"),
            now=now,
        )


async def _sweep(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> lifecycle.SweepSummary:
    async with sessions() as session, session.begin():
        return await lifecycle.sweep(session, profile=settings.profile, now=now)


async def _mails(sessions: async_sessionmaker[AsyncSession], to: str) -> list[Mail]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Mail).where(Mail.to_address == to).order_by(Mail.created_at)
                )
            ).all()
        )


async def _verify(world: World, number: str, at: str | None = None) -> dict[str, Any]:
    url = f"/verify/{number}" + (f"?at={at}" if at else "")
    response = await world.clients["anonymous"].get(url)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestReminders:
    async def test_30_14_and_7_days_before_each_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        await approved(sessions, trusted, world)
        owner = world.emails["owner"]

        first = await _sweep(sessions, trusted, world.clock.now())
        again = await _sweep(sessions, trusted, world.clock.now() + timedelta(hours=6))
        assert (first.reminders, again.reminders) == (1, 0)
        world.clock.advance(timedelta(days=16))  # 14 days left
        assert (await _sweep(sessions, trusted, world.clock.now())).reminders == 1
        world.clock.advance(timedelta(days=7))  # 7 days left
        assert (await _sweep(sessions, trusted, world.clock.now())).reminders == 1
        assert (await _sweep(sessions, trusted, world.clock.now())).reminders == 0

        mails = await _mails(sessions, owner)
        assert [m.subject.startswith("Nachweis läuft ab") for m in mails] == [True] * 3
        assert ["in 30 Tagen" in mails[0].body, "in 14 Tagen" in mails[1].body] == [True, True]
        assert "in 7 Tagen" in mails[2].body
        assert "26.04.2026" in mails[0].body

    async def test_a_sweep_that_missed_days_sends_only_the_nearest(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        await approved(sessions, trusted, world)
        world.clock.advance(timedelta(days=25))  # 5 days left: 30, 14 and 7 all passed
        assert (await _sweep(sessions, trusted, world.clock.now())).reminders == 1
        assert (await _sweep(sessions, trusted, world.clock.now())).reminders == 0
        (mail,) = await _mails(sessions, world.emails["owner"])
        assert "in 5 Tagen" in mail.body


class TestSuspensionAndRenewal:
    async def test_expired_mandatory_item_suspends_and_an_accepted_renewal_reinstates(
        self,
        world: World,
        sessions: async_sessionmaker[AsyncSession],
        trusted: Settings,
        pki: TestPki,
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        number = certificate.number
        issued_at = world.clock.now()

        # When the liability insurance runs out (last day 2026-04-26)
        world.clock.set(datetime.fromisoformat("2026-04-27T06:00:00+02:00"))
        await world.log_in_again("owner", "officer", "other_officer")
        summary = await _sweep(sessions, trusted, world.clock.now())

        # Then the certificate is suspended, the owner told, the register says so
        assert summary.suspended == 1
        assert (await _sweep(sessions, trusted, world.clock.now())).suspended == 0
        verified = await _verify(world, number, at="2026-04-10T12:00:00%2B02:00")
        assert (verified["status_now"], verified["status_at"]) == ("suspended", "valid")
        mails = await _mails(sessions, world.emails["owner"])
        assert mails[-1].subject.startswith("Präqualifizierung ausgesetzt")
        assert SHORT in mails[-1].body

        # And authorities asking about a deadline after that hear "no"
        asked = await world.clients["other_officer"].get(
            "/api/v1/prequalification/qualification",
            params={
                "organisation_id": str(world.organisations["company"]),
                "at": "2026-04-28T10:00:00+02:00",
                "category": "works",
                "cpv": "45",
            },
        )
        assert asked.status_code == 200, asked.text
        assert (asked.json()["qualified"], asked.json()["status_at"]) == (False, "suspended")
        before = await world.clients["other_officer"].get(
            "/api/v1/prequalification/qualification",
            params={
                "organisation_id": str(world.organisations["company"]),
                "at": (issued_at + timedelta(days=1)).isoformat(),
                "cpv": "45",
            },
        )
        assert before.json()["qualified"] is True
        assert before.json()["certificate_number"] == number

        # When the company uploads a renewed confirmation and an officer accepts it
        async with sessions() as session:
            application_id = (await session.scalars(select(Application.id))).one()
        url = f"{world.company_url()}/{application_id}/evidence"
        renewed = await world.clients["owner"].post(
            url,
            data={"type_code": SHORT, "issued_on": "2026-04-20"},
            files={"document": ("haftpflicht.pdf", sign_pdf(pki, make_pdf()), "application/pdf")},
        )
        assert renewed.status_code == 202, renewed.text
        renewal_id = renewed.json()["id"]

        async def checked() -> bool:
            async with sessions() as session:
                item = await session.get(Evidence, uuid.UUID(renewal_id))
                return item is not None and item.status == EvidenceStatus.CHECKED

        await world.run_jobs(checked, "the renewal was checked")
        queue = (await world.clients["officer"].get("/api/v1/prequalification/queue")).json()
        assert [(e["id"], e["status"]) for e in queue] == [(str(application_id), "renewal")]
        decided = await world.clients["officer"].post(
            f"/api/v1/prequalification/applications/{application_id}/evidence/{renewal_id}"
            "/decision",
            json={"decision": "accept", "reason": "Aktuelle Bestätigung."},
        )
        assert decided.status_code == 204, decided.text

        # Then the certificate is valid again, and the owner is told
        assert (await _verify(world, number))["status_now"] == "valid"
        # (mails of the same moment have no order among themselves)
        mails = await _mails(sessions, world.emails["owner"])
        assert sum(m.subject.startswith("Präqualifizierung gilt wieder") for m in mails) == 1
        async with sessions() as session:
            events = (
                await session.scalars(select(CertificateEvent.status).order_by(CertificateEvent.id))
            ).all()
        assert list(events) == ["valid", "suspended", "valid"]


class TestExpiryAndRevocation:
    async def test_after_its_last_day_the_certificate_expires_once(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        assert certificate.valid_to == date(2027, 3, 26)
        world.clock.set(datetime.fromisoformat("2027-03-27T00:30:00+01:00"))
        await world.log_in_again("officer")
        assert (await _sweep(sessions, trusted, world.clock.now())).expired == 1
        assert (await _sweep(sessions, trusted, world.clock.now())).expired == 0
        assert (await _verify(world, certificate.number))["status_now"] == "expired"

    async def test_an_officer_revokes_with_ground_and_period_and_the_company_waits(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        url = f"/api/v1/prequalification/certificates/{certificate.number}/revoke"
        body = {"ground": "corruption", "event_date": "2026-01-10", "reason": "Urteil LG."}

        too_long = await world.clients["officer"].post(
            url, json={**body, "excluded_until": "2031-06-01"}
        )
        assert too_long.status_code == 422
        assert too_long.json()["reason"] == "period-too-long"
        unknown = await world.clients["officer"].post(url, json={**body, "ground": "x"})
        assert unknown.json()["reason"] == "unknown-ground"
        outsider = await world.clients["other_officer"].post(url, json=body)
        assert outsider.status_code == 403
        assert (await _verify(world, certificate.number))["status_now"] == "valid"

        revoked = await world.clients["officer"].post(url, json=body)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["status_now"] == "revoked"
        async with sessions() as session:
            row = await session.get(Certificate, certificate.id)
            assert row is not None
            assert (row.revocation_ground, row.excluded_until) == (
                "corruption",
                date(2031, 1, 10),
            )
        mails = await _mails(sessions, world.emails["owner"])
        assert mails[-1].subject.startswith("Präqualifizierung widerrufen")
        again = await world.clients["owner"].post(
            world.company_url(), json={"categories": ["works"], "cpv_divisions": ["45"]}
        )
        assert again.status_code == 409
        assert again.json()["code"] == "excluded"


class TestRegister:
    async def test_search_by_name_place_scope_and_status(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        client = world.clients["anonymous"]
        url = "/api/v1/prequalification/register"

        async def numbers(**params: str) -> list[str]:
            response = await client.get(url, params=params)
            assert response.status_code == 200, response.text
            return [entry["number"] for entry in response.json()]

        assert await numbers(name="muster") == [certificate.number]
        assert await numbers(name="deich") == []
        assert await numbers(place="Bremen") == [certificate.number]
        assert await numbers(place="28195") == [certificate.number]
        assert await numbers(category="works", cpv="45") == [certificate.number]
        assert await numbers(category="supplies") == []
        assert await numbers(status="valid") == [certificate.number]
        assert await numbers(status="revoked") == []
        assert await numbers(name="100%_") == []
        bad = await client.get(url, params={"cpv": "4"})
        assert bad.status_code == 400 or bad.status_code == 422

    async def test_verification_now_and_at_a_date(
        self, world: World, sessions: async_sessionmaker[AsyncSession], trusted: Settings
    ) -> None:
        certificate = await approved(sessions, trusted, world)
        found = await _verify(world, certificate.number.lower(), at="2026-03-01T00:00:00Z")
        assert found["found"] is True
        assert (found["status_now"], found["status_at"]) == ("valid", None)
        assert found["certificate"]["company_name"] == "Muster Bau GmbH"
        assert found["certificate"]["verify_url"].endswith(f"/verify/{certificate.number}")
        missing = await _verify(world, "HB-PQ-2026-999999")
        assert (missing["found"], missing["status_now"]) == (False, None)
        naive = await world.clients["anonymous"].get(
            f"/verify/{certificate.number}?at=2026-03-01T00:00:00"
        )
        assert naive.status_code == 409 or naive.status_code == 422

    async def test_only_authorities_ask_the_qualification_question(self, world: World) -> None:
        params = {
            "organisation_id": str(world.organisations["company"]),
            "at": "2026-03-27T10:00:00Z",
        }
        for role in ("owner", "anonymous"):
            response = await world.clients[role].get(
                "/api/v1/prequalification/qualification", params=params
            )
            assert response.status_code in (401, 403), role
        none = await world.clients["other_officer"].get(
            "/api/v1/prequalification/qualification", params=params
        )
        assert none.status_code == 200, none.text
        assert none.json()["qualified"] is False
        assert msgspec.json.decode(none.content)["certificate_number"] is None
