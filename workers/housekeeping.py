"""Housekeeping actor: hourly purge of finished jobs and stale temporary uploads."""

from __future__ import annotations

__all__ = ["PURGE", "Purge"]

import logging

import msgspec

from infra.housekeeping import purge_expired
from infra.jobs.specs import ActorSpec, JobContext

log = logging.getLogger("vergabe.housekeeping")


class Purge(msgspec.Struct, frozen=True):
    """No arguments: each run purges whatever has expired by then."""


async def _purge(context: JobContext, _payload: Purge) -> None:
    report = await purge_expired(context.session, context.clock, context.settings)
    log.info("housekeeping purged", extra={"jobs": report.jobs, "temp_files": report.temp_files})


PURGE = ActorSpec(name="housekeeping.purge", payload_type=Purge, fn=_purge)
