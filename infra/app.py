"""The application factory: composes infrastructure, domains and jobs into one Litestar app.

``create_app(settings)`` is the only place that knows every domain's routes; the settings, the
clock and (for ``vergabe run``) the embedded job process come in as parameters, so tests run
the same code with a moved clock, another database or another broker.
"""

from __future__ import annotations

__all__ = ["create_app"]

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Contact, License
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import infra.audit.models  # the audit table, known to migrations and tests
import infra.identity.controllers
import infra.identity.pages
import infra.mail.models
import infra.mail.pages
import infra.web
import infra.web.openapi
import prequalification.controllers
import prequalification.models  # the pre-qualification tables, known to migrations and tests
import prequalification.pages
import procurement.award.controllers
import procurement.award.controllers_award
import procurement.award.models  # the evaluation tables, known to migrations and tests
import procurement.award.pages
import procurement.bids.controllers
import procurement.bids.models  # the bid tables, known to migrations and tests
import procurement.bids.pages
import procurement.controllers
import procurement.tenders.controllers
import procurement.tenders.models  # the tender tables, known to migrations and tests
import procurement.tenders.pages
import signatures.controllers
import signatures.models  # the signature check table, known to migrations and tests
import signatures.pages
from infra.clock import Clock, SystemClock
from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.errors import exception_handlers
from infra.http.health import Check, HealthController, ReadinessCheck
from infra.http.instance import InstanceController
from infra.http.middleware import EdgeMiddleware, require_media_type
from infra.identity.authentication import AuthenticationMiddleware
from infra.identity.guards import public, require_declared_guards
from infra.jobs.broker import BrokerUnavailable, ping
from infra.settings import Settings
from infra.web.navigation import NavigationMiddleware
from workers.process import JobProcess

API_VERSION = "1.0.0"


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """The request's session and transaction: committed before the response is sent."""
    async with state.sessions() as session, session.begin():
        yield session


def _readiness_checks(
    settings: Settings, engine: AsyncEngine, jobs: JobProcess | None
) -> list[ReadinessCheck]:
    async def database() -> Check:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            state = await migrate.status(engine)
        except Exception as exc:
            return Check(name="database", ok=False, detail=f"unreachable: {type(exc).__name__}")
        if not state.is_current:
            return Check(
                name="database",
                ok=False,
                detail=f"migrations at {state.current or 'none'}, code at {state.head}",
            )
        return Check(name="database", ok=True)

    async def broker() -> Check:
        if settings.broker.kind == "memory":
            ok = jobs is not None and jobs.alive
            return Check(name="broker", ok=ok, detail=None if ok else "embedded worker not running")
        try:
            await ping(settings.broker)
        except BrokerUnavailable as exc:
            return Check(name="broker", ok=False, detail=str(exc))
        return Check(name="broker", ok=True)

    return [database, broker]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    jobs: JobProcess | None = None,
) -> Litestar:
    """Build the platform's ASGI app.

    Args:
        settings: the settings tree (:func:`infra.settings.load_settings`).
        clock: the clock every request uses; default the wall clock.
        engine: a database engine to share; default one made from the settings.
        jobs: the embedded worker and scheduler that live and die with the app (``vergabe run``).
    """
    clock = clock or SystemClock()
    owns_engine = engine is None
    engine = engine or create_engine(settings.database)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncGenerator[None, None]:
        if jobs is not None:
            await jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                await jobs.stop()
            if owns_engine:
                await engine.dispose()

    app = Litestar(
        route_handlers=[
            HealthController,
            *infra.identity.controllers.ROUTES,
            InstanceController,
            *procurement.controllers.ROUTES,
            *procurement.tenders.controllers.routes(settings),
            *procurement.bids.controllers.routes(settings),
            *procurement.award.controllers.ROUTES,
            *procurement.award.controllers_award.ROUTES,
            *signatures.controllers.routes(settings),
            *prequalification.controllers.routes(settings),
            *infra.web.routes(settings),
            *infra.identity.pages.ROUTES,
            *signatures.pages.routes(settings),
            *prequalification.pages.routes(settings),
            *procurement.tenders.pages.routes(settings),
            *procurement.bids.pages.routes(settings),
            *procurement.award.pages.routes(settings),
            *(infra.mail.pages.ROUTES if settings.env == "development" else []),
        ],
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "engine": engine,
                "sessions": session_factory(engine),
                "readiness_checks": _readiness_checks(settings, engine, jobs),
            }
        ),
        dependencies={"session": Provide(provide_session)},
        lifespan=[lifespan],
        middleware=[AuthenticationMiddleware, NavigationMiddleware],
        before_request=require_media_type,
        exception_handlers=exception_handlers(),
        request_max_body_size=settings.http.max_body_bytes,
        template_config=infra.web.template_config(settings),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.http.behind_tls,
            cookie_httponly=True,
            cookie_samesite="strict",
            # JSON API: protected by requiring application/json (no cross-site form can send
            # it); health, schema and static files change nothing and need no token.
            exclude=["/api/", "/health/", "/schema", "/static/"],
            cookie_name="vergabe_csrf",
        ),
        openapi_config=OpenAPIConfig(
            title="OpenVergabe API",
            version=API_VERSION,
            description=(
                "Public procurement and supplier pre-qualification. Errors are RFC 9457 "
                "problem details (application/problem+json)."
            ),
            contact=Contact(name=settings.profile.instance.operator["de"]),
            license=License(name="EUPL-1.2", identifier="EUPL-1.2"),
            path="/schema",
            openapi_router=Router(
                path="/schema", guards=[public], route_handlers=[], include_in_schema=False
            ),
            render_plugins=[infra.web.openapi.SwaggerUIPlugin()],
        ),
        debug=False,
        logging_config=None,
    )
    # Wrap the whole ASGI handler (as Litestar's own OpenTelemetry plugin does) so that also
    # responses to unrouted paths get the request id, the security headers and an access log.
    app.asgi_handler = EdgeMiddleware(app.asgi_handler, behind_tls=settings.http.behind_tls)
    require_declared_guards(app)
    return app
