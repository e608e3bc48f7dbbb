"""My organisation: members, roles, invitations, API tokens; accepting invitations.

Every form over HTTP: its happy path and its bad inputs (split from the former
test_identity_pages.py by use case).
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from infra.identity.models import ApiToken, Invitation, Membership, User
from tests.web.identity_factories import (
    BROWSER,
    COLLEAGUE,
    PASSWORD,
    Company,
    World,
    field_in_error,
    log_in,
    submit,
    summary_links,
    token_in,
)

Client = httpx.AsyncClient


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
