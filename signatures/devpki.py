"""The development seal: a small PKI generated locally when no real seal is configured.

Development needs the same sealing path as production without a qualified seal or a timestamp
authority, so the first call generates — with certomancer — a root, a seal certificate (a
qualified e-seal in form: QC statements, organisation = the instance operator) and a timestamp
authority, and keeps them in ``<data dir>/dev-pki/``. Later calls reuse them, so documents sealed
yesterday still chain to the same root. CRLs and timestamps are made in-process at the moment
asked for: nothing is fetched, nothing listens on the network.

The keys are DEVELOPMENT KEYS: generated on this machine, mode 0600, and marked as such. The
platform's settings refuse production without a configured seal, so they never sign anything real.
"""

from __future__ import annotations

__all__ = ["DevelopmentSeal", "development_seal"]

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import crl, keys, pem, tsp, x509
from certomancer import PKIArchitecture
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from certomancer.services import CRLBuilder, choose_signed_digest
from certomancer.services import TimeStamper as CertomancerTimeStamper
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from infra.clock import Clock

DIRECTORY = "dev-pki"
_ENTITIES = ("root", "seal", "tsa")
_KEY_HEADER = b"# DEVELOPMENT KEY \xe2\x80\x94 generated locally, never use in production\n"
_CERT_HEADER = (
    b"# DEVELOPMENT CERTIFICATE \xe2\x80\x94 generated locally, never trust in production\n"
)
_QSEAL_STATEMENTS = [
    {"statement_id": "qc_compliance"},
    {"statement_id": "qc_sscd"},
    {"statement_id": "qc_type", "statement_info": ["qct_eseal"]},
]
_CRL_DP = {
    "id": "crl_distribution_points",
    "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}},
}


@dataclass(frozen=True)
class DevelopmentSeal:
    """The generated seal, its root and its timestamp authority, loaded from the data dir."""

    root: x509.Certificate
    """Self-signed root: the trust anchor development validation adds."""
    seal: x509.Certificate
    """The seal certificate (issued by ``root``)."""
    tsa: x509.Certificate
    """The timestamp authority's certificate (issued by ``root``)."""
    seal_key: keys.PrivateKeyInfo
    tsa_key: keys.PrivateKeyInfo
    root_key: keys.PrivateKeyInfo
    directory: Path
    """Where the files live (``<data dir>/dev-pki``)."""

    def signer(self) -> signers.SimpleSigner:
        """A pyHanko signer with the seal key that embeds the chain up to the root."""
        return signers.SimpleSigner(
            signing_cert=self.seal,
            signing_key=self.seal_key,
            cert_registry=SimpleCertificateStore.from_certs([self.root]),
        )

    def timestamper(self, clock: Clock) -> TimeStamper:
        """An in-process RFC 3161 authority stamping the clock's current time."""
        return _LocalTimeStamper(self, clock)

    def crls(self, at: datetime) -> list[crl.CertificateList]:
        """The root's CRL as issued at ``at`` (nothing is revoked), valid for a week."""
        builder = CRLBuilder(
            issuer_name=self.root.subject,
            issuer_key=self.root_key,
            signature_algo=choose_signed_digest("sha256", self.root.public_key),
            authority_key_identifier=self.root.key_identifier_value,
        )
        issued = at - timedelta(minutes=1)
        return [
            builder.build_crl(
                crl_number=int(issued.timestamp()),
                this_update=issued,
                next_update=at + timedelta(days=7),
                revoked_certs=[],
            )
        ]


class _LocalTimeStamper(TimeStamper):
    """pyHanko's timestamp client answered by certomancer's authority, without HTTP."""

    def __init__(self, pki: DevelopmentSeal, clock: Clock) -> None:
        super().__init__()
        self._pki = pki
        self._clock = clock

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        authority = CertomancerTimeStamper(
            tsa_cert=self._pki.tsa,
            tsa_key=self._pki.tsa_key,
            certs_to_embed=[self._pki.root],
            fixed_dt=self._clock.now(),
        )
        return authority.request_tsa_response(req)


def development_seal(data_dir: Path, *, operator: str, at: datetime) -> DevelopmentSeal:
    """Load the development seal from ``data_dir``, generating it first if needed.

    Args:
        data_dir: The instance's data directory; files go to ``<data_dir>/dev-pki``.
        operator: Who operates the instance: the seal certificate's organisation.
        at: Now. A seal missing, or no longer valid at this time, is (re)generated.
    """
    directory = data_dir / DIRECTORY
    try:
        pki = _load(directory)
    except FileNotFoundError:
        pki = None
    if pki is None or not _valid_at(pki.seal, at) or not _valid_at(pki.tsa, at):
        _generate(directory, operator=operator, at=at)
        pki = _load(directory)
    return pki


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return bool(validity["not_before"].native <= at < validity["not_after"].native)


def _load(directory: Path) -> DevelopmentSeal:
    def cert(name: str) -> x509.Certificate:
        _, _, der = pem.unarmor(_strip(directory / f"{name}.cert.pem"))
        return x509.Certificate.load(der)

    def key(name: str) -> keys.PrivateKeyInfo:
        _, _, der = pem.unarmor(_strip(directory / f"{name}.key.pem"))
        return keys.PrivateKeyInfo.load(der)

    return DevelopmentSeal(
        root=cert("root"),
        seal=cert("seal"),
        tsa=cert("tsa"),
        root_key=key("root"),
        seal_key=key("seal"),
        tsa_key=key("tsa"),
        directory=directory,
    )


def _strip(path: Path) -> bytes:
    """The PEM block of a file, without the header comment asn1crypto does not skip."""
    data = path.read_bytes()
    return data[data.index(b"-----BEGIN") :]


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only the owner can read, created so from the start."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _generate(directory: Path, *, operator: str, at: datetime) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_dir = directory / "generating"
    key_dir.mkdir(exist_ok=True, mode=0o700)
    try:
        for name in _ENTITIES:
            key = ec.generate_private_key(ec.SECP256R1())
            pem_key = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write_private(key_dir / f"{name}.key.pem", _KEY_HEADER + pem_key)
        arch = _architecture(key_dir, operator=operator, at=at)
        for name in _ENTITIES:
            cert = arch.get_cert(CertLabel(name))
            _write_private(
                directory / f"{name}.cert.pem", _CERT_HEADER + pem.armor("CERTIFICATE", cert.dump())
            )
            # the key last: a directory with a key always has its certificate
            (key_dir / f"{name}.key.pem").replace(directory / f"{name}.key.pem")
    finally:
        for leftover in key_dir.iterdir():
            leftover.unlink()
        key_dir.rmdir()


def _architecture(key_dir: Path, *, operator: str, at: datetime) -> PKIArchitecture:
    config = CertomancerConfig(_config(key_dir, operator=operator, at=at), str(key_dir))
    arch = config.get_pki_arch(ArchLabel("vergabe-development"))
    for name in _ENTITIES:  # fail here, not later, if a key did not load
        arch.key_set.get_private_key(KeyLabel(name))
    return arch


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _config(key_dir: Path, *, operator: str, at: datetime) -> dict[str, Any]:
    start = _stamp(at - timedelta(days=1))
    leaf_end = _stamp(at + timedelta(days=10 * 365))
    organisation = operator[:64]  # X.520 upper bound for organizationName
    return {
        "external-url-prefix": "http://dev-pki.invalid",
        "plugin-modules": ["pyhanko.sign.ades.qualified_asn1"],
        "keysets": {
            "development": {
                "path-prefix": str(key_dir),
                "keys": {name: {"path": f"{name}.key.pem"} for name in _ENTITIES},
            }
        },
        "pki-architectures": {
            "vergabe-development": {
                "keyset": "development",
                "entity-defaults": {"country-name": "DE", "organization-name": organisation},
                "entities": {
                    "root": {"common-name": "Vergabeplattform Development Root (NOT TRUSTED)"},
                    "seal": {"common-name": "Vergabeplattform Development Seal (NOT VALID)"},
                    "tsa": {"common-name": "Vergabeplattform Development TSA (NOT VALID)"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": {
                            "valid-from": start,
                            "valid-to": _stamp(at + timedelta(days=20 * 365)),
                        },
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
                    },
                    "seal": {
                        "issuer": "root",
                        "validity": {"valid-from": start, "valid-to": leaf_end},
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature", "non_repudiation"],
                                },
                            },
                            _CRL_DP,
                            {"id": "qc_statements", "value": _QSEAL_STATEMENTS},
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": {"valid-from": start, "valid-to": leaf_end},
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                            _CRL_DP,
                        ],
                    },
                },
                "services": {
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P7D",
                        }
                    },
                },
            }
        },
    }
