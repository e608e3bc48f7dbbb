"""Cancellation (Aufhebung) of a tender, with its legal ground and reasons, announced.

A published tender can be cancelled from any open state (published, closed, opened, in
evaluation, award proposed) on one of the grounds of § 63 Abs. 1 Satz 1 VgV — no tender that
meets the conditions, a fundamental change of the basis of the procedure, no economic result,
other serious reasons — with reasons in the officer's words. Below the thresholds § 48 Abs. 1
UVgO names the same four grounds; for works § 17 EU Abs. 1 and § 17 Abs. 1 VOB/A name three
(their Nr. 2 speaks of procurement documents that must be changed fundamentally, and an
uneconomic result is one of the "other serious reasons" of Nr. 3). The ground is cited for the
tender's regime and kind of contract and kept with the reasons. § 63 Abs. 2 VgV: the companies
are told of the cancellation and its reasons without delay — everyone interested and every bid
holder gets a mail.

The closing job is cancelled with the tender. Cancelling a cancelled tender again changes
nothing (a repeated request is answered like the first). A draft is not cancelled: it was never
public, and a cancelled tender is.
"""

from __future__ import annotations

__all__ = ["GROUNDS", "Ground", "cancel", "legal_basis"]

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from procurement.errors import WrongTenderState
from procurement.tenders import closing, messages
from procurement.tenders.amendments import recipients
from procurement.tenders.authoring import check_version
from procurement.tenders.models import OPEN_STATUSES, Tender, TenderStatus
from procurement.tenders.schemas import CancellationGround


class Ground(msgspec.Struct, frozen=True, kw_only=True):
    """One ground for cancelling a procedure."""

    number: int
    """Its number in § 63 Abs. 1 Satz 1 VgV and § 48 Abs. 1 UVgO."""
    works_number: int
    """Its number in § 17 EU Abs. 1 and § 17 Abs. 1 VOB/A."""
    title_de: str
    title_en: str


GROUNDS: dict[str, Ground] = {
    "no-suitable-tender": Ground(
        number=1,
        works_number=1,
        title_de="kein Angebot, das den Bedingungen entspricht",
        title_en="no tender that meets the conditions",
    ),
    "fundamental-change": Ground(
        number=2,
        works_number=2,
        title_de="wesentliche Änderung der Grundlage des Vergabeverfahrens",
        title_en="the basis of the procedure has changed fundamentally",
    ),
    "no-economic-result": Ground(
        number=3,
        works_number=3,
        title_de="kein wirtschaftliches Ergebnis",
        title_en="no economic result",
    ),
    "other-serious-reasons": Ground(
        number=4,
        works_number=3,
        title_de="andere schwerwiegende Gründe",
        title_en="other serious reasons",
    ),
}


def legal_basis(tender: Tender, ground: CancellationGround) -> str:
    """The provision ``ground`` rests on for ``tender`` (``§ 63 Abs. 1 Satz 1 Nr. 2 VgV``)."""
    found = GROUNDS[ground]
    eu = tender.regime == "eu"
    if tender.contract_kind == "works":
        return (
            f"§ 17 EU Abs. 1 Nr. {found.works_number} VOB/A"
            if eu
            else (f"§ 17 Abs. 1 Nr. {found.works_number} VOB/A")
        )
    return (
        f"§ 63 Abs. 1 Satz 1 Nr. {found.number} VgV"
        if eu
        else (f"§ 48 Abs. 1 Nr. {found.number} UVgO")
    )


async def cancel(
    session: AsyncSession,
    *,
    public_url: str,
    profile: Profile,
    tender: Tender,
    version: int,
    ground: CancellationGround,
    reason: str,
    by: Principal,
    now: datetime,
) -> bool:
    """Cancel ``tender`` (the caller holds the tender row's lock); ``False`` if it was
    cancelled before (nothing changes then).

    Raises:
        WrongTenderState: a draft, or a tender past the award.
        TenderChanged: ``version`` is not the tender's.
    """
    if tender.status == TenderStatus.CANCELLED:
        return False
    if tender.status == TenderStatus.DRAFT or tender.status not in OPEN_STATUSES:
        raise WrongTenderState(
            f"The tender is {tender.status}: only a published procedure that is not yet "
            "awarded is cancelled (a draft was never public).",
            status=tender.status,
        )
    check_version(tender, version)
    basis, found = legal_basis(tender, ground), GROUNDS[ground]
    reason = reason.strip()
    tender.status = TenderStatus.CANCELLED
    tender.cancelled_at = now
    tender.cancelled_by = by.user_id
    tender.cancellation_reason = f"{basis} ({found.title_de}): {reason}"
    tender.version += 1
    tender.updated_at = now
    await outbox.cancel(session, closing.close_key(tender.id), now)
    await record(
        session,
        now=now,
        action="tender.cancel",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "number": tender.number,
            "ground": ground,
            "legal_basis": basis,
            "reason": reason,
            "version": tender.version,
        },
    )
    mail = messages.cancellation_mail(
        tender,
        basis=basis,
        ground_de=found.title_de,
        ground_en=found.title_en,
        reason=reason,
        url=messages.link(public_url, tender),
    )
    await messages.send(session, profile, await recipients(session, tender), mail, now)
    return True
