"""The ranking per lot (§ 127 GWB, § 58 VgV).

Computed on an officer's request once every bid is admitted or excluded and every admitted bid
has, for each lot it offers, the points of at least one evaluator on each quality criterion:
price points by the criterion's announced formula from the opened prices, quality points as the
mean of the points of every evaluator without a declared conflict of interest, the weighted
total, the order by the profile's tie rule (with a recorded seed for a draw by lot), and the
flag for abnormally low prices (§ 60 VgV, the profile's threshold). The ranking is stored
(points and totals, never prices); reading it again reads the prices from the opened bids,
which is recorded. A later change of points or decisions drops it.
"""

from __future__ import annotations

__all__ = ["rank", "ranking"]

import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.service import record
from infra.identity.models import Organisation, User
from infra.identity.principal import Principal
from infra.profile import Profile
from procurement.award import conflicts, evaluation, scores, scoring
from procurement.award.models import (
    Assessment,
    AssessmentStatus,
    BidOutcome,
    Evaluation,
    RankEntryRow,
    Score,
)
from procurement.award.schemas import CriterionPoints, LotRanking, RankingEntry, RankingView
from procurement.bids import vault
from procurement.errors import EvaluationRefused, ScoresMissing
from procurement.tenders.models import AwardCriterion, Lot, Tender

_PRICE_METHODS: dict[str, Callable[[Mapping[uuid.UUID, Decimal], int], dict[uuid.UUID, Decimal]]]
_PRICE_METHODS = {
    "lowest-price-ratio": scoring.price_points_lowest,
    "linear": scoring.price_points_linear,
}


async def rank(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> RankingView:
    """Compute and store the ranking of the admitted bids of each lot.

    Raises:
        EvaluationRefused: not in evaluation, a bid without decision (``undecided-bids``), or
            no admitted bid (``no-admitted-bids``).
        ScoresMissing: a quality criterion lacks points for a bid in a lot.
    """
    evaluation.require_in_evaluation(tender)
    await conflicts.require_declaration(session, tender, by)
    state = await session.get(Evaluation, tender.id, with_for_update=True)
    assert state is not None
    rows = list(await session.scalars(select(Assessment).where(Assessment.tender_id == tender.id)))
    undecided = [str(r.bid_id) for r in rows if r.status == AssessmentStatus.PENDING]
    if undecided:
        raise EvaluationRefused(
            "Admit or exclude every bid before the ranking.",
            reason="undecided-bids",
            bids=undecided,
        )
    admitted = [r for r in rows if r.status == AssessmentStatus.ADMITTED]
    if not admitted:
        raise EvaluationRefused(
            "No bid is admitted: there is nothing to rank.", reason="no-admitted-bids"
        )
    criteria = await scores.criteria_of(session, tender.id)
    offers = await scores.offers_of(session, tender, admitted, kek)
    given = await _quality_points(session, tender.id)
    seed = secrets.token_hex(16) if profile.award.tie_rule == "lot" else None
    missing: list[dict[str, str]] = []
    entries: list[RankEntryRow] = []
    for lot in sorted({lot for offer in offers.values() for lot in offer}):
        prices = {bid: offer[lot] for bid, offer in offers.items() if lot in offer}
        points = _lot_points(criteria, prices, given, lot, missing)
        if missing:
            continue
        totals = {
            bid: scoring.weighted_total(
                [(c.weight, points[bid][c.id], c.max_points) for c in criteria]
            )
            for bid in prices
        }
        low = scoring.abnormally_low(prices, threshold_percent=profile.award.abnormally_low_percent)
        places = scoring.rank(
            totals,
            tie_rule=profile.award.tie_rule,
            prices=prices,
            seed=f"{seed}/{lot}" if seed else None,
        )
        entries += [
            RankEntryRow(
                tender_id=tender.id,
                lot=lot,
                bid_id=place.key,
                rank=place.rank,
                total=place.total,
                points=msgspec.json.encode(
                    {str(k): str(v) for k, v in points[place.key].items()}
                ).decode(),
                tied=place.tied,
                abnormally_low=place.key in low,
            )
            for place in places
        ]
    if missing:
        raise ScoresMissing(
            "Every quality criterion needs the points of at least one evaluator for every "
            "admitted bid in each lot it offers.",
            missing=missing,
        )
    await session.execute(delete(RankEntryRow).where(RankEntryRow.tender_id == tender.id))
    session.add_all(entries)
    for row in admitted:
        row.outcome = BidOutcome.RANKED
    state.ranked_at, state.ranked_by, state.seed = now, by.user_id, seed
    await session.flush()
    await record(
        session,
        now=now,
        action="tender.rank",
        object_type="tender",
        object_id=str(tender.id),
        actor_user_id=by.user_id,
        organisation_id=tender.authority_id,
        after={
            "seed": seed,
            "ranks": [
                [e.lot, str(e.bid_id), e.rank, str(e.total), e.abnormally_low] for e in entries
            ],
        },
    )
    return await ranking(session, profile=profile, tender=tender, kek=kek, by=by, now=now)


async def _quality_points(
    session: AsyncSession, tender_id: uuid.UUID
) -> dict[tuple[uuid.UUID, int, uuid.UUID], dict[str, Decimal]]:
    """The points of every evaluator without a declared conflict, by bid, lot and criterion."""
    excluded = await conflicts.conflicted(session, tender_id)
    given: dict[tuple[uuid.UUID, int, uuid.UUID], dict[str, Decimal]] = defaultdict(dict)
    for score in await session.scalars(select(Score).where(Score.tender_id == tender_id)):
        if score.evaluator_id not in excluded:
            given[(score.bid_id, score.lot, score.criterion_id)][str(score.evaluator_id)] = (
                score.points
            )
    return given


def _lot_points(
    criteria: list[AwardCriterion],
    prices: dict[uuid.UUID, Decimal],
    given: dict[tuple[uuid.UUID, int, uuid.UUID], dict[str, Decimal]],
    lot: int,
    missing: list[dict[str, str]],
) -> dict[uuid.UUID, dict[uuid.UUID, Decimal]]:
    """Each bid's points on each criterion in ``lot``; what is lacking goes to ``missing``."""
    points: dict[uuid.UUID, dict[uuid.UUID, Decimal]] = {bid: {} for bid in prices}
    for criterion in criteria:
        if criterion.kind == "price":
            method = _PRICE_METHODS.get(criterion.method, scoring.price_points_lowest)
            for bid, value in method(prices, criterion.max_points).items():
                points[bid][criterion.id] = value
            continue
        for bid in prices:
            by_evaluator = given.get((bid, lot, criterion.id))
            if not by_evaluator:
                missing.append({"bid": str(bid), "lot": str(lot), "criterion": criterion.name})
                continue
            points[bid][criterion.id] = scoring.consolidate(
                by_evaluator, max_points=criterion.max_points
            )
    return points


async def ranking(
    session: AsyncSession,
    *,
    profile: Profile,
    tender: Tender,
    kek: vault.KeyEncryptionKey,
    by: Principal,
    now: datetime,
) -> RankingView:
    """The ranking in force, with the prices (read from the opened bids, each read recorded).

    Raises:
        EvaluationRefused: no ranking has been computed (``not-ranked``).
    """
    await conflicts.require_declaration(session, tender, by)
    state = await session.get(Evaluation, tender.id)
    if state is None or state.ranked_at is None:
        raise EvaluationRefused(
            "No ranking is in force: compute it once every bid is decided and scored.",
            reason="not-ranked",
        )
    rows = list(
        await session.scalars(
            select(RankEntryRow)
            .where(RankEntryRow.tender_id == tender.id)
            .order_by(RankEntryRow.lot, RankEntryRow.rank, RankEntryRow.id)
        )
    )
    bids = {row.bid_id for row in rows}
    assessed = list(await session.scalars(select(Assessment).where(Assessment.bid_id.in_(bids))))
    offers = await scores.offers_of(session, tender, assessed, kek)
    companies = {a.bid_id: (await session.get(Organisation, a.organisation_id)) for a in assessed}
    for bid in sorted(bids, key=str):
        await record(
            session,
            now=now,
            action="bid.read",
            object_type="bid",
            object_id=str(bid),
            actor_user_id=by.user_id,
            organisation_id=tender.authority_id,
            after={"tender": str(tender.id), "purpose": "ranking"},
        )
    criteria = await scores.criteria_of(session, tender.id)
    titles = {
        lot.number: lot.title
        for lot in await session.scalars(select(Lot).where(Lot.tender_id == tender.id))
    }
    by_lot: dict[int, list[RankingEntry]] = defaultdict(list)
    for row in rows:
        stored = msgspec.json.decode(row.points, type=dict[str, Decimal])
        company = companies.get(row.bid_id)
        by_lot[row.lot].append(
            RankingEntry(
                bid_id=row.bid_id,
                company_name=company.legal_name if company else "",
                rank=row.rank,
                total=row.total,
                price=offers.get(row.bid_id, {}).get(row.lot),
                points=[
                    CriterionPoints(
                        criterion=c.position,
                        name=c.name,
                        kind=c.kind,
                        weight=c.weight,
                        max_points=c.max_points,
                        points=stored.get(str(c.id), Decimal(0)),
                    )
                    for c in criteria
                ],
                tied=row.tied,
                abnormally_low=row.abnormally_low,
            )
        )
    ranked_by = await session.get(User, state.ranked_by) if state.ranked_by else None
    return RankingView(
        tender_id=tender.id,
        ranked_at=state.ranked_at,
        ranked_by=(ranked_by.name or ranked_by.email) if ranked_by else None,
        tie_rule=profile.award.tie_rule,
        seed=state.seed,
        abnormally_low_percent=profile.award.abnormally_low_percent,
        lots=[
            LotRanking(lot=lot, title=titles.get(lot, tender.title), entries=entries)
            for lot, entries in sorted(by_lot.items())
        ],
    )
