"""Signing up and confirming the e-mail address (infra/identity/pages/signup.py).

Every form over HTTP: its happy path and its bad inputs (split from the former
test_identity_pages.py by use case).
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from infra.clock import ManualClock
from infra.identity.models import Organisation, User
from tests.web.identity_factories import (
    BROWSER,
    PASSWORD,
    World,
    company,
    csrf_token,
    field_in_error,
    submit,
    summary_links,
    token_in,
)

Client = httpx.AsyncClient


class TestSignUp:
    async def test_company_registers_and_is_asked_to_check_the_mail(
        self, client: Client, world: World
    ) -> None:
        # Given the sign-up form
        form = await client.get("/registrieren")
        assert form.status_code == 200
        assert "Handelsregister" in form.text
        assert "USt-IdNr." in form.text
        # When a company fills it in and sends it
        response = await submit(client, "/registrieren", company(1))
        # Then it is told to check its mail, where the confirmation link waits
        assert response.status_code == 303
        assert response.headers["location"] == "/registrieren/gesendet"
        sent = await client.get("/registrieren/gesendet")
        assert "Bitte prüfen Sie Ihr Postfach" in sent.text
        mail = await world.last_mail(company(1)["owner_email"])
        assert "/verify-email?token=" in mail.body
        assert await world.count(Organisation) == 1

    async def test_bad_input_shows_every_error_keeps_the_input_but_never_the_password(
        self, client: Client, world: World
    ) -> None:
        # Given a form with a bad postal code, VAT ID and owner address
        data = company(
            1,
            postal_code="2819",
            vat_id="DE123",
            owner_email="hanna-at-example",
            register_court="",
            register_number="",
        )
        # When it is sent
        response = await submit(client, "/registrieren", data)
        # Then the form comes back with 422, a summary linking to each wrong field
        assert response.status_code == 422
        html = response.text
        assert summary_links(html) == ["postal_code", "vat_id", "owner_email"]
        for field in ("postal_code", "vat_id", "owner_email"):
            assert field_in_error(html, field)
        assert not field_in_error(html, "legal_name")
        assert "Geben Sie eine deutsche Postleitzahl mit fünf Ziffern ein" in html
        # And what was typed is kept, except the password
        assert 'value="Hafenbau 1 GmbH"' in html
        assert 'value="hanna-at-example"' in html
        assert PASSWORD not in html
        # And nothing was created
        assert await world.count(User) == 0

    async def test_register_or_vat_id_is_required_and_court_goes_with_number(
        self, client: Client, world: World
    ) -> None:
        neither = company(1, register_court="", register_number="", vat_id="")
        response = await submit(client, "/registrieren", neither)
        assert response.status_code == 422
        assert summary_links(response.text) == ["register_court"]
        half = company(1, register_number="", vat_id="")
        response = await submit(client, "/registrieren", half)
        assert summary_links(response.text) == ["register_number"]
        assert await world.count(User) == 0

    async def test_duplicate_registration_is_refused_at_the_field(
        self, client: Client, world: World
    ) -> None:
        # Given a registered company
        await world.company(1)
        # When somebody registers another company with the same owner address
        again = company(2, owner_email=company(1)["owner_email"])
        response = await submit(client, "/registrieren", again)
        # Then the form says so at the owner's address, with 409, and nothing is added
        assert response.status_code == 409
        assert "Zu dieser E-Mail-Adresse gibt es bereits ein Konto" in response.text
        assert field_in_error(response.text, "owner_email")
        assert await world.count(Organisation) == 1
        # And the same Handelsregister entry is refused at the register number
        same_register = company(2, register_number=company(1)["register_number"])
        response = await submit(client, "/registrieren", same_register)
        assert response.status_code == 409
        assert field_in_error(response.text, "register_number")
        assert await world.count(Organisation) == 1

    async def test_weak_password_is_refused_in_the_visitors_language(
        self, client: Client, world: World
    ) -> None:
        client.cookies.set("vergabe_lang", "en")
        response = await submit(client, "/registrieren", company(1, password="hafenbau1234"))
        assert response.status_code == 422
        assert "This password is too easy to guess" in response.text
        assert field_in_error(response.text, "password")
        assert await world.count(User) == 0

    async def test_form_without_csrf_token_is_refused_and_creates_nothing(
        self, client: Client, world: World
    ) -> None:
        await csrf_token(client, "/registrieren")
        response = await client.post("/registrieren", data=company(1), headers=BROWSER)
        assert response.status_code == 403
        assert await world.count(User) == 0


class TestVerifyEmail:
    async def _link(self, world: World) -> str:
        owner = await world.company(1, verified=False)
        mail = await world.last_mail(owner.owner_email)
        return token_in(mail.body)

    async def test_opening_the_link_only_shows_a_button(self, client: Client, world: World) -> None:
        token = await self._link(world)
        # When the link is opened (as a mail scanner would)
        response = await client.get(f"/verify-email?token={token}")
        # Then it shows a button and confirms nothing yet
        assert response.status_code == 200
        assert "E-Mail-Adresse bestätigen" in response.text
        assert f'name="token" value="{token}"' in response.text
        assert await world.count(User, User.email_verified_at.is_not(None)) == 0

    async def test_pressing_the_button_confirms_and_leads_to_the_login(
        self, client: Client, world: World
    ) -> None:
        token = await self._link(world)
        page = f"/verify-email?token={token}"
        response = await submit(client, "/verify-email", {"token": token}, page=page)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?notice=email-confirmed"
        assert await world.count(User, User.email_verified_at.is_not(None)) == 1
        login = await client.get(response.headers["location"])
        assert "Ihre E-Mail-Adresse ist bestätigt" in login.text
        # And the used link says so, also when opened again
        again = await submit(client, "/verify-email", {"token": token}, page="/login")
        assert again.status_code == 410
        assert "ungültig, abgelaufen oder wurde schon verwendet" in again.text
        opened = await client.get(page)
        assert opened.status_code == 410
        assert 'name="token"' not in opened.text

    async def test_expired_link_is_refused(
        self, client: Client, world: World, clock: ManualClock
    ) -> None:
        token = await self._link(world)
        clock.advance(timedelta(hours=49))
        assert (await client.get(f"/verify-email?token={token}")).status_code == 410
        response = await submit(client, "/verify-email", {"token": token}, page="/login")
        assert response.status_code == 410
        assert await world.count(User, User.email_verified_at.is_not(None)) == 0
