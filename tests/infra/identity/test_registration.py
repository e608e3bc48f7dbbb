"""A company registers, confirms its address, logs in (issue 3, items 1, 2 and 8)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from infra.mail.models import Mail
from tests.infra.identity.conftest import (
    PASSWORD,
    Client,
    company,
    logged_in,
    registered_and_verified,
    token_in,
)

LastMail = Callable[[str], Awaitable[Mail]]


class TestRegistration:
    async def test_company_registers_and_its_owner_gets_a_confirmation_mail(
        self, client: Client, last_mail: LastMail
    ) -> None:
        data = company(1)
        response = await client.post("/api/v1/registrations", json=data)
        assert response.status_code == 201
        mail = await last_mail(data["owner_email"])
        assert "bestätigen" in mail.subject
        assert "/verify-email?token=" in mail.body

    async def test_login_before_confirmation_is_refused_after_the_password_check(
        self, client: Client, last_mail: LastMail
    ) -> None:
        data = company(1)
        await client.post("/api/v1/registrations", json=data)
        response = await client.post(
            "/api/v1/auth/login", json={"email": data["owner_email"], "password": PASSWORD}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "email-not-verified"
        assert "vergabe_session" not in response.cookies

    async def test_confirmed_owner_logs_in_and_sees_the_company(
        self, client: Client, last_mail: LastMail
    ) -> None:
        registered = await registered_and_verified(client, last_mail)
        await logged_in(client, registered["owner_email"])
        account = (await client.get("/api/v1/account")).json()
        assert account["email"] == registered["owner_email"]
        (membership,) = account["memberships"]
        assert membership["role"] == "owner"
        assert membership["organisation"]["register_number"] == "HRB 1001"
        assert membership["organisation"]["vat_id"] == "DE136695976"

    async def test_confirmation_link_works_once(self, client: Client, last_mail: LastMail) -> None:
        data = company(1)
        await client.post("/api/v1/registrations", json=data)
        token = token_in((await last_mail(data["owner_email"])).body)
        first = await client.post("/api/v1/auth/verify-email", json={"token": token})
        second = await client.post("/api/v1/auth/verify-email", json={"token": token})
        assert (first.status_code, second.status_code) == (204, 410)
        assert second.json()["code"] == "token-invalid"

    async def test_duplicates_are_refused_and_change_nothing(
        self, client: Client, last_mail: LastMail
    ) -> None:
        await client.post("/api/v1/registrations", json=company(1))
        same_owner = company(2, owner_email=company(1)["owner_email"])
        same_register = company(2, register_number="HRB 1001")
        same_vat = company(2, vat_id=company(1)["vat_id"])
        for data in (same_owner, same_register, same_vat):
            response = await client.post("/api/v1/registrations", json=data)
            assert response.status_code == 409, data
            assert response.json()["code"] == "already-registered"
        # company 2 with its own details still registers
        assert (await client.post("/api/v1/registrations", json=company(2))).status_code == 201

    async def test_malformed_register_vat_email_and_weak_password_are_refused(
        self, client: Client
    ) -> None:
        cases = [
            (company(1, register_number="HRZ 12"), 422),
            (company(1, register_court="Atlantis"), 422),
            (company(1, vat_id="DE136695977"), 422),
            (company(1, owner_email="not-an-address"), 422),
            (company(1, postal_code="2819"), 422),
            (company(1, register_court=None, register_number=None, vat_id=None), 422),
            (company(1, password="short"), 422),
            (company(1, password="123qweasdzxc"), 422),
            (company(1, password="Hafenbau1GmbH"), 422),
        ]
        for data, status in cases:
            response = await client.post("/api/v1/registrations", json=data)
            assert response.status_code == status, (data, response.text)
        # nothing was created by any of them
        ok = await client.post("/api/v1/registrations", json=company(1))
        assert ok.status_code == 201
