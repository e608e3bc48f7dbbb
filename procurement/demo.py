"""Demo tenders of the demo authority, one in each state of the lifecycle (DESIGN.md §2).

Every tender is made the way officers and companies make one, through the services the API
calls, each step at its own moment: the clock is moved, so a tender in a past state was
published weeks ago, its bids were submitted before its deadline, and it was closed, opened and
evaluated after it. What is the same in the app is therefore what the lifecycle allows: the
deadlines, receipts, sealed bid documents (the tender's data key under the instance's
key-encryption key), the audit trail, and the jobs (receipt seals, the opening's minutes, mail)
waiting in the outbox for the worker of ``vergabe run``.

Each state is one step function in :data:`STEPS` building on the helpers of the states before
it; a tender whose title exists already is left alone (idempotent).
"""

from __future__ import annotations

__all__ = ["STEPS", "seed_procurement"]


from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from infra.demo import (
    AUTHORITY,
    EVALUATOR,
    OFFICER,
    OFFICER2,
    SUPPLIERS,
    demo_organisation,
    demo_principal,
)
from infra.settings import Settings
from procurement.bids import vault
from procurement.bids.drafting import Sealing
from procurement.demo_award import (
    AWARD_PROPOSED,
    AWARDED,
    COMPLETED,
    award_proposed,
    awarded,
    completed,
)
from procurement.demo_support import (
    HANSEDACH,
    NORDLICHT,
    WESERBAU,
    Demo,
    Step,
    bid_by,
    closed_at_deadline,
    drafted,
    evaluated,
    opened_by_two,
    published_at,
    tender_content,
)
from procurement.tenders import cancellation, clarifications
from procurement.tenders.models import Tender
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import LotIn


async def seed_procurement(session: AsyncSession, settings: Settings, now: datetime) -> list[str]:
    """Create each demo tender that does not exist yet; returns what it made."""
    authority = await demo_organisation(session, AUTHORITY)
    demo = Demo(
        session=session,
        settings=settings,
        now=now,
        authority=authority,
        officer=await demo_principal(session, OFFICER),
        officer2=await demo_principal(session, OFFICER2),
        evaluator=await demo_principal(session, EVALUATOR),
        companies=[
            (await demo_organisation(session, name), await demo_principal(session, owner))
            for name, owner in SUPPLIERS
        ],
        sealing=Sealing(
            kek=vault.kek_from_settings(settings), files=vault.BidFiles(settings.storage.root)
        ),
    )
    existing = {t.title for t in await TenderRepository(session).tenders_of(authority)}
    created = []
    try:
        for title, step in STEPS:
            if title in existing:
                continue
            tender = await step(demo)
            assert tender.title == title
            created.append(f"tender {tender.number} ({tender.status}) {title}")
    except BaseException:
        for tender_id, document_id in demo.written:
            demo.sealing.files.remove(tender_id, document_id)
        raise
    return created


# The steps: one tender in each state.

DRAFT = "Erneuerung der Beleuchtung im Ortsamt Vegesack"
PUBLISHED = "Sanierung der Turnhalle Schule an der Weser"
CLOSED = "Malerarbeiten im Verwaltungsgebäude Theodor-Heuss-Allee"
OPENED = "Erneuerung der Elektroinstallation in der Kita Am Deich"
IN_EVALUATION = "Dachsanierung mit Photovoltaikanlage, Oberschule Rockwinkel"
CANCELLED = "Neugestaltung des Spielplatzes in den Wallanlagen"


async def draft(demo: Demo) -> Tender:
    """A draft an officer is still writing: not public, no documents checked yet."""
    content = tender_content(
        demo,
        DRAFT,
        "Austausch der Leuchten in Fluren, Büros und im Sitzungssaal des Ortsamts gegen "
        "LED-Leuchten mit Präsenzmeldern, einschließlich Demontage und Entsorgung der alten "
        "Leuchten. Die Arbeiten finden bei laufendem Betrieb statt.",
        value="185000",
        cpv=["45316000-5", "45311000-0"],
        deadline=demo.at(35),
    )
    return await drafted(demo, content, demo.at(-1, 14))


async def published(demo: Demo) -> Tender:
    """Open for bids, with two lots, asking for pre-qualification in works (CPV 45); a
    company asked a question and the authority answered it; one bid is in, sealed."""
    content = tender_content(
        demo,
        PUBLISHED,
        "Energetische Sanierung der Turnhalle: neues Dach mit Wärmedämmung, Erneuerung der "
        "Fassade und der Fenster (Los 1) sowie der Sanitärräume und Umkleiden mit "
        "barrierefreiem WC (Los 2). Die Halle bleibt während der Bauzeit gesperrt; der "
        "Schulsport weicht in die Halle der Nachbarschule aus.",
        value="1450000",
        cpv=["45212222-8", "45261000-4", "45330000-9"],
        deadline=demo.at(22),
        lots=[
            LotIn(
                title="Dach und Fassade",
                description="Dachabdichtung, Dämmung, Fassade, Fenster.",
                estimated_value=Decimal("820000"),
                cpv_codes=["45261000-4"],
            ),
            LotIn(
                title="Sanitär und Umkleiden",
                description="Sanitärinstallation, Umkleiden, barrierefreies WC.",
                estimated_value=Decimal("630000"),
                cpv_codes=["45330000-9"],
            ),
        ],
        prequalified=True,
    )
    tender = await published_at(demo, content, demo.at(-8, 9))
    organisation, owner = demo.companies[WESERBAU]
    question = await clarifications.ask(
        demo.session,
        public_url=demo.settings.public_url,
        profile=demo.settings.profile,
        tender=tender,
        organisation_id=organisation,
        by=owner,
        text="Ist für Los 1 eine Besichtigung der Turnhalle vor Abgabe des Angebots möglich?",
        now=demo.at(-5, 11),
    )
    await clarifications.answer(
        demo.session,
        public_url=demo.settings.public_url,
        profile=demo.settings.profile,
        tender=tender,
        question_id=question.id,
        text="Ja. Eine Besichtigung ist dienstags und donnerstags von 14 bis 16 Uhr möglich; "
        "bitte melden Sie sich zwei Tage vorher beim Hausmeister der Schule an.",
        by=demo.officer,
        now=demo.at(-4, 15),
    )
    at = demo.now - timedelta(minutes=30)  # after its pre-qualification (prequalification.demo)
    await bid_by(demo, tender, WESERBAU, {1: "798400.00", 2: "611250.00"}, at)
    return tender


async def closed(demo: Demo) -> Tender:
    """The deadline has passed: two bids are in, still sealed; nobody has opened them."""
    content = tender_content(
        demo,
        CLOSED,
        "Malerarbeiten in Treppenhäusern und Fluren (rund 4.200 m² Wand- und Deckenflächen), "
        "emissionsarme Beschichtungen nach dem Blauen Engel, Arbeiten abschnittsweise bei "
        "laufendem Betrieb.",
        value="96000",
        cpv=["45442100-8"],
        deadline=demo.at(-2),
    )
    tender = await published_at(demo, content, demo.at(-30, 9))
    await bid_by(demo, tender, WESERBAU, {1: "88650.00"}, demo.at(-10, 14))
    await bid_by(demo, tender, HANSEDACH, {1: "91200.00"}, demo.at(-3, 16, 30))
    return await closed_at_deadline(demo, tender)


async def opened(demo: Demo) -> Tender:
    """Two officers opened the two bids after the deadline; the minutes are being written."""
    content = tender_content(
        demo,
        OPENED,
        "Erneuerung der Elektroinstallation der Kindertagesstätte: Unterverteilungen, "
        "Leitungsnetz, Beleuchtung mit Notbeleuchtung und Brandmeldeanlage. Gearbeitet wird "
        "in den Sommerschließzeiten.",
        value="240000",
        cpv=["45310000-3", "45316000-5"],
        deadline=demo.at(-9),
    )
    tender = await published_at(demo, content, demo.at(-40, 9))
    await bid_by(demo, tender, NORDLICHT, {1: "228730.00"}, demo.at(-15, 11))
    await bid_by(demo, tender, WESERBAU, {1: "236100.00"}, demo.at(-12, 9, 45))
    await closed_at_deadline(demo, tender)
    return await opened_by_two(demo, tender, demo.at(-8))


async def in_evaluation(demo: Demo) -> Tender:
    """Being evaluated: three bids opened, one excluded for a ground of exclusion, two
    admitted and scored by the officer and the evaluator, and ranked."""
    content = tender_content(
        demo,
        IN_EVALUATION,
        "Sanierung des Flachdachs des Hauptgebäudes (rund 2.100 m²) mit neuer Dämmung und "
        "Abdichtung, Blitzschutz und Errichtung einer Photovoltaikanlage mit 150 kWp "
        "einschließlich Netzanschluss.",
        value="680000",
        cpv=["45261000-4", "45261215-4"],
        deadline=demo.at(-25),
    )
    tender = await published_at(demo, content, demo.at(-60, 9))
    await bid_by(demo, tender, HANSEDACH, {1: "612300.00"}, demo.at(-35, 10))
    await bid_by(demo, tender, WESERBAU, {1: "587900.00"}, demo.at(-30, 15))
    await bid_by(
        demo,
        tender,
        NORDLICHT,
        {1: "549000.00"},
        demo.at(-27, 12),
        self_cleaning="Gegen unseren früheren Geschäftsführer erging 2024 ein Bußgeldbescheid "
        "wegen Verstößen gegen das Mindestlohngesetz. Er ist abberufen; der Schaden wird in "
        "Raten beglichen.",
    )
    await closed_at_deadline(demo, tender)
    await opened_by_two(demo, tender, demo.at(-24))
    return await evaluated(demo, tender, demo.at(-23, 9), {HANSEDACH: "9", WESERBAU: "7"})


async def cancelled(demo: Demo) -> Tender:
    """Cancelled before its deadline, with the ground and the reasons told to the companies."""
    content = tender_content(
        demo,
        CANCELLED,
        "Neugestaltung des Spielplatzes: Rückbau der alten Geräte, neue Spiel- und "
        "Kletterlandschaft, Fallschutzflächen, Bänke und Bepflanzung.",
        value="310000",
        cpv=["45112723-9"],
        deadline=demo.at(3),
    )
    tender = await published_at(demo, content, demo.at(-25, 9))
    await cancellation.cancel(
        demo.session,
        public_url=demo.settings.public_url,
        profile=demo.settings.profile,
        tender=tender,
        version=tender.version,
        ground="fundamental-change",
        reason="Die Förderzusage wurde auf einen barrierefreien Ausbau umgestellt. Die Planung "
        "wird überarbeitet und die Leistung danach neu ausgeschrieben.",
        by=demo.officer,
        now=demo.at(-6, 12),
    )
    return tender


STEPS: tuple[tuple[str, Step], ...] = (
    (DRAFT, draft),
    (PUBLISHED, published),
    (CLOSED, closed),
    (OPENED, opened),
    (IN_EVALUATION, in_evaluation),
    (AWARD_PROPOSED, award_proposed),
    (AWARDED, awarded),
    (COMPLETED, completed),
    (CANCELLED, cancelled),
)
"""Title and step of each demo tender, in the order of the lifecycle."""
