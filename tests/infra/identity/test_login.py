"""Login for people: sessions, expiry, throttling, reset, second factor (issue 3, item 2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pyotp
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity.admin import create_user
from infra.mail.models import Mail
from infra.settings import Settings
from tests.infra.identity.conftest import (
    PASSWORD,
    Client,
    logged_in,
    registered_and_verified,
    token_in,
)
from tests.support import LoopClient

LastMail = Callable[[str], Awaitable[Mail]]
LOGIN = "/api/v1/auth/login"


class TestSessions:
    async def test_login_issues_a_new_session_id_and_drops_the_old_one(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        first = client.cookies["vergabe_session"]
        await logged_in(client, owner["owner_email"])
        second = client.cookies["vergabe_session"]
        assert first != second
        client.cookies.set("vergabe_session", first)
        assert (await client.get("/api/v1/account")).status_code == 401

    async def test_session_cookie_is_httponly_and_samesite_lax(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        response = await client.post(
            LOGIN, json={"email": owner["owner_email"], "password": PASSWORD}
        )
        header = response.headers["set-cookie"].lower()
        assert "httponly" in header
        assert "samesite=lax" in header

    async def test_logout_ends_the_session(self, client: Client, last_mail: LastMail) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        old = client.cookies["vergabe_session"]
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        client.cookies.set("vergabe_session", old)
        assert (await client.get("/api/v1/account")).status_code == 401

    async def test_logout_everywhere_ends_the_other_sessions_too(
        self, app: Litestar, client: Client, last_mail: LastMail
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        async with LoopClient(app) as laptop:
            await logged_in(laptop, owner["owner_email"])
            assert (await laptop.get("/api/v1/account")).status_code == 200
            assert (await client.post("/api/v1/auth/logout-everywhere")).status_code == 204
            assert (await laptop.get("/api/v1/account")).status_code == 401

    async def test_idle_session_ends(
        self, client: Client, last_mail: LastMail, clock: ManualClock, settings: Settings
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        idle = timedelta(minutes=settings.sessions.idle_minutes)
        clock.advance(idle - timedelta(minutes=1))
        assert (await client.get("/api/v1/account")).status_code == 200  # used: stays alive
        clock.advance(idle - timedelta(minutes=1))
        assert (await client.get("/api/v1/account")).status_code == 200
        clock.advance(idle)
        assert (await client.get("/api/v1/account")).status_code == 401

    async def test_used_session_still_ends_at_its_absolute_expiry(
        self, client: Client, last_mail: LastMail, clock: ManualClock, settings: Settings
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        step = timedelta(minutes=settings.sessions.idle_minutes // 2)
        used_for = timedelta(0)
        while used_for + step < timedelta(hours=settings.sessions.max_hours):
            clock.advance(step)
            used_for += step
            assert (await client.get("/api/v1/account")).status_code == 200
        clock.advance(step)
        assert (await client.get("/api/v1/account")).status_code == 401


class TestThrottling:
    async def test_account_is_blocked_after_five_failures_even_for_the_right_password(
        self, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        for _ in range(5):
            wrong = await client.post(
                LOGIN, json={"email": owner["owner_email"], "password": "wrong password 1"}
            )
            assert wrong.status_code == 401
            assert wrong.json()["code"] == "invalid-credentials"
        right = await client.post(LOGIN, json={"email": owner["owner_email"], "password": PASSWORD})
        assert right.status_code == 429
        clock.advance(timedelta(minutes=15, seconds=1))
        await logged_in(client, owner["owner_email"])

    async def test_one_address_trying_many_accounts_is_blocked(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        for n in range(30):
            response = await client.post(
                LOGIN, json={"email": f"guess{n}@example.de", "password": "wrong password 1"}
            )
            assert response.status_code == 401
        blocked = await client.post(
            LOGIN, json={"email": owner["owner_email"], "password": PASSWORD}
        )
        assert blocked.status_code == 429

    async def test_unknown_and_known_accounts_fail_alike(self, client: Client) -> None:
        response = await client.post(
            LOGIN, json={"email": "nobody@example.de", "password": "any password 123"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-credentials"


class TestPasswordReset:
    async def test_reset_sets_a_new_password_and_ends_all_sessions(
        self, app: Litestar, client: Client, last_mail: LastMail
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        async with LoopClient(app) as other:
            await logged_in(other, owner["owner_email"])
            asked = await client.post(
                "/api/v1/auth/password-reset", json={"email": owner["owner_email"]}
            )
            assert asked.status_code == 202
            token = token_in((await last_mail(owner["owner_email"], "reset-password?")).body)
            new_password = "Leuchtturm-Schlickwatt-Regenjacke"
            done = await client.post(
                "/api/v1/auth/password-reset/confirm",
                json={"token": token, "password": new_password},
            )
            assert done.status_code == 204
            assert (await other.get("/api/v1/account")).status_code == 401
        old = await client.post(LOGIN, json={"email": owner["owner_email"], "password": PASSWORD})
        assert old.status_code == 401
        await logged_in(client, owner["owner_email"], new_password)
        again = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "password": "Another-Long-Passphrase-77"},
        )
        assert again.status_code == 410

    async def test_reset_for_unknown_address_answers_the_same_and_sends_nothing(
        self, client: Client, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        response = await client.post(
            "/api/v1/auth/password-reset", json={"email": "nobody@example.de"}
        )
        assert response.status_code == 202
        from sqlalchemy import func, select

        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Mail)) == 0

    async def test_expired_reset_link_is_refused(
        self, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await client.post("/api/v1/auth/password-reset", json={"email": owner["owner_email"]})
        token = token_in((await last_mail(owner["owner_email"], "reset-password?")).body)
        clock.advance(timedelta(hours=1, seconds=1))
        response = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "password": "Leuchtturm-Schlickwatt-Regenjacke"},
        )
        assert response.status_code == 410


class TestSecondFactor:
    async def test_totp_is_set_up_then_required_at_login(
        self, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        setup = (await client.post("/api/v1/account/totp")).json()
        totp = pyotp.TOTP(setup["secret"])
        assert setup["otpauth_uri"].startswith("otpauth://totp/")
        wrong = await client.post("/api/v1/account/totp/confirm", json={"code": "000000"})
        assert wrong.status_code == 401
        code = totp.at(clock.now())
        ok = await client.post("/api/v1/account/totp/confirm", json={"code": code})
        assert ok.status_code == 204

        # Next login: password alone grants nothing until the code follows
        pending = await client.post(
            LOGIN, json={"email": owner["owner_email"], "password": PASSWORD}
        )
        assert pending.json() == {"second_factor_pending": True}
        assert (await client.get("/api/v1/account")).status_code == 401
        bad = await client.post("/api/v1/auth/second-factor", json={"code": "123456"})
        assert bad.status_code == 401
        clock.advance(timedelta(seconds=30))
        good = await client.post("/api/v1/auth/second-factor", json={"code": totp.at(clock.now())})
        assert good.status_code == 204
        account = (await client.get("/api/v1/account")).json()
        assert account["second_factor"] is True

    async def test_a_code_is_accepted_only_once(
        self, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        # Given the second factor confirmed with the code of this 30-second step
        owner = await registered_and_verified(client, last_mail)
        await logged_in(client, owner["owner_email"])
        totp = pyotp.TOTP((await client.post("/api/v1/account/totp")).json()["secret"])
        used = totp.at(clock.now())
        assert (
            await client.post("/api/v1/account/totp/confirm", json={"code": used})
        ).status_code == 204

        # When someone who saw that code logs in and sends it again within its validity
        await client.post(LOGIN, json={"email": owner["owner_email"], "password": PASSWORD})
        clock.advance(timedelta(seconds=10))
        replay = await client.post("/api/v1/auth/second-factor", json={"code": used})

        # Then it is refused, while the next step's code works
        assert replay.status_code == 401
        clock.advance(timedelta(seconds=30))
        fresh = await client.post("/api/v1/auth/second-factor", json={"code": totp.at(clock.now())})
        assert fresh.status_code == 204

    async def test_platform_admin_without_second_factor_cannot_administer(
        self, client: Client, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        async with sessions() as session, session.begin():
            await create_user(
                session,
                clock,
                email="admin@land.example",
                name="Ada Admin",
                password=PASSWORD,
                platform_admin=True,
            )
        await logged_in(client, "admin@land.example")
        response = await client.get("/api/v1/admin/users")
        assert response.status_code == 403
        assert "second factor" in response.json()["detail"]
