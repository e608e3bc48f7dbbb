"""Liveness and readiness probes.

``/health/live`` answers as long as the process serves requests. ``/health/ready`` runs the
readiness checks the app factory collected (database reachable and migrated, broker reachable,
the embedded worker running) and answers 503 with a problem naming the failed checks.
"""

from __future__ import annotations

__all__ = ["Check", "HealthController", "ReadinessCheck"]

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from infra.errors import PROBLEM_MEDIA_TYPE, Problem
from infra.identity.guards import public
from infra.logs import current_request_id

CHECK_TIMEOUT_SECONDS = 3.0


class Check(msgspec.Struct, frozen=True, omit_defaults=True):
    """The outcome of one readiness check."""

    name: str
    ok: bool
    detail: str | None = None


ReadinessCheck = Callable[[], Awaitable[Check]]


class Liveness(msgspec.Struct, frozen=True):
    status: Literal["live"] = "live"


class Readiness(msgspec.Struct, frozen=True):
    status: Literal["ready"]
    checks: list[Check]


class NotReady(Problem):
    """503 problem listing every check and its outcome."""

    checks: list[Check] | None = None


async def _run(check: ReadinessCheck) -> Check:
    """Run one check; a check that times out or raises counts as failed (never a 500)."""
    name = getattr(check, "__name__", "check")
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return Check(name=name, ok=False, detail="timed out")
    except Exception as exc:
        return Check(name=name, ok=False, detail=f"failed: {type(exc).__name__}")


class HealthController(Controller):
    path = "/health"
    guards = [public]
    tags = ["health"]

    @get("/live", operation_id="health_live", summary="The process is serving requests")
    async def live(self) -> Liveness:
        return Liveness()

    @get(
        "/ready",
        operation_id="health_ready",
        summary="Database, migrations and broker are ready",
        responses={
            503: ResponseSpec(
                data_container=NotReady, description="Not ready", media_type=PROBLEM_MEDIA_TYPE
            )
        },
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Any]:
        checks: list[ReadinessCheck] = request.app.state.readiness_checks
        results = list(await asyncio.gather(*(_run(c) for c in checks)))
        if all(r.ok for r in results):
            return Response(Readiness(status="ready", checks=results))
        problem = NotReady(
            type="about:blank",
            title="Service Unavailable",
            status=503,
            detail="Not ready: " + ", ".join(r.name for r in results if not r.ok),
            instance=request.url.path,
            trace_id=current_request_id(),
            checks=results,
        )
        return Response(
            msgspec.json.encode(problem), status_code=503, media_type=PROBLEM_MEDIA_TYPE
        )
