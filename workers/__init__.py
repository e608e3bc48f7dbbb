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
from workers.scheduler import Periodic
from workers.signature_checks import PURGE_CHECKS as PURGE_SIGNATURE_CHECKS
from workers.signature_checks import VALIDATE as VALIDATE_SIGNATURE
from workers.signatures import REFRESH_TRUSTED_LISTS

ACTORS: tuple[ActorSpec[Any], ...] = (
    PURGE,
    SEND_MAIL,
    VALIDATE_SIGNATURE,
    PURGE_SIGNATURE_CHECKS,
    REFRESH_TRUSTED_LISTS,
)
PERIODIC: tuple[Periodic, ...] = (
    Periodic(actor=PURGE, every=timedelta(hours=1)),
    Periodic(actor=PURGE_SIGNATURE_CHECKS, every=timedelta(hours=1)),
    Periodic(actor=REFRESH_TRUSTED_LISTS, every=timedelta(days=1)),
)
