"""Members, invitations, roles and API tokens (issue 3, items 1, 3 and 8)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.clock import ManualClock
from infra.mail.models import Mail
from tests.infra.identity.conftest import (
    PASSWORD,
    Client,
    logged_in,
    registered_and_verified,
    token_in,
)
from tests.support import LoopClient

LastMail = Callable[[str], Awaitable[Mail]]
COLLEAGUE = "kai@hafenbau1.example"


async def _owner(client: Client, last_mail: LastMail) -> dict[str, Any]:
    owner = await registered_and_verified(client, last_mail)
    await logged_in(client, owner["owner_email"])
    return owner


async def _invite(client: Client, organisation_id: str, email: str, role: str = "member") -> Any:
    return await client.post(
        f"/api/v1/organisations/{organisation_id}/invitations", json={"email": email, "role": role}
    )


async def _colleague_joins(
    app: Litestar, client: Client, last_mail: LastMail, org: str, role: str = "member"
) -> AsyncTestClient[Litestar]:
    assert (await _invite(client, org, COLLEAGUE, role)).status_code == 201
    token = token_in((await last_mail(COLLEAGUE)).body)
    colleague = LoopClient(app, lifespan=False)
    await colleague.__aenter__()
    accepted = await colleague.post(
        "/api/v1/invitations/accept",
        json={"token": token, "name": "Kai Kran", "password": PASSWORD},
    )
    assert accepted.status_code == 200, accepted.text
    await logged_in(colleague, COLLEAGUE)
    return colleague


class TestInvitations:
    async def test_invited_colleague_accepts_and_becomes_a_member(
        self, app: Litestar, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        org = owner["organisation_id"]
        colleague = await _colleague_joins(app, client, last_mail, org)
        try:
            members = (await client.get(f"/api/v1/organisations/{org}/members")).json()
            assert {(m["email"], m["role"]) for m in members} == {
                (owner["owner_email"], "owner"),
                (COLLEAGUE, "member"),
            }
            assert (await colleague.get(f"/api/v1/organisations/{org}")).status_code == 200
        finally:
            await colleague.__aexit__(None, None, None)

    async def test_invitation_works_once_and_expires(
        self, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        owner = await _owner(client, last_mail)
        await _invite(client, owner["organisation_id"], COLLEAGUE)
        token = token_in((await last_mail(COLLEAGUE)).body)
        body = {"token": token, "name": "Kai Kran", "password": PASSWORD}
        assert (await client.post("/api/v1/invitations/accept", json=body)).status_code == 200
        assert (await client.post("/api/v1/invitations/accept", json=body)).status_code == 410

        await _invite(client, owner["organisation_id"], "late@hafenbau1.example")
        late = token_in((await last_mail("late@hafenbau1.example")).body)
        clock.advance(timedelta(days=7, seconds=1))
        expired = await client.post(
            "/api/v1/invitations/accept",
            json={"token": late, "name": "Lea Late", "password": PASSWORD},
        )
        assert expired.status_code == 410

    async def test_inviting_an_existing_member_is_refused(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        response = await _invite(client, owner["organisation_id"], owner["owner_email"])
        assert response.status_code == 409
        assert response.json()["code"] == "already-member"

    async def test_a_role_of_the_other_kind_of_organisation_is_refused(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        response = await _invite(client, owner["organisation_id"], COLLEAGUE, role="officer")
        assert response.status_code == 403


class TestRoles:
    async def test_member_cannot_make_themselves_owner_nor_invite(
        self, app: Litestar, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        org = owner["organisation_id"]
        colleague = await _colleague_joins(app, client, last_mail, org)
        try:
            me = (await colleague.get("/api/v1/account")).json()["id"]
            promote = await colleague.put(
                f"/api/v1/organisations/{org}/members/{me}/role", json={"role": "owner"}
            )
            assert promote.status_code == 403
            assert (await _invite(colleague, org, "x@hafenbau1.example")).status_code == 403
            members = (await client.get(f"/api/v1/organisations/{org}/members")).json()
            assert {m["email"]: m["role"] for m in members}[COLLEAGUE] == "member"
        finally:
            await colleague.__aexit__(None, None, None)

    async def test_owner_cannot_demote_the_last_owner_or_themselves(
        self, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        org = owner["organisation_id"]
        response = await client.put(
            f"/api/v1/organisations/{org}/members/{owner['user_id']}/role", json={"role": "member"}
        )
        assert response.status_code == 403
        leave = await client.delete(f"/api/v1/organisations/{org}/members/{owner['user_id']}")
        assert leave.status_code == 403

    async def test_removed_member_loses_access_with_the_session_they_still_hold(
        self, app: Litestar, client: Client, last_mail: LastMail
    ) -> None:
        owner = await _owner(client, last_mail)
        org = owner["organisation_id"]
        colleague = await _colleague_joins(app, client, last_mail, org)
        try:
            me = (await colleague.get("/api/v1/account")).json()["id"]
            assert (await colleague.get(f"/api/v1/organisations/{org}")).status_code == 200
            removed = await client.delete(f"/api/v1/organisations/{org}/members/{me}")
            assert removed.status_code == 204
            assert (await colleague.get(f"/api/v1/organisations/{org}")).status_code == 404
        finally:
            await colleague.__aexit__(None, None, None)


class TestApiTokens:
    async def test_token_is_shown_once_scoped_expiring_and_revocable(
        self, app: Litestar, client: Client, last_mail: LastMail, clock: ManualClock
    ) -> None:
        owner = await _owner(client, last_mail)
        org = owner["organisation_id"]
        created = await client.post(
            f"/api/v1/organisations/{org}/api-tokens",
            json={"name": "ERP", "scopes": ["organisation:read"], "days_valid": 30},
        )
        assert created.status_code == 201
        token = created.json()["token"]
        listed = (await client.get(f"/api/v1/organisations/{org}/api-tokens")).json()
        assert token not in str(listed)
        assert listed[0]["prefix"] == token[:12]

        async with LoopClient(app) as machine:
            bearer = {"Authorization": f"Bearer {token}"}
            assert (
                await machine.get(f"/api/v1/organisations/{org}", headers=bearer)
            ).status_code == 200
            # the scope does not cover managing members, nor acting as a person
            invite = await machine.post(
                f"/api/v1/organisations/{org}/invitations",
                json={"email": "a@b.example", "role": "member"},
                headers=bearer,
            )
            assert invite.status_code == 403
            assert (await machine.get("/api/v1/account", headers=bearer)).status_code == 403

            clock.advance(timedelta(days=30, seconds=1))
            expired = await machine.get(f"/api/v1/organisations/{org}", headers=bearer)
            assert expired.status_code == 401

        await logged_in(client, owner["owner_email"])  # a month later, the owner's session ended
        second = (
            await client.post(
                f"/api/v1/organisations/{org}/api-tokens",
                json={"name": "BI", "scopes": ["organisation:read"]},
            )
        ).json()
        revoke = await client.delete(
            f"/api/v1/organisations/{org}/api-tokens/{second['details']['id']}"
        )
        assert revoke.status_code == 200
        async with LoopClient(app) as machine:
            gone = await machine.get(
                f"/api/v1/organisations/{org}",
                headers={"Authorization": f"Bearer {second['token']}"},
            )
            assert gone.status_code == 401

    async def test_garbage_bearer_is_refused_not_treated_as_anonymous(self, client: Client) -> None:
        response = await client.get(
            "/api/v1/instance", headers={"Authorization": "Bearer not-a-token"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
