"""Verification of PAdES and detached CAdES signatures against the test PKI (issue 4)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO

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
    """Trusts the test root as a plain anchor: no trusted list, so nothing is confirmed as
    qualified (a certificate's own claim gives at most AdESig-QC / AdESeal-QC)."""
    return TrustStore(anchors=(pki.root,))


def pdf_with_object_stream(filler: int) -> bytes:
    """A one-page PDF whose catalog, pages, form and font sit in one Flate object stream that
    also holds an unreferenced hex string of ``filler`` zeros: a stream a reader must inflate
    to reach the document, inflating to ~``filler`` bytes from ~``filler / 1000``."""
    packed = {
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        5: b"<< /Fields [] >>",
        6: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        7: b"<" + b"0" * filler + b">",
    }
    index = b""
    objects = b""
    for number, body in packed.items():
        index += b"%d %d " % (number, len(objects))
        objects += body + b"\n"
    data = zlib.compress(index + b"\n" + objects, 9)
    content = b"BT /F1 18 Tf 72 720 Td (Angebot) Tj ET"
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {4: out.tell()}
    out.write(
        b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(content), content)
    )
    offsets[8] = out.tell()
    out.write(
        b"8 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(packed), len(index) + 1, len(data))
        + data
        + b"\nendstream\nendobj\n"
    )
    offsets[9] = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, 10):
        if number in packed:
            rows.append(struct.pack(">BIH", 2, 8, list(packed).index(number)))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref = b"".join(rows)
    out.write(
        b"9 0 obj\n<< /Type /XRef /Size 10 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(xref)
        + xref
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[9]
    )
    return out.getvalue()


@pytest.fixture(scope="module")
def inflating(pki: TestPki) -> bytes:
    """A B-LT signed PDF whose original revision keeps its objects in a 3 MiB object stream.

    The change analysis of the DSS revision after the signature reads the signed revision's
    objects, so validation must inflate that stream. 3 MiB stays under pyHanko's own limit for
    object streams (4 MiB at this ratio), so only :class:`Limits` decides here.
    """
    return sign_pdf(pki, pdf_with_object_stream(3 * 1024 * 1024), level="B-LT")


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
        # signer-qes declares QcCompliance, QcSSCD and QcType esign (tests/signatures/pki.py).
        # Without a trusted list confirming that, the claim makes an advanced signature with a
        # certificate that claims to be qualified (AdESig-QC), never a qualified one (QESig).
        result = await verify_pdf(sign_pdf(pki, document), trust=anchors_only, at=PKI_NOW)

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].label is Label.ADESIG_QC

    @pytest.mark.parametrize(
        ("signer", "label"),
        [
            ("seal", Label.ADESEAL_QC),  # QcCompliance, QcSSCD, QcType eseal
            ("signer-adv", Label.ADESIG),  # no QCStatements at all
        ],
    )
    async def test_given_only_an_anchor_then_the_certificate_names_seal_and_claim(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes, signer: str, label: Label
    ) -> None:
        result = await verify_pdf(
            sign_pdf(pki, document, signer=signer), trust=anchors_only, at=PKI_NOW
        )

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].label is label

    async def test_given_b_lt_and_the_trusted_list_then_qesig(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signed = sign_pdf(pki, document, level="B-LT")

        result = await verify_pdf(signed, trust=trust, at=SIGNED_AT + timedelta(hours=1))

        assert result.report.verdict is Verdict.ACCEPTED
        (signature,) = result.report.signatures
        assert signature.process == "with-time"
        assert signature.label is Label.QESIG

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

    async def test_given_a_stream_inflating_past_the_limit_then_decode_limit(
        self, anchors_only: TrustStore, inflating: bytes
    ) -> None:
        limits = Limits(max_decoded_bytes=64 * 1024)
        assert len(inflating) < 64 * 1024  # small on disk, 3 MiB once inflated

        with pytest.raises(UnreadableDocument) as caught:
            await verify_pdf(
                inflating, trust=anchors_only, at=SIGNED_AT + timedelta(hours=1), limits=limits
            )

        assert caught.value.reason == "decode-limit"
        assert caught.value.status_code == 422

    async def test_given_the_same_stream_within_the_limit_then_validated(
        self, anchors_only: TrustStore, inflating: bytes
    ) -> None:
        result = await verify_pdf(
            inflating, trust=anchors_only, at=SIGNED_AT + timedelta(hours=1), limits=Limits()
        )

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].level is Level.PADES_B_LT

    async def test_given_a_zip_bomb_then_decode_limit_even_with_the_default_limits(
        self, trust: TrustStore
    ) -> None:
        bomb = pdf_with_object_stream(50_000_000)  # ~50 KB on disk

        with pytest.raises(UnreadableDocument) as caught:
            await verify_pdf(bomb, trust=trust, at=PKI_NOW)

        assert len(bomb) < 100_000
        assert caught.value.reason == "decode-limit"


class TestDetachedCades:
    async def test_given_a_detached_signature_and_the_trusted_list_then_accepted_as_qesig(
        self, pki: TestPki, trust: TrustStore, document: bytes
    ) -> None:
        signature = sign_cades_detached(pki, document)

        result = await verify_detached(
            document, signature, trust=trust, at=SIGNED_AT + timedelta(hours=1)
        )

        assert result.report.verdict is Verdict.ACCEPTED
        (only,) = result.report.signatures
        assert only.level is Level.CADES_B_T
        assert only.process == "with-time"
        assert only.coverage is Coverage.DETACHED
        assert only.field is None
        assert only.label is Label.QESIG

    async def test_given_a_detached_seal_and_only_an_anchor_then_adeseal_qc(
        self, pki: TestPki, anchors_only: TrustStore, document: bytes
    ) -> None:
        signature = sign_cades_detached(pki, document, signer="seal")

        result = await verify_detached(
            document, signature, trust=anchors_only, at=SIGNED_AT + timedelta(hours=1)
        )

        assert result.report.verdict is Verdict.ACCEPTED
        assert result.report.signatures[0].label is Label.ADESEAL_QC

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


class TestDamagedRevocationData:
    """A malformed CRL in the document's DSS makes the document unreadable, never a crash."""

    @pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
    async def test_given_a_garbage_crl_in_the_dss_then_corrupt(
        self, pki: TestPki, trust: TrustStore, level: str
    ) -> None:
        signed = sign_pdf(pki, make_pdf(), level=level)  # type: ignore[arg-type]
        damaged = _replace_first_dss_crl(signed, b"\x30\x03\x02\x01\x00")

        with pytest.raises(UnreadableDocument) as raised:
            await verify_pdf(damaged, trust=trust, at=PKI_NOW)

        assert raised.value.reason == "corrupt"


def _replace_first_dss_crl(document: bytes, der: bytes) -> bytes:
    """The document with one more revision whose DSS /CRLs stream holds ``der``."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(document))
    dss = writer.root["/DSS"]
    crls = dss["/CRLs"]
    stream = generic.StreamObject(stream_data=der)
    crls[0] = writer.add_object(stream)
    writer.update_container(crls)
    writer.update_container(dss)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
