"""Every operation in the OpenAPI schema, called as anonymous and as each role (issue 3, item 4).

:data:`ACCESS` classifies each operation: who may reach it when it concerns a supplier and
when it concerns an authority. An operation missing from the table fails the test, so a new
operation cannot ship unclassified. "Reached" means the guards let the call through: the
handler may still answer 404 or 422 for the made-up ids and empty bodies used here, which keeps
the calls from changing anything. Refused means 401, 403, or the 404 ``organisation-not-found``
that non-members hear. Two suppliers and two authorities show that changing an organisation id
reveals nothing about another organisation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.identity.models import Membership, Organisation, User
from infra.identity.passwords import hash_password
from infra.identity.secrets import seal_secret
from infra.settings import Settings
from tests.infra.identity.conftest import PASSWORD
from tests.support import LoopClient

EVERYONE = frozenset(
    {
        "anonymous",
        "owner",
        "member",
        "stranger",
        "authority_admin",
        "officer",
        "other_officer",
        "platform_admin",
        "token",
    }
)
PEOPLE = EVERYONE - {"anonymous", "token"}
ADMIN = frozenset({"platform_admin"})
# Who may act on the target organisation, by the kind of the target.
MEMBERS = {
    "supplier": frozenset({"owner", "member", "token"}),
    "authority": frozenset({"authority_admin", "officer"}),
}
MANAGERS = {"supplier": frozenset({"owner"}), "authority": frozenset({"authority_admin"})}


def members(kind: str) -> frozenset[str]:
    return MEMBERS[kind]


def member_people(kind: str) -> frozenset[str]:
    """Members acting in person (a member may leave; the handler refuses removing others)."""
    return MEMBERS[kind] - {"token"}


def managers(kind: str) -> frozenset[str]:
    return MANAGERS[kind]


def everyone(_kind: str) -> frozenset[str]:
    return EVERYONE


def people(_kind: str) -> frozenset[str]:
    return PEOPLE


def admins(_kind: str) -> frozenset[str]:
    return ADMIN


def company_people(kind: str) -> frozenset[str]:
    """A company's owners and members in person (pre-qualification applications)."""
    return frozenset({"owner", "member"}) if kind == "supplier" else frozenset()


def authority_officers(_kind: str) -> frozenset[str]:
    """Officers of any authority pass the guard; the office check is the handler's (403 with
    its own code, which counts as reached here)."""
    return frozenset({"officer", "other_officer"})


def authority_people(_kind: str) -> frozenset[str]:
    """Anyone of an authority (the register's question during a procedure)."""
    return frozenset({"authority_admin", "officer", "other_officer"})


def officers_of(kind: str) -> frozenset[str]:
    """Officers of the authority in the path, in person (its tenders)."""
    return frozenset({"officer"}) if kind == "authority" else frozenset()


def members_of_company(kind: str) -> frozenset[str]:
    """A company's owners and members, and its API token (scope ``bids:write``)."""
    return MEMBERS[kind] if kind == "supplier" else frozenset()


def authority_members(kind: str) -> frozenset[str]:
    """Anyone of the authority in the path (officers, evaluators, its admin)."""
    return MEMBERS[kind] if kind == "authority" else frozenset()


ACCESS = {
    "health_live": everyone,
    "health_ready": everyone,
    "instance_get": everyone,
    "procurement_regime_assess": everyone,
    "signature_check_create": everyone,
    "signature_check_get": everyone,
    "signature_check_report_json": everyone,
    "signature_check_report_xml": everyone,
    "registration_create": everyone,
    "auth_verify_email": everyone,
    "auth_login": everyone,
    "auth_second_factor": everyone,
    "auth_password_reset_request": everyone,
    "auth_password_reset_confirm": everyone,
    "invitation_accept": everyone,
    "auth_logout": people,
    "auth_logout_everywhere": people,
    "account_get": people,
    "account_totp_start": people,
    "account_totp_confirm": people,
    "account_totp_disable": people,
    "organisation_get": members,
    "organisation_members_list": members,
    "organisation_member_role_set": managers,
    "organisation_member_remove": member_people,
    "invitation_create": managers,
    "invitation_list": managers,
    "invitation_revoke": managers,
    "api_token_list": managers,
    "api_token_create": managers,
    "api_token_revoke": managers,
    "admin_authority_create": admins,
    "admin_organisation_list": admins,
    "admin_user_list": admins,
    "admin_pq_office_designate": admins,
    "pq_catalogue": everyone,
    "pq_application_create": company_people,
    "pq_application_list": company_people,
    "pq_application_get": company_people,
    "pq_application_submit": company_people,
    "pq_evidence_upload": company_people,
    "pq_evidence_withdraw": company_people,
    "pq_evidence_document": company_people,
    "pq_declaration_put": company_people,
    "pq_declaration_espd": company_people,
    "pq_queue": authority_officers,
    "pq_review_get": authority_officers,
    "pq_review_evidence_document": authority_officers,
    "pq_review_start": authority_officers,
    "pq_review_evidence_decide": authority_officers,
    "pq_review_declaration_decide": authority_officers,
    "pq_review_request_changes": authority_officers,
    "pq_review_approve": authority_officers,
    "pq_review_reject": authority_officers,
    "pq_certificate_revoke": authority_officers,
    "pq_certificate_document": everyone,
    "pq_register_search": everyone,
    "pq_verify": everyone,
    "pq_qualification": authority_people,
    "tender_create": officers_of,
    "tender_list_own": officers_of,
    "tender_get_own": officers_of,
    "tender_update_draft": officers_of,
    "tender_document_add": officers_of,
    "tender_document_remove": officers_of,
    "tender_document_get_own": officers_of,
    "tender_publication_check": officers_of,
    "tender_publish": officers_of,
    "tender_questions_list": officers_of,
    "tender_question_answer": officers_of,
    "tender_amend": officers_of,
    "tender_amend_document": officers_of,
    "tender_cancel": officers_of,
    "tender_question_ask": company_people,
    "tender_answers": everyone,
    "tender_get": everyone,
    "tender_search": everyone,
    "tender_feed": everyone,
    "tender_document_get": people,
    # Bids: the company's people and its API tokens with bids:write; the authority's side in
    # person, except the count and the opening's state (tokens with tenders:read too).
    "bid_list_own": members_of_company,
    "bid_get_own": members_of_company,
    "bid_save_draft": members_of_company,
    "bid_document_add": members_of_company,
    "bid_document_remove": members_of_company,
    "bid_document_get_own": members_of_company,
    "bid_submit": members_of_company,
    "bid_withdraw": members_of_company,
    "bid_receipt_get": members_of_company,
    "bid_receipt_pdf": members_of_company,
    "tender_bid_count": authority_members,
    "tender_opening_get": authority_members,
    "tender_bids_opened": officers_of,
    "tender_bid_document": officers_of,
    "tender_opening_minutes": officers_of,
    "tender_opening_start": officers_of,
    "tender_opening_confirm": officers_of,
    # Evaluation: officers and evaluators of the authority in person (officers decide); the
    # company answers requests like it handles its bid.
    "evaluation_get": officers_of,
    "evaluation_start": officers_of,
    "evaluation_checks": officers_of,
    "evaluation_declare": officers_of,
    "evaluation_bids": officers_of,
    "evaluation_bid_admit": officers_of,
    "evaluation_bid_exclude": officers_of,
    "evaluation_scores_put": officers_of,
    "evaluation_scores_own": officers_of,
    "evaluation_rank": officers_of,
    "evaluation_ranking": officers_of,
    "evaluation_request_create": officers_of,
    "evaluation_requests": officers_of,
    "award_get": officers_of,
    "award_propose": officers_of,
    "award_register_query": officers_of,
    "award_approve": officers_of,
    "award_letter_pdf": officers_of,
    "award_review_record": officers_of,
    "award_review_resolve": officers_of,
    "award_contract": officers_of,
    "award_complete": officers_of,
    "award_publication": officers_of,
    "bid_result": members_of_company,
    "bid_result_letter_pdf": members_of_company,
    "bid_requests_list": members_of_company,
    "bid_request_answer": members_of_company,
}
LAST = ("auth_logout", "auth_logout_everywhere")  # they end the caller's session


@dataclass
class World:
    organisations: dict[str, uuid.UUID]
    clients: dict[str, AsyncTestClient[Litestar]]
    emails: dict[str, str]
    admin_secret: str
    clock: ManualClock

    async def log_in_again(self, role: str) -> None:
        """After an operation that ended the role's session."""
        if role not in self.emails:
            return
        client = self.clients[role]
        response = await client.post(
            "/api/v1/auth/login", json={"email": self.emails[role], "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        if role == "platform_admin":
            self.clock.advance(timedelta(seconds=30))  # a code is accepted once per step
            code = pyotp.TOTP(self.admin_secret).at(self.clock.now())
            assert (
                await client.post("/api/v1/auth/second-factor", json={"code": code})
            ).status_code == 204


async def _organisation(session: AsyncSession, kind: str, name: str, now: Any) -> uuid.UUID:
    org = Organisation(
        id=uuid.uuid4(),
        kind=kind,
        legal_name=name,
        street="Am Markt 1",
        postal_code="28195",
        city="Bremen",
        country="DE",
        contact_email=f"info@{name.lower().replace(' ', '')}.example",
        created_at=now,
    )
    session.add(org)
    await session.flush()
    return org.id


async def _person(
    session: AsyncSession,
    name: str,
    now: Any,
    *,
    org: uuid.UUID | None = None,
    role: str | None = None,
    admin_secret: str | None = None,
    settings: Settings | None = None,
) -> str:
    email = f"{name}@example.de"
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=name,
        password_hash=PASSWORD_HASH,
        email_verified_at=now,
        is_platform_admin=admin_secret is not None,
        language="de",
        created_at=now,
    )
    if admin_secret and settings:
        user.totp_secret = seal_secret(settings.secret_key, admin_secret)
        user.totp_enabled_at = now
    session.add(user)
    await session.flush()
    if org and role:
        session.add(Membership(user_id=user.id, organisation_id=org, role=role, created_at=now))
    return email


PASSWORD_HASH = hash_password(PASSWORD)


@pytest.fixture
async def world(
    app: Litestar,
    sessions: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    settings: Settings,
) -> AsyncIterator[World]:
    now = clock.now()
    admin_secret = pyotp.random_base32()
    async with sessions() as session, session.begin():
        orgs = {
            "supplier": await _organisation(session, "supplier", "Hafenbau GmbH", now),
            "other_supplier": await _organisation(session, "supplier", "Deichbau AG", now),
            "authority": await _organisation(session, "authority", "Stadt Bremen", now),
            "other_authority": await _organisation(session, "authority", "Stadt Bremerhaven", now),
        }
        emails = {
            "owner": await _person(session, "owner", now, org=orgs["supplier"], role="owner"),
            "member": await _person(session, "member", now, org=orgs["supplier"], role="member"),
            "stranger": await _person(
                session, "stranger", now, org=orgs["other_supplier"], role="owner"
            ),
            "authority_admin": await _person(
                session, "aadmin", now, org=orgs["authority"], role="admin"
            ),
            "officer": await _person(
                session, "officer", now, org=orgs["authority"], role="officer"
            ),
            "other_officer": await _person(
                session, "oofficer", now, org=orgs["other_authority"], role="officer"
            ),
            "platform_admin": await _person(
                session, "padmin", now, admin_secret=admin_secret, settings=settings
            ),
        }
    stack = AsyncExitStack()
    clients: dict[str, AsyncTestClient[Litestar]] = {}
    for name in [*emails, "anonymous", "token"]:
        clients[name] = await stack.enter_async_context(LoopClient(app, lifespan=False))
    for name, email in emails.items():
        response = await clients[name].post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
    code = pyotp.TOTP(admin_secret).at(clock.now())
    done = await clients["platform_admin"].post("/api/v1/auth/second-factor", json={"code": code})
    assert done.status_code == 204
    created = await clients["owner"].post(
        f"/api/v1/organisations/{orgs['supplier']}/api-tokens",
        json={
            "name": "all",
            "scopes": ["organisation:read", "tenders:read", "tenders:write", "bids:write"],
        },
    )
    clients["token"].headers["Authorization"] = f"Bearer {created.json()['token']}"
    async with stack:
        yield World(
            organisations=orgs,
            clients=clients,
            emails=emails,
            admin_secret=admin_secret,
            clock=clock,
        )


GUARD_CODES = {"not-authenticated", "access-denied", "organisation-not-found"}


def _refused(response: Any) -> bool:
    """Refused by a guard (a handler's own 403 or 404 means the call got through)."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    return response.json().get("code") in GUARD_CODES


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = [
        (operation["operationId"], method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    return sorted(found, key=lambda op: (op[0] in LAST, op[0]))


class TestAccess:
    async def test_every_operation_is_classified(self, client: AsyncTestClient[Litestar]) -> None:
        schema = (await client.get("/schema/openapi.json")).json()
        unclassified = {op for op, _, _ in _operations(schema)} - set(ACCESS)
        assert not unclassified, f"classify these operations in ACCESS: {sorted(unclassified)}"
        stale = set(ACCESS) - {op for op, _, _ in _operations(schema)}
        assert not stale, f"ACCESS lists operations that no longer exist: {sorted(stale)}"

    @pytest.mark.parametrize("target", ["supplier", "authority"])
    async def test_each_role_reaches_exactly_what_it_may(self, world: World, target: str) -> None:
        schema = (await world.clients["anonymous"].get("/schema/openapi.json")).json()
        mismatches = []
        for operation_id, method, path in _operations(schema):
            allowed = ACCESS[operation_id](target)
            url = re.sub(r"\{organisation_id\}", str(world.organisations[target]), path)
            url = re.sub(r"\{\w+\}", str(uuid.uuid4()), url)
            for role, client in world.clients.items():
                body = {} if method in ("POST", "PUT", "PATCH") else None
                response = await client.request(method, url, json=body)
                # (readiness may honestly answer 503: this app runs without its worker)
                assert response.status_code < 500 or operation_id == "health_ready", (
                    operation_id,
                    role,
                    response.text,
                )
                reached = not _refused(response)
                if operation_id in LAST:
                    await world.log_in_again(role)
                if reached != (role in allowed):
                    mismatches.append(
                        f"{operation_id} as {role}: {response.status_code} "
                        f"({'reached' if reached else 'refused'}, expected "
                        f"{'reached' if role in allowed else 'refused'})"
                    )
        assert not mismatches, "\n".join(mismatches)

    async def test_changing_the_organisation_id_reveals_nothing(self, world: World) -> None:
        owner = world.clients["owner"]
        other = world.organisations["other_supplier"]
        missing = uuid.uuid4()
        for url in (
            f"/api/v1/organisations/{other}",
            f"/api/v1/organisations/{missing}",
            f"/api/v1/organisations/{other}/members",
        ):
            response = await owner.get(url)
            assert response.status_code == 404
            assert response.json()["code"] == "organisation-not-found"
        officer = world.clients["other_officer"]
        response = await officer.get(f"/api/v1/organisations/{world.organisations['authority']}")
        assert response.status_code == 404
