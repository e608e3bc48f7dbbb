"""The points each evaluator gives.

Each evaluator gives points on each quality criterion for each bid and lot independently: an
evaluator reads and changes only their own points (:func:`put_scores`, :func:`own_scores`),
after declaring the absence of conflicts of interest. Price points are never given by hand:
they follow from the opened prices by the criterion's announced formula when the ranking is
computed (:mod:`procurement.award.ranking`). A change of points drops the ranking in force
(:func:`procurement.award.evaluation.stale_ranking`).
"""

from __future__ import annotations

__all__ = ["criteria_of", "offers_of", "own_scores", "put_scores"]

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.principal import Principal
from procurement.award import conflicts, evaluation
from procurement.award.models import Assessment, AssessmentStatus, Score
from procurement.award.schemas import ScoreSheet, ScoreView
from procurement.bids import vault
from procurement.bids.models import Submission
from procurement.errors import EvaluationRefused, InvalidScore, PointsOutOfScale
from procurement.tenders.models import AwardCriterion, Tender

_HUNDREDTH = Decimal("0.01")


async def criteria_of(session: AsyncSession, tender_id: uuid.UUID) -> list[AwardCriterion]:
    return list(
        await session.scalars(
            select(AwardCriterion)
            .where(AwardCriterion.tender_id == tender_id)
            .order_by(AwardCriterion.position)
        )
    )


async def offers_of(
    session: AsyncSession, tender: Tender, rows: list[Assessment], kek: vault.KeyEncryptionKey
) -> dict[uuid.UUID, dict[int, Decimal]]:
    """The opened prices of the bids of ``rows``, per lot."""
    key = await vault.data_key(session, kek, tender.id, now=tender.updated_at, create=False)
    if key is None or not rows:
        return {}
    offers = {}
    for row in rows:
        submission = await session.get(Submission, row.submission_id)
        assert submission is not None
        manifest = vault.manifest_of(submission, key)
        offers[row.bid_id] = {offer.lot: offer.price for offer in manifest.content.lots}
    return offers


def _score_view(score: Score, criterion: AwardCriterion) -> ScoreView:
    return ScoreView(
        bid_id=score.bid_id,
        lot=score.lot,
        criterion=criterion.position,
        criterion_name=criterion.name,
        max_points=criterion.max_points,
        points=score.points.quantize(_HUNDREDTH),
        justification=score.justification,
        given_at=score.given_at,
    )


async def own_scores(session: AsyncSession, tender: Tender, by: Principal) -> list[ScoreView]:
    """The caller's own points (never another evaluator's: they score independently)."""
    await conflicts.require_declaration(session, tender, by)
    criteria = {c.id: c for c in await criteria_of(session, tender.id)}
    scores = await session.scalars(
        select(Score)
        .where(Score.tender_id == tender.id, Score.evaluator_id == by.user_id)
        .order_by(Score.bid_id, Score.lot, Score.criterion_id)
    )
    return [_score_view(s, criteria[s.criterion_id]) for s in scores if s.criterion_id in criteria]


def _check_sheet(
    sheet: ScoreSheet, criteria: dict[int, AwardCriterion], lots: set[int], evaluator: str
) -> None:
    errors: list[dict[str, str]] = []
    if sheet.lot not in lots:
        errors.append({"field": "lot", "message": f"The bid offers no lot {sheet.lot}."})
    seen: set[int] = set()
    for index, item in enumerate(sheet.scores):
        field = f"scores[{index}].criterion"
        criterion = criteria.get(item.criterion)
        if criterion is None:
            message = "no award criterion of this tender"
            errors.append({"field": field, "message": message})
        elif criterion.kind != "quality":
            errors.append(
                {
                    "field": field,
                    "message": f"{criterion.name} is scored by its formula, not by hand",
                }
            )
        elif item.criterion in seen:
            errors.append({"field": field, "message": "named twice"})
        seen.add(item.criterion)
    if errors:
        raise InvalidScore("These points cannot be taken.", errors=errors)
    for index, item in enumerate(sheet.scores):
        criterion = criteria[item.criterion]
        maximum = Decimal(criterion.max_points)
        points = item.points
        if not points.is_finite() or not Decimal(0) <= points <= maximum:
            raise PointsOutOfScale(
                f"{points} points lie outside the scale of 0 to {maximum} of {criterion.name}.",
                points=str(points),
                max_points=str(maximum),
                criterion=str(criterion.id),
                evaluator=evaluator,
                errors=[{"field": f"scores[{index}].points", "message": "outside the scale"}],
            )
        if points != points.quantize(_HUNDREDTH):
            raise InvalidScore(
                "Points take at most two decimal places.",
                errors=[{"field": f"scores[{index}].points", "message": "more than 2 places"}],
            )


async def put_scores(
    session: AsyncSession,
    *,
    tender: Tender,
    bid_id: uuid.UUID,
    sheet: ScoreSheet,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> list[ScoreView]:
    """Store the caller's points for a bid in a lot (replacing their earlier points on the
    criteria named). Everything is checked first: a refused sheet stores nothing.

    Raises:
        EvaluationRefused: not in evaluation, or the bid is excluded.
        DeclarationRequired, ConflictOfInterest: the caller may not evaluate.
        BidNotFound: no such bid in the evaluation.
        InvalidScore, PointsOutOfScale: a point that cannot be taken.
    """
    evaluation.require_in_evaluation(tender)
    await conflicts.require_declaration(session, tender, by)
    row = await evaluation.assessment_for_update(session, tender, bid_id)
    if row.status == AssessmentStatus.EXCLUDED:
        raise EvaluationRefused("The bid is excluded; it is not scored.", reason="excluded")
    criteria = await criteria_of(session, tender.id)
    by_position = {c.position: c for c in criteria}
    by_id = {c.id: c for c in criteria}
    offers = await offers_of(session, tender, [row], kek)
    _check_sheet(sheet, by_position, set(offers.get(bid_id, {})), str(by.user_id))
    assert by.user_id is not None
    existing = {
        s.criterion_id: s
        for s in await session.scalars(
            select(Score).where(
                Score.bid_id == bid_id, Score.lot == sheet.lot, Score.evaluator_id == by.user_id
            )
        )
    }
    for item in sheet.scores:
        criterion = by_position[item.criterion]
        score = existing.get(criterion.id)
        if score is None:
            score = Score(
                tender_id=tender.id,
                bid_id=bid_id,
                lot=sheet.lot,
                criterion_id=criterion.id,
                evaluator_id=by.user_id,
            )
            session.add(score)
            existing[criterion.id] = score
        score.points = item.points
        score.justification = item.justification.strip()
        score.given_at = now
    await evaluation.stale_ranking(session, tender.id)
    await session.flush()
    await record(
        session,
        now=now,
        action="bid.score",
        object_type="bid",
        object_id=str(bid_id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "tender": str(tender.id),
            "lot": sheet.lot,
            "points": {str(i.criterion): str(i.points) for i in sheet.scores},
        },
    )
    return [
        _score_view(s, by_id[s.criterion_id])
        for s in sorted(existing.values(), key=lambda s: by_id[s.criterion_id].position)
    ]
