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

ACTORS: tuple[ActorSpec[Any], ...] = (PURGE, SEND_MAIL)
PERIODIC: tuple[Periodic, ...] = (Periodic(actor=PURGE, every=timedelta(hours=1)),)
