"""What the demo tenders are made with (:mod:`procurement.demo`): who acts, and one helper per
request an officer or a company makes, each at its own moment of a moved clock."""

from __future__ import annotations

__all__ = [
    "BREMEN",
    "CRITERIA",
    "HANSEDACH",
    "NORDLICHT",
    "WESERBAU",
    "Demo",
    "Step",
    "bid_by",
    "closed_at_deadline",
    "drafted",
    "evaluated",
    "opened_by_two",
    "published_at",
    "tender_content",
    "why",
]


import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from infra.clock import ManualClock
from infra.demo import (
    SUPPLIERS,
    demo_pdf,
)
from infra.identity.principal import Principal
from infra.settings import Settings
from procurement.award import (
    conflicts,
    decisions,
    evaluation,
    ranking,
    scores,
)
from procurement.award.schemas import DeclarationIn, ScoreIn, ScoreSheet
from procurement.bids import opening, submission
from procurement.bids.drafting import Sealing
from procurement.bids.schemas import BidContent, Declarations, LotOffer
from procurement.tenders import authoring, closing, publication
from procurement.tenders.models import Tender
from procurement.tenders.schemas import CriterionIn, LotIn, TenderContent

BREMEN = "DE501"
"""NUTS 3: Bremen, Kreisfreie Stadt."""
CRITERIA = [
    CriterionIn(name="Preis", kind="price", weight=60, method="lowest-price-ratio"),
    CriterionIn(
        name="Qualität des Ausführungskonzepts",
        kind="quality",
        weight=40,
        method="points",
        max_points=10,
    ),
]
WESERBAU, NORDLICHT, HANSEDACH = 0, 1, 2
"""Indexes of the demo companies in :data:`infra.demo.SUPPLIERS`."""


@dataclass
class Demo:
    """Who acts in the demo tenders, and what they need."""

    session: AsyncSession
    settings: Settings
    now: datetime
    authority: uuid.UUID
    officer: Principal
    officer2: Principal
    evaluator: Principal
    companies: list[tuple[uuid.UUID, Principal]]
    """Each company of :data:`infra.demo.SUPPLIERS` with its owner."""
    sealing: Sealing
    written: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    """Sealed bid files written (tender, document), removed again if seeding fails."""

    def at(self, days: int, hour: int = 10, minute: int = 0) -> datetime:
        """``days`` from today (negative: ago) at ``hour:minute`` in Bremen."""
        zone = ZoneInfo(self.settings.profile.instance.timezone)
        day = self.now.astimezone(zone).date() + timedelta(days=days)
        return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(self.now.tzinfo)


Step = Callable[[Demo], Awaitable[Tender]]


def tender_content(
    demo: Demo,
    title: str,
    description: str,
    *,
    value: str,
    cpv: list[str],
    deadline: datetime,
    lots: list[LotIn] | None = None,
    prequalified: bool = False,
) -> TenderContent:
    """A national works procedure (Öffentliche Ausschreibung, VOB/A) in Bremen, price 60 % and
    quality 40 %, questions until a week before the deadline, bound for two months after it."""
    zone = ZoneInfo(demo.settings.profile.instance.timezone)
    return TenderContent(
        title=title,
        description=description,
        procedure="public-tender",
        contract_kind="works",
        estimated_value=Decimal(value),
        cpv_codes=cpv,
        nuts_code=BREMEN,
        clarification_deadline=deadline - timedelta(days=7),
        submission_deadline=deadline,
        binding_until=deadline.astimezone(zone).date() + timedelta(days=60),
        lots=lots or [],
        criteria=CRITERIA,
        pq_categories=["works"] if prequalified else [],
        pq_divisions=["45"] if prequalified else [],
    )


async def drafted(demo: Demo, content: TenderContent, at: datetime) -> Tender:
    """An officer writes the draft and adds the procurement documents."""
    profile = demo.settings.profile
    tender = await authoring.create_draft(
        demo.session,
        profile=profile,
        authority_id=demo.authority,
        content=content,
        by=demo.officer,
        now=at,
    )
    documents = [
        ("Leistungsbeschreibung", content.description),
        ("Vertragsbedingungen", "Es gelten die VOB/B und die Zusätzlichen Vertragsbedingungen."),
    ]
    for title, text in documents:
        await authoring.add_document(
            demo.session,
            files=authoring.DocumentFiles(demo.settings.storage.root),
            tender=tender,
            title=title,
            filename=f"{title}.pdf",
            media_type="application/pdf",
            stream=io.BytesIO(demo_pdf(f"{title}: {content.title}", text)),
            limit=demo.settings.signatures.max_document_bytes,
            replaces=None,
            by=demo.officer,
            now=at + timedelta(minutes=20),
        )
    return tender


async def published_at(demo: Demo, content: TenderContent, at: datetime) -> Tender:
    """Drafted the day before ``at`` and published at ``at``."""
    tender = await drafted(demo, content, at - timedelta(days=1))
    return await publication.publish(
        demo.session,
        profile=demo.settings.profile,
        tender=tender,
        version=tender.version,
        by=demo.officer,
        now=at,
    )


async def bid_by(
    demo: Demo,
    tender: Tender,
    company: int,
    prices: dict[int, str],
    at: datetime,
    *,
    self_cleaning: str = "",
) -> None:
    """The company's owner submits a bid (offer letter attached) at ``at``; with
    ``self_cleaning`` it declares that a ground of exclusion applies."""
    organisation, owner = demo.companies[company]
    offers = ", ".join(f"Los {lot}: {price} EUR netto" for lot, price in prices.items())
    written: list[uuid.UUID] = []
    try:
        await submission.submit(
            demo.session,
            sealing=demo.sealing,
            profile=demo.settings.profile,
            public_url=demo.settings.public_url,
            tender_id=tender.id,
            organisation_id=organisation,
            version=None,
            content=BidContent(
                lots=[LotOffer(lot=lot, price=Decimal(price)) for lot, price in prices.items()],
                declarations=Declarations(
                    no_exclusion_grounds=not self_cleaning,
                    self_cleaning=self_cleaning,
                    binding_period_accepted=True,
                ),
            ),
            uploads=[
                submission.Upload(
                    filename="Angebotsschreiben.pdf",
                    media_type="application/pdf",
                    data=demo_pdf(
                        f"Angebot zu {tender.number}",
                        tender.title,
                        f"Bieter: {SUPPLIERS[company][0]}",
                        f"Angebotspreise: {offers}.",
                    ),
                    requirement="offer",
                )
            ],
            limit=demo.settings.signatures.max_document_bytes,
            max_documents=demo.settings.bids.max_documents,
            idempotency_key=None,
            by=owner,
            clock=ManualClock(at).now,
            written=written,
        )
    finally:
        demo.written += [(tender.id, document_id) for document_id in written]


async def closed_at_deadline(demo: Demo, tender: Tender) -> Tender:
    """The closing job runs at the submission deadline."""
    assert tender.submission_deadline is not None
    await closing.close(demo.session, tender_id=tender.id, now=tender.submission_deadline)
    return tender


async def opened_by_two(demo: Demo, tender: Tender, at: datetime) -> Tender:
    """Two officers open the bids together; the minutes are a job."""
    window = timedelta(minutes=demo.settings.bids.opening_window_minutes)
    await opening.start(demo.session, tender=tender, by=demo.officer, now=at, window=window)
    await opening.confirm(
        demo.session, tender=tender, by=demo.officer2, now=at + timedelta(minutes=6)
    )
    return tender


def why(points: Decimal) -> str:
    if points >= 7:
        return "Ausführungskonzept schlüssig; Bauablauf mit dem Schulbetrieb abgestimmt."
    return "Konzept allgemein gehalten; Schnittstellen zu anderen Gewerken offen."


async def evaluated(demo: Demo, tender: Tender, at: datetime, points: dict[int, str]) -> Tender:
    """Evaluation from its start to the ranking, over some days from ``at``: declarations of
    the officer and the evaluator, every bid admitted or (where it declares a ground of
    exclusion) excluded, quality points by both, the ranking. ``points``: each company's
    quality points (of 10), as the officer gives them; the evaluator gives one less."""
    session, kek = demo.session, demo.sealing.kek
    profile = demo.settings.profile
    await evaluation.start(
        session, profile=profile, tender=tender, kek=kek, by=demo.officer, now=at
    )
    for person in (demo.officer, demo.evaluator):
        await conflicts.declare(
            session, tender=tender, data=DeclarationIn(), by=person, now=at + timedelta(hours=1)
        )
    decided = at + timedelta(days=2)
    views = await evaluation.assessments(
        session, tender=tender, kek=kek, by=demo.officer, now=decided
    )
    companies = {organisation: index for index, (organisation, _) in enumerate(demo.companies)}
    for view in views:
        if not view.findings:
            await decisions.admit(
                session,
                tender=tender,
                bid_id=view.bid_id,
                note="",
                kek=kek,
                by=demo.officer,
                now=decided,
            )
            continue
        await decisions.exclude(
            session,
            tender=tender,
            bid_id=view.bid_id,
            ground="exclusion-grounds",
            reason="Der Bieter erklärt einen Bußgeldbescheid wegen Verstößen gegen das "
            "Mindestlohngesetz (§ 124 Abs. 1 Nr. 1 GWB, § 19 MiLoG). Die dargelegten Maßnahmen "
            "zur Selbstreinigung (§ 125 GWB) belegen keine umfassende Aufklärung; die "
            "Zuverlässigkeit ist nicht nachgewiesen.",
            kek=kek,
            by=demo.officer,
            now=decided,
        )
    for offset, person, less in ((3, demo.officer, 0), (4, demo.evaluator, 1)):
        for view in views:
            if view.findings:
                continue
            given = Decimal(points[companies[view.organisation_id]]) - less
            for lot in view.lots:
                await scores.put_scores(
                    session,
                    tender=tender,
                    bid_id=view.bid_id,
                    sheet=ScoreSheet(
                        lot=lot.lot,
                        scores=[ScoreIn(criterion=2, points=given, justification=why(given))],
                    ),
                    kek=kek,
                    by=person,
                    now=at + timedelta(days=offset),
                )
    await ranking.rank(
        session,
        profile=profile,
        tender=tender,
        kek=kek,
        by=demo.officer,
        now=at + timedelta(days=5),
    )
    return tender
