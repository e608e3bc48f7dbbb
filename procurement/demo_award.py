"""The demo tenders after the evaluation (:mod:`procurement.demo`): the award decided and the
standstill running, awarded with the contracts recorded, and completed."""

from __future__ import annotations

__all__ = ["AWARDED", "AWARD_PROPOSED", "COMPLETED", "award_proposed", "awarded", "completed"]


from datetime import datetime, timedelta
from decimal import Decimal

from infra.clock import ManualClock
from procurement.award import (
    conclusion,
    conflicts,
    contracts,
    letters,
    proposals,
    register,
)
from procurement.award.award_schemas import Approval, ContractIn, Proposal
from procurement.award.schemas import DeclarationIn
from procurement.demo_support import (
    HANSEDACH,
    NORDLICHT,
    WESERBAU,
    Demo,
    bid_by,
    closed_at_deadline,
    evaluated,
    opened_by_two,
    published_at,
    tender_content,
)
from procurement.periods import Calendar
from procurement.tenders.models import Tender
from procurement.tenders.schemas import LotIn

AWARD_PROPOSED = "Fenstererneuerung im Alten Gymnasium"
AWARDED = "Umstellung der Heizung auf Wärmepumpen, Grundschule Lessingstraße"
COMPLETED = "Erneuerung der Dachentwässerung, Stadtbibliothek Vegesack"


async def decided(demo: Demo, tender: Tender, at: datetime, reasons: str) -> Tender:
    """The award proposed by one officer at ``at``, the competition register asked, the
    decision approved by the other officer an hour later."""
    session, settings = demo.session, demo.settings
    await proposals.propose(
        session,
        profile=settings.profile,
        tender=tender,
        data=Proposal(reasons=reasons),
        kek=demo.sealing.kek,
        by=demo.officer,
        now=at,
    )
    await conflicts.declare(session, tender=tender, data=DeclarationIn(), by=demo.officer2, now=at)
    await proposals.query_register(
        session,
        profile=settings.profile,
        tender=tender,
        adapter=register.adapter_for(settings),
        answers=[],
        by=demo.officer,
        now=at + timedelta(minutes=20),
    )
    await proposals.approve(
        session,
        profile=settings.profile,
        tender=tender,
        data=Approval(),
        by=demo.officer2,
        now=at + timedelta(hours=1),
    )
    return tender


async def informed(demo: Demo, tender: Tender, at: datetime) -> None:
    """The letters job runs at ``at`` (the queued job finds them sent and does nothing)."""
    await letters.dispatch_letters(
        demo.session, tender.id, settings=demo.settings, clock=ManualClock(at)
    )


async def concluded(demo: Demo, tender: Tender, at: datetime, lots: list[int]) -> Tender:
    """The standstill ends (the job), the officer records each lot's contract at ``at``."""
    await conclusion.end_standstill(
        demo.session, tender.id, now=at - timedelta(hours=1), public_url=demo.settings.public_url
    )
    today = Calendar(demo.settings.profile).local_date(at)
    for lot in lots:
        await contracts.conclude(
            demo.session,
            tender=tender,
            data=ContractIn(lot=lot, concluded_on=today),
            by=demo.officer,
            now=at,
            today=today,
            public_url=demo.settings.public_url,
        )
    return tender


async def award_proposed(demo: Demo) -> Tender:
    """Decided and approved; the losing bidders have their sealed letters (§ 134 GWB) and the
    standstill runs: the contract is possible in ten days."""
    content = tender_content(
        demo,
        AWARD_PROPOSED,
        "Austausch von 46 Holzfenstern gegen Holz-Aluminium-Fenster mit Dreifachverglasung, "
        "Anpassung der Laibungen und Fensterbänke im denkmalgeschützten Altbau.",
        value="265000",
        cpv=["45421132-8"],
        deadline=demo.at(-21),
    )
    tender = await published_at(demo, content, demo.at(-55, 9))
    await bid_by(demo, tender, WESERBAU, {1: "249800.00"}, demo.at(-26, 11))
    await bid_by(demo, tender, HANSEDACH, {1: "238400.00"}, demo.at(-23, 14))
    await bid_by(demo, tender, NORDLICHT, {1: "261000.00"}, demo.at(-22, 10, 30))
    await closed_at_deadline(demo, tender)
    await opened_by_two(demo, tender, demo.at(-20))
    await evaluated(demo, tender, demo.at(-19, 9), {WESERBAU: "9", HANSEDACH: "6", NORDLICHT: "7"})
    await decided(
        demo,
        tender,
        demo.now - timedelta(hours=3),
        "Das Angebot der Weserbau GmbH erzielt nach den bekannt gemachten Zuschlagskriterien "
        "(Preis 60 %, Qualität des Ausführungskonzepts 40 %) die höchste Punktzahl: Sein "
        "Konzept zum denkmalgerechten Einbau überzeugt, der Preis liegt nur 4,8 % über dem "
        "niedrigsten.",
    )
    await informed(demo, tender, demo.now - timedelta(hours=1))
    return tender


async def awarded(demo: Demo) -> Tender:
    """Each of the two lots had one bid; both awarded (no unsuccessful bidder to inform, so
    no standstill) and the contracts recorded."""
    content = tender_content(
        demo,
        AWARDED,
        "Los 1: Erneuerung der Heizungsanlage (Gas-Brennwert auf Luft-Wasser-Wärmepumpen); "
        "Los 2: Elektroarbeiten für die Wärmepumpen und die neue Regelung.",
        value="410000",
        cpv=["45331100-7", "45310000-3"],
        deadline=demo.at(-45),
        lots=[
            LotIn(title="Heizung", estimated_value=Decimal("330000"), cpv_codes=["45331100-7"]),
            LotIn(
                title="Elektroarbeiten", estimated_value=Decimal("80000"), cpv_codes=["45310000-3"]
            ),
        ],
    )
    tender = await published_at(demo, content, demo.at(-80, 9))
    await bid_by(demo, tender, WESERBAU, {1: "318500.00"}, demo.at(-50, 10))
    await bid_by(demo, tender, NORDLICHT, {2: "76300.00"}, demo.at(-49, 15))
    await closed_at_deadline(demo, tender)
    await opened_by_two(demo, tender, demo.at(-44))
    await evaluated(demo, tender, demo.at(-43, 9), {WESERBAU: "8", NORDLICHT: "8"})
    await decided(
        demo,
        tender,
        demo.at(-38, 10),
        "Für jedes Los liegt ein wertbares Angebot vor; beide erfüllen die Anforderungen und "
        "liegen im Rahmen der Kostenschätzung.",
    )
    await informed(demo, tender, demo.at(-38, 12))
    return await concluded(demo, tender, demo.at(-36, 10), [1, 2])


async def completed(demo: Demo) -> Tender:
    """Awarded to the only bidder and completed: the work has been done and accepted."""
    content = tender_content(
        demo,
        COMPLETED,
        "Dachrinnen und Fallrohre erneuern, Attika abdichten (rund 380 lfm), Gerüst inklusive.",
        value="74000",
        cpv=["45261320-3"],
        deadline=demo.at(-62),
    )
    tender = await published_at(demo, content, demo.at(-78, 9))
    await bid_by(demo, tender, HANSEDACH, {1: "69900.00"}, demo.at(-63, 10))
    await closed_at_deadline(demo, tender)
    await opened_by_two(demo, tender, demo.at(-61))
    await evaluated(demo, tender, demo.at(-60, 9), {HANSEDACH: "8"})
    await decided(
        demo,
        tender,
        demo.at(-55, 10),
        "Das einzige Angebot ist wertbar und wirtschaftlich; der Preis liegt unter der "
        "Kostenschätzung.",
    )
    await informed(demo, tender, demo.at(-55, 12))
    await concluded(demo, tender, demo.at(-53, 10), [1])
    await contracts.complete(demo.session, tender=tender, by=demo.officer, now=demo.at(-20, 9))
    return tender
