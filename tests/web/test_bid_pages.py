"""The bid pages of the companies and of the officers (issue 7, item 7), over HTTP.

The app runs in process with the procurement world of ``tests/procurement/conftest.py`` (an
authority with two officers, two companies), each person logged in with a client of their own,
and a published tender with two lots that asks companies without a certificate for a liability
insurance. Every form is sent like a browser sends it: urlencoded or multipart, with the page's
CSRF token, without following the redirect.
"""

# The world fixture of tests/procurement/conftest.py is imported by name and then requested as
# a parameter, which ruff reads as a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.audit.models import AuditEvent
from infra.identity.models import Membership, User
from infra.settings import Settings
from procurement.bids import drafting, vault
from procurement.bids.models import Bid, Opening, Submission
from tests.procurement.bid_support import (
    INSURANCE,
    OFFER,
    bid_url,
    declare_no_conflict,
    office_url,
    open_bids,
    pass_deadline,
)
from tests.procurement.conftest import world  # noqa: F401 (fixture)
from tests.procurement.test_clarifications import mails
from tests.procurement.test_tenders import _count, _json, draft, published
from tests.web.identity_factories import field_in_error, summary_links
from tests.web.test_tender_pages import HTML, TOKEN, _main, _post
from tests.worlds import World

BIDS = "/angebote"
OFFICE = "/vergabestelle/ausschreibungen"
ENGLISH = {**HTML, "accept-language": "en"}


def _page(tender: dict[str, Any]) -> str:
    return f"{BIDS}/{tender['id']}"


def _office(tender: dict[str, Any]) -> str:
    return f"{OFFICE}/{tender['id']}/angebote"


def _found(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


async def _upload(
    world: World, tender: dict[str, Any], name: str, data: bytes, purpose: str
) -> Any:
    page = _page(tender)
    return await _post(
        world.clients["owner"],
        f"{page}/dokumente",
        {"requirement": purpose},
        page=page,
        files={"document": (name, data, "application/pdf")},
    )


async def _offer(world: World, tender: dict[str, Any], **changes: str) -> Any:
    """The offer form as the owner fills it in: a German and a plain price, the declarations;
    ``action`` ``save`` unless changed."""
    client = world.clients["owner"]
    html = (await client.get(_page(tender), headers=HTML)).text
    form = {
        "price-1": "612.345,67",
        "price-2": "98000.00",
        "exclusion": "none",
        "self_cleaning": "",
        "binding_period_accepted": "yes",
        "certificate_number": "",
        "action": "save",
        "version": _found(r'name="version" value="(\d+)"', html),
        "submission_key": _found(r'name="submission_key" value="([0-9a-f]+)"', html),
        "_csrf_token": _found(TOKEN.pattern, html),
        **changes,
    }
    return await client.post(_page(tender), data=form, headers=HTML, follow_redirects=False)


async def _submitted(world: World, tender: dict[str, Any]) -> str:
    """Upload the offer and the insurance, submit; the receipt page's path."""
    for name, data, purpose in (
        ("angebot.pdf", OFFER, "offer"),
        ("haftpflicht.pdf", INSURANCE, "liability-insurance"),
    ):
        response = await _upload(world, tender, name, data, purpose)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{_page(tender)}?notice=uploaded"
    response = await _offer(world, tender, action="submit")
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    path, query = location.split("?")
    assert re.fullmatch(rf"{_page(tender)}/eingangsbestaetigungen/[0-9a-f-]{{36}}", path)
    assert query == "notice=submitted"
    return path


async def _bid(sessions: async_sessionmaker[AsyncSession]) -> Bid:
    async with sessions() as session:
        return (await session.scalars(select(Bid))).one()


async def _receipt_sealed(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        rows = (await session.scalars(select(Submission))).all()
        return bool(rows) and all(row.receipt_pdf is not None for row in rows)


class TestCompanyPages:
    async def test_the_bid_page_in_german_and_english_and_the_way_to_it(self, world: World) -> None:
        tender = await published(world)
        owner = world.clients["owner"]
        response = await owner.get(_page(tender), headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert "Ihr Angebot: Neubau Grundschule Am Deich: Rohbau" in html
        assert '<label class="kern-label" for="price-1">Los 1: Rohbau' in html
        assert "Los 2: Gerüst" in html
        assert 'inputmode="decimal"' in html
        assert 'src="/static/upload-progress.js"' in html
        assert "data-upload-progress" in html
        assert '<option value="offer" selected>Angebotsschreiben und Preisblatt</option>' in html
        assert (
            '<option value="liability-insurance">Bestätigung der Betriebshaftpflichtversicherung'
            in html
        )
        assert "Das Unternehmen ist bis zum 30.06.2026 an sein Angebot gebunden" in html
        # What is still missing, eligibility included
        assert "Geben Sie für mindestens ein Los einen Preis an." in html
        assert "Laden Sie das Angebotsschreiben hoch" in html
        assert "Erkennen Sie die Bindefrist bis zum 30. Juni 2026 an." in html
        assert "muss das Angebot diese Nachweise enthalten: Bestätigung der Betrieb" in html
        assert 'href="/angebote"' in html  # the menu entry
        english = (await owner.get(_page(tender), headers=ENGLISH)).text
        assert "Your bid: Neubau Grundschule Am Deich: Rohbau" in english
        assert "Lot 1: Rohbau" in english
        assert "Offer letter and price sheet" in english
        assert "Offer a price for at least one lot." in english
        assert "Accept the binding period until 30 June 2026." in english
        assert ">Submit the bid<" in english
        # The tender's public page leads the company's people here, and nobody else
        public = f"/ausschreibungen/{tender['id']}"
        link = f'href="{_page(tender)}"'
        assert link in (await owner.get(public, headers=HTML)).text
        assert link not in (await world.clients["officer"].get(public, headers=HTML)).text
        assert link not in (await world.clients["anonymous"].get(public, headers=HTML)).text
        mine = (await owner.get(BIDS, headers=HTML)).text
        assert "Meine Angebote" in mine
        assert "Das Unternehmen hat noch keine Angebote." in mine

    async def test_a_company_submits_through_the_forms_and_gets_its_receipt(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        receipt_page = await _submitted(world, tender)
        owner = world.clients["owner"]
        # The prices were read in German and in plain notation
        stored = await _json(await owner.get(bid_url(world, tender)))
        assert [lot["price"] for lot in stored["content"]["lots"]] == ["612345.67", "98000.00"]
        assert stored["status"] == "submitted"
        # The receipt: number, time in Berlin and in UTC, each document's hash, the bid's hash
        async with sessions() as session:
            submission = (await session.scalars(select(Submission))).one()
        response = await owner.get(receipt_page, headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert "Eingangsbestätigung: Angebot eingegangen" in html
        assert "Ihr Angebot ist fristgerecht eingegangen." in html
        assert submission.receipt_number in html
        assert "Fr., 27.03.2026, 10:00:00 Uhr (MEZ)" in html
        assert "2026-03-27 09:00:00 UTC" in html
        assert hashlib.sha256(OFFER).hexdigest() in html
        assert hashlib.sha256(INSURANCE).hexdigest() in html
        assert submission.bid_sha256 in html
        # The PDF is being sealed: the page polls for it
        assert "Die Eingangsbestätigung wird gesiegelt" in html
        assert f'hx-get="{receipt_page}/stand"' in html
        await world.run_jobs(lambda: _receipt_sealed(sessions), "receipt sealed")
        fragment = (await owner.get(f"{receipt_page}/stand", headers=HTML)).text
        assert "hx-get" not in fragment
        pdf_url = _found(r'href="([^"]+/pdf)" download', fragment)
        assert pdf_url == f"{bid_url(world, tender)}/receipts/{submission.id}/pdf"
        pdf = await owner.get(pdf_url)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        # The receipt mail links to the bid's page, which lists the receipt
        (mail,) = await mails(sessions, world.emails["owner"])
        url = _found(r"(https?://\S+/angebote/\S+)", mail.body)
        assert url.endswith(_page(tender))
        bid_page = (await owner.get(_page(tender), headers=HTML)).text
        assert f'href="{receipt_page}"' in bid_page
        assert "Eingereicht" in bid_page
        assert ">Geändertes Angebot abgeben<" in bid_page
        assert f'href="{_page(tender)}/zurueckziehen"' in bid_page
        mine = (await owner.get(BIDS, headers=HTML)).text
        assert "Neubau Grundschule Am Deich: Rohbau" in mine
        assert submission.receipt_number in mine
        # Another company finds nothing
        stranger = await world.clients["stranger"].get(receipt_page, headers=HTML)
        assert stranger.status_code == 404
        assert "Seite nicht gefunden" in stranger.text

    async def test_a_bad_price_is_shown_at_its_field_and_nothing_is_saved(
        self, world: World, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        tender = await published(world)
        response = await _offer(world, tender, **{"price-1": "612,345.67"})
        assert response.status_code == 422
        html = response.text
        assert field_in_error(html, "price-1")
        assert summary_links(html) == ["price-1"]
        assert "Geben Sie den Preis in Euro an, zum Beispiel 612.345,67." in html
        assert 'value="612,345.67"' in html
        assert await _count(sessions, Bid) == 0
        # The domain's rules come next, at their fields
        response = await _offer(
            world, tender, **{"price-1": "0", "price-2": "1,005"}, exclusion="applies"
        )
        assert response.status_code == 422
        html = response.text
        assert "Ein Preis ist ein positiver Betrag in Euro." in html
        assert "Ein Preis hat höchstens zwei Nachkommastellen (Cent)." in html
        assert set(summary_links(html)) == {"price-1", "price-2", "self_cleaning"}
        assert await _count(sessions, Bid) == 0
        # A correct offer is saved as the draft and shown again in German notation
        response = await _offer(world, tender)
        assert response.status_code == 303
        assert response.headers["location"] == f"{_page(tender)}?notice=saved"
        html = (await world.clients["owner"].get(response.headers["location"], headers=HTML)).text
        assert "Der Entwurf Ihres Angebots wurde gespeichert." in html
        assert 'value="612.345,67"' in html
        assert 'value="98.000,00"' in html
        assert 'id="exclusion-none" name="exclusion" type="radio" value="none" checked' in html
        bid = await _bid(sessions)
        async with sessions() as session:
            key = await vault.data_key(
                session,
                vault.kek_from_settings(settings),
                bid.tender_id,
                now=bid.updated_at,
                create=False,
            )
        assert key is not None
        content = drafting.content_of(bid, key)
        assert [offer.price for offer in content.lots] == [Decimal("612345.67"), Decimal("98000")]
        assert bid.status == "draft"

    async def test_a_refused_submission_keeps_the_draft_and_says_what_is_missing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        response = await _offer(world, tender, action="submit")
        assert response.status_code == 422
        html = response.text
        assert "Ihre Eingaben wurden als Entwurf gespeichert" in html
        assert "Das Angebot kann noch nicht abgegeben werden" in html
        assert summary_links(html) == ["missing-heading"]
        assert "Laden Sie das Angebotsschreiben hoch" in html
        assert 'value="612.345,67"' in html
        assert (await _bid(sessions)).status == "draft"
        assert await _count(sessions, Submission) == 0
        # A stale form is refused and changes nothing
        stale = await _offer(world, tender, version="0", **{"price-1": "1,00"})
        assert stale.status_code == 409
        assert "Das Angebot wurde geändert, seit Sie die Seite geladen haben" in stale.text
        assert 'value="1,00"' in stale.text

    async def test_a_resubmission_and_a_repeated_click(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        first = await _submitted(world, tender)
        client = world.clients["owner"]
        html = (await client.get(_page(tender), headers=HTML)).text
        form = {
            "price-1": "600.000",
            "price-2": "",
            "exclusion": "none",
            "binding_period_accepted": "yes",
            "action": "submit",
            "version": _found(r'name="version" value="(\d+)"', html),
            "submission_key": _found(r'name="submission_key" value="([0-9a-f]+)"', html),
            "_csrf_token": _found(TOKEN.pattern, html),
        }
        # The button pressed twice submits once
        responses = [
            await client.post(_page(tender), data=form, headers=HTML, follow_redirects=False)
            for _ in range(2)
        ]
        assert [r.status_code for r in responses] == [303, 303]
        second = responses[0].headers["location"].split("?")[0]
        assert responses[1].headers["location"].split("?")[0] == second
        assert second != first
        assert await _count(sessions, Submission) == 2
        html = (await client.get(second, headers=HTML)).text
        assert "Eingangsbestätigung: Geändertes Angebot eingegangen" in html
        html = (await client.get(_page(tender), headers=HTML)).text
        assert "nein, später ersetzt" in html
        assert 'value="600.000,00"' in html
        assert 'id="price-2" name="price-2" type="text" value=""' in html

    async def test_a_withdrawal_asks_first_and_leaves_a_receipt(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await _submitted(world, tender)
        confirm = f"{_page(tender)}/zurueckziehen"
        html = (await world.clients["owner"].get(confirm, headers=HTML)).text
        assert "Angebot zurückziehen?" in html
        version = _found(r'name="version" value="(\d+)"', html)
        response = await _post(
            world.clients["owner"], confirm, {"version": str(int(version) - 1)}, page=confirm
        )
        assert response.status_code == 409
        assert "Das Angebot wurde geändert" in response.text
        response = await _post(world.clients["owner"], confirm, {"version": version}, page=confirm)
        assert response.status_code == 303
        assert response.headers["location"].endswith("?notice=withdrawn")
        html = (await world.clients["owner"].get(response.headers["location"], headers=HTML)).text
        assert "Eingangsbestätigung: Angebot zurückgezogen" in html
        assert "Ihr Angebot wurde zurückgezogen. Es wird nicht geöffnet." in html
        assert (await _bid(sessions)).status == "withdrawn"
        # Nothing left to withdraw: the confirmation leads back to the bid
        again = await world.clients["owner"].get(confirm, headers=HTML, follow_redirects=False)
        assert again.status_code == 303
        count = (await world.clients["officer"].get(_office(tender), headers=HTML)).text
        assert re.search(r"Eingegangene Angebote</dt>\s*<dd[^>]*>0</dd>", count)

    async def test_after_the_deadline_the_page_shows_the_bid_and_takes_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        receipt = await _submitted(world, tender)
        await pass_deadline(world, tender, timedelta(seconds=1))
        owner = world.clients["owner"]
        html = (await owner.get(_page(tender), headers=HTML)).text
        assert "Die Ausschreibung nimmt keine Angebote mehr an." in html
        assert 'id="bid-form"' not in html
        assert "/dokumente" not in html
        assert f'href="{receipt}"' in html
        response = await _post(
            owner,
            _page(tender),
            {"price-1": "1,00", "action": "submit", "version": "9"},
            page=receipt,
        )
        assert response.status_code == 409
        assert "Die Angebotsfrist ist abgelaufen" in response.text
        assert summary_links(response.text) == ["bid-state"]
        assert await _count(sessions, Submission) == 1

    async def test_a_person_of_two_companies_chooses_one_and_stays_with_it(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        company, other = world.organisations["company"], world.organisations["other_company"]
        async with sessions() as session, session.begin():
            user = (
                await session.scalars(select(User).where(User.email == world.emails["owner"]))
            ).one()
            session.add(
                Membership(
                    user_id=user.id,
                    organisation_id=other,
                    role="member",
                    created_at=world.clock.now(),
                )
            )
        owner = world.clients["owner"]
        html = (await owner.get(_page(tender), headers=HTML)).text
        assert "Für welches Unternehmen?" in html
        assert f'href="{_page(tender)}?unternehmen={other}">Deichbau AG</a>' in html
        chosen = f"{_page(tender)}?unternehmen={company}"
        html = (await owner.get(chosen, headers=HTML)).text
        assert f'<input type="hidden" name="unternehmen" value="{company}">' in html
        response = await _post(
            owner,
            _page(tender),
            {"unternehmen": str(company), "price-1": "1.000,00", "action": "save", "version": "0"},
            page=chosen,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{_page(tender)}?notice=saved&unternehmen={company}"
        bid = await _bid(sessions)
        assert bid.organisation_id == company
        mine = (await owner.get(BIDS, headers=HTML)).text
        assert "Angebote von Muster Bau GmbH" in mine
        assert "Angebote von Deichbau AG" in mine
        assert f'href="{chosen}"' in mine
        # A form naming no company of the person's is not found
        response = await _post(
            owner, _page(tender), {"price-1": "1,00", "action": "save"}, page=chosen
        )
        assert response.status_code == 404

    async def test_people_without_a_bid_here_get_the_error_pages(self, world: World) -> None:
        tender = await published(world)
        response = await world.clients["officer"].get(BIDS, headers=HTML)
        assert response.status_code == 403
        assert "Nur Inhaber und Mitglieder eines registrierten Unternehmens" in response.text
        response = await world.clients["anonymous"].get(
            _page(tender), headers=HTML, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        unpublished = await draft(world)
        response = await world.clients["owner"].get(_page(unpublished), headers=HTML)
        assert response.status_code == 404
        response = await world.clients["owner"].get(
            f"{_page(tender)}?unternehmen={uuid.uuid4()}", headers=HTML
        )
        assert response.status_code == 404


class TestOfficerPages:
    async def test_before_the_deadline_the_officers_see_the_number_of_bids_only(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await _submitted(world, tender)
        officer = world.clients["officer"]
        tender_page = (await officer.get(f"{OFFICE}/{tender['id']}", headers=HTML)).text
        assert f'href="{_office(tender)}"' in tender_page
        html = _main((await officer.get(_office(tender), headers=HTML)).text)
        assert "Angebote: Neubau Grundschule Am Deich: Rohbau" in html
        assert re.search(r"Eingegangene Angebote</dt>\s*<dd[^>]*>1</dd>", html)
        assert "Fr., 24.04.2026, 12:00 Uhr (MESZ)" in html
        assert "Muster Bau GmbH" not in html
        assert "612.345,67" not in html
        assert "/oeffnung" not in html
        # A start before the deadline is refused in words and recorded
        response = await _post(officer, f"{_office(tender)}/oeffnung", {}, page=_office(tender))
        assert response.status_code == 409
        assert "erst nach Ablauf der Angebotsfrist geöffnet werden" in response.text
        assert summary_links(response.text) == ["opening-heading"]
        refused = await _count(sessions, AuditEvent, AuditEvent.action == "tender.refused")
        assert refused == 1
        assert await _count(sessions, Opening) == 0
        # Another authority's officer finds no such tender
        other = await world.clients["other_officer"].get(_office(tender), headers=HTML)
        assert other.status_code == 404

    async def test_two_officers_open_the_bids_through_the_pages(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        await _submitted(world, tender)
        await pass_deadline(world, tender, timedelta(minutes=5))
        officer, second = world.clients["officer"], world.clients["officer2"]
        page = _office(tender)
        html = (await officer.get(page, headers=HTML)).text
        assert f'action="{page}/oeffnung"' in html
        response = await _post(officer, f"{page}/oeffnung", {}, page=page)
        assert response.status_code == 303
        html = (await officer.get(response.headers["location"], headers=HTML)).text
        assert "Sie haben die Öffnung begonnen." in html
        assert "Sie haben die Öffnung am " in html
        assert f'action="{page}/oeffnung/bestaetigung"' not in html
        # The same officer cannot confirm
        response = await _post(officer, f"{page}/oeffnung/bestaetigung", {}, page=page)
        assert response.status_code == 409
        assert "Sie haben die Öffnung selbst begonnen." in response.text
        # The second officer sees who started and until when, and confirms
        html = (await second.get(page, headers=HTML)).text
        assert "Olga Vergabe hat die Öffnung am " in html
        assert "bis Fr., 24.04.2026, 12:35:00 Uhr (MESZ)" in html
        response = await _post(second, f"{page}/oeffnung/bestaetigung", {}, page=page)
        assert response.status_code == 303
        html = _main((await second.get(response.headers["location"], headers=HTML)).text)
        assert "Die Angebote wurden geöffnet." in html
        assert "von Olga Vergabe und Otto Zweit" in html
        assert "Muster Bau GmbH" in html
        assert "612.345,67\u00a0€" in html
        assert "98.000,00\u00a0€" in html
        assert "Bestätigung der Betriebshaftpflichtversicherung" in html
        assert "Die Niederschrift wird erstellt" in html
        link = _found(
            r'href="(/api/v1/organisations/[^"]+/documents/[0-9a-f-]+)" download>angebot.pdf<', html
        )
        download = await second.get(link)
        assert download.status_code == 200
        assert download.content == OFFER
        english = (await second.get(page, headers=ENGLISH)).text
        assert "Opened bids" in english
        assert "£" not in english
        # The minutes: the page polls until the worker has sealed them

        async def minutes_ready() -> bool:
            async with sessions() as session:
                row = await session.get(Opening, uuid.UUID(tender["id"]))
                return row is not None and row.minutes_pdf is not None

        await world.run_jobs(minutes_ready, "minutes sealed")
        fragment = (await second.get(f"{page}/niederschrift", headers=HTML)).text
        minutes = _found(r'href="([^"]+/opening/minutes)" download', fragment)
        response = await second.get(minutes)
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")

    async def test_once_the_evaluation_has_begun_an_officer_declares_before_seeing_bids(
        self, world: World
    ) -> None:
        # Given opened bids whose evaluation has begun
        tender = await published(world)
        await _submitted(world, tender)
        await pass_deadline(world, tender, timedelta(minutes=5))
        await open_bids(world, tender)
        await _json(
            await world.clients["officer"].post(f"{office_url(world, tender)}/evaluation"), 201
        )
        # When an officer without a declaration on conflicts of interest opens the bid page
        html = _main((await world.clients["officer2"].get(_office(tender), headers=HTML)).text)
        # Then it says why and shows no bid
        assert "sobald Sie erklärt haben, dass für Sie in diesem Verfahren kein" in html
        assert "Muster Bau GmbH" not in html
        assert "612.345,67" not in html
        # And after the declaration it shows them
        await declare_no_conflict(world, tender, role="officer2")
        html = _main((await world.clients["officer2"].get(_office(tender), headers=HTML)).text)
        assert "sobald Sie erklärt haben" not in html
        assert "612.345,67\u00a0€" in html

    async def test_an_opening_not_confirmed_in_time_runs_out(self, world: World) -> None:
        tender = await published(world)
        await pass_deadline(world, tender, timedelta(minutes=1))
        page = _office(tender)
        response = await _post(world.clients["officer"], f"{page}/oeffnung", {}, page=page)
        assert response.status_code == 303
        world.clock.advance(timedelta(minutes=31))
        response = await _post(
            world.clients["officer2"], f"{page}/oeffnung/bestaetigung", {}, page=page
        )
        assert response.status_code == 409
        html = response.text
        assert "Die Öffnung wurde vor zu langer Zeit begonnen und ist verfallen." in html
        assert "wurde nicht rechtzeitig bestätigt" in html
        assert f'action="{page}/oeffnung"' in html
