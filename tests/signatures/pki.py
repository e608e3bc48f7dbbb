"""The test PKI: a declarative certomancer architecture with keys generated per test session.

DEVELOPMENT KEYS FOR TESTS ONLY: every private key is generated fresh into a temporary directory
when the session starts; nothing here is a secret and nothing is committed.

Entities (all dates fixed, so the tests run the same on any day):
- ``root`` → ``interm`` (issuing CA, CRLs and an OCSP responder ``interm-ocsp``);
- ``signer-qes``: a qualified certificate for e-signatures on a QSCD (Alice Muster);
- ``signer-adv``: an ordinary (advanced, not qualified) certificate (Bob Beispiel);
- ``signer-revoked``: qualified, revoked on 2026-03-20 (Carla Widerruf);
- ``signer-expired``: qualified, expired on 2026-02-28 (Dieter Abgelaufen);
- ``seal``: the platform seal, a qualified e-seal certificate of a legal person;
- ``qtsa`` (listed as qualified in the trusted list) and ``tsa`` (not listed);
- ``tlso``: the operator signing the generated trusted list.
"""

from __future__ import annotations

__all__ = ["PKI_NOW", "REVOKED_SINCE", "TestPki", "build_test_pki"]

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl, keys, ocsp, tsp, x509
from certomancer import PKIArchitecture
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel, ServiceLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

PKI_NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
"""The tests' present (same as tests.conftest.TEST_START)."""
REVOKED_SINCE = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)

_KEYS = (
    "root",
    "interm",
    "interm-ocsp",
    "tsa",
    "qtsa",
    "tlso",
    "signer-qes",
    "signer-adv",
    "signer-revoked",
    "signer-expired",
    "seal",
)

_QES = [
    {"statement_id": "qc_compliance"},
    {"statement_id": "qc_sscd"},
    {"statement_id": "qc_type", "statement_info": ["qct_esign"]},
]
_QSEAL = [
    {"statement_id": "qc_compliance"},
    {"statement_id": "qc_sscd"},
    {"statement_id": "qc_type", "statement_info": ["qct_eseal"]},
]
_LEAF_EXTENSIONS = [
    {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]},
    },
    {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}},
    },
    {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}},
    },
]


def _leaf(*, valid_from: str, valid_to: str, qc: list[dict[str, Any]] | None) -> dict[str, Any]:
    extensions = copy.deepcopy(_LEAF_EXTENSIONS)
    if qc is not None:
        extensions.append({"id": "qc_statements", "value": qc})
    return {
        "issuer": "interm",
        "validity": {"valid-from": valid_from, "valid-to": valid_to},
        "extensions": extensions,
    }


def _config(key_dir: Path) -> dict[str, Any]:
    tsa_extensions = [
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
        },
        {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
        {
            "id": "crl_distribution_points",
            "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}},
        },
    ]
    return {
        "external-url-prefix": "http://pki.test.invalid",
        "plugin-modules": ["pyhanko.sign.ades.qualified_asn1"],
        "keysets": {
            "vergabe-test": {
                "path-prefix": str(key_dir),
                "keys": {name: {"path": f"{name}.key.pem"} for name in _KEYS},
            }
        },
        "pki-architectures": {
            "vergabe-test": {
                "keyset": "vergabe-test",
                "entity-defaults": {"country-name": "DE", "organization-name": "Test-Trust GmbH"},
                "entities": {
                    "root": {"common-name": "Test-Trust Root CA"},
                    "interm": {"common-name": "Test-Trust Qualified CA 1"},
                    "interm-ocsp": {"common-name": "Test-Trust OCSP Responder"},
                    "tsa": {"common-name": "Test-Trust TSA (not qualified)"},
                    "qtsa": {"common-name": "Test-Trust Qualified TSA"},
                    "tlso": {"common-name": "Test Trusted List Operator"},
                    "signer-qes": {
                        "common-name": "Alice Muster",
                        "organization-name": "Muster Bau GmbH",
                    },
                    "signer-adv": {
                        "common-name": "Bob Beispiel",
                        "organization-name": "Beispiel AG",
                    },
                    "signer-revoked": {
                        "common-name": "Carla Widerruf",
                        "organization-name": "Widerruf KG",
                    },
                    "signer-expired": {
                        "common-name": "Dieter Abgelaufen",
                        "organization-name": "Alt OHG",
                    },
                    "seal": {
                        "common-name": "Vergabeplattform Test Seal",
                        "organization-name": "Freie Hansestadt Bremen (Test)",
                    },
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2040-01-01T00:00:00+0000",
                        },
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
                    },
                    "interm": {
                        "issuer": "root",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2035-01-01T00:00:00+0000",
                        },
                        "profiles": [
                            {
                                "id": "simple-ca",
                                "params": {
                                    "max-path-len": 0,
                                    "crl-repo": "root",
                                    "ocsp-service": "interm",
                                },
                            }
                        ],
                    },
                    "interm-ocsp": {
                        "issuer": "interm",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2035-01-01T00:00:00+0000",
                        },
                        "profiles": ["ocsp-responder"],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2035-01-01T00:00:00+0000",
                        },
                        "extensions": tsa_extensions,
                    },
                    "qtsa": {"template": "tsa", "subject": "qtsa", "subject-key": "qtsa"},
                    "tlso": {
                        "issuer": "root",
                        "validity": {
                            "valid-from": "2020-01-01T00:00:00+0000",
                            "valid-to": "2035-01-01T00:00:00+0000",
                        },
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            }
                        ],
                    },
                    "signer-qes": _leaf(
                        valid_from="2025-01-01T00:00:00+0000",
                        valid_to="2029-01-01T00:00:00+0000",
                        qc=_QES,
                    ),
                    "signer-adv": _leaf(
                        valid_from="2025-01-01T00:00:00+0000",
                        valid_to="2029-01-01T00:00:00+0000",
                        qc=None,
                    ),
                    "signer-revoked": {
                        **_leaf(
                            valid_from="2025-01-01T00:00:00+0000",
                            valid_to="2029-01-01T00:00:00+0000",
                            qc=_QES,
                        ),
                        "revocation": {
                            "revoked-since": "2026-03-20T00:00:00+0000",
                            "reason": "key_compromise",
                        },
                    },
                    "signer-expired": _leaf(
                        valid_from="2024-01-01T00:00:00+0000",
                        valid_to="2026-02-28T00:00:00+0000",
                        qc=_QES,
                    ),
                    "seal": _leaf(
                        valid_from="2025-01-01T00:00:00+0000",
                        valid_to="2031-01-01T00:00:00+0000",
                        qc=_QSEAL,
                    ),
                },
                "services": {
                    "ocsp": {
                        "interm": {
                            "for-issuer": "interm",
                            "responder-cert": "interm-ocsp",
                            "signing-key": "interm-ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        },
                        "interm": {
                            "for-issuer": "interm",
                            "signing-key": "interm",
                            "simulated-update-schedule": "P1D",
                        },
                    },
                    "cert-repo": {
                        "root": {"for-issuer": "root", "publish-issued-certs": True},
                        "interm": {"for-issuer": "interm", "publish-issued-certs": True},
                    },
                    "time-stamping": {
                        "tsa": {"signing-key": "tsa", "signing-cert": "tsa"},
                        "qtsa": {"signing-key": "qtsa", "signing-cert": "qtsa"},
                    },
                },
            }
        },
    }


def _generate_keys(key_dir: Path) -> None:
    key_dir.mkdir(parents=True, exist_ok=True)
    for name in _KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (key_dir / f"{name}.key.pem").write_bytes(pem)


@dataclass(frozen=True)
class TestPki:
    """The generated architecture and shortcuts to what tests sign and validate with."""

    __test__ = False  # not a test class, despite the name

    arch: PKIArchitecture
    key_dir: Path

    def cert(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    def key(self, label: str) -> keys.PrivateKeyInfo:
        return self.arch.key_set.get_private_key(KeyLabel(label))

    @property
    def root(self) -> x509.Certificate:
        return self.cert("root")

    def chain(self) -> list[x509.Certificate]:
        """Certificates a signature embeds besides the signer's own."""
        return [self.cert("interm"), self.root]

    def signer(self, label: str) -> signers.SimpleSigner:
        """A pyHanko signer for ``label`` that embeds the chain up to the root."""
        return signers.SimpleSigner(
            signing_cert=self.cert(label),
            signing_key=self.key(label),
            cert_registry=SimpleCertificateStore.from_certs(self.chain()),
        )

    def timestamper(self, label: str, at: datetime) -> TimeStamper:
        """An in-process RFC 3161 authority ``label`` (``tsa`` or ``qtsa``) stamping ``at``."""
        return _CertomancerTimeStamper(
            self.arch.service_registry.summon_timestamper(ServiceLabel(label), at)
        )

    def crls(self, at: datetime) -> list[crl.CertificateList]:
        """Both CRLs as the repositories publish them at ``at``."""
        registry = self.arch.service_registry
        return [
            registry.get_crl(ServiceLabel("interm"), at_time=at),
            registry.get_crl(ServiceLabel("root"), at_time=at),
        ]

    def ocsp_response(self, label: str, at: datetime) -> ocsp.OCSPResponse:
        """The OCSP answer for certificate ``label`` as the responder gives it at ``at``."""
        responder = self.arch.service_registry.summon_responder(ServiceLabel("interm"), at)
        cert = self.cert(label)
        issuer = self.cert("interm")
        request = ocsp.OCSPRequest(
            {
                "tbs_request": {
                    "request_list": [
                        {
                            "req_cert": {
                                "hash_algorithm": {"algorithm": "sha256"},
                                "issuer_name_hash": issuer.subject.sha256,
                                "issuer_key_hash": issuer.public_key.sha256,
                                "serial_number": cert.serial_number,
                            }
                        }
                    ]
                }
            }
        )
        return responder.build_ocsp_response(request)

    def pem(self, labels: Iterable[str]) -> bytes:
        from asn1crypto import pem

        return b"".join(pem.armor("CERTIFICATE", self.cert(label).dump()) for label in labels)


class _CertomancerTimeStamper(TimeStamper):
    """pyHanko's timestamp client talking to certomancer's authority without HTTP."""

    def __init__(self, authority: Any) -> None:
        super().__init__()
        self._authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self._authority.request_tsa_response(req)


def build_test_pki(key_dir: Path) -> TestPki:
    """Generate keys into ``key_dir`` and build the architecture from the declaration above."""
    _generate_keys(key_dir)
    config = CertomancerConfig(_config(key_dir), str(key_dir))
    arch = config.get_pki_arch(ArchLabel("vergabe-test"))
    return TestPki(arch=arch, key_dir=key_dir)
