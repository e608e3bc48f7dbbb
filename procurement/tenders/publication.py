"""Publishing a tender: the checklist of legal checks, then the one step that makes it public.

The checklist (:func:`publication_check`) is what the officer sees before publishing: the
regime the estimated value decides on the day of publication (the thresholds in force then),
whether the draft is complete (a submission deadline, award criteria weighing 100, documents
to download, § 41 Abs. 1 VgV), and the periods of :func:`procurement.periods.check_deadlines`,
counted from now as the day of dispatch. :func:`publish` runs the same checks in the publishing
transaction: a refusing one refuses, a warning does not; publishing a published tender again
changes nothing. Publication schedules the closing at the submission deadline as a job
(:mod:`procurement.tenders.closing`).
"""

from __future__ import annotations

__all__ = ["publication_check", "publish"]

from datetime import datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from infra.jobs import outbox
from infra.profile import Profile
from procurement import periods
from procurement.errors import PublicationRefused
from procurement.tenders import closing, search
from procurement.tenders.authoring import check_version, preview_regime
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.repository import TenderRepository
from procurement.tenders.schemas import Check, PublicationCheck


def _check(code: str, ok: bool, de: str, en: str, *, refuses: bool = True) -> Check:
    return Check(code=code, ok=ok, refuses=refuses and not ok, message_de=de, message_en=en)


async def publication_check(
    session: AsyncSession, profile: Profile, tender: Tender, now: datetime
) -> PublicationCheck:
    """Every check of publishing ``tender`` at ``now``, passed or not."""
    repo = TenderRepository(session)
    regime, threshold = preview_regime(profile, tender, now)
    criteria = await repo.criteria(tender.id)
    documents = await repo.documents(tender.id)
    weights = sum(c.weight for c in criteria)
    checks = [
        _check(
            "thresholds",
            regime is not None,
            "Für das Veröffentlichungsdatum sind EU-Schwellenwerte hinterlegt.",
            "The profile has EU thresholds for the day of publication.",
        ),
        _check(
            "submission-deadline",
            tender.submission_deadline is not None,
            "Die Angebotsfrist (bzw. Teilnahmefrist) ist gesetzt.",
            "The submission deadline is set.",
        ),
        _check(
            "criteria",
            bool(criteria) and weights == 100,
            f"Zuschlagskriterien sind angegeben und gewichtet (Summe {weights} %).",
            f"Award criteria are given and weighted (sum {weights} %).",
        ),
        _check(
            "documents",
            bool(documents),
            "Die Vergabeunterlagen liegen zum Abruf bereit (§ 41 Abs. 1 VgV).",
            "The procurement documents are there to download (§ 41(1) VgV).",
        ),
        _check(
            "binding-period-set",
            tender.binding_until is not None,
            "Die Bindefrist ist angegeben.",
            "The binding period is given.",
            refuses=False,
        ),
    ]
    if regime is not None and tender.submission_deadline is not None:
        for found in periods.check_deadlines(
            profile,
            regime=regime,
            procedure=cast("periods.ProcedureType", tender.procedure),
            urgent=tender.urgent,
            dispatch=now,
            submission_deadline=tender.submission_deadline,
            clarification_deadline=tender.clarification_deadline,
            binding_until=tender.binding_until,
        ):
            checks.append(
                Check(
                    code=found.code,
                    ok=found.ok,
                    refuses=found.refuses,
                    legal_basis=found.legal_basis,
                    message_de=found.message_de,
                    message_en=found.message_en,
                    earliest=found.earliest,
                )
            )
    return PublicationCheck(
        regime=regime,
        threshold=threshold,
        can_publish=not any(c.refuses for c in checks),
        checks=checks,
    )


async def publish(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    version: int,
    by: Principal,
    now: datetime,
) -> Tender:
    """Publish a draft (idempotent: a published tender stays as it is)."""
    if tender.status != TenderStatus.DRAFT:
        return tender
    check_version(tender, version)
    result = await publication_check(session, profile, tender, now)
    if not result.can_publish:
        refused = [c for c in result.checks if c.refuses]
        raise PublicationRefused(
            "The tender cannot be published: " + "; ".join(c.message_en for c in refused),
            checks=[
                {"code": c.code, "message": c.message_en, "legal_basis": c.legal_basis}
                for c in refused
            ],
        )
    assert tender.submission_deadline is not None  # a refusing check otherwise
    tender.status = TenderStatus.PUBLISHED
    tender.regime = result.regime
    tender.published_at = now
    tender.published_by = by.user_id
    tender.version += 1
    tender.updated_at = now
    await search.reindex(session, tender.id)
    await outbox.enqueue(
        session,
        closing.CLOSE_TENDER,
        closing.CloseTender(tender_id=str(tender.id)),
        run_at=tender.submission_deadline,
        now=now,
        dedupe_key=closing.close_key(tender.id),
    )
    await record(
        session,
        now=now,
        action="tender.publish",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "number": tender.number,
            "regime": tender.regime,
            "submission_deadline": tender.submission_deadline.isoformat(),
            "warnings": [c.code for c in result.checks if not c.ok and not c.refuses],
        },
    )
    return tender
