"""Logging in and out, the redirect to the login and password reset (pages/sessions.py).

Every form over HTTP: its happy path and its bad inputs (split from the former
test_identity_pages.py by use case).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from infra.clock import ManualClock
from infra.identity.models import Session
from tests.web.identity_factories import (
    BROWSER,
    PASSWORD,
    World,
    csrf_token,
    field_in_error,
    log_in,
    submit,
    summary_links,
    token_in,
)

Client = httpx.AsyncClient


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
