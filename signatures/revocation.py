"""Refresh of revocation data: the CRLs the profile lists, fetched into the trust cache.

Validation is offline (DESIGN.md §4), so a signature without embedded revocation data (B-B,
B-T) can only be confirmed with CRLs the platform already holds. The hourly job
(``workers.signatures``) fetches each of the profile's ``crl_urls`` whose host is on
``allowed_hosts``, keeps it if it is a CRL that is still current, and writes it atomically into
the trust cache (:func:`signatures.trust.crl_cache_path`), where
:func:`signatures.trust.load_trust_store` picks it up. A URL that fails keeps its cached CRL: a
server that is down must not remove good data. Whether a CRL is authentic is checked when it is
used: pyhanko-certvalidator verifies its signature against the issuer in the path. The URLs
are configuration; nothing here ever fetches a URL taken from a submitted document (no SSRF).
"""

from __future__ import annotations

__all__ = [
    "CRL_TIMEOUT_SECONDS",
    "MAX_CRL_BYTES",
    "RefreshSummary",
    "Skipped",
    "refresh_revocation_data",
]

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from infra.settings import Settings
from signatures.trust import crl_cache_path, read_crl
from signatures.trusted_lists import Fetch, http_fetch, write_atomically

log = logging.getLogger("vergabe.signatures.revocation")

MAX_CRL_BYTES = 10 * 1024 * 1024
"""Largest CRL accepted: qualified CAs' CRLs are kilobytes to a few megabytes; every worker
holds each one in memory."""
CRL_TIMEOUT_SECONDS = 30.0
"""Per URL; the URLs are fetched side by side, so one slow server does not hold up the run."""
_PARALLEL = 4


class Skipped(msgspec.Struct, frozen=True):
    """A URL whose CRL the refresh did not store (the cached copy, if any, stays)."""

    url: str
    reason: str


class RefreshSummary(msgspec.Struct, frozen=True):
    """What one refresh did."""

    stored: tuple[str, ...]
    """URLs whose new CRL was written."""
    unchanged: tuple[str, ...]
    """URLs that served the CRL already cached (the file is left as it is)."""
    skipped: tuple[Skipped, ...]
    """URLs refused (host not allowed) or failed (fetch, not a CRL, expired, too large)."""
    removed: tuple[str, ...]
    """Cached files of URLs no longer listed, deleted (by file name: the URL is not kept)."""


async def refresh_revocation_data(
    settings: Settings,
    *,
    now: datetime,
    fetch: Fetch | None = None,
    max_bytes: int = MAX_CRL_BYTES,
) -> RefreshSummary:
    """Fetch the profile's ``crl_urls`` on allowed hosts; store each current CRL.

    Args:
        now: a CRL whose ``nextUpdate`` is before this is refused.
        fetch: how a URL is fetched; default :func:`~signatures.trusted_lists.http_fetch` on the
            profile's allowed hosts, ``http://`` allowed (CAs publish CRLs so), ``max_bytes``.
        max_bytes: a larger CRL is refused.
    """
    config = settings.profile.signatures
    if fetch is None:
        fetch = http_fetch(
            allowed_hosts=config.allowed_hosts,
            max_bytes=max_bytes,
            timeout=CRL_TIMEOUT_SECONDS,
            plain_http=True,
        )
    cache_dir = settings.trust_cache_dir
    urls = tuple(dict.fromkeys(config.crl_urls))
    slots = asyncio.Semaphore(_PARALLEL)

    async def one(url: str) -> bool | Skipped:
        try:
            if urlsplit(url).hostname not in config.allowed_hosts:
                raise _Refused("host not in allowed_hosts")  # before any request
            async with slots:
                return await _store(cache_dir, url, now=now, fetch=fetch, max_bytes=max_bytes)
        except _Refused as exc:
            log.warning("CRL not refreshed", extra={"url": url, "reason": str(exc)})
            return Skipped(url, str(exc))

    outcomes = await asyncio.gather(*(one(url) for url in urls))
    stored: list[str] = []
    unchanged: list[str] = []
    skipped: list[Skipped] = []
    for url, outcome in zip(urls, outcomes, strict=True):
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        else:
            (stored if outcome else unchanged).append(url)
    removed = _remove_unlisted(cache_dir, {crl_cache_path(cache_dir, url) for url in urls})
    log.info(
        "CRLs refreshed",
        extra={"stored": len(stored), "unchanged": len(unchanged), "skipped": len(skipped)},
    )
    return RefreshSummary(
        stored=tuple(stored), unchanged=tuple(unchanged), skipped=tuple(skipped), removed=removed
    )


class _Refused(Exception):
    """Why a URL's CRL is not stored."""


async def _store(cache_dir: Path, url: str, *, now: datetime, fetch: Fetch, max_bytes: int) -> bool:
    """Fetch, check and store one CRL; whether the file changed.

    Raises:
        _Refused: the CRL is not stored (the cached one stays).
    """
    try:
        body = await fetch(url)
    except Exception as exc:  # any failure of one URL must not stop the others
        raise _Refused(f"fetch failed: {type(exc).__name__}: {exc}") from exc
    if len(body) > max_bytes:
        raise _Refused(f"larger than {max_bytes} bytes")
    # Parsing a CRL of some megabytes in full takes a while: not on the event loop.
    return await asyncio.to_thread(_keep, crl_cache_path(cache_dir, url), body, now=now)


def _keep(path: Path, body: bytes, *, now: datetime) -> bool:
    """Write the CRL in ``body`` to ``path`` unless it is unchanged; whether it was written.

    Raises:
        _Refused: not a CRL, not current, or older than the cached one.
    """
    try:
        crl = read_crl(body)
    except ValueError as exc:
        raise _Refused(str(exc)) from exc
    next_update: datetime | None = crl["tbs_cert_list"]["next_update"].native
    if next_update is None:
        raise _Refused("no nextUpdate (RFC 5280 §5.1.2.5): its freshness is unknown")
    if next_update < now:
        raise _Refused(f"expired: its nextUpdate {next_update.isoformat()} has passed")
    der = crl.dump()
    try:
        cached: bytes | None = path.read_bytes()
    except OSError:
        cached = None
    if cached == der:
        return False
    if cached is not None and _issued(cached) > crl["tbs_cert_list"]["this_update"].native:
        # Older than the cached CRL (a stale mirror, or a replay over plain HTTP): it could
        # leave out a recent revocation.
        raise _Refused("older than the cached CRL")
    write_atomically(path, der)
    return True


def _issued(der: bytes) -> datetime:
    """The ``thisUpdate`` of a cached CRL; the earliest time for a damaged one (replaced)."""
    try:
        this_update: datetime = read_crl(der)["tbs_cert_list"]["this_update"].native
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return this_update


def _remove_unlisted(cache_dir: Path, wanted: set[Path]) -> tuple[str, ...]:
    removed = []
    for path in sorted((cache_dir / "crls").glob("*.crl")):
        if path not in wanted:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return tuple(removed)
