"""Trust: what the platform trusts when it validates a signature (DESIGN.md §4).

A :class:`TrustStore` holds the qualified trust services read from verified trusted lists
(ETSI TS 119 612, as a pyHanko ``TSPRegistry``) and extra trust anchors (from the profile, or
given on the command line). Its trust manager is a ``TSPTrustManager`` — so that pyHanko assesses
qualification (ETSI TS 119 615) — that also accepts the extra anchors as plain roots.

A trusted list counts only after its XAdES signature verified, at the validation time, against
the signer certificates its pointer names (:func:`read_trusted_list`);
pyHanko's own ``trust_list_to_registry`` ignores the validation time, hence the check here.
:func:`load_trust_store` reads the cache the daily refresh fills (``signatures.trusted_lists``),
and the CRLs the hourly refresh fetches from the profile's ``crl_urls`` (``signatures.revocation``):
validation adds them to the revocation data a document carries. A CRL's signature is checked
against its issuer when it is used, so it needs no check of its own here.
"""

from __future__ import annotations

__all__ = [
    "TrustStore",
    "TrustedList",
    "build_trust_store",
    "cache_paths",
    "crl_cache_path",
    "load_cached_crls",
    "load_certificates",
    "load_trust_store",
    "read_crl",
    "read_trusted_list",
    "signed_list",
]

import functools
import hashlib
import logging
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import pem, x509
from asn1crypto.crl import CertificateList
from cryptography.x509 import load_der_x509_certificate
from pyhanko.generated.etsi.ts_119612 import TrustServiceStatusList
from pyhanko.sign.validation.qualified.eutl_parse import read_qualified_service_definitions
from pyhanko.sign.validation.qualified.tsp import (
    CAServiceInformation,
    QTSTServiceInformation,
    TSPRegistry,
    TSPTrustManager,
)
from pyhanko_certvalidator.authority import (
    Authority,
    AuthorityWithCert,
    CertTrustAnchor,
    TrustAnchor,
)
from pyhanko_certvalidator.registry import TrustManager
from signxml.exceptions import SignXMLException
from signxml.xades.xades import XAdESSignatureConfiguration, XAdESVerifier

from infra.settings import Settings
from signatures.errors import TrustedListInvalid

log = logging.getLogger("vergabe.signatures.trust")

_TSL_TAG = f"{{{TrustServiceStatusList.Meta.namespace}}}TrustServiceStatusList"
Service = CAServiceInformation | QTSTServiceInformation


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates from PEM (one or more blocks) or a single DER certificate.

    Raises:
        ValueError: the data holds no certificate.
    """
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


class _TrustListsAndAnchors(TSPTrustManager):
    """Qualified services from trusted lists, plus plain anchors that carry no qualification."""

    def __init__(self, registry: TSPRegistry, anchors: Iterable[x509.Certificate]) -> None:
        super().__init__(registry)
        self._anchors = {cert.sha256: CertTrustAnchor(cert) for cert in anchors}

    def is_root(self, cert: x509.Certificate) -> bool:
        return cert.sha256 in self._anchors or super().is_root(cert)

    def as_trust_anchor(self, authority: Authority) -> TrustAnchor | None:
        found = super().as_trust_anchor(authority)
        if found is not None:
            # A listed CA comes with its certificate; anchor it as such, so that CRLs it
            # issues can be checked (a name-and-key-only anchor leaves the CRL issuer's
            # chain undetermined in pyhanko-certvalidator 0.33).
            if isinstance(authority, AuthorityWithCert):
                return CertTrustAnchor(authority.certificate, quals=found.trust_qualifiers)
            return found
        for anchor in self._anchors.values():
            if anchor.authority.hashable == authority.hashable:
                return anchor
        return None

    def find_potential_issuers(self, cert: x509.Certificate) -> Generator[TrustAnchor, None, None]:
        yield from super().find_potential_issuers(cert)
        for anchor in self._anchors.values():
            if anchor.authority.is_potential_issuer_of(cert):
                yield anchor


@dataclass(frozen=True)
class TrustStore:
    """Everything a validation may chain up to; immutable, shared between validations."""

    registry: TSPRegistry = field(default_factory=TSPRegistry)
    """Qualified CA and timestamp services from verified trusted lists."""
    anchors: tuple[x509.Certificate, ...] = ()
    """Extra roots trusted as they are (no qualification follows from them)."""
    crls: tuple[CertificateList, ...] = ()
    """CRLs from the allow-listed refresh, used besides the revocation data of each document."""

    def trust_manager(self) -> TrustManager:
        """A pyHanko trust manager over the trusted lists and the extra anchors (one per store:
        it holds no state of a validation, and building it hashes every anchor)."""
        return self._manager

    @functools.cached_property
    def _manager(self) -> TrustManager:
        return _TrustListsAndAnchors(self.registry, self.anchors)


@dataclass(frozen=True)
class TrustedList:
    """A trusted list (ETSI TS 119 612) as fetched, with the certificates allowed to sign it."""

    xml: bytes
    signers: tuple[x509.Certificate, ...]
    """The signer certificates its pointer (in the LOTL) names; the list must verify with one."""
    source: str = "trusted list"
    """Where it came from (URL or file), for messages."""


def signed_list(tl: TrustedList, at: datetime) -> tuple[str, x509.Certificate]:
    """The signed ``TrustServiceStatusList`` (as signed, not as sent) and the cert it verified with.

    Raises:
        TrustedListInvalid: no signer certificate, valid at ``at``, verifies the signature.
    """
    failures = []
    for cert in sorted(tl.signers, key=lambda c: c.not_valid_before, reverse=True):
        name = f"{cert.subject.human_friendly} ({cert.sha256.hex()[:16]})"
        if not cert.not_valid_before <= at <= cert.not_valid_after:
            failures.append(f"{name}: not valid at {at.isoformat()}")
            continue
        config = XAdESSignatureConfiguration(
            require_x509=True, expect_references=True, verification_time=at
        )
        try:
            results = XAdESVerifier().verify(
                tl.xml, x509_cert=load_der_x509_certificate(cert.dump()), expect_config=config
            )
        except (SignXMLException, SyntaxError, ValueError) as exc:  # lxml: SyntaxError
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        for result in results:
            if result.signed_xml is not None and result.signed_xml.tag == _TSL_TAG:
                return result.signed_data.decode("utf-8"), cert
        failures.append(f"{name}: the signature does not cover the list")
    reasons = "; ".join(failures) or "no signer certificate"
    raise TrustedListInvalid(f"{tl.source}: signature not verified: {reasons}", source=tl.source)


def _services(tl: TrustedList, at: datetime) -> tuple[tuple[Service, ...], x509.Certificate]:
    signed, signer = signed_list(tl, at)
    services: list[Service] = []
    definitions = read_qualified_service_definitions(signed)
    try:
        while True:
            services.append(next(definitions))  # type: ignore[arg-type]
    except StopIteration as done:
        for error in done.value or ():
            log.warning(
                "trusted list entry ignored", extra={"source": tl.source, "error": str(error)}
            )
    except Exception as exc:  # xsdata and pyHanko raise many kinds on malformed lists
        raise TrustedListInvalid(f"{tl.source}: cannot be read: {exc}", source=tl.source) from exc
    return tuple(services), signer


def _register(registry: TSPRegistry, services: Iterable[Service]) -> None:
    for service in services:
        if isinstance(service, CAServiceInformation):
            registry.register_ca(service)
        else:
            registry.register_tst(service)


def read_trusted_list(tl: TrustedList, *, at: datetime) -> TSPRegistry:
    """Verify ``tl`` at ``at`` and read its qualified CA and timestamp services.

    Raises:
        TrustedListInvalid: the signature does not verify, or the list cannot be read.
    """
    registry = TSPRegistry()
    _register(registry, _services(tl, at)[0])
    return registry


def build_trust_store(
    *,
    anchors: Iterable[x509.Certificate] = (),
    trusted_lists: Iterable[TrustedList] = (),
    at: datetime,
) -> TrustStore:
    """One store from extra anchors and several lists, each verified at ``at``.

    Raises:
        TrustedListInvalid: one of the lists does not verify.
    """
    registry = TSPRegistry()
    for tl in trusted_lists:
        _register(registry, _services(tl, at)[0])
    return TrustStore(registry=registry, anchors=tuple(anchors))


def cache_paths(cache_dir: Path, territory: str) -> tuple[Path, Path]:
    """Where the refresh keeps a territory's list and the certificates allowed to sign it.

    Layout of ``settings.trust_cache_dir``: ``lists/<territory>.xml`` with
    ``lists/<territory>.signers.pem``, ``anchors/*.pem`` for extra roots an operator (or the
    development seal) puts there, and ``crls/*.crl`` (:func:`crl_cache_path`).
    """
    return (
        cache_dir / "lists" / f"{territory}.xml",
        cache_dir / "lists" / f"{territory}.signers.pem",
    )


def crl_cache_path(cache_dir: Path, url: str) -> Path:
    """Where the revocation refresh keeps the CRL published at ``url`` (DER):
    ``crls/<sha256 of the URL>.crl``."""
    return cache_dir / "crls" / f"{hashlib.sha256(url.encode()).hexdigest()}.crl"


def read_crl(data: bytes) -> CertificateList:
    """A CRL from DER or PEM (``X509 CRL``), every field parsed once to be sure it can be.

    Raises:
        ValueError: the data is not exactly one CRL.
    """
    try:
        der = data
        if pem.detect(data):
            kind, _, der = pem.unarmor(data)
            if kind != "X509 CRL":
                raise ValueError(f"a PEM {kind!r} block")
        # Parse a throwaway copy in full (asn1crypto parses lazily); the one returned stays
        # lazy, so that a large CRL is not held twice, as ASN.1 and as Python values.
        _ = CertificateList.load(der, strict=True).native
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"not a CRL: {exc}") from exc
    return CertificateList.load(der)


def load_cached_crls(directory: Path) -> tuple[CertificateList, ...]:
    """Every CRL in ``directory`` (``*.crl``); an unreadable file is left out and logged.

    Whether a CRL is fresh and authentic is decided when a signature is validated.
    """
    crls: list[CertificateList] = []
    for path in sorted(directory.glob("*.crl")):
        try:
            crls.append(read_crl(path.read_bytes()))
        except (OSError, ValueError) as exc:
            log.error("CRL left out", extra={"path": str(path), "error": str(exc)})
    return tuple(crls)


_FileKey = tuple[int, int, int]


def _file_key(path: Path) -> _FileKey:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _directory_key(directory: Path, pattern: str) -> tuple[tuple[str, _FileKey], ...]:
    keys = []
    for path in sorted(directory.glob(pattern)):
        try:
            keys.append((path.name, _file_key(path)))
        except OSError:  # removed since the listing
            continue
    return tuple(keys)


class _Loader:
    """Parsed lists, anchors and CRLs by file identity, so that loading again costs ~nothing.

    A list's verdict depends on its bytes and on which of its signer certificates are valid at
    the validation time (signxml uses the time for nothing else), so that is the cache key.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._certs: dict[Path, tuple[_FileKey, tuple[x509.Certificate, ...]]] = {}
        self._lists: dict[Path, tuple[object, tuple[Service, ...]]] = {}
        self._crls: tuple[object, tuple[CertificateList, ...]] | None = None
        self._store: tuple[object, TrustStore] | None = None

    def certificates(self, path: Path) -> tuple[_FileKey, tuple[x509.Certificate, ...]]:
        key = _file_key(path)
        cached = self._certs.get(path)
        if cached is None or cached[0] != key:
            cached = key, tuple(load_certificates(path.read_bytes()))
            self._certs[path] = cached
        return cached

    def trusted_list(self, path: Path, at: datetime) -> tuple[object, tuple[Service, ...]]:
        signers_key, signers = self.certificates(path.with_suffix(".signers.pem"))
        valid = frozenset(
            c.sha256 for c in signers if c.not_valid_before <= at <= c.not_valid_after
        )
        key = (_file_key(path), signers_key, valid)
        cached = self._lists.get(path)
        if cached is None or cached[0] != key:
            tl = TrustedList(path.read_bytes(), signers, source=str(path))
            try:
                services = _services(tl, at)[0]
            except TrustedListInvalid as exc:
                log.error("trusted list left out", extra={"path": str(path), "error": exc.detail})
                services = ()
            cached = key, services
            self._lists[path] = cached
        return cached

    def crls(self, directory: Path) -> tuple[object, tuple[CertificateList, ...]]:
        """All CRLs of ``directory``, read again whenever one of its files changed."""
        key = (directory, _directory_key(directory, "*.crl"))
        if self._crls is None or self._crls[0] != key:
            self._crls = key, load_cached_crls(directory)
        return self._crls

    def load(
        self,
        anchor_files: Iterable[Path],
        list_files: Iterable[Path],
        crl_dir: Path,
        at: datetime,
    ) -> TrustStore:
        with self._lock:
            anchors: list[tuple[object, tuple[x509.Certificate, ...]]] = []
            for path in anchor_files:
                try:
                    anchors.append(self.certificates(path))
                except (OSError, ValueError) as exc:
                    log.error("trust anchor left out", extra={"path": str(path), "error": str(exc)})
            lists: list[tuple[object, tuple[Service, ...]]] = []
            for path in list_files:
                try:
                    lists.append(self.trusted_list(path, at))
                except (OSError, ValueError) as exc:
                    log.error("trusted list left out", extra={"path": str(path), "error": str(exc)})
            crls_key, crls = self.crls(crl_dir)
            key = (tuple(k for k, _ in anchors), tuple(k for k, _ in lists), crls_key)
            if self._store is None or self._store[0] != key:
                registry = TSPRegistry()
                for _, services in lists:
                    _register(registry, services)
                certs = tuple(cert for _, group in anchors for cert in group)
                self._store = key, TrustStore(registry=registry, anchors=certs, crls=crls)
            return self._store[1]


_LOADER = _Loader()


def load_trust_store(settings: Settings, *, at: datetime) -> TrustStore:
    """The anchors of the profile and the cache, every cached list that verifies at ``at``, and
    the cached CRLs.

    A list that does not verify is left out and logged, never trusted. Unchanged files are not
    read again; the first call after a refresh verifies the new lists and reads the new CRLs
    (seconds, so call it from a worker thread, not the event loop).
    """
    cache_dir = settings.trust_cache_dir
    anchor_files = [
        *settings.profile.signatures.trust_anchors,
        *sorted((cache_dir / "anchors").glob("*.pem")),
    ]
    list_files = sorted((cache_dir / "lists").glob("*.xml"))
    return _LOADER.load(anchor_files, list_files, cache_dir / "crls", at)
