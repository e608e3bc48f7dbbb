"""The live pre-qualification server of the browser tests, and what they do in it.

:func:`serving_prequalification` serves the app as ``vergabe run`` does (worker and scheduler
embedded, mail into the development mailbox) at the tests' present on a :class:`ManualClock`
that the test may move, trusting the test PKI, with a database and a broker namespace of its
own. In development the certificate is sealed with the generated development seal and
timestamp authority of ``<data dir>/dev-pki`` (:func:`signatures.seal.sealer_from_settings`),
which need no settings. :func:`pq_server` adds a company with an application in review;
test modules import the fixture by name.
"""

from __future__ import annotations

__all__ = [
    "BASE",
    "OFFICER",
    "QUEUE",
    "PqApp",
    "PqServer",
    "accessible",
    "add_office",
    "logged_in",
    "pq_server",
    "serving_prequalification",
]

import asyncio
import io
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.app import create_app
from infra.clock import ManualClock
from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.identity import login
from infra.identity.models import Membership, User
from infra.identity.principal import OrgRole, Principal
from infra.settings import Settings, load_settings
from prequalification import applications, exclusion, review
from prequalification.applications import EvidenceFiles
from prequalification.models import Evidence, PrequalificationOffice
from prequalification.schemas import ApplicationCreate
from tests.conftest import TEST_START
from tests.infra.identity.conftest import PASSWORD
from tests.prequalification.conftest import SIGNER, _organisation, _person
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import TestPki
from tests.signatures.trusted_list import install_test_trust
from tests.web.conftest import _database_of_its_own, _drop_broker_namespace, _free_port, _serving
from tests.web.test_browser import HEADING_LEVELS, RUN_AXE, WCAG_TAGS
from tests.web.test_identity_browser import new_context
from workers.process import JobProcess

BASE = "/praequalifizierung"
QUEUE = "/praequalifizierung/pruefung"
OFFICER = ("officer@pq.bremen.example", "Olga Prüfer")
"""The e-mail address and name of the officer of the pre-qualification office."""


@dataclass(frozen=True)
class PqApp:
    """The live server with worker and scheduler, its settings, database and clock."""

    url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: ManualClock
    """The server's clock: moving it moves the scheduler's periods and the sessions' age."""


@dataclass(frozen=True)
class PqServer:
    """The live server with worker and scheduler, its database, and who is logged in."""

    url: str
    sessions: async_sessionmaker[AsyncSession]
    owner_session: str
    officer_session: str
    in_review: uuid.UUID
    """An application with checked documents and a self-declaration, taken into review."""


@asynccontextmanager
async def serving_prequalification(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
    *,
    name: str,
) -> AsyncIterator[PqApp]:
    """The app with worker and scheduler at the tests' present, trusting the test PKI.

    Args:
        name: Short and unique among the servers of a run: names the database, the data
            directory and the broker namespace.
    """
    listener = _free_port()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    data_dir = tmp_path_factory.mktemp(f"web-{name}")
    database = f"vergabe_{run_id}_{name}"
    run_database = base_environment["VERGABE_DATABASE_URL"]
    async with _database_of_its_own(run_database, data_dir, database) as db:
        settings = load_settings(
            {
                **base_environment,
                "VERGABE_DATA_DIR": str(data_dir),
                "VERGABE_DATABASE_URL": db,
                "VERGABE_BROKER_NAMESPACE": f"{run_id}-{name}",
                "VERGABE_PUBLIC_URL": url,
                "VERGABE_JOB_POLL_INTERVAL": "0.2",
            }
        )
        install_test_trust(settings, pki)
        engine = create_engine(settings.database)
        await migrate.upgrade(engine)
        clock = ManualClock(TEST_START)
        jobs = JobProcess(settings, clock, worker=True, scheduler=True)
        try:
            with _serving(create_app(settings, clock=clock, jobs=jobs), listener):
                yield PqApp(
                    url=url, settings=settings, sessions=session_factory(engine), clock=clock
                )
        finally:
            await engine.dispose()
            _drop_broker_namespace(settings)


async def add_office(session: AsyncSession, now: datetime) -> uuid.UUID:
    """The designated pre-qualification office "PQ-Stelle Bremen" with its officer."""
    office = await _organisation(session, "authority", "PQ-Stelle Bremen", now)
    await _person(session, OFFICER[0], OFFICER[1], now, office, "officer")
    session.add(PrequalificationOffice(organisation_id=office, designated_at=now))
    return office


async def _principal(
    sessions: async_sessionmaker[AsyncSession], email: str, organisation: uuid.UUID, kind: str
) -> Principal:
    async with sessions() as session:
        user = (await session.scalars(select(User).where(User.email == email))).one()
        membership = await session.get(Membership, (user.id, organisation))
    assert membership is not None
    return Principal(
        kind="user",
        user_id=user.id,
        email=email,
        name=user.name,
        memberships={organisation: OrgRole(kind=kind, role=membership.role)},
    )


async def _session_token(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: ManualClock, email: str
) -> str:
    result = await login.log_in(
        sessions, clock, settings, email=email, password=PASSWORD, address=None, user_agent=None
    )
    assert isinstance(result, login.LoginResult)
    return result.session_token


async def _seed(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: ManualClock, pdf: bytes
) -> tuple[str, str, uuid.UUID]:
    """A company and an office with one person each, and an application in review."""
    now = clock.now()
    owner_email, officer_email = "owner@musterbau.example", OFFICER[0]
    async with sessions() as session, session.begin():
        company = await _organisation(session, "supplier", "Muster Bau GmbH", now)
        office = await add_office(session, now)
        await _person(session, owner_email, SIGNER, now, company, "owner")
    owner = await _principal(sessions, owner_email, company, "supplier")
    officer = await _principal(sessions, officer_email, office, "authority")
    profile = settings.profile
    async with sessions() as session, session.begin():
        application = await applications.create_application(
            session,
            profile=profile,
            organisation_id=company,
            data=ApplicationCreate(categories=["works"], cpv_divisions=["45"]),
            by=owner,
            now=now,
        )
        for evidence_type in profile.prequalification.required_for(["works"]):
            if not evidence_type.mandatory or evidence_type.form != "document":
                continue
            for number in range(evidence_type.min_items):
                await applications.upload_evidence(
                    session,
                    profile=profile,
                    files=EvidenceFiles(settings.storage.root),
                    application=application,
                    type_code=evidence_type.code,
                    issued_on=date(2026, 3, 17),
                    stated_expiry=date(2027, 1, 31)
                    if evidence_type.validity.needs_stated_expiry
                    else None,
                    filename=f"{evidence_type.code}-{number + 1}.pdf",
                    document=io.BytesIO(pdf),
                    limit=settings.signatures.max_document_bytes,
                    by=owner,
                    now=now,
                )
        answers = [
            exclusion.GroundAnswer(code=code, applies=False)
            for code in exclusion.GROUND_CODES
            if code != "environmental-social-labour"
        ]
        answers.append(
            exclusion.GroundAnswer(
                code="environmental-social-labour",
                applies=True,
                date=date(2025, 6, 1),
                self_cleaning=True,
                explanation="Verstoß gegen Arbeitszeitvorschriften; Schichtplanung umgestellt.",
            )
        )
        await applications.declare(
            session,
            profile=profile,
            application=application,
            declaration=exclusion.SelfDeclaration(answers=tuple(answers)),
            source="form",
            sme_size=None,
            by=owner,
            now=now,
        )
        application_id = application.id

    async def checked() -> bool:
        async with sessions() as session:
            statuses = (await session.scalars(select(Evidence.status))).all()
        return bool(statuses) and "checking" not in statuses

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    while not await checked():
        assert loop.time() < deadline, "the seeded documents were not checked in time"
        await asyncio.sleep(0.2)
    async with sessions() as session, session.begin():
        application = await applications.get_application(session, application_id, for_update=True)
        await applications.submit(
            session, profile=profile, application=application, by=owner, now=now
        )
        await review.start_review(session, application=application, by=officer, now=now)
    return (
        await _session_token(settings, sessions, clock, owner_email),
        await _session_token(settings, sessions, clock, officer_email),
        application_id,
    )


@pytest.fixture(scope="module")
async def pq_server(
    base_environment: dict[str, str],
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
    pki: TestPki,
) -> AsyncIterator[PqServer]:
    """The live server with a company whose application is in review, owner and officer
    logged in."""
    signed = sign_pdf(pki, make_pdf(), signer="signer-qes", level="B-LTA")
    async with serving_prequalification(
        base_environment, run_id, tmp_path_factory, pki, name="pq"
    ) as app:
        owner, officer, in_review = await _seed(app.settings, app.sessions, app.clock, signed)
        yield PqServer(
            url=app.url,
            sessions=app.sessions,
            owner_session=owner,
            officer_session=officer,
            in_review=in_review,
        )


async def logged_in(browser: Browser, server: PqServer, language: str, who: str) -> BrowserContext:
    """A browser context with the session of ``who`` (``owner`` or ``officer``)."""
    context = await new_context(browser, language)
    token = server.owner_session if who == "owner" else server.officer_session
    await context.add_cookies([{"name": "vergabe_session", "value": token, "url": server.url}])
    return context


async def accessible(page: Page, axe_source: str) -> None:
    """No WCAG 2.1 A/AA violation, and headings that start at h1 and skip no level."""
    await page.evaluate("document.fonts.ready.then(() => true)")
    await page.evaluate(axe_source)
    violations = await page.evaluate(RUN_AXE, WCAG_TAGS)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)
    levels = await page.evaluate(HEADING_LEVELS)
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
