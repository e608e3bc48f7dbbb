"""Deny by default: no route exists without a declared guard (issue 3, item 4)."""

from __future__ import annotations

import pytest
from litestar import Litestar, get

from infra.identity.guards import public, require_declared_guards


@get("/unguarded")
async def _unguarded() -> None:
    return None


@get("/declared", guards=[public])
async def _declared() -> None:
    return None


class TestRequireDeclaredGuards:
    def test_the_platform_app_declares_a_guard_on_every_route(self, app: Litestar) -> None:
        require_declared_guards(app)  # create_app ran it too; it must hold for every route

    def test_a_route_without_a_guard_is_refused_by_name(self, own_app: Litestar) -> None:
        own_app.register(_declared)
        require_declared_guards(own_app)
        own_app.register(_unguarded)
        with pytest.raises(RuntimeError, match="GET /unguarded"):
            require_declared_guards(own_app)
