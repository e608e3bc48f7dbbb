"""My account, the administration pages and the development mailbox.

Every form over HTTP: its happy path and its bad inputs (split from the former
test_identity_pages.py by use case).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select

from infra.clock import ManualClock
from infra.identity.models import Organisation, Session, User
from infra.mail.delivery import deliver
from infra.mail.models import Mail
from infra.settings import Settings
from tests.web.identity_factories import (
    BROWSER,
    PASSWORD,
    World,
    company,
    field_in_error,
    log_in,
    submit,
)

Client = httpx.AsyncClient


class TestAccount:
    async def test_second_factor_is_set_up_with_a_qr_code_and_a_code(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        # When the owner starts setting up the second factor
        setup = await submit(client, "/konto/zweiter-faktor", {}, page="/konto")
        # Then the secret is shown as an SVG QR code (no inline styles) and as text
        assert setup.status_code == 200
        assert '<svg width="' in setup.text
        assert "style=" not in setup.text
        secret = re.search(r'<code class="vg-secret">([A-Z2-7]+)</code>', setup.text)
        assert secret
        # And a wrong code shows the same secret again
        wrong = await submit(
            client, "/konto/zweiter-faktor/bestaetigen", {"code": "000000"}, page="/konto"
        )
        assert wrong.status_code == 401
        assert secret.group(1) in wrong.text
        assert field_in_error(wrong.text, "code")
        # And the right code switches it on
        right = await submit(
            client,
            "/konto/zweiter-faktor/bestaetigen",
            {"code": world.code(secret.group(1))},
            page="/konto",
        )
        assert right.status_code == 303
        account = await client.get(right.headers["location"])
        assert "Der zweite Faktor ist eingeschaltet." in account.text
        # And a current code (of a later step: each code works once) switches it off again
        world.clock.advance(timedelta(seconds=30))
        off = await submit(
            client,
            "/konto/zweiter-faktor/ausschalten",
            {"code": world.code(secret.group(1))},
            page="/konto",
        )
        assert off.status_code == 303
        assert await world.count(User, User.totp_enabled_at.is_not(None)) == 0

    async def test_log_out_everywhere_ends_every_session(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        await log_in(client, owner.owner_email)  # a second browser: a second session
        assert await world.count(Session) == 2
        response = await submit(client, "/konto/abmelden-ueberall", {}, page="/konto")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?notice=logged-out-everywhere"
        assert await world.count(Session) == 0


class TestAdministration:
    async def _admin(self, client: Client, world: World) -> None:
        admin_id = await world.person("admin@vergabe.example", "Ada Admin", platform_admin=True)
        secret = await world.second_factor(admin_id)
        client.cookies.clear()
        await submit(client, "/login", {"email": "admin@vergabe.example", "password": PASSWORD})
        done = await submit(client, "/login/code", {"code": world.code(secret)})
        assert done.status_code == 303

    async def test_organisations_and_users_are_listed_page_by_page(
        self, client: Client, world: World
    ) -> None:
        await world.company(1)
        await world.company(2)
        await self._admin(client, world)
        first = await client.get("/admin/organisationen?limit=1")
        assert first.status_code == 200
        assert first.text.count('scope="row"') == 1
        next_link = re.search(r'href="(/admin/organisationen\?after=[^"]+)" rel="next"', first.text)
        assert next_link
        second = await client.get(next_link.group(1).replace("&amp;", "&"))
        assert second.text.count('scope="row"') == 1
        assert 'rel="next"' not in second.text
        assert 'href="/admin/organisationen" aria-current="page">Verwaltung' in first.text
        users = await client.get("/admin/benutzer")
        assert users.status_code == 200
        assert users.text.count('scope="row"') == 3

    async def test_admin_creates_an_authority_and_its_admin_is_invited(
        self, client: Client, world: World
    ) -> None:
        await self._admin(client, world)
        data = {
            "legal_name": "Senatorin für Bau",
            "street": "Contrescarpe 72",
            "postal_code": "28195",
            "city": "Bremen",
            "contact_email": "vergabe@bau.bremen.example",
            "admin_email": "anna@bau.bremen.example",
        }
        bad = await submit(client, "/admin/organisationen/neu", {**data, "postal_code": "x"})
        assert bad.status_code == 422
        assert field_in_error(bad.text, "postal_code")
        assert await world.count(Organisation) == 0
        response = await submit(client, "/admin/organisationen/neu", data)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/organisationen?notice=authority-created"
        assert "/einladung?token=" in (await world.last_mail("anna@bau.bremen.example")).body

    async def test_others_are_refused(self, client: Client, world: World) -> None:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        response = await client.get("/admin/organisationen", headers=BROWSER)
        assert response.status_code == 403


class TestMailbox:
    async def test_lists_delivered_mails_newest_first_with_clickable_links(
        self, client: Client, world: World, clock: ManualClock
    ) -> None:
        # Given two mails delivered into the mailbox and one still queued
        await world.company(1, verified=False)
        clock.advance(timedelta(minutes=1))
        await world.company(2, verified=False)
        async with world.sessions() as session:
            mails = (await session.scalars(select(Mail).order_by(Mail.created_at))).all()
        for mail in mails:
            clock.advance(timedelta(seconds=1))
            async with world.sessions() as session, session.begin():
                await deliver(session, clock, world.settings, mail.id)
        await world.company(3, verified=False)
        # When the mailbox is opened
        page = await client.get("/dev/mailbox")
        # Then it says mails are not sent and lists the delivered ones, newest first
        assert page.status_code == 200
        assert "Entwicklungs-Postfach – E-Mails werden nicht versendet" in page.text
        rows = re.findall(r'<td class="kern-table__cell">([^<]+@[^<]+)</td>', page.text)
        assert rows == [company(2)["owner_email"], company(1)["owner_email"]]
        # And a mail shows its text with the link clickable
        link = re.search(r'href="(/dev/mailbox/[0-9a-f-]+)"', page.text)
        assert link
        mail = await client.get(link.group(1))
        assert re.search(r'<a class="kern-link" href="http[^"]+/verify-email\?token=', mail.text)
        # And a mail not in the mailbox is not shown
        assert (await client.get(f"/dev/mailbox/{uuid.uuid4()}")).status_code == 404

    def test_production_has_no_mailbox(self, settings: Settings) -> None:
        from infra.app import create_app
        from infra.settings import load_settings

        production = load_settings(
            {
                "VERGABE_ENV": "production",
                "VERGABE_DATA_DIR": str(settings.data_dir),
                "VERGABE_SECRET_KEY": settings.secret_key,
                "VERGABE_SMTP_URL": "smtp://localhost:25",
                "VERGABE_SEAL_PKCS12": "/etc/vergabe/seal.p12",
                "VERGABE_TSA_URL": "https://tsa.example/rfc3161",
                "VERGABE_BID_KEK_FILE": "/run/secrets/bid-kek",
                "VERGABE_DATABASE_URL": settings.database.url,
            }
        )
        paths = {route.path for route in create_app(production).routes}
        assert not any(path.startswith("/dev/") for path in paths)
        assert "/login" in paths
