"""A generated, signed trusted list (ETSI TS 119 612) and list of the lists for the test PKI.

The list names the test ``root`` as a qualified CA (CA/QC, for signatures and seals) and ``qtsa``
as a qualified timestamp service (QTST); ``tsa`` is deliberately missing, so its timestamps (it
chains to the root) are valid but not qualified. The root, not the issuing CA ``interm``, is
listed because pyHanko 0.33 cannot validate a CRL signed by the trust anchor itself (the anchor
is not part of the path it truncates to the CRL issuer): with ``interm`` as anchor every
CRL-only check fails with "chain of trust for the CRL issuer could not be determined".
``tlso`` signs the list (XAdES, ECDSA with SHA-256), as a national operator would.
:func:`make_lotl` builds an EU-style list of the lists pointing at such lists, for the refresh
tests. DEVELOPMENT DATA FOR TESTS ONLY.
"""

from __future__ import annotations

__all__ = [
    "TEST_LIST_ISSUED_AT",
    "TEST_TERRITORY",
    "install_test_trust",
    "make_lotl",
    "make_trusted_list",
    "sign_list",
]

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from asn1crypto import pem
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_der_private_key
from lxml import etree
from pyhanko.generated.etsi import MimeType, ts_119612
from pyhanko.sign.validation.qualified.eutl_parse import ETSI_TSL_MIME_TYPE, STATUS_GRANTED
from pyhanko.sign.validation.qualified.tsp import CA_QC_URI, QTST_URI
from signxml import SignatureMethod
from signxml.xades import XAdESSigner
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDateTime

from infra.settings import Settings
from signatures.trust import cache_paths
from tests.signatures.pki import TestPki

TEST_LIST_ISSUED_AT = datetime(2026, 3, 1, tzinfo=UTC)
"""When the generated list says it was issued (before the tests' present, PKI_NOW)."""
TEST_TERRITORY = "DE"
"""Territory the generated list claims (the cache file is named after it)."""
_SVCINFOEXT = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt"
_QUALIFIED_FOR = (f"{_SVCINFOEXT}/ForeSignatures", f"{_SVCINFOEXT}/ForeSeals")


def _names(text: str) -> ts_119612.InternationalNamesType:
    return ts_119612.InternationalNamesType((ts_119612.MultiLangNormStringType(text, lang="en"),))


def _service(
    pki: TestPki, label: str, service_type: str, *, extensions: Iterable[str] = ()
) -> ts_119612.TSPService:
    cert = pki.cert(label)
    info = ts_119612.ServiceInformation(
        service_type_identifier=ts_119612.ServiceTypeIdentifier(service_type),
        service_name=_names(cert.subject.native["common_name"]),
        service_digital_identity=ts_119612.ServiceDigitalIdentity(
            (ts_119612.DigitalIdentityType(x509_certificate=cert.dump()),)
        ),
        service_status=ts_119612.ServiceStatus(STATUS_GRANTED),
        status_starting_time=XmlDateTime.from_datetime(cert.not_valid_before),
        service_information_extensions=ts_119612.ExtensionsListType(
            tuple(
                ts_119612.Extension(
                    content=(
                        ts_119612.AdditionalServiceInformation(
                            uri=ts_119612.NonEmptyMultiLangURIType(uri, lang="en")
                        ),
                    ),
                    critical=False,
                )
                for uri in extensions
            )
        )
        if extensions
        else None,
    )
    return ts_119612.TSPService(service_information=info)


def _scheme(issued_at: datetime, **extra: object) -> ts_119612.SchemeInformation:
    return ts_119612.SchemeInformation(
        tslversion_identifier=5,
        tslsequence_number=1,
        scheme_operator_name=_names("Test Trusted List Operator"),
        list_issue_date_time=XmlDateTime.from_datetime(issued_at),
        next_update=ts_119612.NextUpdate(XmlDateTime.from_datetime(issued_at + timedelta(180))),
        **extra,  # type: ignore[arg-type]
    )


def sign_list(pki: TestPki, tsl: ts_119612.TrustServiceStatusList, *, signer: str) -> bytes:
    """Serialise ``tsl`` and sign it enveloped (XAdES) with the key of ``signer``."""
    root = etree.fromstring(XmlSerializer().render(tsl).encode())
    key: PrivateKeyTypes = load_der_private_key(pki.key(signer).dump(), password=None)
    signed = XAdESSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        root,
        key=key,
        cert=pem.armor("CERTIFICATE", pki.cert(signer).dump()).decode(),
        always_add_key_value=False,
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def make_trusted_list(
    pki: TestPki, *, qualified_tsa: str = "qtsa", issued_at: datetime, signer: str = "tlso"
) -> bytes:
    """The test PKI's national trusted list: ``root`` as CA/QC, ``qualified_tsa`` as QTST."""
    services = (
        _service(pki, "root", CA_QC_URI, extensions=_QUALIFIED_FOR),
        _service(pki, qualified_tsa, QTST_URI),
    )
    tsl = ts_119612.TrustServiceStatusList(
        scheme_information=_scheme(
            issued_at, scheme_territory=ts_119612.SchemeTerritory(TEST_TERRITORY)
        ),
        trust_service_provider_list=ts_119612.TrustServiceProviderList(
            (ts_119612.TrustServiceProvider(tspservices=ts_119612.TSPServices(services)),)
        ),
        id="TL-TEST",
    )
    return sign_list(pki, tsl, signer=signer)


def make_lotl(
    pki: TestPki,
    pointers: Iterable[tuple[str, str, str]],
    *,
    issued_at: datetime,
    signer: str = "tlso",
) -> bytes:
    """A list of the lists with one pointer per ``(territory, url, signer label)``."""
    tsl_pointers = tuple(
        ts_119612.OtherTSLPointer(
            service_digital_identities=ts_119612.ServiceDigitalIdentities(
                (
                    ts_119612.ServiceDigitalIdentity(
                        (ts_119612.DigitalIdentityType(x509_certificate=pki.cert(label).dump()),)
                    ),
                )
            ),
            tsllocation=url,
            additional_information=ts_119612.AdditionalInformation(
                other_information=(
                    ts_119612.AnyType(
                        content=(ts_119612.SchemeTerritory(territory), MimeType(ETSI_TSL_MIME_TYPE))
                    ),
                )
            ),
        )
        for territory, url, label in pointers
    )
    tsl = ts_119612.TrustServiceStatusList(
        scheme_information=_scheme(
            issued_at,
            scheme_territory=ts_119612.SchemeTerritory("EU"),
            scheme_information_uri=ts_119612.SchemeInformationURI(()),
            pointers_to_other_tsl=ts_119612.PointersToOtherTSL(tsl_pointers),
        ),
        id="LOTL-TEST",
    )
    return sign_list(pki, tsl, signer=signer)


def install_test_trust(
    settings: Settings, pki: TestPki, *, issued_at: datetime = TEST_LIST_ISSUED_AT
) -> None:
    """Write the test PKI's list and its signer into the trust cache, as the refresh would."""
    xml_path, signers_path = cache_paths(settings.trust_cache_dir, TEST_TERRITORY)
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    xml_path.write_bytes(make_trusted_list(pki, issued_at=issued_at))
    signers_path.write_bytes(pki.pem(["tlso"]))
