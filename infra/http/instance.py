"""Public facts about this instance: who runs it and the rules of its profile."""

from __future__ import annotations

__all__ = ["InstanceController", "InstanceInfo"]

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, get

from infra.identity.guards import public
from infra.profile import MinimumPeriods, Standstill


class ThresholdInfo(msgspec.Struct, frozen=True):
    valid_from: date
    valid_to: date
    source: str
    works: Decimal
    supplies_services: Decimal
    supplies_services_central: Decimal
    sector: Decimal
    social_services: Decimal
    sector_social_services: Decimal
    concessions: Decimal


class InstanceInfo(msgspec.Struct, frozen=True):
    """What other instances and the public may know about this one."""

    id: str
    state: str
    name: dict[str, str]
    operator: dict[str, str]
    languages: list[str]
    timezone: str
    thresholds: list[ThresholdInfo]
    periods: MinimumPeriods
    standstill: Standstill


class InstanceController(Controller):
    path = "/api/v1/instance"
    guards = [public]
    tags = ["instance"]

    @get("", operation_id="instance_get", summary="This instance and its profile's rules")
    async def get_instance(self, request: Request[Any, Any, Any]) -> InstanceInfo:
        profile = request.app.state.settings.profile
        return InstanceInfo(
            id=profile.instance.id,
            state=profile.instance.state,
            name=dict(profile.instance.name),
            operator=dict(profile.instance.operator),
            languages=list(profile.instance.languages),
            timezone=profile.instance.timezone,
            thresholds=[
                msgspec.convert(t, ThresholdInfo, from_attributes=True) for t in profile.thresholds
            ],
            periods=profile.periods,
            standstill=profile.standstill,
        )
