"""The tender pages of the officers and of the public (issue 6, item 8), over HTTP.

The app runs in process with the procurement world of ``tests/procurement/conftest.py`` (an
authority with two officers, another authority's officer, two companies), each person logged
in with a client of their own. Every form is sent like a browser sends it: urlencoded or
multipart, with the page's CSRF token, without following the redirect.
"""

# The world fixture of tests/procurement/conftest.py is imported by name and then requested as
# a parameter, which ruff reads as a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.identity.models import Membership, User
from procurement.tenders.models import Download, Question, Tender
from procurement.tenders.pages_form import parse_amount
from tests.procurement.conftest import world  # noqa: F401 (fixture)
from tests.procurement.test_tenders import PDF, base_url, draft, published, with_document
from tests.web.identity_factories import field_in_error, summary_links
from tests.worlds import World

HTML = {"accept": "text/html,application/xhtml+xml"}
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
OFFICE = "/vergabestelle/ausschreibungen"
PUBLIC = "/ausschreibungen"


async def _token(client: Any, path: str) -> str:
    response = await client.get(path, headers=HTML)
    found = TOKEN.search(response.text)
    assert found, f"{path} has no form ({response.status_code})"
    return found.group(1)


async def _post(
    client: Any,
    action: str,
    data: dict[str, Any],
    *,
    page: str,
    files: dict[str, Any] | None = None,
) -> Any:
    """Send a form of ``page`` like a browser: with the page's CSRF token, without following."""
    token = await _token(client, page)
    return await client.post(
        action,
        data={**data, "_csrf_token": token},
        files=files,
        headers=HTML,
        follow_redirects=False,
    )


def editor_form(**changes: Any) -> dict[str, Any]:
    """The editor filled in as an officer does: a German amount, Berlin times, two lots."""
    form: dict[str, Any] = {
        "title": "Neubau Grundschule Am Deich: Rohbau",
        "description": "Rohbauarbeiten für den Neubau einer dreizügigen Grundschule.",
        "procedure": "public-tender",
        "contract_kind": "works",
        "authority_kind": "sub_central",
        "estimated_value": "850.000,00",
        "cpv_codes": "45210000-2, 45223220-4",
        "nuts_code": "DE501",
        "urgency_reason": "",
        "clarification_deadline": "2026-04-14",
        "clarification_deadline_time": "12:00",
        "submission_deadline": "2026-04-24",
        "submission_deadline_time": "12:00",
        "binding_until": "2026-06-30",
        "lot_rows": "3",
        "lots-0-title": "Rohbau",
        "lots-0-description": "",
        "lots-0-estimated_value": "700.000",
        "lots-0-cpv_codes": "45210000-2",
        "lots-1-title": "Gerüst",
        "lots-1-description": "",
        "lots-1-estimated_value": "150000.00",
        "lots-1-cpv_codes": "45262100-2",
        "criterion_rows": "3",
        "criteria-0-name": "Preis",
        "criteria-0-kind": "price",
        "criteria-0-weight": "70",
        "criteria-0-method": "lowest-price-ratio",
        "criteria-0-max_points": "",
        "criteria-1-name": "Bauablaufkonzept",
        "criteria-1-kind": "quality",
        "criteria-1-weight": "30",
        "criteria-1-method": "points",
        "criteria-1-max_points": "10",
        "pq_categories": ["works"],
        "pq_divisions": ["45"],
        "evidence_types": ["liability-insurance"],
        "action": "save",
    }
    form.update(changes)
    return form


async def _create(world: World, **changes: Any) -> str:
    """A draft through the editor; returns the path of its page."""
    page = f"{OFFICE}/neu"
    form = editor_form(authority_id=str(world.organisations["authority"]), **changes)
    response = await _post(world.clients["officer"], page, form, page=page)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert re.fullmatch(rf"{OFFICE}/[0-9a-f-]{{36}}\?notice=created", location)
    return location.split("?", maxsplit=1)[0]


async def _tender(sessions: async_sessionmaker[AsyncSession], tender_id: str) -> Tender:
    async with sessions() as session:
        tender = await session.get(Tender, uuid.UUID(tender_id))
    assert tender is not None
    return tender


async def _count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _main(html: str) -> str:
    """The page's main content (the header names the person's own organisations)."""
    return html[html.index('<main id="main"') : html.index("</main>")]


def _textarea_in_error(html: str, field_id: str) -> bool:
    tag = re.search(rf'<textarea[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    return 'aria-invalid="true"' in tag.group(0) and f"{field_id}-error" in tag.group(0)


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(-?\d+)"', html)
    assert found
    return found.group(1)


class TestAmounts:
    @pytest.mark.parametrize(
        ("text", "amount"),
        [
            ("850.000,00", "850000.00"),
            ("850000,5", "850000.5"),
            ("850000.00", "850000.00"),
            ("1.500", "1500"),
            ("850.000,00 €", "850000.00"),
            ("12", "12"),
        ],
    )
    def test_german_and_plain_notation(self, text: str, amount: str) -> None:
        assert parse_amount(text) == Decimal(amount)

    @pytest.mark.parametrize("text", ["850,000.00", "8.50,00", "abc", "1,2,3", "-5", ""])
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=re.escape(text) if text else None):
            parse_amount(text)


class TestOfficerList:
    async def test_the_list_shows_drafts_with_status_and_the_menu_links_it(
        self, world: World
    ) -> None:
        await draft(world)
        response = await world.clients["officer"].get(OFFICE, headers=HTML)
        assert response.status_code == 200
        html = response.text
        assert "Ausschreibungen von Freie Hansestadt Bremen, Immobilien Bremen" in html
        assert "Neubau Grundschule Am Deich: Rohbau" in html
        assert "HB-V-2026-000001" in html
        assert "Entwurf" in html
        assert "Fr., 24.04.2026, 12:00 Uhr (MESZ)" in html
        assert f'href="{OFFICE}/neu?vergabestelle={world.organisations["authority"]}"' in html
        assert f'href="{OFFICE}" aria-current="page"' in html
        # The other authority's officer sees an empty list of their own
        other = await world.clients["other_officer"].get(OFFICE, headers=HTML)
        assert "Neubau Grundschule" not in other.text

    async def test_an_officer_of_two_authorities_chooses_one(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session, session.begin():
            user = (
                await session.scalars(select(User).where(User.email == world.emails["officer"]))
            ).one()
            session.add(
                Membership(
                    user_id=user.id,
                    organisation_id=world.organisations["other_authority"],
                    role="officer",
                    created_at=world.clock.now(),
                )
            )
        officer = world.clients["officer"]
        html = (await officer.get(OFFICE, headers=HTML)).text
        assert "Ausschreibungen Ihrer Vergabestellen" in html
        other = world.organisations["other_authority"]
        assert f'href="{OFFICE}?vergabestelle={other}">Stadt Bremerhaven</a>' in html
        html = (await officer.get(f"{OFFICE}?vergabestelle={other}", headers=HTML)).text
        assert "Ausschreibungen von Stadt Bremerhaven" in html
        response = await officer.get(f"{OFFICE}/neu", headers=HTML, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == OFFICE
        response = await officer.get(f"{OFFICE}?vergabestelle={uuid.uuid4()}", headers=HTML)
        assert response.status_code == 404

    async def test_a_company_person_gets_the_403_page(self, world: World) -> None:
        response = await world.clients["owner"].get(OFFICE, headers=HTML)
        assert response.status_code == 403
        assert "Zugriff verweigert" in response.text
        assert "Nur Sachbearbeiterinnen und Sachbearbeiter einer Vergabestelle" in response.text


class TestEditor:
    async def test_a_draft_is_created_with_a_german_amount_and_berlin_times(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = await _create(world)
        tender = await _tender(sessions, page.rsplit("/", 1)[1])
        assert tender.status == "draft"
        assert tender.estimated_value == Decimal("850000.00")
        assert tender.submission_deadline == datetime(2026, 4, 24, 10, 0, tzinfo=UTC)
        assert tender.clarification_deadline == datetime(2026, 4, 14, 10, 0, tzinfo=UTC)
        html = (await world.clients["officer"].get(f"{page}?notice=created", headers=HTML)).text
        assert "Der Entwurf wurde angelegt." in html
        assert "Öffentliche Ausschreibung (national)" in html
        assert "850.000,00\u00a0€" in html
        assert "700.000,00\u00a0€" in html
        # The editor shows it again in German notation and Berlin time
        editor = (await world.clients["officer"].get(f"{page}/bearbeiten", headers=HTML)).text
        assert 'value="850.000,00"' in editor
        assert 'id="submission_deadline_time" name="submission_deadline_time" type="time"' in editor
        assert 'value="12:00"' in editor
        assert 'value="Preis"' in editor

    async def test_add_a_row_shows_one_more_row_and_saves_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = f"{OFFICE}/neu"
        form = editor_form(authority_id=str(world.organisations["authority"]), action="add-lot")
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 200
        assert 'name="lot_rows" value="4"' in response.text
        assert 'id="lots-3-title"' in response.text
        assert 'value="Gerüst"' in response.text
        assert await _count(sessions, Tender) == 0

    async def test_an_empty_form_names_each_missing_field(self, world: World) -> None:
        page = f"{OFFICE}/neu"
        form = {"authority_id": str(world.organisations["authority"]), "action": "save"}
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 422
        for field in ("title", "procedure", "contract_kind", "estimated_value", "cpv_codes"):
            assert field_in_error(response.text, field), field
        assert summary_links(response.text) == [
            "title",
            "description",
            "procedure",
            "contract_kind",
            "estimated_value",
            "cpv_codes",
            "nuts_code",
        ]

    async def test_broken_rules_are_shown_at_their_fields_and_nothing_is_saved(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = f"{OFFICE}/neu"
        form = editor_form(
            authority_id=str(world.organisations["authority"]),
            title="",
            cpv_codes="45210000-3",
            estimated_value="850,000.00",
        )
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 422
        html = response.text
        assert field_in_error(html, "title")
        assert field_in_error(html, "estimated_value")
        assert "Geben Sie den Betrag in Euro an, zum Beispiel 850.000,00." in html
        assert summary_links(html)[0] == "title"
        assert "autofocus" in html
        # The domain's rules come next, in German, with the values of the message
        form = editor_form(
            authority_id=str(world.organisations["authority"]),
            cpv_codes="45210000-3",
            **{"criteria-1-weight": "20", "lots-1-cpv_codes": "99999999-9"},
        )
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 422
        html = response.text
        assert field_in_error(html, "cpv_codes")
        assert "Die Prüfziffer von 45210000 ist 2, nicht 3." in html
        assert "Die Gewichte ergeben zusammen 90 statt 100." in html
        assert field_in_error(html, "lots-1-cpv_codes")
        assert set(summary_links(html)) >= {"cpv_codes", "criteria", "lots-1-cpv_codes"}
        assert 'value="Rohbau"' in html  # the entries are kept
        assert await _count(sessions, Tender) == 0

    async def test_a_deadline_in_the_past_and_a_skipped_hour_are_refused(
        self, world: World
    ) -> None:
        page = f"{OFFICE}/neu"
        form = editor_form(
            authority_id=str(world.organisations["authority"]),
            clarification_deadline="29.03.2026",
            clarification_deadline_time="02:30",
            submission_deadline="2026-03-20",
        )
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 422
        assert "Diese Uhrzeit gibt es an diesem Tag nicht" in response.text
        form["clarification_deadline"] = "2026-04-14"
        form["clarification_deadline_time"] = "12:00"
        response = await _post(world.clients["officer"], page, form, page=page)
        assert response.status_code == 422
        assert field_in_error(response.text, "submission_deadline")
        assert "Die Frist liegt in der Vergangenheit." in response.text

    async def test_saving_a_stale_version_gets_the_409_page_and_changes_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = await _create(world)
        editor = f"{page}/bearbeiten"
        html = (await world.clients["officer"].get(editor, headers=HTML)).text
        version = _version(html)
        # Another officer saves meanwhile
        response = await _post(
            world.clients["officer2"],
            editor,
            editor_form(version=version, title="Neubau Grundschule: Rohbau und Gerüst"),
            page=editor,
        )
        assert response.status_code == 303, response.text
        # The first officer saves what they saw
        response = await _post(
            world.clients["officer"],
            editor,
            editor_form(version=version, title="Etwas ganz anderes"),
            page=editor,
        )
        assert response.status_code == 409
        assert "Die Ausschreibung wurde inzwischen geändert" in response.text
        assert summary_links(response.text) == ["stale-heading"]
        assert 'value="Etwas ganz anderes"' in response.text
        tender = await _tender(sessions, page.rsplit("/", 1)[1])
        assert tender.title == "Neubau Grundschule: Rohbau und Gerüst"

    async def test_the_form_of_bids_is_kept_and_an_unknown_one_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Given a draft made in the editor that asks for qualified electronic signatures
        officer = world.clients["officer"]
        page = await _create(world, bid_signature="qualified")
        tender_id = page.rsplit("/", 1)[1]
        # Then the tender asks for them
        stored = await officer.get(f"{base_url(world)}/{tender_id}")
        assert stored.json()["bid_signature"] == "qualified"
        # And the editor shows the form chosen when it is opened again
        editor = f"{page}/bearbeiten"
        html = (await officer.get(editor, headers=HTML)).text
        assert '<legend class="kern-label">Form der Angebote</legend>' in html
        assert "Qualifizierte elektronische Signatur oder Siegel" in html
        checked = re.findall(r'<input[^>]*name="bid_signature"[^>]*value="(\w+)" checked>', html)
        assert checked == ["qualified"]
        # When a form the platform does not know is sent
        response = await _post(
            officer,
            editor,
            editor_form(version=_version(html), bid_signature="handwritten", title="Anders"),
            page=editor,
        )
        # Then it is refused at its field and nothing changes
        assert response.status_code == 422
        assert field_in_error(response.text, "bid_signature")
        assert summary_links(response.text) == ["bid_signature"]
        assert "Wählen Sie die Form der Angebote." in response.text
        tender = await _tender(sessions, tender_id)
        assert (tender.bid_signature, tender.title, tender.version) == (
            "qualified",
            "Neubau Grundschule Am Deich: Rohbau",
            1,
        )


class TestDocumentsAndPublication:
    async def test_upload_lists_size_and_hash_and_remove_takes_it_out(self, world: World) -> None:
        page = await _create(world)
        documents = f"{page}/unterlagen"
        html = (await world.clients["officer"].get(documents, headers=HTML)).text
        assert 'src="/static/upload-progress.js"' in html
        assert "data-upload-progress" in html
        response = await _post(
            world.clients["officer"],
            documents,
            {"title": "Leistungsverzeichnis"},
            page=documents,
            files={"document": ("lv.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 303, response.text
        html = (await world.clients["officer"].get(documents, headers=HTML)).text
        assert "Leistungsverzeichnis" in html
        assert hashlib.sha256(PDF).hexdigest() in html
        assert "4,1 KB" in html
        link = re.search(
            r'href="(/api/v1/organisations/[^"]+/documents/[0-9a-f-]+)" download', html
        )
        assert link
        download = await world.clients["officer"].get(link.group(1))
        assert download.status_code == 200
        assert download.content == PDF
        action = re.search(rf'action="({documents}/[0-9a-f-]+/entfernen)"', html)
        assert action
        response = await _post(world.clients["officer"], action.group(1), {}, page=documents)
        assert response.status_code == 303
        html = (await world.clients["officer"].get(documents, headers=HTML)).text
        assert hashlib.sha256(PDF).hexdigest() not in html
        # Without a file: the field says so
        response = await _post(world.clients["officer"], documents, {"title": "x"}, page=documents)
        assert response.status_code == 422
        assert field_in_error(response.text, "document")

    async def test_the_checklist_shows_the_refusal_and_publishing_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = await _create(world)
        checklist = f"{page}/veroeffentlichung"
        html = (await world.clients["officer"].get(checklist, headers=HTML)).text
        assert "Die Vergabeunterlagen liegen zum Abruf bereit (§ 41 Abs. 1 VgV)." in html
        assert "Verhindert die Veröffentlichung" in html
        assert f'action="{page}/veroeffentlichen"' not in html
        # The POST is refused with the checklist anyway
        token = await _token(world.clients["officer"], checklist)
        response = await world.clients["officer"].post(
            f"{page}/veroeffentlichen",
            data={"_csrf_token": token, "version": "1"},
            headers=HTML,
            follow_redirects=False,
        )
        assert response.status_code == 422
        assert "Die Ausschreibung kann noch nicht veröffentlicht werden" in response.text
        tender = await _tender(sessions, page.rsplit("/", 1)[1])
        assert tender.status == "draft"

    async def test_a_complete_draft_is_published_from_the_checklist(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = await _create(world)
        tender_id = page.rsplit("/", 1)[1]
        await with_document(world, {"id": tender_id})
        checklist = f"{page}/veroeffentlichung"
        html = (await world.clients["officer"].get(checklist, headers=HTML)).text
        assert "Nationale Vorschriften (UVgO, VOB/A Abschnitt 1)" in html
        assert "Erfüllt" in html
        response = await _post(
            world.clients["officer"],
            f"{page}/veroeffentlichen",
            {"version": _version(html)},
            page=checklist,
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{page}?notice=published"
        assert (await _tender(sessions, tender_id)).status == "published"
        html = (await world.clients["officer"].get(f"{page}?notice=published", headers=HTML)).text
        assert "Die Ausschreibung wurde veröffentlicht." in html
        assert f'href="{PUBLIC}/{tender_id}"' in html


class TestAnotherAuthority:
    async def test_its_officer_gets_404_pages_and_changes_nothing(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        page = await _create(world)
        tender_id = page.rsplit("/", 1)[1]
        outsider = world.clients["other_officer"]
        for path in (page, f"{page}/bearbeiten", f"{page}/unterlagen", f"{page}/veroeffentlichung"):
            response = await outsider.get(path, headers=HTML)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("text/html")
            assert "Seite nicht gefunden" in response.text
        token = await _token(outsider, OFFICE)
        for action, data in (
            (f"{page}/bearbeiten", editor_form(version="1", title="Gekapert")),
            (f"{page}/veroeffentlichen", {"version": "1"}),
        ):
            response = await outsider.post(
                action, data={**data, "_csrf_token": token}, headers=HTML, follow_redirects=False
            )
            assert response.status_code == 404, action
        # And the draft is nobody's business but its authority's: the public sees nothing
        response = await world.clients["anonymous"].get(f"{PUBLIC}/{tender_id}", headers=HTML)
        assert response.status_code == 404
        tender = await _tender(sessions, tender_id)
        assert tender.title == "Neubau Grundschule Am Deich: Rohbau"
        assert tender.version == 1

    async def test_a_form_without_the_csrf_token_is_refused(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await world.clients["officer"].get(f"{OFFICE}/neu", headers=HTML)
        response = await world.clients["officer"].post(
            f"{OFFICE}/neu",
            data=editor_form(authority_id=str(world.organisations["authority"])),
            headers=HTML,
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert await _count(sessions, Tender) == 0


class TestPublicPages:
    async def test_the_old_address_moved_for_good(self, world: World) -> None:
        response = await world.clients["anonymous"].get(
            "/tenders?text=bau", headers=HTML, follow_redirects=False
        )
        assert response.status_code == 301
        assert response.headers["location"] == f"{PUBLIC}?text=bau"

    async def test_an_empty_platform_says_so(self, world: World) -> None:
        html = (await world.clients["anonymous"].get(PUBLIC, headers=HTML)).text
        assert "Noch keine Ausschreibungen veröffentlicht." in html
        assert 'action="/ausschreibungen" role="search"' in html

    async def test_search_finds_a_published_tender_and_links_the_feed(self, world: World) -> None:
        tender = await published(world)
        await draft(world, title="Geheimer Entwurf Kita")
        anonymous = world.clients["anonymous"]
        html = (await anonymous.get(PUBLIC, headers=HTML)).text
        assert (
            '<link rel="alternate" type="application/atom+xml" href="/api/v1/tenders/feed.atom"'
            in html
        )
        assert f'href="{PUBLIC}/{tender["id"]}">Neubau Grundschule Am Deich: Rohbau</a>' in html
        assert "Geheimer Entwurf" not in html
        assert "Fr., 24.04.2026, 12:00 Uhr (MESZ)" in html
        assert "Öffentliche Ausschreibung (national)" in html
        for query in ("text=Grundschule", "cpv=45", "nuts=DE5", "procedure=public-tender"):
            html = (await anonymous.get(f"{PUBLIC}?{query}", headers=HTML)).text
            assert "Neubau Grundschule Am Deich" in html, query
        english = {**HTML, "accept-language": "en"}
        html = (await anonymous.get(PUBLIC, headers=english)).text
        assert "Fri 24 Apr 2026, 12:00 (CEST)" in html
        assert "Public tender (national)" in html
        html = (await anonymous.get(f"{PUBLIC}?text=Feuerwehr", headers=HTML)).text
        assert "Keine Ausschreibung entspricht der Suche." in html
        html = (await anonymous.get(f"{PUBLIC}?deadline_from=2026-04-25", headers=HTML)).text
        assert "Neubau Grundschule Am Deich" not in html
        html = (
            await anonymous.get(
                f"{PUBLIC}?deadline_from=24.04.2026&deadline_to=2026-04-24", headers=HTML
            )
        ).text
        assert "Neubau Grundschule Am Deich" in html
        response = await anonymous.get(f"{PUBLIC}?cpv=4521x", headers=HTML)
        assert response.status_code == 422
        assert field_in_error(response.text, "cpv")

    async def test_the_search_pages_by_cursor(self, world: World) -> None:
        for number in range(21):
            await published(world, title=f"Sanierung Schule {number:02d}")
        anonymous = world.clients["anonymous"]
        html = (await anonymous.get(PUBLIC, headers=HTML)).text
        first = set(re.findall(r"Sanierung Schule \d\d", html))
        assert len(first) == 20
        found = re.search(r'href="(/ausschreibungen\?cursor=[^"]+)" rel="next"', html)
        assert found
        html = (await anonymous.get(found.group(1).replace("&amp;", "&"), headers=HTML)).text
        second = set(re.findall(r"Sanierung Schule \d\d", html))
        assert len(second) == 1
        assert first | second == {f"Sanierung Schule {n:02d}" for n in range(21)}
        assert 'rel="next"' not in html
        assert 'href="/ausschreibungen">Erste Seite</a>' in html

    async def test_the_detail_shows_everything_public_and_anonymous_people_log_in(
        self, world: World
    ) -> None:
        tender = await published(world)
        path = f"{PUBLIC}/{tender['id']}"
        response = await world.clients["anonymous"].get(path, headers=HTML)
        assert response.status_code == 200
        html = response.text
        for text in (
            "HB-V-2026-000001",
            "Freie Hansestadt Bremen, Immobilien Bremen",
            "Öffentliche Ausschreibung (national)",
            "Nationale Vorschriften",
            "45210000-2</span> – Bauarbeiten",
            "DE501",
            "Fr., 24.04.2026, 12:00 Uhr (MESZ)",
            "Rohbau",
            "Bauablaufkonzept",
            "30 %",
            "Leistungsverzeichnis",
            "Textform (§ 126b BGB)",
        ):
            assert text in html, text
        assert f'href="/login?next=%2Fausschreibungen%2F{tender["id"]}"' in html
        assert "/unterlagen/" not in html
        # Downloading without logging in leads to the login, which brings them back
        document = tender["documents"][0]["id"]
        response = await world.clients["anonymous"].get(
            f"{path}/unterlagen/{document}", headers=HTML, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")

    async def test_the_detail_names_the_form_of_bids(self, world: World) -> None:
        # Given a published tender that asks for advanced electronic signatures
        tender = await published(world, bid_signature="advanced")
        # When its page is opened in English
        english = {**HTML, "accept-language": "en"}
        html = (
            await world.clients["anonymous"].get(f"{PUBLIC}/{tender['id']}", headers=english)
        ).text
        # Then it names the form the bids must have
        assert re.search(
            r'<dt class="kern-description-list-item__key">Form of bids</dt>\s*'
            r'<dd class="kern-description-list-item__value">'
            r"Advanced electronic signature or seal</dd>",
            _main(html),
        )

    async def test_a_company_person_downloads_and_is_recorded(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        path = f"{PUBLIC}/{tender['id']}"
        html = (await world.clients["owner"].get(path, headers=HTML)).text
        link = re.search(rf'href="({path}/unterlagen/[0-9a-f-]+)"', html)
        assert link
        response = await world.clients["owner"].get(link.group(1), headers=HTML)
        assert response.status_code == 200
        assert response.content == PDF
        async with sessions() as session:
            downloads = (await session.scalars(select(Download))).all()
        assert [d.organisation_id for d in downloads] == [world.organisations["company"]]


class TestQuestionsAmendmentsCancellation:
    async def test_a_question_is_asked_answered_and_published_without_the_asker(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        path = f"{PUBLIC}/{tender['id']}"
        # The anonymous visitor is asked to log in; a company person gets the form
        html = (await world.clients["anonymous"].get(path, headers=HTML)).text
        assert 'action="' + path + '/fragen"' not in html
        response = await _post(world.clients["owner"], f"{path}/fragen", {"text": ""}, page=path)
        assert response.status_code == 422
        assert "Schreiben Sie Ihre Frage." in response.text
        response = await _post(
            world.clients["owner"],
            f"{path}/fragen",
            {"text": "Ist eine Baustelleneinrichtungsfläche vorhanden?"},
            page=path,
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{path}?notice=asked"
        assert await _count(sessions, Question) == 1
        # The officers' inbox names the company; the public page never does
        office = f"{OFFICE}/{tender['id']}"
        html = (await world.clients["officer"].get(office, headers=HTML)).text
        assert "Muster Bau GmbH" in html
        assert "Ist eine Baustelleneinrichtungsfläche vorhanden?" in html
        action = re.search(rf'action="({office}/fragen/[0-9a-f-]+/antwort)"', html)
        assert action
        response = await _post(world.clients["officer"], action.group(1), {"text": ""}, page=office)
        assert response.status_code == 422
        response = await _post(
            world.clients["officer"],
            action.group(1),
            {"text": "Ja, auf dem Schulhof (Lageplan Anlage 3)."},
            page=office,
        )
        assert response.status_code == 303, response.text
        for who in ("anonymous", "stranger", "owner"):
            html = _main((await world.clients[who].get(path, headers=HTML)).text)
            assert "Ja, auf dem Schulhof (Lageplan Anlage 3)." in html
            assert "Ist eine Baustelleneinrichtungsfläche vorhanden?" in html
            assert "Muster Bau GmbH" not in html, who
        # A second answer is refused on the page
        response = await _post(
            world.clients["officer"], action.group(1), {"text": "Nochmal."}, page=office
        )
        assert response.status_code in (404, 409)

    async def test_after_the_deadline_for_questions_the_page_says_so(self, world: World) -> None:
        tender = await published(world)
        world.clock.advance(datetime(2026, 4, 15, tzinfo=UTC) - world.clock.now())
        await world.log_in_again("owner")
        path = f"{PUBLIC}/{tender['id']}"
        html = (await world.clients["owner"].get(path, headers=HTML)).text
        assert "Fragen wurden bis Di., 14.04.2026, 12:00 Uhr (MESZ) angenommen." in html
        assert f'action="{path}/fragen"' not in html

    async def test_an_amendment_from_the_prefilled_editor_is_published(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        office = f"{OFFICE}/{tender['id']}"
        editor = f"{office}/aenderung"
        html = (await world.clients["officer"].get(editor, headers=HTML)).text
        assert 'value="850.000,00"' in html
        assert 'name="procedure" value="public-tender"' in html
        form = editor_form(
            version=_version(html),
            submission_deadline="2026-05-04",
            binding_until="2026-07-10",
            summary="",
        )
        response = await _post(world.clients["officer"], editor, form, page=editor)
        assert response.status_code == 422
        assert field_in_error(response.text, "submission_deadline") is False
        assert "Fassen Sie die Änderung zusammen" in response.text
        form["summary"] = "Angebotsfrist um zehn Tage verlängert."
        form["material"] = "yes"
        response = await _post(world.clients["officer"], editor, form, page=editor)
        assert response.status_code in (200, 303), response.text
        refreshed = await _tender(sessions, tender["id"])
        assert refreshed.submission_deadline == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
        html = (await world.clients["anonymous"].get(f"{PUBLIC}/{tender['id']}", headers=HTML)).text
        assert "Änderung 1 vom" in html
        assert "Angebotsfrist um zehn Tage verlängert." in html
        assert "wesentliche Änderung" in html

    async def test_a_deadline_shortened_below_the_minimum_is_refused_in_words(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        editor = f"{OFFICE}/{tender['id']}/aenderung"
        html = (await world.clients["officer"].get(editor, headers=HTML)).text
        form = editor_form(
            version=_version(html),
            clarification_deadline="2026-03-30",
            submission_deadline="2026-04-01",
            summary="Frist verkürzt.",
        )
        response = await _post(world.clients["officer"], editor, form, page=editor)
        assert response.status_code == 422
        assert "Die Fristen können so nicht gesetzt werden:" in response.text
        assert "<li>Zu kurz. " in response.text
        assert field_in_error(response.text, "submission_deadline")
        refreshed = await _tender(sessions, tender["id"])
        assert refreshed.submission_deadline == datetime(2026, 4, 24, 10, 0, tzinfo=UTC)

    async def test_a_document_amendment_and_the_cancellation(
        self, world: World, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        tender = await published(world)
        office = f"{OFFICE}/{tender['id']}"
        html = (await world.clients["officer"].get(office, headers=HTML)).text
        response = await _post(
            world.clients["officer"],
            f"{office}/aenderung/unterlagen",
            {"version": _version(html), "title": "Lageplan", "summary": "Lageplan ergänzt."},
            page=office,
            files={"document": ("lageplan.pdf", PDF + b"2", "application/pdf")},
        )
        assert response.status_code == 303, response.text
        html = (await world.clients["anonymous"].get(f"{PUBLIC}/{tender['id']}", headers=HTML)).text
        assert "Lageplan ergänzt." in html
        assert "lageplan.pdf" in html
        # Cancelling without reasons is refused at the field; with them it is done
        html = (await world.clients["officer"].get(office, headers=HTML)).text
        response = await _post(
            world.clients["officer"],
            f"{office}/aufhebung",
            {"version": _version(html), "ground": "no-economic-result", "reason": ""},
            page=office,
        )
        assert response.status_code == 422
        assert _textarea_in_error(response.text, "cancel-reason")
        response = await _post(
            world.clients["officer"],
            f"{office}/aufhebung",
            {
                "version": _version(html),
                "ground": "no-economic-result",
                "reason": "Alle Angebote liegen weit über dem Budget.",
            },
            page=office,
        )
        assert response.status_code == 303, response.text
        assert (await _tender(sessions, tender["id"])).status == "cancelled"
        html = (await world.clients["anonymous"].get(f"{PUBLIC}/{tender['id']}", headers=HTML)).text
        assert "Das Verfahren wurde am" in html
        assert "§ 17 Abs. 1 Nr. 3 VOB/A (kein wirtschaftliches Ergebnis)" in html
        assert "Alle Angebote liegen weit über dem Budget." in html

    async def test_the_officers_tender_page_needs_the_officers_authority(
        self, world: World
    ) -> None:
        tender = await published(world)
        response = await world.clients["other_officer"].get(
            f"{OFFICE}/{tender['id']}", headers=HTML
        )
        assert response.status_code == 404
        token = await _token(world.clients["other_officer"], OFFICE)
        response = await world.clients["other_officer"].post(
            f"{OFFICE}/{tender['id']}/aufhebung",
            data={
                "_csrf_token": token,
                "version": "2",
                "ground": "no-economic-result",
                "reason": "Übernahme durch eine fremde Behörde.",
            },
            headers=HTML,
            follow_redirects=False,
        )
        assert response.status_code == 404
        # The API of the tender's own authority still shows it published
        current = await world.clients["officer"].get(f"{base_url(world)}/{tender['id']}")
        assert current.json()["status"] == "published"
