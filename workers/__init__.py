"""Dramatiq actors, the scheduler that releases due jobs, and the worker entry point.

:data:`ACTORS` lists every actor of the platform and :data:`PERIODIC` the jobs the scheduler
creates on a fixed rhythm; the composition root binds them to a broker.
"""

from __future__ import annotations

__all__ = ["ACTORS", "PERIODIC"]

from datetime import timedelta
from typing import Any

from infra.jobs.specs import ActorSpec
from workers.housekeeping import PURGE
from workers.mail import SEND as SEND_MAIL
from workers.prequalification import CHECK_EVIDENCE, SEAL_CERTIFICATE
from workers.prequalification import SWEEP as PQ_SWEEP
from workers.procurement import (
    CHECK_BID_DOCUMENT,
    CLOSE_TENDER,
    DISPATCH_LETTERS,
    END_STANDSTILL,
    SEAL_RECEIPT,
    SWEEP_TENDERS,
    WRITE_MINUTES,
)
from workers.scheduler import Periodic
from workers.signature_checks import PURGE_CHECKS as PURGE_SIGNATURE_CHECKS
from workers.signature_checks import VALIDATE as VALIDATE_SIGNATURE
from workers.signatures import REFRESH_REVOCATION, REFRESH_TRUSTED_LISTS

ACTORS: tuple[ActorSpec[Any], ...] = (
    PURGE,
    SEND_MAIL,
    VALIDATE_SIGNATURE,
    PURGE_SIGNATURE_CHECKS,
    REFRESH_TRUSTED_LISTS,
    REFRESH_REVOCATION,
    CHECK_EVIDENCE,
    SEAL_CERTIFICATE,
    PQ_SWEEP,
    CLOSE_TENDER,
    SWEEP_TENDERS,
    SEAL_RECEIPT,
    CHECK_BID_DOCUMENT,
    WRITE_MINUTES,
    DISPATCH_LETTERS,
    END_STANDSTILL,
)
PERIODIC: tuple[Periodic, ...] = (
    Periodic(actor=PURGE, every=timedelta(hours=1)),
    Periodic(actor=PURGE_SIGNATURE_CHECKS, every=timedelta(hours=1)),
    Periodic(actor=REFRESH_TRUSTED_LISTS, every=timedelta(days=1)),
    # CRLs of qualified CAs are typically issued daily with a nextUpdate about a day later, and
    # may appear only shortly before the previous one runs out. Hourly, a new CRL is cached
    # within the hour, and a server that is down gets many tries before the cached CRL goes
    # stale (B-B and B-T signatures then go to review, never to accept). A run is a few GETs.
    Periodic(actor=REFRESH_REVOCATION, every=timedelta(hours=1)),
    # Reminders, suspensions and expiries count calendar days; a sweep every six hours
    # catches a day's changes early in the day, and each one happens once however often it runs.
    Periodic(actor=PQ_SWEEP, every=timedelta(hours=6)),
    # Each published tender has its own closing job at its deadline; the sweep closes within
    # five minutes any tender whose job was lost or whose worker was down at the deadline.
    Periodic(actor=SWEEP_TENDERS, every=timedelta(minutes=5)),
)
