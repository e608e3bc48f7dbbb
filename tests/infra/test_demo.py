"""``vergabe demo``: the people, pre-qualified companies and a tender in every state of the
lifecycle, made through the domains' services, shown by the app, and made only once.

The seeding runs against the test database with settings of its own (own data directory:
development seal, key-encryption key and stored files), so the run's shared development PKI
is not touched; the app under test reads the same database.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.clock import ManualClock
from infra.demo import (
    AUTHORITY,
    OFFICER,
    PEOPLE,
    SUPPLIERS,
    demo_organisation,
    seed_identity,
)
from infra.identity.authentication import SESSION_COOKIE
from infra.identity.models import User
from infra.settings import Settings, load_settings
from prequalification import register
from prequalification.certificates import status_at
from prequalification.demo import seed_prequalification
from prequalification.models import Certificate, CertificateStatus
from procurement import demo
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    AwardProposal,
    Contract,
    InformationLetterRow,
    RankEntryRow,
)
from procurement.bids.models import Bid, Opening
from procurement.demo import seed_procurement
from procurement.tenders.models import Question, Tender, TenderStatus
from tests.support import LoopClient, run_cli
from tests.worlds import logged_in

STATES = {
    TenderStatus.DRAFT,
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.OPENED,
    TenderStatus.IN_EVALUATION,
    TenderStatus.AWARD_PROPOSED,
    TenderStatus.AWARDED,
    TenderStatus.COMPLETED,
    TenderStatus.CANCELLED,
}


@pytest.fixture
def demo_settings(environment: dict[str, str], tmp_path: Path) -> Settings:
    """The test deployment with a data directory of its own."""
    return load_settings(environment | {"VERGABE_DATA_DIR": str(tmp_path / "data")})


async def _seed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: ManualClock
) -> list[str]:
    """What ``vergabe demo`` does after the migrations, in one transaction."""
    async with sessions() as session, session.begin():
        created = await seed_identity(session, clock)
        created += await seed_prequalification(session, settings, clock.now())
        created += await seed_procurement(session, settings, clock.now())
    return created


@pytest.fixture
async def seeded(
    sessions: async_sessionmaker[AsyncSession], demo_settings: Settings, clock: ManualClock
) -> list[str]:
    return await _seed(sessions, demo_settings, clock)


async def _tenders(session: AsyncSession) -> dict[str, Tender]:
    authority = await demo_organisation(session, AUTHORITY)
    rows = await session.scalars(select(Tender).where(Tender.authority_id == authority))
    return {tender.status: tender for tender in rows}


class TestTenders:
    async def test_every_state_of_the_lifecycle_is_there_exactly_once(
        self, seeded: list[str], sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session:
            authority = await demo_organisation(session, AUTHORITY)
            statuses = Counter(
                await session.scalars(select(Tender.status).where(Tender.authority_id == authority))
            )
        assert statuses == Counter(STATES)
        assert len([line for line in seeded if line.startswith("tender ")]) == len(demo.STEPS)

    async def test_past_states_keep_the_lifecycle_s_order_of_time(
        self, seeded: list[str], sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        now = clock.now()
        async with sessions() as session:
            tenders = await _tenders(session)
            for status in (TenderStatus.CLOSED, TenderStatus.OPENED, TenderStatus.IN_EVALUATION):
                tender = tenders[status]
                assert tender.published_at is not None
                assert tender.submission_deadline is not None
                assert tender.published_at < tender.submission_deadline < now
                bids = list(await session.scalars(select(Bid).where(Bid.tender_id == tender.id)))
                assert bids
                assert all(
                    bid.submitted_at and bid.submitted_at < tender.submission_deadline
                    for bid in bids
                )
            published = tenders[TenderStatus.PUBLISHED]
            assert published.submission_deadline is not None
            assert published.submission_deadline > now
            question = await session.scalar(
                select(Question).where(Question.tender_id == published.id)
            )
            assert question is not None
            assert question.answered_at is not None
            assert await session.get(Opening, tenders[TenderStatus.CLOSED].id) is None
            opened = await session.get(Opening, tenders[TenderStatus.OPENED].id)
            assert opened is not None
            assert opened.confirmed_by not in (None, opened.started_by)
            assert tenders[TenderStatus.CANCELLED].cancellation_reason

    async def test_the_award_states_carry_their_decision_letters_and_contracts(
        self, seeded: list[str], sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        now = clock.now()
        async with sessions() as session:
            tenders = await _tenders(session)
            proposed = tenders[TenderStatus.AWARD_PROPOSED]
            proposal = await session.get(AwardProposal, proposed.id)
            assert proposal is not None
            assert proposal.approved_by not in (None, proposal.proposed_by)
            assert proposal.dispatched_at is not None
            assert proposal.contract_from_moment is not None
            assert proposal.contract_from_moment > now
            assert proposal.standstill_ended_at is None
            letters = list(
                await session.scalars(
                    select(InformationLetterRow).where(
                        InformationLetterRow.tender_id == proposed.id
                    )
                )
            )
            assert len(letters) == 2
            assert all(letter.pdf.startswith(b"%PDF") for letter in letters)
            for status, lots in ((TenderStatus.AWARDED, 2), (TenderStatus.COMPLETED, 1)):
                tender = tenders[status]
                contracts = list(
                    await session.scalars(select(Contract).where(Contract.tender_id == tender.id))
                )
                assert len(contracts) == lots
                done = await session.get(AwardProposal, tender.id)
                assert done is not None
                assert done.standstill_ended_at is not None
                assert all(c.concluded_on <= now.date() for c in contracts)

    async def test_the_tender_in_evaluation_has_a_ranking_and_one_bid_excluded_with_reason(
        self, seeded: list[str], sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session:
            tender = (await _tenders(session))[TenderStatus.IN_EVALUATION]
            assessments = list(
                await session.scalars(select(Assessment).where(Assessment.tender_id == tender.id))
            )
            ranks = list(
                await session.scalars(
                    select(RankEntryRow)
                    .where(RankEntryRow.tender_id == tender.id)
                    .order_by(RankEntryRow.rank)
                )
            )
        excluded = [a for a in assessments if a.status == AssessmentStatus.EXCLUDED]
        admitted = [a for a in assessments if a.status == AssessmentStatus.ADMITTED]
        assert len(excluded) == 1
        assert excluded[0].reason
        assert excluded[0].ground == "exclusion-grounds"
        assert len(admitted) == 2
        assert [r.rank for r in ranks] == [1, 2]
        assert {r.bid_id for r in ranks} == {a.bid_id for a in admitted}


class TestCompanies:
    async def test_every_company_holds_a_valid_certificate_in_the_public_register(
        self,
        seeded: list[str],
        sessions: async_sessionmaker[AsyncSession],
        demo_settings: Settings,
        clock: ManualClock,
    ) -> None:
        async with sessions() as session:
            for name, _owner in SUPPLIERS:
                organisation = await demo_organisation(session, name)
                (certificate,) = await session.scalars(
                    select(Certificate).where(Certificate.organisation_id == organisation)
                )
                status = await status_at(session, demo_settings.profile, certificate, clock.now())
                assert status == CertificateStatus.VALID
            entries = await register.search(
                session,
                profile=demo_settings.profile,
                base_url=demo_settings.public_url,
                now=clock.now(),
                cpv_division="45",
            )
        listed = {e.company_name for e in entries if e.status == "valid"}
        assert listed >= {name for name, _ in SUPPLIERS}


class TestTheAppShowsThem:
    async def test_the_public_search_lists_the_open_tender_and_officers_see_every_state(
        self,
        seeded: list[str],
        app: Litestar,
        client: LoopClient,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
    ) -> None:
        found = await client.get("/api/v1/tenders", params={"status": "open"})
        assert found.status_code == 200, found.text
        assert [t["title"] for t in found.json()["items"]] == [demo.PUBLISHED]
        public = await client.get("/api/v1/tenders", params={"status": "all"})
        assert demo.DRAFT not in {t["title"] for t in public.json()["items"]}

        async with sessions() as session, session.begin():
            authority = await demo_organisation(session, AUTHORITY)
            officer = await session.scalar(select(User.id).where(User.email == OFFICER))
            assert officer is not None
            token = logged_in(session, officer, settings, clock.now())
        async with LoopClient(app, lifespan=False) as browser:
            browser.cookies.set(SESSION_COOKIE, token)
            own = await browser.get(f"/api/v1/organisations/{authority}/tenders")
        assert own.status_code == 200, own.text
        assert Counter(t["status"] for t in own.json()) == Counter(STATES)


class TestIdempotence:
    async def test_a_second_run_creates_nothing(
        self,
        seeded: list[str],
        sessions: async_sessionmaker[AsyncSession],
        demo_settings: Settings,
        clock: ManualClock,
    ) -> None:
        async def counts() -> tuple[int, ...]:
            async with sessions() as session:
                return tuple(
                    [
                        await session.scalar(select(func.count()).select_from(model)) or 0
                        for model in (User, Certificate, Tender, Bid, Question, RankEntryRow)
                    ]
                )

        before = await counts()
        assert seeded

        again = await _seed(sessions, demo_settings, clock)

        assert again == []
        assert await counts() == before


class TestCommand:
    """``vergabe demo`` as an operator runs it (moved here from test_cli_admin.py)."""

    @pytest.fixture
    def env(self, environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
        """A deployment on a fresh SQLite file and data directory of its own."""
        return environment | {
            "VERGABE_DATA_DIR": str(tmp_path / "data"),
            "VERGABE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
            "VERGABE_BROKER_URL": "memory://",
            "VERGABE_LOG_LEVEL": "WARNING",
        }

    def test_it_seeds_once_and_a_second_run_adds_nothing(self, env: dict[str, str]) -> None:
        first = run_cli(["demo"], env=env)
        second = run_cli(["demo"], env=env)

        assert first.exit_code == 0, first.stderr
        assert "created owner owner@weserbau.demo" in first.stdout
        assert f"(in_evaluation) {demo.IN_EVALUATION}" in first.stdout
        assert second.exit_code == 0, second.stderr
        assert "created" not in second.stdout
        assert "demo data ready" in second.stdout
        database = env["VERGABE_DATABASE_URL"].split(":///", 1)[1]
        with sqlite3.connect(database) as connection:
            users = connection.execute("SELECT count(*) FROM users").fetchall()
            kinds = dict(connection.execute("SELECT legal_name, kind FROM organisations"))
        assert users == [(len(PEOPLE),)]
        assert kinds[AUTHORITY] == "authority"

    def test_it_is_refused_in_production(self, env: dict[str, str]) -> None:
        production = {
            **env,
            "VERGABE_ENV": "production",
            "VERGABE_SMTP_URL": "smtp://127.0.0.1:25",
            "VERGABE_SEAL_PKCS12": "/etc/vergabe/seal.p12",
            "VERGABE_TSA_URL": "https://tsa.example/rfc3161",
            "VERGABE_BID_KEK_FILE": "/run/secrets/bid-kek",
        }

        done = run_cli(["demo"], env=production)

        assert done.exit_code == 2
        assert done.stderr.strip().startswith("vergabe: VERGABE_ENV")
