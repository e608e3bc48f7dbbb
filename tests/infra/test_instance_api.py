"""``GET /api/v1/instance``: who runs this instance and the rules of its profile."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from infra.app import create_app
from infra.clock import ManualClock
from infra.settings import load_settings
from tests.support import LoopClient


class TestInstanceApi:
    async def test_given_bremen_then_its_id_languages_and_thresholds_as_strings(
        self, client: AsyncTestClient[Litestar]
    ) -> None:
        response = await client.get("/api/v1/instance")

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == "hb"
        assert body["state"] == "Freie Hansestadt Bremen"
        assert body["languages"] == ["de", "en"]
        assert body["timezone"] == "Europe/Berlin"
        assert body["thresholds"] == [
            {
                "valid_from": "2026-01-01",
                "valid_to": "2027-12-31",
                "source": "Amtsblatt der EU, ABl. L 2025/7079",
                "works": "5404000",
                "supplies_services": "216000",
                "supplies_services_central": "140000",
                "sector": "432000",
                "social_services": "750000",
                "sector_social_services": "1000000",
                "concessions": "5404000",
            }
        ]
        assert body["periods"]["eu_open"] == 35
        assert body["periods"]["national"] == 10
        assert body["standstill"] == {
            "electronic_days": 10,
            "other_days": 15,
            "end_moves_off_holidays": False,
        }

    async def test_given_another_profile_then_its_values(
        self, environment: dict[str, str], clock: ManualClock
    ) -> None:
        settings = load_settings(environment | {"VERGABE_PROFILE": "hamburg"})
        app = create_app(settings, clock=clock)

        async with LoopClient(app) as client:
            response = await client.get("/api/v1/instance")

        assert response.status_code == 200
        assert response.json()["id"] == "hh"
        assert response.json()["periods"]["on_shortfall"] == "warn"

    @pytest.mark.parametrize("method", ["post", "put", "delete"])
    async def test_given_a_write_then_405(
        self, client: AsyncTestClient[Litestar], method: str
    ) -> None:
        response = await getattr(client, method)("/api/v1/instance")

        assert response.status_code == 405
