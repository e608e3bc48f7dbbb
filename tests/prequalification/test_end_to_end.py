"""Pre-qualification end to end through the public API only (issue 5): a company registers,
applies for works with signed evidence, the office approves, the certificate is sealed and
verifiable; the evidence that expires first brings the 30-, 14- and 7-day reminders, then the
suspension, and its renewal, once accepted, the reinstatement."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.settings import Settings
from prequalification.models import Certificate
from tests.infra.identity.conftest import PASSWORD, company, token_in
from tests.prequalification.conftest import SIGNER, World, answers_all_no
from tests.prequalification.test_lifecycle import SHORT, _mails, _sweep, _verify
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.support import LoopClient

ISSUED = "2026-03-17"
SHORT_ISSUED = "2026-01-26"
"""The liability insurance (not older than 3 months) runs until 2026-04-26."""
STATED_EXPIRY = "2027-01-31"


@pytest.fixture(scope="module")
def qes_pdf(pki: TestPki) -> bytes:
    return sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")


async def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


class TestFromRegistrationToReinstatement:
    async def test_the_whole_life_of_a_pre_qualification(
        self,
        app: Litestar,
        world: World,
        trusted: Settings,
        sessions: async_sessionmaker[AsyncSession],
        qes_pdf: bytes,
    ) -> None:
        async with LoopClient(app, lifespan=False) as owner:
            # Given a company that registers; its owner is the signer of the test PKI
            data = company(1, owner_name=SIGNER)
            registered = await _json(await owner.post("/api/v1/registrations", json=data), 201)
            (mail,) = await _mails(sessions, data["owner_email"])
            await _json(
                await owner.post("/api/v1/auth/verify-email", json={"token": token_in(mail.body)}),
                204,
            )
            credentials = {"email": data["owner_email"], "password": PASSWORD}
            await _json(await owner.post("/api/v1/auth/login", json=credentials))
            base = f"/api/v1/organisations/{registered['organisation_id']}/pq-applications"

            # When it applies for works with every mandatory document, signed, and declares
            created = await _json(
                await owner.post(base, json={"categories": ["works"], "cpv_divisions": ["45"]}),
                201,
            )
            application = f"{base}/{created['id']}"
            for item in created["checklist"]:
                if not item["mandatory"] or item["type_code"] == "exclusion-grounds":
                    continue
                issued = SHORT_ISSUED if item["type_code"] == SHORT else ISSUED
                for _ in range(item["required_items"]):
                    await _json(
                        await owner.post(
                            f"{application}/evidence",
                            data={
                                "type_code": item["type_code"],
                                "issued_on": issued,
                                "stated_expiry": STATED_EXPIRY,
                            },
                            files={"document": ("nachweis.pdf", qes_pdf, "application/pdf")},
                        ),
                        202,
                    )
            declared = await owner.put(f"{application}/self-declaration", json=answers_all_no())
            assert (await _json(declared))["outcome"] == "pass"

            async def checked() -> bool:
                view = await _json(await owner.get(application))
                return all(item["status"] != "checking" for item in view["evidence"])

            await world.run_jobs(checked, "every upload was checked")
            view = await _json(await owner.get(application))
            assert view["complete"], view["checklist"]
            assert {tuple(item["flags"]) for item in view["evidence"]} == {()}
            await _json(await owner.post(f"{application}/submit"))

            # And an officer of the office reviews, accepts every item and approves
            officer = world.clients["officer"]
            office = f"/api/v1/prequalification/applications/{created['id']}"
            started = await _json(await officer.post(f"{office}/review"))
            for item in started["evidence"]:
                await _json(
                    await officer.post(
                        f"{office}/evidence/{item['id']}/decision",
                        json={"decision": "accept", "reason": "Geprüft, in Ordnung."},
                    ),
                    204,
                )
            current = await _json(await officer.get(office))
            approved = await _json(
                await officer.post(f"{office}/approve", json={"version": current["version"]})
            )
            number = approved["certificate_number"]

            # Then the worker seals the certificate and /verify confirms it
            async def sealed() -> bool:
                async with sessions() as session:
                    row = (
                        await session.scalars(
                            select(Certificate).where(Certificate.number == number)
                        )
                    ).one()
                    return row.document_signature is not None

            await world.run_jobs(sealed, "the certificate was sealed")
            pdf = await owner.get(f"/api/v1/prequalification/certificates/{number}/document/pdf")
            assert pdf.content.startswith(b"%PDF-")
            assert (await _verify(world, number))["status_now"] == "valid"

            # When the days pass, the owner is reminded 30, 14 and 7 days before
            def reminders(mails: list[Any]) -> list[str]:
                return [m.body for m in mails if m.subject.startswith("Nachweis läuft ab")]

            for days in (0, 16, 7):
                world.clock.advance(timedelta(days=days))
                await _sweep(sessions, trusted, world.clock.now())
            sent = reminders(await _mails(sessions, data["owner_email"]))
            assert len(sent) == 3
            assert [
                "in 30 Tagen" in sent[0],
                "in 14 Tagen" in sent[1],
                "in 7 Tagen" in sent[2],
            ] == [True] * 3
            assert all("26.04.2026" in body for body in sent)

            # And after the last day the certificate is suspended
            world.clock.set(datetime.fromisoformat("2026-04-27T06:00:00+02:00"))
            await world.log_in_again("officer")
            await _json(await owner.post("/api/v1/auth/login", json=credentials))
            assert (await _sweep(sessions, trusted, world.clock.now())).suspended == 1
            verified = await _verify(world, number, at="2026-04-10T12:00:00%2B02:00")
            assert (verified["status_now"], verified["status_at"]) == ("suspended", "valid")
            mails = await _mails(sessions, data["owner_email"])
            assert mails[-1].subject.startswith("Präqualifizierung ausgesetzt")
            assert SHORT in mails[-1].body

            # When, an hour later, the company uploads a renewed insurance and the officer
            # accepts it
            world.clock.advance(timedelta(hours=1))
            await world.log_in_again("officer")
            await _json(await owner.post("/api/v1/auth/login", json=credentials))
            renewal = await _json(
                await owner.post(
                    f"{application}/evidence",
                    data={"type_code": SHORT, "issued_on": "2026-04-20"},
                    files={"document": ("haftpflicht.pdf", qes_pdf, "application/pdf")},
                ),
                202,
            )

            async def renewal_checked() -> bool:
                view = await _json(await owner.get(application))
                return any(
                    item["id"] == renewal["id"] and item["status"] == "checked"
                    for item in view["evidence"]
                )

            await world.run_jobs(renewal_checked, "the renewal was checked")
            await _json(
                await officer.post(
                    f"{office}/evidence/{renewal['id']}/decision",
                    json={"decision": "accept", "reason": "Aktuelle Bestätigung."},
                ),
                204,
            )

            # Then the certificate is valid again, and was suspended in between
            assert (await _verify(world, number))["status_now"] == "valid"
            again = await _verify(world, number, at="2026-04-27T06:30:00%2B02:00")
            assert again["status_at"] == "suspended"
            mails = await _mails(sessions, data["owner_email"])
            assert mails[-1].subject.startswith("Präqualifizierung gilt wieder")
