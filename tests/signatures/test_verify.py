"""Verification of PAdES and detached CAdES signatures against the test PKI (issue 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from signatures.errors import UnreadableDocument
from signatures.schemas import Coverage, Indication, Label, Level, Revocation, Verdict
from signatures.trust import TrustStore
from signatures.verify import Limits, verify_detached, verify_pdf
from tests.signatures.factories import (
    SIGNED_AT,
    add_document_timestamp,
    add_revocation_data,
    make_pdf,
    sign_cades_detached,
    sign_pdf,
    sign_unchecked,
)
from tests.signatures.pki import PKI_NOW, REVOKED_SINCE, TestPki

pytestmark = pytest.mark.asyncio

ETSI = "{http://uri.etsi.org/19102/v1.2.1#}"


@pytest.fixture(scope="module")
def document() -> bytes:
    return make_pdf(2)


@pytest.fixture(scope="module")
def anchors_only(pki: TestPki) -> TrustStore:
    """Trusts the test root as a plain anchor: no trusted list, so nothing is qualified."""
    return TrustStore(anchors=(pki.root,))


class TestLevels:
    async def test_given_b_lt_within_its_revocation_data_then_accepted_with_time(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document, level="B-LT")

        result = await verify_pdf(signed, trust=anchors_only, at=SIGNED_AT + timedelta(hours=1))

        assert result.report.verdict is Verdict.ACCEPTED
        (signature,) = result.report.signatures
        assert signature.level is Level.PADES_B_LT
        assert signature.process == "with-time"
        assert signature.timestamp_time == SIGNED_AT
        assert signature.revocation is Revocation.GOOD

    async def test_given_b_lta_then_accepted_as_qualified_with_all_details(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document, level="B-LTA")

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED
        (signature,) = result.report.signatures
        assert signature.level is Level.PADES_B_LTA
        assert signature.process == "lta"
        assert signature.indication is Indication.TOTAL_PASSED
        assert signature.subindication is None
        assert signature.label is Label.QESIG
        assert signature.signer is not None
        assert signature.signer.name == "Alice Muster"
        assert signature.signer.organisation == "Muster Bau GmbH"
        assert signature.signer.serial == format(pki.cert("signer-qes").serial_number, "x")
        assert "Test-Trust Qualified CA 1" in signature.signer.issuer
        assert signature.signing_time == SIGNED_AT
        assert signature.timestamp_time == SIGNED_AT
        assert signature.coverage is Coverage.ENTIRE_REVISION
        assert signature.revocation is Revocation.GOOD

    @pytest.mark.parametrize("level", ["B-B", "B-T"])
    async def test_given_no_revocation_data_then_review_never_accept(
        self, pki: TestPki, trust: TrustStore, document: bytes, level: str
    ) -> None:
        # Validation is offline: without revocation data nothing can be confirmed.
        signed = sign_pdf(pki, document, level=level)  # type: ignore[arg-type]

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.NEEDS_REVIEW
        (signature,) = result.report.signatures
        assert signature.indication is Indication.INDETERMINATE
        assert signature.process == ("basic" if level == "B-B" else "with-time")
        assert signature.label.value.startswith("Indeterminate")

    async def test_given_b_lt_after_its_revocation_data_expired_then_try_later(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document, level="B-LT")

        result = await verify_pdf(signed, trust=anchors_only, at=PKI_NOW)

        assert result.report.verdict is Verdict.NEEDS_REVIEW
        assert result.report.signatures[0].subindication == "TRY_LATER"
        assert [r.code for r in result.report.reasons] == ["revocation-unknown"]


class TestQualification:
    async def test_given_only_an_anchor_then_advanced_not_qualified(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        result = await verify_pdf(sign_pdf(pki, document), trust=anchors_only, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].label is Label.ADESIG

    async def test_given_a_non_qualified_signer_then_adesig(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        result = await verify_pdf(
            sign_pdf(pki, document, signer="signer-adv"), trust=trust, at=PKI_NOW
        )

        assert result.report.signatures[0].label is Label.ADESIG
        assert result.report.verdict is Verdict.ACCEPTED

    async def test_given_the_seal_then_qeseal(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        result = await verify_pdf(sign_pdf(pki, document, signer="seal"), trust=trust, at=PKI_NOW)

        assert result.report.signatures[0].label is Label.QESEAL

    async def test_given_a_non_qualified_tsa_then_still_qesig(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document, tsa="tsa")

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].label is Label.QESIG

    async def test_given_an_untrusted_root_then_indeterminate(
        self, pki: TestPki, document: bytes
    ) -> None:
        result = await verify_pdf(sign_pdf(pki, document), trust=TrustStore(), at=PKI_NOW)

        assert result.report.verdict is Verdict.NEEDS_REVIEW
        assert result.report.signatures[0].indication is Indication.INDETERMINATE


class TestTimeTravel:
    async def test_given_timestamped_before_revocation_then_still_valid(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(
            pki, document, signer="signer-revoked", at=REVOKED_SINCE - timedelta(days=10)
        )

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert PKI_NOW > REVOKED_SINCE
        assert result.report.verdict is Verdict.ACCEPTED

    async def test_given_signed_after_revocation_then_rejected(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signed_at = REVOKED_SINCE + timedelta(days=5)
        signed = add_revocation_data(
            pki,
            sign_unchecked(pki, document, signer="signer-revoked", at=signed_at),
            at=signed_at + timedelta(days=1),
            signer="signer-revoked",
        )

        result = await verify_pdf(
            signed, trust=anchors_only, at=signed_at + timedelta(days=1, hours=2)
        )

        assert result.report.verdict is Verdict.REJECTED
        assert result.report.signatures[0].revocation is Revocation.REVOKED
        assert "signature-revoked" in [r.code for r in result.report.reasons]

    async def test_given_signed_after_expiry_then_rejected(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signed_at = datetime(2026, 3, 10, tzinfo=UTC)  # the certificate expired on 28 Feb
        signed = add_revocation_data(
            pki,
            sign_unchecked(pki, document, signer="signer-expired", at=signed_at),
            at=signed_at,
            signer="signer-expired",
        )

        result = await verify_pdf(signed, trust=anchors_only, at=signed_at + timedelta(hours=2))

        assert result.report.verdict is Verdict.REJECTED
        assert result.report.signatures[0].subindication == "OUT_OF_BOUNDS_NO_POE"
        assert "signature-expired" in [r.code for r in result.report.reasons]

    async def test_given_an_archive_timestamp_added_later_then_accepted(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = add_document_timestamp(
            pki, sign_pdf(pki, document, level="B-LTA"), at=SIGNED_AT + timedelta(days=2)
        )

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.document_timestamps == 2


class TestEdgeRules:
    async def test_given_an_unsigned_pdf_then_no_signature(
        self, trust: TrustStore, document: bytes
    ) -> None:
        result = await verify_pdf(document, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.NO_SIGNATURE
        assert result.report.signatures == []
        assert [r.code for r in result.report.reasons] == ["no-signature"]

    async def test_given_whitespace_after_eof_then_still_accepted(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document) + b"\r\n  \n"

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED

    async def test_given_bytes_after_eof_then_rejected(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document) + b"\n1 0 obj (injected) endobj\n"

        result = await verify_pdf(signed, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.REJECTED
        assert "trailing-data" in [r.code for r in result.report.reasons]

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"", "empty"),
            (b"PK\x03\x04 not a pdf at all", "not-pdf"),
            (b"%PDF-1.7\n" + b"\x00garbage" * 50, "corrupt"),
        ],
    )
    async def test_given_unreadable_input_then_a_named_reason(
        self, trust: TrustStore, data: bytes, reason: str
    ) -> None:
        with pytest.raises(UnreadableDocument) as caught:
            await verify_pdf(data, trust=trust, at=PKI_NOW)

        assert caught.value.reason == reason
        assert caught.value.status_code == 422

    async def test_given_a_file_over_the_limit_then_too_large(
        self, trust: TrustStore, document: bytes
    ) -> None:
        with pytest.raises(UnreadableDocument) as caught:
            await verify_pdf(document, trust=trust, at=PKI_NOW, limits=Limits(max_bytes=100))

        assert caught.value.reason == "too-large"


class TestDetachedCades:
    async def test_given_a_detached_signature_then_accepted(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signature = sign_cades_detached(pki, document)

        result = await verify_detached(
            document, signature, trust=anchors_only, at=SIGNED_AT + timedelta(hours=1)
        )

        assert result.report.verdict is Verdict.ACCEPTED
        (only,) = result.report.signatures
        assert only.level is Level.CADES_B_T
        assert only.coverage is Coverage.DETACHED
        assert only.field is None
        assert only.label is Label.ADESIG

    async def test_given_the_document_changed_then_rejected(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signature = sign_cades_detached(pki, document)

        result = await verify_detached(document + b" ", signature, trust=trust, at=PKI_NOW)

        assert result.report.verdict is Verdict.REJECTED
        assert result.report.signatures[0].subindication == "HASH_FAILURE"

    async def test_given_a_signature_file_that_is_not_cms_then_unreadable(
        self, trust: TrustStore, document: bytes
    ) -> None:
        with pytest.raises(UnreadableDocument) as caught:
            await verify_detached(document, b"not a p7s", trust=trust, at=PKI_NOW)

        assert caught.value.reason == "not-cms"


class TestReports:
    async def test_the_etsi_xml_report_names_each_signature_and_its_indication(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        twice = sign_pdf(pki, sign_pdf(pki, document), field="Signature2")

        result = await verify_pdf(twice, trust=trust, at=PKI_NOW)

        root = etree.fromstring(result.etsi_xml)
        reports = root.findall(f"{ETSI}SignatureValidationReport")
        assert len(reports) == len(result.report.signatures) == 2
        indications = root.findall(f".//{ETSI}MainIndication")
        assert indications
        assert all("passed" in i.text.lower() for i in indications)

    async def test_the_json_report_round_trips(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        import msgspec

        from signatures.schemas import DocumentReport

        result = await verify_pdf(sign_pdf(pki, document), trust=trust, at=PKI_NOW)

        encoded = msgspec.json.encode(result.report)
        assert msgspec.json.decode(encoded, type=DocumentReport) == result.report
        assert result.report.sha256
        assert len(result.report.sha256) == 64
