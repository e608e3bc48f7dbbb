"""Procurement JSON API."""

from __future__ import annotations

__all__ = ["ROUTES", "RegimeController"]

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, post
from litestar.params import JSONBody

from infra.identity.guards import public
from procurement.regime import assess_regime
from procurement.schemas import RegimeAssessment, RegimeQuery


class RegimeController(Controller):
    path = "/api/v1/procurement"
    guards = [public]
    tags = ["procurement"]

    @post(
        "/regime",
        operation_id="procurement_regime_assess",
        summary="EU procedure or national rules for a planned contract",
        status_code=200,
    )
    async def assess(
        self, request: Request[Any, Any, Any], data: JSONBody[RegimeQuery]
    ) -> RegimeAssessment:
        settings = request.app.state.settings
        day = data.reference_date or (
            request.app.state.clock.now()
            .astimezone(ZoneInfo(settings.profile.instance.timezone))
            .date()
        )
        return assess_regime(
            settings.profile, data.contract, data.authority, data.estimated_value, day
        )


ROUTES = [RegimeController]
