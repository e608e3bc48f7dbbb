"""The verdict rules on their own: labels and the per-signature decision table.

End-to-end runs (test_verify.py) only reach the certificates the test PKI issues. Here the
label is held to every QCStatements combination that matters (ETSI EN 319 412-5) — including a
seal that does not claim to be qualified, and malformed extensions — with certificates built in
the test, and :func:`signature_result` to each sub-indication and integrity finding with
synthetic pyHanko outcomes, so a change of the decision table shows here first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from asn1crypto import core, x509
from pyhanko.sign.ades import qualified_asn1
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESPassed, AdESSubIndic
from pyhanko.sign.diff_analysis import DiffResult
from pyhanko.sign.diff_analysis import ModificationLevel as PyModificationLevel
from pyhanko.sign.validation.ades import AdESBasicValidationResult, ValidationObjectSet
from pyhanko.sign.validation.qualified.q_status import (
    QcPrivateKeyManagementType,
    QualificationResult,
    QualifiedStatus,
)
from pyhanko.sign.validation.qualified.tsp import (
    BaseServiceInformation,
    CAServiceInformation,
    QcCertType,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signatures.schemas import (
    Coverage,
    Indication,
    Label,
    Level,
    ModificationLevel,
    Revocation,
    SignatureResult,
)
from signatures.verdict import label_for, signature_result
from tests.signatures.pki import TestPki

COMPLIANCE = {"statement_id": "qc_compliance"}
SSCD = {"statement_id": "qc_sscd"}


def qc_types(*types: str) -> dict[str, Any]:
    return {"statement_id": "qc_type", "statement_info": qualified_asn1.QcCertificateType(types)}


def with_extension(base: x509.Certificate, extension: x509.Extension) -> x509.Certificate:
    """``base`` with ``extension`` added (the signature no longer matches: labels ignore it)."""
    cert = x509.Certificate.load(base.dump())
    extensions = [*cert["tbs_certificate"]["extensions"], extension]
    cert["tbs_certificate"]["extensions"] = x509.Extensions(extensions)
    return x509.Certificate.load(cert.dump())


def qc_statements(*statements: dict[str, Any]) -> x509.Extension:
    return x509.Extension(
        {"extn_id": "qc_statements", "extn_value": qualified_asn1.QcStatements(statements)}
    )


def _tlv(tag: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def raw_qc_statements(value: bytes) -> x509.Extension:
    """A QCStatements extension holding ``value`` as is (asn1crypto refuses to build a
    malformed one, so the DER is put together by hand)."""
    oid = x509.ExtensionId("qc_statements").dump()
    return x509.Extension.load(_tlv(0x30, oid + _tlv(0x04, value)))


def unlisted() -> QualificationResult:
    """What pyHanko answers for a certificate no trusted-list service covers (plain anchor)."""
    return QualificationResult(
        QualifiedStatus(
            qualified=False,
            qc_type=QcCertType.QC_ESIGN,
            qc_key_security=QcPrivateKeyManagementType.UNKNOWN,
        ),
        service_definition=None,
    )


def listed(*, qualified: bool, qc_type: QcCertType, qscd: bool) -> QualificationResult:
    """pyHanko's answer under a qualified CA service of a trusted list."""
    service = CAServiceInformation(
        base_info=BaseServiceInformation(
            service_type="http://uri.etsi.org/TrstSvc/Svctype/CA/QC",
            service_name="Test-Trust Root CA",
            valid_from=datetime(2020, 1, 1, tzinfo=UTC),
            valid_until=None,
            provider_certs=(),
            additional_info_certificate_type=frozenset(),
            other_additional_info=frozenset(),
        ),
        qualifications=frozenset(),
        expired_certs_revocation_info=None,
    )
    key = QcPrivateKeyManagementType.QSCD if qscd else QcPrivateKeyManagementType.UNKNOWN
    return QualificationResult(
        QualifiedStatus(qualified=qualified, qc_type=qc_type, qc_key_security=key),
        service_definition=service,
    )


@pytest.fixture(scope="module")
def plain(pki: TestPki) -> x509.Certificate:
    """A certificate of the test PKI without QCStatements (signer-adv)."""
    return pki.cert("signer-adv")


class TestLabelWithoutATrustedList:
    @pytest.mark.parametrize(
        ("statements", "label"),
        [
            ((COMPLIANCE, SSCD, qc_types("qct_eseal")), Label.ADESEAL_QC),
            ((qc_types("qct_eseal"),), Label.ADESEAL),
            ((SSCD, qc_types("qct_eseal")), Label.ADESEAL),
            ((COMPLIANCE, SSCD, qc_types("qct_esign")), Label.ADESIG_QC),
            ((COMPLIANCE,), Label.ADESIG_QC),  # no QcType: an e-signature certificate
            ((qc_types("qct_esign"),), Label.ADESIG),
            ((COMPLIANCE, qc_types("qct_web")), Label.ADESIG),  # qualified, but not for signing
            ((COMPLIANCE, qc_types("qct_esign", "qct_eseal")), Label.ADESIG),  # ambiguous
            ((), Label.ADESIG),
        ],
    )
    def test_the_certificate_names_seal_or_signature_and_claims_at_most_qc(
        self, plain: x509.Certificate, statements: tuple[dict[str, Any], ...], label: Label
    ) -> None:
        cert = with_extension(plain, qc_statements(*statements))

        assert label_for(Indication.TOTAL_PASSED, unlisted(), cert) is label

    def test_without_any_assessment_the_claim_counts_the_same(
        self, plain: x509.Certificate
    ) -> None:
        cert = with_extension(plain, qc_statements(COMPLIANCE, qc_types("qct_eseal")))

        assert label_for(Indication.TOTAL_PASSED, None, cert) is Label.ADESEAL_QC

    @pytest.mark.parametrize(
        ("label", "expected"),
        [("seal", Label.ADESEAL_QC), ("signer-qes", Label.ADESIG_QC), ("signer-adv", Label.ADESIG)],
    )
    def test_the_test_pki_certificates(self, pki: TestPki, label: str, expected: Label) -> None:
        assert label_for(Indication.TOTAL_PASSED, unlisted(), pki.cert(label)) is expected

    @pytest.mark.parametrize(
        "value",
        [
            core.Integer(1).dump(),  # not a sequence of statements
            # QcCompliance, then a QcType whose information is an INTEGER, not a list of OIDs
            _tlv(
                0x30,
                _tlv(0x30, qualified_asn1.QcStatementId("qc_compliance").dump())
                + _tlv(
                    0x30,
                    qualified_asn1.QcStatementId("qc_type").dump() + core.Integer(1).dump(),
                ),
            ),
        ],
    )
    def test_a_malformed_extension_claims_nothing(
        self, plain: x509.Certificate, value: bytes
    ) -> None:
        cert = with_extension(plain, raw_qc_statements(value))

        assert label_for(Indication.TOTAL_PASSED, unlisted(), cert) is Label.ADESIG

    def test_without_a_certificate_an_advanced_signature(self) -> None:
        assert label_for(Indication.TOTAL_PASSED, None, None) is Label.ADESIG

    def test_an_indeterminate_signature_gets_nothing_from_its_claims(self, pki: TestPki) -> None:
        # its chain was not validated: the certificate may have been made by anyone
        assert label_for(Indication.INDETERMINATE, None, pki.cert("seal")) is (
            Label.INDETERMINATE_ADES
        )
        assert label_for(Indication.INDETERMINATE, unlisted(), pki.cert("seal")) is (
            Label.INDETERMINATE_ADES
        )


class TestLabelWithATrustedList:
    @pytest.mark.parametrize(
        ("assessment", "label"),
        [
            (listed(qualified=True, qc_type=QcCertType.QC_ESEAL, qscd=True), Label.QESEAL),
            (listed(qualified=True, qc_type=QcCertType.QC_ESIGN, qscd=True), Label.QESIG),
            (listed(qualified=True, qc_type=QcCertType.QC_ESEAL, qscd=False), Label.ADESEAL_QC),
            # the list overrules the certificate: not qualified, whatever it claims
            (listed(qualified=False, qc_type=QcCertType.QC_ESEAL, qscd=False), Label.ADESEAL),
            (listed(qualified=False, qc_type=QcCertType.QC_ESIGN, qscd=False), Label.ADESIG),
        ],
    )
    def test_the_listed_service_decides_over_the_certificate(
        self, pki: TestPki, assessment: QualificationResult, label: Label
    ) -> None:
        assert label_for(Indication.TOTAL_PASSED, assessment, pki.cert("seal")) is label

    def test_indeterminate_keeps_the_assessment(self, pki: TestPki) -> None:
        assessment = listed(qualified=True, qc_type=QcCertType.QC_ESIGN, qscd=True)

        label = label_for(Indication.INDETERMINATE, assessment, pki.cert("signer-qes"))

        assert label is Label.INDETERMINATE_QESIG

    def test_failed_is_never_ades(self, pki: TestPki) -> None:
        assessment = listed(qualified=True, qc_type=QcCertType.QC_ESIGN, qscd=True)

        label = label_for(Indication.TOTAL_FAILED, assessment, pki.cert("signer-qes"))

        assert label is Label.NOT_ADES


@dataclass
class _Timestamp:
    timestamp: datetime | None


@dataclass
class _Status:
    """The attributes of pyHanko's signature status the verdict reads."""

    bottom_line: bool = True
    revoked: bool = False
    timestamp_validity: _Timestamp | None = None
    qualification_result: QualificationResult | None = None


WHOLE = {
    "coverage": SignatureCoverageLevel.ENTIRE_FILE,
    "diff_result": None,
    "docmdp_ok": None,
}


def result(
    subindic: AdESSubIndic,
    status: _Status | None = None,
    *,
    cert: x509.Certificate | None = None,
    claimed: datetime | None = None,
    integrity: dict[str, Any] | None = None,
    detached: bool = False,
) -> SignatureResult:
    outcome: AdESBasicValidationResult[Any] = AdESBasicValidationResult(
        ades_subindic=subindic,
        api_status=_Status() if status is None else status,
        failure_msg=None,
        validation_objects=ValidationObjectSet(()),
    )
    return signature_result(
        outcome,
        field="Signature1",
        level=Level.PADES_B_T,
        process="with-time",
        claimed_time=claimed,
        signer_cert=cert,
        certification=False,
        integrity=WHOLE if integrity is None and not detached else integrity,
        detached=detached,
    )


class TestSignatureResult:
    @pytest.mark.parametrize(
        ("subindic", "indication", "code", "revocation"),
        [
            (AdESFailure.HASH_FAILURE, Indication.TOTAL_FAILED, "hash-failure", Revocation.UNKNOWN),
            (
                AdESFailure.SIG_CRYPTO_FAILURE,
                Indication.TOTAL_FAILED,
                "crypto-failure",
                Revocation.UNKNOWN,
            ),
            (AdESFailure.REVOKED, Indication.TOTAL_FAILED, "signature-revoked", Revocation.REVOKED),
            (
                AdESFailure.FORMAT_FAILURE,
                Indication.TOTAL_FAILED,
                "signature-failed",
                Revocation.UNKNOWN,
            ),
            (
                AdESIndeterminate.REVOKED_NO_POE,
                Indication.INDETERMINATE,
                "signature-revoked",
                Revocation.REVOKED,
            ),
            (
                AdESIndeterminate.EXPIRED,
                Indication.INDETERMINATE,
                "signature-expired",
                Revocation.UNKNOWN,
            ),
            (
                AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
                Indication.INDETERMINATE,
                "no-proof-of-time",
                Revocation.UNKNOWN,
            ),
            (
                AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND,
                Indication.INDETERMINATE,
                "not-trusted",
                Revocation.UNKNOWN,
            ),
            (
                AdESIndeterminate.TRY_LATER,
                Indication.INDETERMINATE,
                "revocation-unknown",
                Revocation.UNKNOWN,
            ),
            (
                AdESIndeterminate.SIG_CONSTRAINTS_FAILURE,
                Indication.INDETERMINATE,
                "indeterminate",
                Revocation.UNKNOWN,
            ),
        ],
    )
    def test_each_sub_indication_names_its_reason(
        self,
        subindic: AdESFailure | AdESIndeterminate,
        indication: Indication,
        code: str,
        revocation: Revocation,
    ) -> None:
        found = result(subindic)

        assert found.indication is indication
        assert found.subindication == subindic.name
        assert [r.code for r in found.reasons] == [code]
        assert found.revocation is revocation

    def test_passed_and_intact_has_no_reason(self) -> None:
        found = result(AdESPassed.OK)

        assert found.indication is Indication.TOTAL_PASSED
        assert found.subindication is None
        assert found.reasons == []
        assert found.revocation is Revocation.GOOD
        assert found.bottom_line is True

    def test_a_certificate_expired_before_the_proven_time_is_not_passed(self, pki: TestPki) -> None:
        proven = datetime(2026, 3, 10, tzinfo=UTC)  # signer-expired ended on 28 February
        status = _Status(timestamp_validity=_Timestamp(proven))

        found = result(AdESPassed.OK, status, cert=pki.cert("signer-expired"))

        assert found.indication is Indication.INDETERMINATE
        assert found.subindication == "OUT_OF_BOUNDS_NO_POE"
        assert [r.code for r in found.reasons] == ["signature-expired"]
        assert found.bottom_line is False
        assert found.timestamp_time == proven

    def test_a_certificate_expired_before_the_claimed_time_is_not_passed(
        self, pki: TestPki
    ) -> None:
        claimed = datetime(2026, 3, 10, tzinfo=UTC)

        found = result(AdESPassed.OK, cert=pki.cert("signer-expired"), claimed=claimed)

        assert found.indication is Indication.INDETERMINATE
        assert [r.code for r in found.reasons] == ["signature-expired"]

    def test_pyhankos_bottom_line_alone_still_says_why(self) -> None:
        found = result(AdESPassed.OK, _Status(bottom_line=False))

        assert found.indication is Indication.TOTAL_PASSED
        assert [r.code for r in found.reasons] == ["bottom-line"]

    def test_partial_coverage_and_a_forbidden_change_are_both_reasons(self) -> None:
        integrity = {
            "coverage": SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START,
            "diff_result": DiffResult(PyModificationLevel.FORM_FILLING, set()),
            "docmdp_ok": False,
        }

        found = result(AdESPassed.OK, integrity=integrity)

        assert found.coverage is Coverage.CONTIGUOUS_BLOCK
        assert found.modification_level is ModificationLevel.FORM_FILLING
        assert found.docmdp_ok is False
        assert [r.code for r in found.reasons] == ["partial-coverage", "modified-not-permitted"]

    def test_an_unexplained_change_outranks_the_docmdp_finding(self) -> None:
        integrity = {
            "coverage": SignatureCoverageLevel.ENTIRE_REVISION,
            "diff_result": DiffResult(PyModificationLevel.OTHER, set()),
            "docmdp_ok": False,
        }

        found = result(AdESIndeterminate.TRY_LATER, integrity=integrity)

        assert [r.code for r in found.reasons] == ["revocation-unknown", "modified-unexplained"]

    @pytest.mark.parametrize(
        ("coverage", "modification"),
        [
            (SignatureCoverageLevel.ENTIRE_FILE, ModificationLevel.NONE),
            # something follows the signature and pyHanko did not analyse it
            (SignatureCoverageLevel.ENTIRE_REVISION, ModificationLevel.OTHER),
        ],
    )
    def test_without_a_change_analysis_only_the_whole_file_is_unchanged(
        self, coverage: SignatureCoverageLevel, modification: ModificationLevel
    ) -> None:
        integrity = {"coverage": coverage, "diff_result": None, "docmdp_ok": None}

        found = result(AdESPassed.OK, integrity=integrity)

        assert found.modification_level is modification

    def test_a_detached_signature_covers_its_file_and_nothing_follows(self) -> None:
        found = result(AdESPassed.OK, detached=True, integrity=None)

        assert found.coverage is Coverage.DETACHED
        assert found.modification_level is ModificationLevel.NONE
        assert found.docmdp_ok is None
        assert found.reasons == []

    def test_the_label_comes_from_the_status_assessment(self, pki: TestPki) -> None:
        assessment = listed(qualified=True, qc_type=QcCertType.QC_ESEAL, qscd=True)

        found = result(
            AdESPassed.OK, _Status(qualification_result=assessment), cert=pki.cert("seal")
        )

        assert found.label is Label.QESEAL
        assert found.signer is not None
        assert found.signer.name == "Vergabeplattform Test Seal"
