"""Refresh of the trusted lists: the EU list of the lists (LOTL) and the lists it points to.

The daily job (``workers.signatures``) fetches the LOTL from the profile's ``lotl_url``, verifies
it with pyHanko's bundled LOTL signer certificates, and follows only its pointers: each national
list on an allowed host is fetched, verified with the signer certificates its pointer names, and
written atomically into the trust cache (layout: :func:`signatures.trust.cache_paths`), where
:func:`signatures.trust.load_trust_store` picks it up. Nothing here ever fetches a URL taken from
a submitted document (DESIGN.md §4: no SSRF).
"""

from __future__ import annotations

__all__ = [
    "Fetch",
    "FetchRefused",
    "LotlUnavailable",
    "RefreshSummary",
    "Skipped",
    "TrustedListPointer",
    "http_fetch",
    "read_lotl",
    "refresh_trusted_lists",
    "write_atomically",
]

import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import msgspec
from asn1crypto import pem, x509
from pyhanko.sign.validation.qualified.eutl_parse import (
    latest_known_lotl_tlso_certs,
    parse_lotl_unsafe,
)

from infra.settings import Settings
from signatures.errors import TrustedListInvalid
from signatures.trust import TrustedList, cache_paths, read_trusted_list, signed_list

log = logging.getLogger("vergabe.signatures.trusted_lists")

Fetch = Callable[[str], Awaitable[bytes]]
"""Fetches one URL and returns the body; raises on any failure."""
MAX_LIST_BYTES = 20 * 1024 * 1024
_TERRITORY = re.compile(r"^[A-Z]{2}$")
_LOOPBACK = ("127.0.0.1", "localhost")


class FetchRefused(Exception):
    """The URL is not fetched: not https, a host outside the allow-list, or too large."""


class LotlUnavailable(Exception):
    """The LOTL could not be fetched (network down, HTTP error, refused); the cache stays."""


@dataclass(frozen=True)
class TrustedListPointer:
    """A national list the LOTL points to."""

    territory: str
    location: str
    """The URL the list is published at."""
    signers: tuple[x509.Certificate, ...]
    """The certificates the list must be signed with."""


class Skipped(msgspec.Struct, frozen=True):
    """A list the refresh did not store (the cached copy, if any, stays)."""

    territory: str
    location: str
    reason: str


class RefreshSummary(msgspec.Struct, frozen=True):
    """What one refresh did."""

    stored: tuple[str, ...]
    """Territories whose list was verified and written."""
    skipped: tuple[Skipped, ...]
    removed: tuple[str, ...]
    """Territories no longer in the LOTL (or no longer selected), deleted from the cache."""


def read_lotl(
    xml: bytes, *, signers: Iterable[x509.Certificate], at: datetime, source: str = "LOTL"
) -> tuple[TrustedListPointer, ...]:
    """Verify the EU list of the lists at ``at`` and return its pointers to trusted lists.

    Raises:
        TrustedListInvalid: the signature does not verify, or the list cannot be read.
    """
    signed, _ = signed_list(TrustedList(xml, tuple(signers), source), at)
    try:
        parsed = parse_lotl_unsafe(signed)
    except Exception as exc:  # xsdata and pyHanko raise many kinds on malformed lists
        raise TrustedListInvalid(f"{source}: cannot be read: {exc}", source=source) from exc
    return tuple(
        TrustedListPointer(ref.territory, ref.location_uri, tuple(ref.tlso_certs))
        for ref in parsed.references
    )


def http_fetch(
    *,
    allowed_hosts: Collection[str],
    max_bytes: int = MAX_LIST_BYTES,
    timeout: float = 60.0,
    max_redirects: int = 3,
    plain_http: bool = False,
) -> Fetch:
    """The production fetcher: allowed hosts only (redirects too), bounded size, and https
    (``http://`` only on the loopback host, for a local mirror; as the profile allows).

    Args:
        plain_http: allow ``http://`` on every allowed host. For CRLs only: CAs publish them
            over plain HTTP (RFC 5280 §4.2.1.13), and each is signed and checked against its
            issuer when a signature is validated.
    """
    schemes = ("https", "http") if plain_http else ("https",)

    def check(url: str) -> None:
        parts = urlsplit(url)
        loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if parts.scheme not in schemes and not loopback:
            raise FetchRefused(f"{url}: not https")
        if parts.hostname not in allowed_hosts:
            raise FetchRefused(f"{url}: host not in allowed_hosts")

    async def fetch(url: str) -> bytes:
        limits = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 15.0))
        async with aiohttp.ClientSession(timeout=limits) as session:
            for _ in range(max_redirects + 1):
                check(url)
                async with session.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        url = urljoin(url, response.headers.get("Location", ""))
                        continue
                    response.raise_for_status()
                    if (response.content_length or 0) > max_bytes:
                        raise FetchRefused(f"{url}: larger than {max_bytes} bytes")
                    body = bytearray()
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        body += chunk
                        if len(body) > max_bytes:
                            raise FetchRefused(f"{url}: larger than {max_bytes} bytes")
                    return bytes(body)
        raise FetchRefused(f"{url}: more than {max_redirects} redirects")

    return fetch


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


async def refresh_trusted_lists(
    settings: Settings,
    *,
    now: datetime,
    fetch: Fetch,
    lotl_signers: Iterable[x509.Certificate] | None = None,
) -> RefreshSummary:
    """Fetch and verify the LOTL and the selected national lists; store those that verify.

    Args:
        now: the verification time of every list.
        fetch: how a URL is fetched (:func:`http_fetch` in production).
        lotl_signers: certificates the LOTL must be signed with; default pyHanko's bundled set.

    Raises:
        LotlUnavailable: the LOTL could not be fetched (nothing in the cache changes).
        TrustedListInvalid: the LOTL does not verify (nothing in the cache changes).
    """
    config = settings.profile.signatures
    try:
        lotl = await fetch(config.lotl_url)
    except Exception as exc:  # whatever the fetcher raises: network, HTTP status, refusal
        raise LotlUnavailable(f"{config.lotl_url}: {type(exc).__name__}: {exc}") from exc
    signers = latest_known_lotl_tlso_certs() if lotl_signers is None else list(lotl_signers)
    pointers = read_lotl(lotl, signers=signers, at=now, source=config.lotl_url)
    stored: list[str] = []
    skipped: list[Skipped] = []
    wanted: set[str] = set()
    for pointer in pointers:
        if pointer.location == config.lotl_url:
            continue  # the LOTL points to itself
        if config.territories and pointer.territory not in config.territories:
            continue
        reason = await _store(
            settings.trust_cache_dir,
            pointer,
            now=now,
            fetch=fetch,
            allowed_hosts=config.allowed_hosts,
        )
        if _TERRITORY.match(pointer.territory):
            wanted.add(pointer.territory)
        if reason is None:
            stored.append(pointer.territory)
        else:
            skipped.append(Skipped(pointer.territory, pointer.location, reason))
            log.warning(
                "trusted list skipped",
                extra={"territory": pointer.territory, "url": pointer.location, "reason": reason},
            )
    removed = _remove_unwanted(settings.trust_cache_dir, wanted)
    summary = RefreshSummary(stored=tuple(stored), skipped=tuple(skipped), removed=removed)
    log.info("trusted lists refreshed", extra={"stored": len(stored), "skipped": len(skipped)})
    return summary


async def _store(
    cache_dir: Path,
    pointer: TrustedListPointer,
    *,
    now: datetime,
    fetch: Fetch,
    allowed_hosts: Collection[str],
) -> str | None:
    """Fetch, verify and store one list; the reason it was skipped, or ``None``."""
    if not _TERRITORY.match(pointer.territory):
        return "territory is not a two-letter code"
    if urlsplit(pointer.location).hostname not in allowed_hosts:
        return "host not in allowed_hosts"
    try:
        xml = await fetch(pointer.location)
    except Exception as exc:  # any failure of one list must not stop the others
        return f"fetch failed: {type(exc).__name__}: {exc}"
    try:
        read_trusted_list(TrustedList(xml, pointer.signers, pointer.location), at=now)
    except TrustedListInvalid as exc:
        return exc.detail
    xml_path, signers_path = cache_paths(cache_dir, pointer.territory)
    armored = b"".join(pem.armor("CERTIFICATE", cert.dump()) for cert in pointer.signers)
    write_atomically(signers_path, armored)
    write_atomically(xml_path, xml)
    return None


def _remove_unwanted(cache_dir: Path, wanted: set[str]) -> tuple[str, ...]:
    removed = []
    for xml_path in sorted((cache_dir / "lists").glob("*.xml")):
        territory = xml_path.stem
        if territory in wanted:
            continue
        xml_path.unlink(missing_ok=True)
        cache_paths(cache_dir, territory)[1].unlink(missing_ok=True)
        removed.append(territory)
    return tuple(removed)
