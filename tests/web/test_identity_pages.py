"""The identity pages over HTTP (infra/identity/pages/): every form, its happy path and its bad
inputs, the redirect to the login, the open-redirect guard and the CSRF check.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity.models import ApiToken, Invitation, Membership, Organisation, Session, User
from infra.mail.delivery import deliver
from infra.mail.models import Mail
from infra.settings import Settings
from tests.web.identity_factories import (
    BROWSER,
    PASSWORD,
    Company,
    World,
    company,
    csrf_token,
    log_in,
    submit,
    token_in,
)

Client = httpx.AsyncClient
COLLEAGUE = "kai@hafenbau1.example"
SUMMARY = 'role="alert"'


@pytest.fixture
def world(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, settings: Settings
) -> World:
    return World(sessions=sessions, clock=clock, settings=settings)


def field_in_error(html: str, field_id: str) -> bool:
    """Whether the field is marked invalid and described by its error message."""
    tag = re.search(rf'<(?:input|select|fieldset)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    return 'aria-invalid="true"' in tag.group(0) and f"{field_id}-error" in tag.group(0)


def summary_links(html: str) -> list[str]:
    """The fields the error summary links to."""
    start = html.index(SUMMARY)
    block = html[start : html.index("</ul>", start)]
    return re.findall(r'href="#([^"]+)"', block)


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


class TestLogin:
    async def test_login_leads_to_the_account_and_the_header_shows_the_person(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        response = await log_in(client, owner.owner_email)
        assert response.headers["location"] == "/konto"
        assert "vergabe_session" in response.headers["set-cookie"]
        account = await client.get("/konto")
        assert account.status_code == 200
        html = account.text
        assert f"Angemeldet als {owner.owner_name}" in html
        assert f'href="/organisationen/{owner.organisation_id}"' in html
        assert 'action="/logout"' in html
        assert 'href="/registrieren"' not in html

    async def test_login_before_confirming_the_address_is_refused(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1, verified=False)
        data = {"email": owner.owner_email, "password": PASSWORD}
        response = await submit(client, "/login", data)
        assert response.status_code == 403
        assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in response.text
        assert f'value="{owner.owner_email}"' in response.text
        assert PASSWORD not in response.text
        assert "vergabe_session" not in response.headers.get("set-cookie", "")

    async def test_wrong_password_is_refused_and_counted_until_blocked(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        wrong = {"email": owner.owner_email, "password": "falsch-falsch-falsch"}
        for _ in range(5):
            response = await submit(client, "/login", wrong)
            assert response.status_code == 401
            assert "Die E-Mail-Adresse oder das Passwort ist falsch." in response.text
            assert summary_links(response.text) == ["email"]
        # Then even the right password waits
        right = {"email": owner.owner_email, "password": PASSWORD}
        response = await submit(client, "/login", right)
        assert response.status_code == 429
        assert "Zu viele Fehlversuche" in response.text

    async def test_empty_fields_are_named(self, client: Client) -> None:
        response = await submit(client, "/login", {"email": "", "password": ""})
        assert response.status_code == 422
        assert summary_links(response.text) == ["email", "password"]

    async def test_next_on_this_site_is_followed(self, client: Client, world: World) -> None:
        owner = await world.company(1)
        target = f"/organisationen/{owner.organisation_id}"
        form = await client.get("/login", params={"next": target})
        assert f'name="next" value="{target}"' in form.text
        response = await log_in(client, owner.owner_email, next_path=target)
        assert response.headers["location"] == target

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
    )
    async def test_next_elsewhere_is_replaced_by_the_start_page(
        self, client: Client, world: World, target: str
    ) -> None:
        owner = await world.company(1)
        response = await log_in(client, owner.owner_email, next_path=target)
        assert response.headers["location"] == "/"

    async def test_second_factor_is_asked_for_after_the_password(
        self, client: Client, world: World
    ) -> None:
        # Given a person with a second factor
        owner = await world.company(1)
        secret = await world.second_factor(owner.owner_id)
        # When they log in with their password
        data = {"email": owner.owner_email, "password": PASSWORD, "next": "/konto"}
        response = await submit(client, "/login", data)
        # Then they are asked for the code and are not logged in yet
        assert response.status_code == 303
        assert response.headers["location"] == "/login/code?next=%2Fkonto"
        assert (
            (await client.get("/konto", headers=BROWSER))
            .headers["location"]
            .startswith("/login/code")
        )
        # And a wrong code is refused at the field
        wrong = await submit(client, "/login/code", {"code": "000000", "next": "/konto"})
        assert wrong.status_code == 401
        assert field_in_error(wrong.text, "code")
        # And the right code completes the login
        right = await submit(client, "/login/code", {"code": world.code(secret), "next": "/konto"})
        assert right.status_code == 303
        assert right.headers["location"] == "/konto"
        assert (await client.get("/konto")).status_code == 200

    async def test_code_form_without_a_waiting_login_leads_to_the_login(
        self, client: Client
    ) -> None:
        response = await client.get("/login/code", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    async def test_logout_ends_the_session(self, client: Client, world: World) -> None:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        response = await submit(client, "/logout", {}, page="/konto")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?notice=logged-out"
        assert 'vergabe_session=""' in response.headers["set-cookie"]
        assert await world.count(Session) == 0
        assert (await client.get("/konto", headers=BROWSER)).status_code == 303

    async def test_logged_in_visitor_is_sent_on_from_the_login_page(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        response = await client.get("/login", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/konto"


class TestRedirectToLogin:
    async def test_browser_is_sent_to_the_login_and_comes_back(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        path = f"/organisationen/{owner.organisation_id}"
        response = await client.get(path + "?tab=1", headers=BROWSER, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == (
            f"/login?next=%2Forganisationen%2F{owner.organisation_id}%3Ftab%3D1"
        )

    async def test_other_clients_keep_the_401_problem(self, client: Client) -> None:
        response = await client.get("/konto", headers={"accept": "application/json"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_form_sent_after_the_session_ended_returns_to_its_page(
        self, client: Client, world: World
    ) -> None:
        token = await csrf_token(client, "/login")
        response = await client.post(
            "/konto/abmelden-ueberall",
            data={"_csrf_token": token},
            headers={**BROWSER, "referer": "http://testserver.local/konto"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fkonto"

    async def test_a_foreign_referer_is_not_a_target(self, client: Client) -> None:
        token = await csrf_token(client, "/login")
        response = await client.post(
            "/konto/abmelden-ueberall",
            data={"_csrf_token": token},
            headers={**BROWSER, "referer": "https://evil.example/konto"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/login"


class TestPasswordReset:
    async def test_the_answer_is_the_same_for_known_and_unknown_addresses(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        before = await world.mails_to(owner.owner_email)
        known = await submit(client, "/passwort-vergessen", {"email": owner.owner_email})
        unknown = await submit(client, "/passwort-vergessen", {"email": "nobody@example.de"})
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"]
        assert await world.mails_to(owner.owner_email) == before + 1
        assert await world.mails_to("nobody@example.de") == 0

    async def test_malformed_address_is_named(self, client: Client) -> None:
        response = await submit(client, "/passwort-vergessen", {"email": "keine-adresse"})
        assert response.status_code == 422
        assert field_in_error(response.text, "email")

    async def test_new_password_is_set_once_with_the_link(
        self, client: Client, world: World
    ) -> None:
        # Given a reset link
        owner = await world.company(1)
        await submit(client, "/passwort-vergessen", {"email": owner.owner_email})
        token = token_in((await world.last_mail(owner.owner_email, "reset-password")).body)
        page = f"/reset-password?token={token}"
        assert (await client.get(page)).status_code == 200
        # When a weak password is chosen, the form comes back with the link kept
        weak = await submit(
            client, "/reset-password", {"token": token, "password": "kurz"}, page=page
        )
        assert weak.status_code == 422
        assert field_in_error(weak.text, "password")
        assert f'name="token" value="{token}"' in weak.text
        # When a good one is chosen
        new_password = "Leuchtturm-Brotkasten-Sommerregen"
        done = await submit(
            client, "/reset-password", {"token": token, "password": new_password}, page=page
        )
        # Then the login page says so, and only the new password works
        assert done.status_code == 303
        assert done.headers["location"] == "/login?notice=password-changed"
        await log_in(client, owner.owner_email, new_password)
        client.cookies.clear()
        old = await submit(client, "/login", {"email": owner.owner_email, "password": PASSWORD})
        assert old.status_code == 401
        # And the link is used up
        again = await submit(
            client, "/reset-password", {"token": token, "password": new_password}, page="/login"
        )
        assert again.status_code == 410

    async def test_expired_link_says_so_when_opened(
        self, client: Client, world: World, clock: ManualClock
    ) -> None:
        owner = await world.company(1)
        await submit(client, "/passwort-vergessen", {"email": owner.owner_email})
        token = token_in((await world.last_mail(owner.owner_email, "reset-password")).body)
        clock.advance(timedelta(hours=2))
        response = await client.get(f"/reset-password?token={token}")
        assert response.status_code == 410
        assert 'name="password"' not in response.text


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


class TestOrganisation:
    async def _owner(self, client: Client, world: World) -> Company:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        return owner

    async def test_owner_sees_members_invitations_and_tokens(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        await world.person(COLLEAGUE, member_of=owner.organisation_id)
        html = (await client.get(f"/organisationen/{owner.organisation_id}")).text
        assert owner.legal_name in html
        assert "Kai Kran" in html
        assert "Einladung senden" in html
        assert "API-Token erstellen" in html
        # The role choice offers only the roles of a company
        assert 'value="owner"' in html
        assert 'value="officer"' not in html

    async def test_owner_invites_a_colleague(self, client: Client, world: World) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        response = await submit(
            client, f"{base}/einladungen", {"email": COLLEAGUE, "role": "member"}, page=base
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{base}?notice=invited"
        page = await client.get(response.headers["location"])
        assert "Die Einladung wurde gesendet." in page.text
        assert COLLEAGUE in page.text
        mail = await world.last_mail(COLLEAGUE)
        assert "/einladung?token=" in mail.body

    async def test_inviting_an_existing_member_is_refused(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        await world.person(COLLEAGUE, member_of=owner.organisation_id)
        base = f"/organisationen/{owner.organisation_id}"
        response = await submit(
            client, f"{base}/einladungen", {"email": COLLEAGUE, "role": "member"}, page=base
        )
        assert response.status_code == 409
        assert "Diese Person ist bereits Mitglied der Organisation." in response.text
        assert field_in_error(response.text, "invite-email")
        assert f'value="{COLLEAGUE}"' in response.text
        assert await world.count(Invitation) == 0
        assert await world.mails_to(COLLEAGUE) == 0

    async def test_invitation_with_a_bad_address_or_a_role_of_authorities_is_refused(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        bad = await submit(
            client, f"{base}/einladungen", {"email": "kai", "role": "member"}, page=base
        )
        assert bad.status_code == 422
        assert field_in_error(bad.text, "invite-email")
        wrong_role = await submit(
            client, f"{base}/einladungen", {"email": COLLEAGUE, "role": "officer"}, page=base
        )
        assert wrong_role.status_code == 403
        assert field_in_error(wrong_role.text, "invite-role")
        assert await world.count(Invitation) == 0

    async def test_member_may_not_invite_change_roles_or_remove_others(
        self, client: Client, world: World
    ) -> None:
        # Given a plain member
        owner = await world.company(1)
        member_id = await world.person(COLLEAGUE, member_of=owner.organisation_id)
        await log_in(client, COLLEAGUE)
        base = f"/organisationen/{owner.organisation_id}"
        page = await client.get(base)
        assert page.status_code == 200
        assert "Einladung senden" not in page.text
        # When they try to invite anyway
        invite = await submit(
            client,
            f"{base}/einladungen",
            {"email": "x@hafenbau1.example", "role": "member"},
            page=base,
            headers=BROWSER,
        )
        # Then it is refused, and nothing changed
        assert invite.status_code == 403
        assert await world.count(Invitation) == 0
        # And so is changing their own role
        own_role = await submit(
            client, f"{base}/mitglieder/{member_id}/rolle", {"role": "owner"}, page=base
        )
        assert own_role.status_code == 403
        assert await world.role_of(member_id, owner.organisation_id) == "member"
        # And removing the owner
        remove = await submit(
            client, f"{base}/mitglieder/{owner.owner_id}/entfernen", {}, page=base
        )
        assert remove.status_code == 403
        assert "Nur Inhaberinnen und Inhaber oder die Administration" in remove.text
        assert await world.role_of(owner.owner_id, owner.organisation_id) == "owner"

    async def test_owner_cannot_change_their_own_role_but_a_colleagues(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        member_id = await world.person(COLLEAGUE, member_of=owner.organisation_id)
        base = f"/organisationen/{owner.organisation_id}"
        own = await submit(
            client, f"{base}/mitglieder/{owner.owner_id}/rolle", {"role": "member"}, page=base
        )
        assert own.status_code == 403
        assert "Niemand kann die eigene Rolle ändern" in own.text
        assert await world.role_of(owner.owner_id, owner.organisation_id) == "owner"
        other = await submit(
            client, f"{base}/mitglieder/{member_id}/rolle", {"role": "owner"}, page=base
        )
        assert other.status_code == 303
        assert await world.role_of(member_id, owner.organisation_id) == "owner"

    async def test_member_leaves_and_owner_removes(self, client: Client, world: World) -> None:
        owner = await world.company(1)
        base = f"/organisationen/{owner.organisation_id}"
        kai = await world.person(COLLEAGUE, member_of=owner.organisation_id)
        ute = await world.person(
            "ute@hafenbau1.example", "Ute Ufer", member_of=owner.organisation_id
        )
        # A member leaves
        await log_in(client, COLLEAGUE)
        left = await submit(client, f"{base}/mitglieder/{kai}/entfernen", {}, page=base)
        assert left.status_code == 303
        assert left.headers["location"] == "/konto?notice=left"
        assert await world.role_of(kai, owner.organisation_id) is None
        # The owner removes another, but cannot leave as the last owner
        await log_in(client, owner.owner_email)
        removed = await submit(client, f"{base}/mitglieder/{ute}/entfernen", {}, page=base)
        assert removed.status_code == 303
        assert await world.role_of(ute, owner.organisation_id) is None
        last = await submit(client, f"{base}/mitglieder/{owner.owner_id}/entfernen", {}, page=base)
        assert last.status_code == 403
        assert "mindestens eine Inhaberin" in last.text

    async def test_owner_withdraws_an_invitation(self, client: Client, world: World) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        await submit(
            client, f"{base}/einladungen", {"email": COLLEAGUE, "role": "member"}, page=base
        )
        async with world.sessions() as session:
            invitation_id = await session.scalar(select(Invitation.id))
        response = await submit(
            client, f"{base}/einladungen/{invitation_id}/zurueckziehen", {}, page=base
        )
        assert response.status_code == 303
        assert await world.count(Invitation, Invitation.revoked_at.is_not(None)) == 1

    async def test_api_token_is_shown_once_works_and_can_be_revoked(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        # When the owner creates a token
        created = await submit(
            client,
            f"{base}/api-tokens",
            {"name": "ERP", "scopes": ["organisation:read"], "days_valid": "30"},
            page=base,
        )
        # Then the answer shows it once, with the notice to copy it now
        assert created.status_code == 200
        assert "Kopieren Sie den API-Token jetzt" in created.text
        value = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', created.text)
        assert value
        assert value.group(1) not in (await client.get(base)).text
        # And it works for the API
        bearer = {"authorization": f"Bearer {value.group(1)}"}
        api = f"/api/v1/organisations/{owner.organisation_id}"
        assert (await client.get(api, headers=bearer)).status_code == 200
        # And revoking it ends that
        async with world.sessions() as session:
            token_id = await session.scalar(select(ApiToken.id))
        revoked = await submit(client, f"{base}/api-tokens/{token_id}/widerrufen", {}, page=base)
        assert revoked.status_code == 303
        assert (await client.get(api, headers=bearer)).status_code == 401

    async def test_api_token_without_permissions_is_refused(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        response = await submit(
            client, f"{base}/api-tokens", {"name": "ERP", "days_valid": "400"}, page=base
        )
        assert response.status_code == 422
        assert summary_links(response.text) == ["token-scopes", "token-days_valid"]
        assert field_in_error(response.text, "token-scopes")
        assert await world.count(ApiToken) == 0

    async def test_a_stranger_hears_nothing_of_the_organisation(
        self, client: Client, world: World
    ) -> None:
        owner = await world.company(1)
        stranger = await world.company(2)
        await log_in(client, stranger.owner_email)
        response = await client.get(f"/organisationen/{owner.organisation_id}", headers=BROWSER)
        assert response.status_code == 404

    async def test_missing_csrf_token_is_refused_and_changes_nothing(
        self, client: Client, world: World
    ) -> None:
        owner = await self._owner(client, world)
        base = f"/organisationen/{owner.organisation_id}"
        response = await client.post(
            f"{base}/einladungen",
            data={"email": COLLEAGUE, "role": "member"},
            headers=BROWSER,
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert await world.count(Invitation) == 0
        assert await world.mails_to(COLLEAGUE) == 0


class TestInvitation:
    async def _invited(self, client: Client, world: World) -> tuple[Company, str]:
        owner = await world.company(1)
        await log_in(client, owner.owner_email)
        base = f"/organisationen/{owner.organisation_id}"
        await submit(
            client, f"{base}/einladungen", {"email": COLLEAGUE, "role": "member"}, page=base
        )
        client.cookies.clear()
        return owner, token_in((await world.last_mail(COLLEAGUE)).body)

    async def test_newcomer_creates_an_account_then_logs_in_to_the_organisation(
        self, client: Client, world: World
    ) -> None:
        owner, token = await self._invited(client, world)
        page = f"/einladung?token={token}"
        form = await client.get(page)
        assert form.status_code == 200
        assert owner.legal_name in form.text
        assert 'name="password"' in form.text
        response = await submit(
            client,
            "/einladung",
            {"token": token, "name": "Kai Kran", "password": PASSWORD},
            page=page,
        )
        assert response.status_code == 303
        base = f"/organisationen/{owner.organisation_id}"
        assert response.headers["location"] == (
            f"/login?notice=invitation-accepted&next=%2Forganisationen%2F{owner.organisation_id}"
        )
        login = await log_in(client, COLLEAGUE, next_path=base)
        assert login.headers["location"] == base
        assert (await client.get(base)).status_code == 200

    async def test_weak_password_keeps_the_name_and_creates_nothing(
        self, client: Client, world: World
    ) -> None:
        _, token = await self._invited(client, world)
        page = f"/einladung?token={token}"
        response = await submit(
            client, "/einladung", {"token": token, "name": "Kai Kran", "password": "kai"}, page=page
        )
        assert response.status_code == 422
        assert field_in_error(response.text, "password")
        assert 'value="Kai Kran"' in response.text
        assert await world.count(User, User.email == COLLEAGUE) == 0

    async def test_invited_account_logged_in_accepts_with_a_button(
        self, client: Client, world: World
    ) -> None:
        owner, token = await self._invited(client, world)
        await world.company(2, verified=True)
        kai = await world.person(COLLEAGUE)
        page = f"/einladung?token={token}"
        # Not logged in: asked to log in as the invited address, coming back afterwards
        asked = await client.get(page)
        assert "Als kai@hafenbau1.example anmelden" in asked.text
        assert f'href="/login?next=%2Feinladung%3Ftoken%3D{token}"' in asked.text
        # Logged in as that address: a button
        await log_in(client, COLLEAGUE, next_path=page)
        form = await client.get(page)
        assert 'name="password"' not in form.text
        response = await submit(client, "/einladung", {"token": token}, page=page)
        assert response.status_code == 303
        assert response.headers["location"] == (
            f"/organisationen/{owner.organisation_id}?notice=joined"
        )
        assert await world.role_of(kai, owner.organisation_id) == "member"

    async def test_used_link_is_refused(self, client: Client, world: World) -> None:
        _, token = await self._invited(client, world)
        page = f"/einladung?token={token}"
        data = {"token": token, "name": "Kai Kran", "password": PASSWORD}
        assert (await submit(client, "/einladung", data, page=page)).status_code == 303
        again = await client.get(page)
        assert again.status_code == 410
        assert (await submit(client, "/einladung", data, page="/login")).status_code == 410
        assert await world.count(Membership) == 2


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
                "VERGABE_DATABASE_URL": settings.database.url,
            }
        )
        paths = {route.path for route in create_app(production).routes}
        assert not any(path.startswith("/dev/") for path in paths)
        assert "/login" in paths
