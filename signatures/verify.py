"""Verify the signatures in a PDF (PAdES) or a detached CAdES signature (DESIGN.md §4).

The ETSI EN 319 102-1 process is chosen by level: basic for B-B, with-time for B-T and B-LT
(the signature timestamp proves existence), and LTA only when a document timestamp follows the
signature. Validation is offline: revocation data comes only from the document and from the
trust store, whose CRLs the allow-listed refresh fetched (:mod:`signatures.revocation`); no URL
found in a submitted certificate or document is ever fetched, and revocation checking never
soft-fails. The per-signature findings
are turned into one verdict by :mod:`signatures.verdict`.
"""

from __future__ import annotations

__all__ = ["Limits", "Verification", "verify_detached", "verify_pdf"]

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms
from asn1crypto.crl import CertificateList
from asn1crypto.ocsp import OCSPResponse
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DecodePurpose, StreamDecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus, StandardCMSSignatureStatus
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from signatures import reports, speedups
from signatures.errors import UnreadableDocument
from signatures.schemas import DocumentReport, Level
from signatures.trust import TrustStore
from signatures.verdict import broken_signature, document_verdict, signature_result

logger = logging.getLogger(__name__)
speedups.install()

_MIB = 1024 * 1024
_TAIL = re.compile(rb"%%EOF[\x00\t\n\x0c\r ]*\Z")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one check may read, so that no file exhausts memory or time."""

    max_bytes: int = 30 * _MIB
    """Largest document or detached signature."""
    max_decoded_bytes: int = 64 * _MIB
    """Largest size one PDF stream may decompress to."""

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """From :class:`infra.settings.SignatureSettings`."""
        return cls(
            max_bytes=settings.max_document_bytes,
            max_decoded_bytes=settings.max_decoded_stream_bytes,
        )

    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(
            per_stream=StreamDecodeLimits(max_output_size=self.max_decoded_bytes),
        )


@dataclass(frozen=True)
class Verification:
    """The JSON report (as a struct) and the ETSI TS 119 102-2 XML report of one check."""

    report: DocumentReport
    etsi_xml: bytes


def _live(at: datetime) -> ValidationTimingInfo:
    """A validation performed as of ``at`` (not a historical one)."""
    return ValidationTimingInfo(
        validation_time=at, best_signature_time=at, point_in_time_validation=False
    )


def _policy(trust: TrustStore, knowledge: LocalKnowledge) -> SignatureValidationSpec:
    """Hard-fail revocation checking with local data only; no fetching of any kind.

    The local data is ``knowledge`` (from the document) plus the trust store's CRLs.
    Revocation data counts while it is fresh (between its ``thisUpdate`` and ``nextUpdate``).
    Past that, only a B-LTA document timestamp proves it was valid at signing time; a B-T or
    B-LT signature checked later then is INDETERMINATE (TRY_LATER) — review, not accept.
    """
    revocation = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
            intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        ),
    )
    certificates = CertValidationPolicySpec(
        trust_manager=trust.trust_manager(), revinfo_policy=revocation
    )
    if trust.crls:
        knowledge = replace(
            knowledge,
            known_crls=[*knowledge.known_crls, *(CRLContainer(crl) for crl in trust.crls)],
        )
    return SignatureValidationSpec(
        cert_validation_policy=certificates,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY,
            certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
        ),
        local_knowledge=knowledge,
        # No qualification is *required*: the label reports it. Timestamps get no
        # requirements of their own, so a non-qualified TSA does not fail a QES (DESIGN §4).
        qualification_requirements=None,
        ts_qualification_requirements=None,
    )


def _check_size(data: bytes, limits: Limits) -> None:
    if not data:
        raise UnreadableDocument("empty")
    if len(data) > limits.max_bytes:
        raise UnreadableDocument("too-large", max_bytes=limits.max_bytes)


def _open(document: bytes, limits: Limits) -> PdfFileReader:
    _check_size(document, limits)
    if b"%PDF-" not in document[:1024]:
        raise UnreadableDocument("not-pdf")
    try:
        reader = PdfFileReader(
            BytesIO(document), strict=False, decode_limits=limits.decode_limits()
        )
        if reader.encrypted:
            raise UnreadableDocument("encrypted")
        reader.root  # noqa: B018  (forces the catalogue to be read)
    except PdfDecodeLimitError as exc:
        raise UnreadableDocument("decode-limit") from exc
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        logger.info("unreadable PDF: %s", exc)
        raise UnreadableDocument("corrupt") from exc
    return reader


def _orphaned_tail(reader: PdfFileReader, document: bytes) -> bool:
    """Whether anything but the last revision's trailer follows its cross-reference section.

    An update that appends objects and then a ``startxref`` pointing back at the old xref ends
    in ``%%EOF`` like a clean file, but no revision contains those bytes (pyHanko ignores
    them). Only ``trailer``/``startxref``/one ``%%EOF`` may follow the last xref section.
    """
    try:
        info = reader.xrefs.get_xref_container_info(reader.xrefs.total_revisions - 1)
    except (PdfError, ValueError, KeyError, IndexError, AttributeError):
        return True
    tail = document[info.end_location :]
    return tail.count(b"%%EOF") != 1 or b" obj" in tail or b"stream" in tail


def _document_knowledge(reader: PdfFileReader) -> LocalKnowledge:
    """Certificates and revocation data the document itself carries (its DSS)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return LocalKnowledge()
    ocsps = [
        container
        for ref in dss.ocsps
        for container in OCSPContainer.load_multi(
            OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
        )
    ]
    crls = [
        CRLContainer(CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)))
        for ref in dss.crls
    ]
    return LocalKnowledge(known_certs=list(dss.load_certs()), known_ocsps=ocsps, known_crls=crls)


def _signature_knowledge(signer_info: cms.SignerInfo, base: LocalKnowledge) -> LocalKnowledge:
    """``base`` plus revocation data in the signature's Adobe revocation-info attribute."""
    crls = list(base.known_crls)
    ocsps = list(base.known_ocsps)
    for attr in signer_info["signed_attrs"] or ():
        if attr["type"].native != "adobe_revocation_info_archival":
            continue
        for archival in attr["values"]:
            crls.extend(CRLContainer(item) for item in archival["crl"] or ())
            ocsps.extend(OCSPContainer(item) for item in archival["ocsp"] or ())
    return LocalKnowledge(known_certs=list(base.known_certs), known_crls=crls, known_ocsps=ocsps)


def _has_signature_timestamp(signer_info: cms.SignerInfo) -> bool:
    unsigned = signer_info["unsigned_attrs"]
    if not unsigned:
        return False
    return any(attr["type"].native == "signature_time_stamp_token" for attr in unsigned)


def _pades_level(sig: EmbeddedPdfSignature, reader: PdfFileReader, later_doc_ts: bool) -> Level:
    if not _has_signature_timestamp(sig.signer_info):
        return Level.PADES_B_B
    if later_doc_ts:
        return Level.PADES_B_LTA
    has_dss = "/DSS" in reader.root
    return Level.PADES_B_LT if has_dss else Level.PADES_B_T


async def _validate_embedded(
    sig: EmbeddedPdfSignature,
    level: Level,
    trust: TrustStore,
    knowledge: LocalKnowledge,
    timing: ValidationTimingInfo,
) -> tuple[ades.AdESBasicValidationResult[Any], str]:
    sig.compute_integrity_info()
    if level is Level.PADES_B_LTA:
        # The LTA process reads the DSS and the revocation-info attribute itself; handing it
        # the document's knowledge as well would make it check every CRL and OCSP twice. Its
        # proof-of-existence index needs each timestamp's coverage, not another analysis of
        # the changes after it: those of this signature were analysed just above.
        lta = PdfSignatureValidationSpec(
            signature_validation_spec=_policy(trust, LocalKnowledge()), diff_policy=None
        )
        return await ades.ades_lta_validation(sig, lta, timing_info=timing), "lta"
    spec = _policy(trust, _signature_knowledge(sig.signer_info, knowledge))
    if level is Level.PADES_B_B:
        # pyHanko 0.38's basic process builds a plain CMS status on success, so the PDF
        # integrity facts are not passed in here; the caller reads them from ``sig``.
        result = await ades.ades_basic_validation(
            sig.signed_data, spec, raw_digest=sig.compute_digest(), timing_info=timing
        )
        return result, "basic"
    result = await ades.ades_with_time_validation(
        sig.signed_data,
        spec,
        raw_digest=sig.compute_digest(),
        timing_info=timing,
        extra_status_kwargs=sig.summarise_integrity_info(),
        status_cls=PdfSignatureStatus,
    )
    return result, "with-time"


async def verify_pdf(
    document: bytes, *, trust: TrustStore, at: datetime, limits: Limits = Limits()
) -> Verification:
    """Verify every signature in ``document`` as of ``at``.

    Raises:
        UnreadableDocument: not a PDF, encrypted, corrupt, or over a limit.
    """
    reader = _open(document, limits)
    digest = hashlib.sha256(document).hexdigest()
    trailing = _TAIL.search(document) is None or _orphaned_tail(reader, document)
    timing = _live(at)
    regular, doc_timestamps, broken = _read_signatures(reader)

    knowledge: LocalKnowledge | None = None  # read on first need: the LTA process reads its own
    results = [broken_signature(name) for name in broken]
    xml_parts: list[str] = []
    for sig in regular:
        later = any(ts.signed_revision > sig.signed_revision for ts in doc_timestamps)
        level = _pades_level(sig, reader, later)
        try:
            if knowledge is None and level is not Level.PADES_B_LTA:
                knowledge = _document_knowledge(reader)
            outcome, process = await _validate_embedded(
                sig, level, trust, knowledge or LocalKnowledge(), timing
            )
        except PdfDecodeLimitError as exc:
            raise UnreadableDocument("decode-limit") from exc
        except (PdfError, ValueError, TypeError, KeyError) as exc:
            # pyHanko parses the document's revocation-data store (DSS) eagerly: a malformed
            # CRL, OCSP response or certificate in it is a damaged document, not a crash.
            logger.info("revocation data of the document cannot be read", exc_info=True)
            raise UnreadableDocument("corrupt") from exc
        results.append(
            signature_result(
                outcome,
                field=str(sig.field_name) if sig.field_name is not None else None,
                level=level,
                process=process,
                claimed_time=sig.self_reported_timestamp,
                signer_cert=_signer_cert(sig.signer_info, sig.signed_data),
                certification=_is_certification(sig),
                integrity=sig.summarise_integrity_info(),
            )
        )
        try:
            xml_parts.append(reports.etsi_report(sig, outcome))
        except Exception:  # the XML report must never hide the verdict
            logger.exception("ETSI XML report failed for field %s", sig.field_name)
    report = document_verdict(
        results,
        sha256=digest,
        at=at,
        document_timestamps=len(doc_timestamps),
        trailing_data=trailing,
    )
    return Verification(report=report, etsi_xml=reports.merge(xml_parts))


def _read_signatures(
    reader: PdfFileReader,
) -> tuple[list[EmbeddedPdfSignature], list[EmbeddedPdfSignature], list[str]]:
    """Signatures and document timestamps, field by field; a field whose signature cannot even
    be read (zeroed ``/Contents``, missing ``/ByteRange`` …) is returned by name as broken."""
    regular: list[EmbeddedPdfSignature] = []
    timestamps: list[EmbeddedPdfSignature] = []
    broken: list[str] = []
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except PdfDecodeLimitError as exc:
        raise UnreadableDocument("decode-limit") from exc
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnreadableDocument("corrupt") from exc
    for name, _value, field_ref in fields:
        try:
            sig = EmbeddedPdfSignature(reader, field_ref, name)
            (timestamps if sig.sig_object_type == "/DocTimeStamp" else regular).append(sig)
        except PdfDecodeLimitError as exc:
            raise UnreadableDocument("decode-limit") from exc
        except Exception:  # a forged signature must become a rejection, never a crash
            logger.info("signature field %s cannot be read", name, exc_info=True)
            broken.append(str(name))
    regular.sort(key=lambda sig: sig.signed_revision)
    timestamps.sort(key=lambda sig: sig.signed_revision)
    return regular, timestamps, broken


def _is_certification(sig: EmbeddedPdfSignature) -> bool:
    refs = sig.sig_object.get("/Reference")
    if not refs:
        return False
    return any(str(ref.get_object().get("/TransformMethod")) == "/DocMDP" for ref in refs)


def _signer_cert(signer_info: cms.SignerInfo, signed_data: cms.SignedData) -> Any:
    try:
        return extract_certificate_info(signed_data).signer_cert
    except Exception:  # a forged container may name no usable certificate
        return None


async def verify_detached(
    document: bytes, signature: bytes, *, trust: TrustStore, at: datetime, limits: Limits = Limits()
) -> Verification:
    """Verify a detached CAdES signature (``.p7s``, DER or PEM) over ``document``.

    Raises:
        UnreadableDocument: the signature file is not CMS, or a file is over a limit.
    """
    _check_size(document, limits)
    _check_size(signature, limits)
    try:
        content = cms.ContentInfo.load(reports.der_from_maybe_pem(signature))
        if content["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data: cms.SignedData = content["content"]
        signer_info = signed_data["signer_infos"][0]
        md_algo = signer_info["digest_algorithm"]["algorithm"].native
        raw_digest = hashlib.new(md_algo, document).digest()
        _ = signed_data["encap_content_info"]["content"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise UnreadableDocument("not-cms") from exc

    timing = _live(at)
    timestamped = _has_signature_timestamp(signer_info)
    spec = _policy(trust, _cms_knowledge(signed_data))
    level = Level.CADES_B_T if timestamped else Level.CADES_B_B
    if timestamped:
        outcome: ades.AdESBasicValidationResult[Any] = await ades.ades_with_time_validation(
            signed_data,
            spec,
            raw_digest=raw_digest,
            timing_info=timing,
            status_cls=StandardCMSSignatureStatus,
        )
        process = "with-time"
    else:
        outcome = await ades.ades_basic_validation(
            signed_data,
            spec,
            raw_digest=raw_digest,
            timing_info=timing,
            status_cls=StandardCMSSignatureStatus,
        )
        process = "basic"
    claimed = reports.claimed_signing_time(signer_info)
    result = signature_result(
        outcome,
        field=None,
        level=level,
        process=process,
        claimed_time=claimed,
        signer_cert=_signer_cert(signer_info, signed_data),
        certification=False,
        detached=True,
    )
    report = document_verdict(
        [result],
        sha256=hashlib.sha256(document).hexdigest(),
        at=at,
        document_timestamps=0,
        trailing_data=False,
    )
    xml = reports.detached_report(signed_data, signer_info, outcome, document, raw_digest)
    return Verification(report=report, etsi_xml=xml)


def _cms_knowledge(signed_data: cms.SignedData) -> LocalKnowledge:
    """Revocation data embedded in a CMS container (``crls`` / other revocation info)."""
    crls = []
    ocsps = []
    for choice in signed_data["crls"] or ():
        if choice.name == "crl":
            crls.append(CRLContainer(choice.chosen))
        elif choice.name == "other":
            other = choice.chosen
            if other["other_rev_info_format"].native == "ocsp_response":
                ocsps.append(OCSPContainer(other["other_rev_info"]))
    return LocalKnowledge(known_crls=crls, known_ocsps=ocsps)
