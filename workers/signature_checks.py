"""Signature-check actors: validate one uploaded document, and purge checks after a day."""

from __future__ import annotations

__all__ = ["PURGE_CHECKS", "VALIDATE", "PurgeChecks"]

import asyncio
import logging
from datetime import timedelta

import msgspec

from infra.jobs.specs import ActorSpec, JobContext
from signatures import service

log = logging.getLogger("vergabe.signatures")


async def _validate(context: JobContext, payload: service.ValidateCheck) -> None:
    # pyHanko takes seconds to import: loaded by the first validation, not at process start.
    from signatures.checking import run_check
    from signatures.trust import load_trust_store
    from signatures.verify import Limits

    now = context.clock.now()
    trust = await asyncio.to_thread(load_trust_store, context.settings, at=now)
    outcome = await run_check(
        context.session,
        payload.check_id,
        files=service.CheckFiles(context.settings.storage.root),
        now=now,
        trust=trust,
        limits=Limits.from_settings(context.settings.signatures),
    )
    log.info("signature check", extra={"check_id": payload.check_id, "outcome": outcome})


VALIDATE = ActorSpec(name=service.VALIDATE, payload_type=service.ValidateCheck, fn=_validate)


class PurgeChecks(msgspec.Struct, frozen=True):
    """No arguments: each run purges the checks older than the temporary-upload lifetime."""


async def _purge(context: JobContext, _payload: PurgeChecks) -> None:
    ttl = timedelta(hours=context.settings.storage.temp_ttl_hours)
    purged = await service.purge_checks(
        context.session,
        files=service.CheckFiles(context.settings.storage.root),
        before=context.clock.now() - ttl,
    )
    log.info("signature checks purged", extra={"checks": purged})


PURGE_CHECKS = ActorSpec(name="signatures.purge", payload_type=PurgeChecks, fn=_purge)
