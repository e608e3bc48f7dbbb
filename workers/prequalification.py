"""Pre-qualification actors: check an evidence upload's signatures, seal an issued certificate,
and the sweep of reminders, suspensions and expiries.

All are idempotent (a redelivered job finds its work done and returns) and load pyHanko on
first use, not at process start.
"""

from __future__ import annotations

__all__ = ["CHECK_EVIDENCE", "SEAL_CERTIFICATE", "SWEEP"]

import asyncio
import logging
import uuid

import msgspec

from infra.jobs.specs import ActorSpec, JobContext
from prequalification import applications, certificates, lifecycle

log = logging.getLogger("vergabe.prequalification")


async def _check(context: JobContext, payload: applications.CheckEvidence) -> None:
    from prequalification.evidence_check import run_evidence_check
    from signatures.trust import load_trust_store
    from signatures.verify import Limits

    now = context.clock.now()
    trust = await asyncio.to_thread(load_trust_store, context.settings, at=now)
    outcome = await run_evidence_check(
        context.session,
        uuid.UUID(payload.evidence_id),
        profile=context.settings.profile,
        files=applications.EvidenceFiles(context.settings.storage.root),
        now=now,
        trust=trust,
        limits=Limits.from_settings(context.settings.signatures),
    )
    log.info("evidence checked", extra={"evidence_id": payload.evidence_id, "outcome": outcome})


CHECK_EVIDENCE = ActorSpec(
    name=applications.CHECK_EVIDENCE, payload_type=applications.CheckEvidence, fn=_check
)


async def _seal(context: JobContext, payload: certificates.SealCertificate) -> None:
    from prequalification.sealing import seal_certificate

    outcome = await seal_certificate(
        context.session,
        uuid.UUID(payload.certificate_id),
        settings=context.settings,
        clock=context.clock,
    )
    log.info(
        "certificate sealed", extra={"certificate_id": payload.certificate_id, "outcome": outcome}
    )


SEAL_CERTIFICATE = ActorSpec(
    name=certificates.SEAL_CERTIFICATE, payload_type=certificates.SealCertificate, fn=_seal
)


async def _sweep(context: JobContext, payload: lifecycle.Sweep) -> None:
    summary = await lifecycle.sweep(
        context.session,
        profile=context.settings.profile,
        now=context.clock.now(),
        after=payload.after,
    )
    log.info("pre-qualification sweep", extra={"summary": msgspec.to_builtins(summary)})


SWEEP = ActorSpec(name=lifecycle.SWEEP, payload_type=lifecycle.Sweep, fn=_sweep)
