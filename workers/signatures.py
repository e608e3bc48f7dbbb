"""Signature actors: the daily refresh of the trusted lists, the hourly one of the CRLs
(DESIGN.md §4).

An unreachable LOTL ends the run with a warning (the cache stays); a LOTL that does not verify
fails the job, so that the operator sees it. A CRL that cannot be refreshed is logged and its
cached copy stays; the other URLs are refreshed all the same.
"""

from __future__ import annotations

__all__ = [
    "REFRESH_REVOCATION",
    "REFRESH_TRUSTED_LISTS",
    "RefreshRevocation",
    "RefreshTrustedLists",
]

import logging

import msgspec

from infra.jobs.specs import ActorSpec, JobContext

log = logging.getLogger("vergabe.signatures")


class RefreshTrustedLists(msgspec.Struct, frozen=True):
    """No arguments: each run fetches the LOTL and the lists it points to."""


async def _refresh(context: JobContext, _payload: RefreshTrustedLists) -> None:
    # pyHanko takes seconds to import: loaded by the daily run, not at process start.
    from signatures.trusted_lists import LotlUnavailable, http_fetch, refresh_trusted_lists

    config = context.settings.profile.signatures
    try:
        summary = await refresh_trusted_lists(
            context.settings,
            now=context.clock.now(),
            fetch=http_fetch(allowed_hosts=config.allowed_hosts),
        )
    except LotlUnavailable as exc:
        # Offline (development) or a passing outage: the cached lists stay valid until their
        # signers expire; tomorrow's run tries again. A LOTL that fails its check still raises.
        log.warning("trusted lists not refreshed; the cached lists stay", extra={"error": str(exc)})
        return
    log.info(
        "trusted lists refreshed",
        extra={
            "stored": list(summary.stored),
            "skipped": [f"{item.territory}: {item.reason}" for item in summary.skipped],
            "removed": list(summary.removed),
        },
    )


REFRESH_TRUSTED_LISTS = ActorSpec(
    name="signatures.refresh_trusted_lists", payload_type=RefreshTrustedLists, fn=_refresh
)


class RefreshRevocation(msgspec.Struct, frozen=True):
    """No arguments: each run fetches the profile's ``crl_urls``."""


async def _refresh_revocation(context: JobContext, _payload: RefreshRevocation) -> None:
    # pyHanko takes seconds to import: loaded by the run, not at process start.
    from signatures.revocation import refresh_revocation_data

    summary = await refresh_revocation_data(context.settings, now=context.clock.now())
    log.info(
        "CRLs refreshed",
        extra={
            "stored": list(summary.stored),
            "unchanged": len(summary.unchanged),
            "skipped": [f"{item.url}: {item.reason}" for item in summary.skipped],
            "removed": list(summary.removed),
        },
    )


REFRESH_REVOCATION = ActorSpec(
    name="signatures.refresh_revocation", payload_type=RefreshRevocation, fn=_refresh_revocation
)
