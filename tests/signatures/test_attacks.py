"""Attacks on signed PDFs are rejected or flagged; legitimate later changes are accepted.

Every attack is generated from our own signed files (:mod:`tests.signatures.attacks`) and run
through :func:`signatures.verify.verify_pdf` as of the tests' present. The issue prescribes the
outcome: bytes after the final ``%%EOF`` → rejected; a signature that does not cover its whole
revision → rejected; changes pyHanko classifies as ``OTHER`` → needs_review, never accepted; a
broken signature value or signed range → rejected.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from signatures.errors import UnreadableDocument
from signatures.schemas import (
    Coverage,
    DocumentReport,
    Indication,
    Label,
    ModificationLevel,
    Verdict,
)
from signatures.trust import TrustStore
from signatures.verify import verify_pdf
from tests.signatures import attacks
from tests.signatures.factories import make_pdf, sign_pdf
from tests.signatures.pki import PKI_NOW, TestPki


@pytest.fixture(scope="module")
def signed(pki: TestPki) -> bytes:
    """A one-page PDF with a PAdES B-LTA approval signature by the qualified signer."""
    return sign_pdf(pki, make_pdf(), level="B-LTA")


@pytest.fixture(scope="module")
def signed_bt(pki: TestPki) -> bytes:
    """A B-T signature: no document timestamp, so the forged signature is the only one."""
    return sign_pdf(pki, make_pdf(), level="B-T")


@pytest.fixture(scope="module")
def certified(pki: TestPki) -> bytes:
    """A certification signature (DocMDP level 2: form filling and signing permitted)."""
    return sign_pdf(pki, make_pdf(), level="B-LTA", certify=True)


async def check(document: bytes, trust: TrustStore) -> DocumentReport:
    return (await verify_pdf(document, trust=trust, at=PKI_NOW)).report


def codes(report: DocumentReport) -> set[str]:
    return {reason.code for reason in report.reasons}


class TestBaseline:
    async def test_the_untouched_signed_file_is_accepted(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given the file every attack starts from
        # When it is checked
        report = await check(signed, trust)
        # Then it is accepted: any rejection below is caused by the attack
        assert report.verdict is Verdict.ACCEPTED
        assert [s.label for s in report.signatures] == [Label.QESIG]


class TestIncrementalSaveReplacingContent:
    async def test_a_new_revision_with_a_new_content_stream_needs_review(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a revision appended after signing whose page shows other text
        attacked = attacks.replace_page_content(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then the change is not explained by any permitted update: review, never accept
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)
        assert report.signatures[0].modification_level is ModificationLevel.OTHER

    async def test_a_new_revision_replacing_the_page_object_needs_review(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a revision that swaps the signed page for a new page object
        attacked = attacks.replace_page_object(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then it needs review
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)
        assert report.signatures[0].modification_level is ModificationLevel.OTHER


class TestOverlay:
    async def test_an_overlay_content_stream_needs_review(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a revision adding a content stream that paints over the signed text
        attacked = attacks.overlay_content(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then it needs review
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)

    async def test_an_annotation_whose_appearance_hides_the_text_needs_review(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a revision adding an opaque annotation over the signed text
        attacked = attacks.overlay_annotation(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then it needs review (annotations are beyond form filling: never accepted)
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)
        assert report.signatures[0].modification_level is ModificationLevel.OTHER


class TestUpdateWithoutXref:
    async def test_appended_objects_alone_are_rejected_by_the_tail_rule(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given an object redefining the page content appended after %%EOF, nothing else
        attacked = attacks.append_objects_without_xref(signed, ending="none")
        # When it is checked (pyHanko ignores the bytes: no xref section points at them)
        report = await check(attacked, trust)
        # Then the bytes after the final %%EOF reject the document
        assert report.verdict is Verdict.REJECTED
        assert "trailing-data" in codes(report)

    async def test_appended_objects_ending_in_a_startxref_to_the_old_xref_are_rejected(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given the appended object followed by startxref (pointing at the last real xref
        # section) and %%EOF, so that the file ends in %%EOF again
        attacked = attacks.append_objects_without_xref(signed, ending="startxref")
        # When it is checked
        report = await check(attacked, trust)
        # Then the bytes no revision accounts for still reject the document
        assert report.verdict is Verdict.REJECTED
        assert "trailing-data" in codes(report)

    async def test_appended_objects_and_a_trailer_without_xref_are_unreadable(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given the appended object followed by a trailer and %%EOF but no startxref
        attacked = attacks.append_objects_without_xref(signed, ending="trailer")
        # When it is checked
        # Then no cross-reference table can be found from the end of the file (there is no
        # startxref before the final %%EOF): the file is not a readable PDF → 422
        with pytest.raises(UnreadableDocument) as raised:
            await check(attacked, trust)
        assert raised.value.reason == "corrupt"


class TestTrailingBytes:
    async def test_garbage_after_the_final_eof_is_rejected(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given bytes other than whitespace after %%EOF
        attacked = attacks.append_after_eof(signed, b"<script>alert(1)</script>")
        # When it is checked
        report = await check(attacked, trust)
        # Then it is rejected, although every signature is intact
        assert report.verdict is Verdict.REJECTED
        assert "trailing-data" in codes(report)
        assert all(s.indication is Indication.TOTAL_PASSED for s in report.signatures)

    async def test_whitespace_after_the_final_eof_is_accepted(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given only whitespace after %%EOF (as some writers leave)
        padded = attacks.append_after_eof(signed, b"\r\n \t\n\x00\x0c")
        # When it is checked
        report = await check(padded, trust)
        # Then it is accepted
        assert report.verdict is Verdict.ACCEPTED
        assert report.reasons == []


class TestUniversalSignatureForgery:
    @pytest.mark.parametrize(
        "forge",
        [attacks.usf_zero_contents, attacks.usf_empty_contents, attacks.usf_missing_byterange],
        ids=["contents-zeroed", "contents-emptied", "byterange-missing"],
    )
    async def test_a_signature_without_a_usable_value_or_range_is_rejected(
        self, forge: attacks.Attack, signed_bt: bytes, trust: TrustStore
    ) -> None:
        # Given the signature dictionary kept (field, signer's claims) but /Contents zeroed or
        # emptied, or /ByteRange removed — the PDF itself is intact and readable
        attacked = forge(signed_bt)
        # When it is checked
        report = await check(attacked, trust)
        # Then the signature fails: rejected, not "unreadable" (the file is a readable PDF;
        # only the signature is broken, ETSI FORMAT_FAILURE)
        assert report.verdict is Verdict.REJECTED
        assert "signature-failed" in codes(report)
        assert report.signatures[0].indication is Indication.TOTAL_FAILED

    @pytest.mark.parametrize(
        "forge",
        [
            attacks.usf_zero_byterange,
            attacks.usf_byterange_outside,
            attacks.usf_byterange_overlapping,
        ],
        ids=["byterange-zeroed", "byterange-outside", "byterange-overlapping"],
    )
    async def test_a_signature_with_a_forged_byte_range_is_rejected(
        self, forge: attacks.Attack, signed_bt: bytes, trust: TrustStore
    ) -> None:
        # Given the signature's /ByteRange zeroed, reaching past the end of the file or
        # overlapping itself
        attacked = forge(signed_bt)
        # When it is checked
        report = await check(attacked, trust)
        # Then the digest no longer matches and the signature does not cover its revision
        assert report.verdict is Verdict.REJECTED
        assert {"hash-failure", "partial-coverage"} <= codes(report)
        first = report.signatures[0]
        assert first.indication is Indication.TOTAL_FAILED
        assert first.coverage not in (Coverage.ENTIRE_FILE, Coverage.ENTIRE_REVISION)


class TestFreeTextAnnotation:
    async def test_a_freetext_annotation_after_an_approval_signature_needs_review(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a FreeText annotation added after an approval signature
        attacked = attacks.add_freetext_annotation(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then it needs review
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)
        assert report.signatures[0].certification is False

    async def test_a_freetext_annotation_after_a_certification_signature_is_not_accepted(
        self, certified: bytes, trust: TrustStore
    ) -> None:
        # Given a FreeText annotation added after a certification permitting form filling only
        attacked = attacks.add_freetext_annotation(certified)
        # When it is checked
        report = await check(attacked, trust)
        # Then the certification's permissions are broken and the change is unexplained
        assert report.verdict is Verdict.NEEDS_REVIEW
        assert "modified-unexplained" in codes(report)
        first = report.signatures[0]
        assert first.certification is True
        assert first.docmdp_ok is False


class TestByteFlip:
    async def test_one_changed_character_in_the_signed_range_is_rejected(
        self, signed: bytes, trust: TrustStore
    ) -> None:
        # Given one character of the page text changed in place
        attacked = attacks.flip_signed_byte(signed)
        # When it is checked
        report = await check(attacked, trust)
        # Then the digest no longer matches
        assert report.verdict is Verdict.REJECTED
        assert "hash-failure" in codes(report)
        assert report.signatures[0].subindication == "HASH_FAILURE"


class TestLegitimateControls:
    async def test_a_second_signature_by_the_same_qualified_signer_is_accepted(
        self, pki: TestPki, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a second qualified signature in a later revision
        twice = sign_pdf(pki, signed, field="Signature2")
        # When it is checked
        report = await check(twice, trust)
        # Then both pass and the document is accepted
        assert report.verdict is Verdict.ACCEPTED
        assert [s.label for s in report.signatures] == [Label.QESIG, Label.QESIG]
        assert report.signatures[0].modification_level is ModificationLevel.FORM_FILLING

    async def test_a_second_signature_by_another_signer_is_accepted_with_its_own_label(
        self, pki: TestPki, signed: bytes, trust: TrustStore
    ) -> None:
        # Given a second, advanced (not qualified) signature by another signer
        cosigned = sign_pdf(pki, signed, signer="signer-adv", field="Signature2")
        # When it is checked
        report = await check(cosigned, trust)
        # Then every signature passes (the verdict does not demand qualification) and each
        # keeps its own label
        assert report.verdict is Verdict.ACCEPTED
        assert [s.label for s in report.signatures] == [Label.QESIG, Label.ADESIG]
        assert [s.signer.name for s in report.signatures if s.signer] == [
            "Alice Muster",
            "Bob Beispiel",
        ]

    async def test_multiple_signers_are_accepted(self, pki: TestPki, trust: TrustStore) -> None:
        # Given three signers in turn: a qualified signature, an advanced one and a seal
        document = make_pdf()
        for number, signer in enumerate(("signer-qes", "signer-adv", "seal"), start=1):
            document = sign_pdf(pki, document, signer=signer, field=f"Signature{number}")
        # When it is checked
        report = await check(document, trust)
        # Then all three pass
        assert report.verdict is Verdict.ACCEPTED
        assert [s.label for s in report.signatures] == [Label.QESIG, Label.ADESIG, Label.QESEAL]
        assert report.document_timestamps == 3

    async def test_a_later_archive_timestamp_is_accepted(
        self, pki: TestPki, signed: bytes, trust: TrustStore
    ) -> None:
        # Given an LTA update: revocation data for the timestamp, then a new document timestamp
        renewed = attacks.add_document_timestamp(pki, signed, at=PKI_NOW - timedelta(days=1))
        # When it is checked
        report = await check(renewed, trust)
        # Then it is accepted; the changes are LTA updates only
        assert report.verdict is Verdict.ACCEPTED
        assert report.document_timestamps == 2
        assert report.signatures[0].modification_level is ModificationLevel.LTA_UPDATES

    async def test_filling_a_form_on_a_certified_document_is_accepted(
        self, pki: TestPki, trust: TrustStore
    ) -> None:
        # Given a document with a text field, certified with form filling permitted,
        # and the field filled in a later revision
        certified = sign_pdf(pki, attacks.with_text_field(make_pdf()), level="B-LTA", certify=True)
        filled = attacks.fill_text_field(certified)
        # When it is checked
        report = await check(filled, trust)
        # Then the certification holds and the document is accepted
        assert report.verdict is Verdict.ACCEPTED
        first = report.signatures[0]
        assert first.certification is True
        assert first.docmdp_ok is True
        assert first.modification_level is ModificationLevel.FORM_FILLING
        assert first.coverage is Coverage.ENTIRE_REVISION
