"""The ``vergabe`` command: one image, different processes (DESIGN.md §1).

``run`` is the embedded all-in-one default (SQLite, local files, in-process worker and
scheduler). ``api``, ``worker`` and ``scheduler`` are the same code split for production and
refuse to start on an un-migrated database. Configuration errors end the command with one line
naming the variable and exit code 2, never a traceback.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import asyncio
import getpass
import importlib
import signal
import sys
import uuid
from collections.abc import Sequence
from typing import Any, NoReturn

import msgspec
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from infra.app import create_app
from infra.audit import service as audit
from infra.audit.schemas import ChainReport
from infra.clock import SystemClock
from infra.db import migrate
from infra.db.engine import create_engine, session_factory
from infra.demo import DEMO_PASSWORD, seed_identity
from infra.errors import DomainError
from infra.identity.admin import create_authority, create_user
from infra.identity.principal import Principal
from infra.identity.schemas import AuthorityCreate
from infra.jobs.models import JobState
from infra.jobs.repository import JobRepository
from infra.jobs.specs import ActorSpec
from infra.logs import configure_logging
from infra.settings import Settings, SettingsError, load_settings
from prequalification.demo import seed_prequalification
from procurement.demo import seed_procurement
from signatures import cli as signatures_cli
from workers import ACTORS
from workers.process import JobProcess, serve

EXIT_CONFIG = 2
COMMAND_LINE = Principal(kind="anonymous")
"""Who acts for a command typed by an operator (audit events carry no user)."""


def _fail(message: str) -> NoReturn:
    print(f"vergabe: {message}", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    return settings


async def _status(settings: Settings) -> migrate.MigrationStatus:
    """Where the database stands; an unreachable database ends the command (exit code 2)."""
    engine = create_engine(settings.database)
    try:
        return await migrate.status(engine)
    except Exception as exc:
        _fail(f"database unreachable ({type(exc).__name__}: {exc}); check VERGABE_DATABASE_URL")
    finally:
        await engine.dispose()


async def _require_migrated(settings: Settings) -> None:
    state = await _status(settings)
    if not state.is_current:
        _fail(
            f"database is at migration {state.current or 'none'}, the code needs {state.head}: "
            "run 'vergabe db upgrade' first"
        )


async def _upgrade(settings: Settings) -> str:
    await _status(settings)
    engine = create_engine(settings.database)
    try:
        await migrate.upgrade(engine)
        return (await migrate.status(engine)).head
    finally:
        await engine.dispose()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.http.host,
        "port": settings.http.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
        "proxy_headers": settings.http.behind_tls,
        "timeout_graceful_shutdown": int(settings.jobs.shutdown_grace_seconds),
        "loop": "uvloop",
        "http": "httptools",
    }


def _exit_zero_after_graceful_shutdown() -> None:
    """Let a server stopped by SIGTERM or SIGINT end with exit code 0, like the worker.

    After its graceful shutdown uvicorn puts back the handlers it found and raises the signal
    again; with the default handler that kills the process (exit code -15) although it shut
    down cleanly. Installed just before uvicorn takes over the signals.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _sig, _frame: None)


def cmd_run(_args: argparse.Namespace) -> int:
    """API, pages, worker and scheduler in one process, on the embedded database."""
    settings = _settings()
    asyncio.run(_upgrade(settings))
    jobs = JobProcess(settings, SystemClock(), worker=True, scheduler=True)
    app = create_app(settings, jobs=jobs)
    print(f"OpenVergabe serving on {settings.public_url}", file=sys.stderr)
    server = uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(settings)))
    _exit_zero_after_graceful_shutdown()
    server.run()
    return 0


def cmd_api(_args: argparse.Namespace) -> int:
    """API and pages only; jobs go to the external broker."""
    settings = _settings()
    if settings.broker.kind == "memory":
        _fail("VERGABE_BROKER_URL: 'vergabe api' needs amqp:// or redis:// (or use 'vergabe run')")
    asyncio.run(_require_migrated(settings))
    _exit_zero_after_graceful_shutdown()
    uvicorn.run(
        "infra.asgi:app_from_environment",
        factory=True,
        workers=settings.http.processes,
        **_uvicorn_options(settings),
    )
    return 0


def _extra_actors(modules: Sequence[str]) -> tuple[ActorSpec[Any], ...]:
    specs: list[ActorSpec[Any]] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            _fail(f"--actors {name}: cannot be imported ({exc})")
        specs.extend(getattr(module, "ACTORS", ()))
    return tuple(specs)


def cmd_worker(args: argparse.Namespace) -> int:
    """A Dramatiq worker (with ``--scheduler`` also the scheduler)."""
    settings = _settings()
    if settings.broker.kind == "memory" and not args.scheduler:
        _fail("VERGABE_BROKER_URL: the in-process broker needs --scheduler in the same process")
    asyncio.run(_require_migrated(settings))
    actors = ACTORS + _extra_actors(args.actors)
    process = JobProcess(
        settings, SystemClock(), worker=True, scheduler=args.scheduler, actors=actors
    )
    asyncio.run(serve(process))
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Releases due jobs to the broker."""
    settings = _settings()
    if settings.broker.kind == "memory":
        _fail("VERGABE_BROKER_URL: a separate scheduler needs amqp:// or redis://")
    asyncio.run(_require_migrated(settings))
    actors = ACTORS + _extra_actors(args.actors)
    process = JobProcess(settings, SystemClock(), worker=False, scheduler=True, actors=actors)
    asyncio.run(serve(process))
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    settings = _settings()
    head = asyncio.run(_upgrade(settings))
    print(f"database migrated to {head}")
    return 0


def cmd_db_status(_args: argparse.Namespace) -> int:
    settings = _settings()
    state = asyncio.run(_status(settings))
    print(f"current: {state.current or 'none'}  head: {state.head}")
    return 0 if state.is_current else 1


async def _in_transaction(settings: Settings, work: Any) -> Any:
    engine = create_engine(settings.database)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def cmd_demo(_args: argparse.Namespace) -> int:
    """Seed demo data (idempotent: running it again adds nothing); refused in production.

    The people first, then the pre-qualified companies, then the authority's tenders in every
    state of the lifecycle, in one transaction; the jobs they leave (seals, minutes, mail) are
    run by the worker of ``vergabe run``."""
    settings = _settings()
    if settings.env == "production":
        _fail("VERGABE_ENV: demo data is for development instances only")
    asyncio.run(_upgrade(settings))
    clock = SystemClock()

    async def work(session: AsyncSession) -> list[str]:
        created = await seed_identity(session, clock)
        created += await seed_prequalification(session, settings, clock.now())
        created += await seed_procurement(session, settings, clock.now())
        return created

    for line in asyncio.run(_in_transaction(settings, work)):
        print(f"demo: created {line}")
    print(f"demo data ready; every demo account's password is {DEMO_PASSWORD!r}")
    return 0


def cmd_admin_create_user(args: argparse.Namespace) -> int:
    """Create a verified user; the password is read from standard input (never an argument)."""
    settings = _settings()
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()

    async def work(session: AsyncSession) -> uuid.UUID:
        return await create_user(
            session,
            SystemClock(),
            email=args.email,
            name=args.name,
            password=password,
            platform_admin=args.platform_admin,
        )

    try:
        user_id = asyncio.run(_in_transaction(settings, work))
    except (DomainError, ValueError) as exc:
        _fail(f"{args.email}: {exc}")
    print(f"user {args.email} created ({user_id})")
    if args.platform_admin:
        print("a platform admin must set up the second factor at /konto before administering")
    return 0


def cmd_jobs_failed(_args: argparse.Namespace) -> int:
    """List jobs that used up their attempts."""
    settings = _settings()
    asyncio.run(_require_migrated(settings))

    async def _list() -> list[str]:
        engine = create_engine(settings.database)
        try:
            async with session_factory(engine)() as session:
                jobs = await JobRepository(session).list_in_state(JobState.FAILED)
                return [
                    f"{job.id}  {job.actor}  attempts={job.attempts}  "
                    f"failed={job.finished_at:%Y-%m-%d %H:%M:%S}Z  "
                    f"{(job.last_error or '').splitlines()[-1] if job.last_error else ''}"
                    for job in jobs
                ]
        finally:
            await engine.dispose()

    lines = asyncio.run(_list())
    print("\n".join(lines) if lines else "no failed jobs")
    return 0


def cmd_audit_verify(_args: argparse.Namespace) -> int:
    """Check the audit chain; exit code 1 names the first broken link."""
    settings = _settings()
    asyncio.run(_require_migrated(settings))

    async def _verify() -> ChainReport:
        engine = create_engine(settings.database)
        try:
            async with session_factory(engine)() as session:
                return await audit.verify(session)
        finally:
            await engine.dispose()

    report = asyncio.run(_verify())
    if not report.ok:
        print(f"audit trail broken at event {report.broken_at}: {report.reason}")
        return 1
    print(f"audit trail intact: {report.events} events, head {report.head or 'none'}")
    return 0


def cmd_signatures_verify(args: argparse.Namespace) -> int:
    """Check the signatures of a file offline; the exit code tells the verdict."""
    return signatures_cli.verify_command(args, _settings())


def cmd_admin_create_authority(args: argparse.Namespace) -> int:
    """Create a contracting authority; its first admin receives an invitation by mail."""
    settings = _settings()
    try:
        data = msgspec.convert(
            {
                "legal_name": args.name,
                "street": args.street,
                "postal_code": args.postal_code,
                "city": args.city,
                "contact_email": args.contact_email,
                "admin_email": args.admin_email,
            },
            AuthorityCreate,
        )
    except (msgspec.ValidationError, ValueError) as exc:
        _fail(f"authority: {exc}")

    async def work(session: AsyncSession) -> uuid.UUID:
        return await create_authority(session, SystemClock(), settings, data, by=COMMAND_LINE)

    organisation_id = asyncio.run(_in_transaction(settings, work))
    print(
        f"authority {args.name} created ({organisation_id}); invitation mailed to "
        f"{args.admin_email}"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vergabe", description="OpenVergabe platform")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    sub.add_parser("run", help="all-in-one: API, pages, worker, scheduler").set_defaults(fn=cmd_run)
    sub.add_parser("api", help="API and pages (production)").set_defaults(fn=cmd_api)
    worker = sub.add_parser("worker", help="job worker (production)")
    worker.add_argument("--scheduler", action="store_true", help="also run the scheduler")
    worker.set_defaults(fn=cmd_worker)
    scheduler = sub.add_parser("scheduler", help="releases due jobs (production)")
    scheduler.set_defaults(fn=cmd_scheduler)
    for command in (worker, scheduler):
        command.add_argument(
            "--actors",
            action="append",
            default=[],
            metavar="MODULE",
            help="also load the ACTORS of MODULE (an instance's own extensions)",
        )
    db = sub.add_parser("db", help="database").add_subparsers(required=True, metavar="ACTION")
    db.add_parser("upgrade", help="apply all migrations").set_defaults(fn=cmd_db_upgrade)
    db.add_parser("status", help="current and head revision").set_defaults(fn=cmd_db_status)
    sub.add_parser("demo", help="seed demo data").set_defaults(fn=cmd_demo)
    admin_cmd = sub.add_parser("admin", help="administration").add_subparsers(
        required=True, metavar="ACTION"
    )
    create_user_cmd = admin_cmd.add_parser(
        "create-user", help="create a verified user (password on standard input)"
    )
    create_user_cmd.add_argument("--email", required=True)
    create_user_cmd.add_argument("--name", required=True)
    create_user_cmd.add_argument("--platform-admin", action="store_true")
    create_user_cmd.set_defaults(fn=cmd_admin_create_user)
    authority_cmd = admin_cmd.add_parser(
        "create-authority", help="create a contracting authority and invite its first admin"
    )
    for option in (
        "--name",
        "--street",
        "--postal-code",
        "--city",
        "--contact-email",
        "--admin-email",
    ):
        authority_cmd.add_argument(option, required=True)
    authority_cmd.set_defaults(fn=cmd_admin_create_authority)
    jobs = sub.add_parser("jobs", help="the job outbox").add_subparsers(
        required=True, metavar="ACTION"
    )
    jobs.add_parser("failed", help="list failed jobs").set_defaults(fn=cmd_jobs_failed)
    audit_trail = sub.add_parser("audit", help="the audit trail").add_subparsers(
        required=True, metavar="ACTION"
    )
    audit_trail.add_parser("verify", help="check the hash chain").set_defaults(fn=cmd_audit_verify)
    signature_cmd = sub.add_parser("signatures", help="electronic signatures").add_subparsers(
        required=True, metavar="ACTION"
    )
    verify_cmd = signature_cmd.add_parser(
        "verify", help="check the signatures of a file", epilog=signatures_cli.EPILOG
    )
    signatures_cli.add_arguments(verify_cmd)
    verify_cmd.set_defaults(fn=cmd_signatures_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    result: int = args.fn(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
