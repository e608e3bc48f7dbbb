"""From pyHanko's findings to our reports: labels, reasons and the one verdict (DESIGN.md §4).

Accept only when the ETSI indication is TOTAL-PASSED, pyHanko's bottom line is true, the
signature covers its whole revision, nothing worse than form filling follows it, and nothing but
whitespace follows the final ``%%EOF``. ``OTHER`` modifications mean review, never accept.
"""

from __future__ import annotations

__all__ = ["REASONS", "broken_signature", "document_verdict", "label_for", "signature_result"]

from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus
from pyhanko.sign.diff_analysis import ModificationLevel as PyModificationLevel
from pyhanko.sign.validation.ades import AdESBasicValidationResult
from pyhanko.sign.validation.qualified.q_status import QcPrivateKeyManagementType
from pyhanko.sign.validation.qualified.tsp import QcCertType
from pyhanko.sign.validation.status import SignatureCoverageLevel

from signatures.schemas import (
    Coverage,
    DocumentReport,
    Indication,
    Label,
    Level,
    ModificationLevel,
    Reason,
    Revocation,
    SignatureResult,
    Signer,
    Verdict,
)

REASONS: dict[str, tuple[str, str]] = {
    "no-signature": ("Das Dokument enthält keine Signatur.", "The document carries no signature."),
    "trailing-data": (
        "Nach dem Dateiende (%%EOF) folgen weitere Daten; das Dokument wurde nach dem "
        "Signieren verändert.",
        "Data follows the end of the file (%%EOF); the document was changed after signing.",
    ),
    "signature-failed": (
        "Eine Signatur ist ungültig.",
        "A signature is invalid.",
    ),
    "hash-failure": (
        "Der signierte Inhalt wurde verändert (Prüfsumme stimmt nicht).",
        "The signed content was changed (digest mismatch).",
    ),
    "crypto-failure": (
        "Die kryptografische Signatur ist ungültig.",
        "The cryptographic signature is invalid.",
    ),
    "signature-revoked": (
        "Das Zertifikat der Signatur war zum Signaturzeitpunkt gesperrt.",
        "The signing certificate was revoked when the signature was made.",
    ),
    "signature-expired": (
        "Das Zertifikat der Signatur war zum Signaturzeitpunkt abgelaufen.",
        "The signing certificate had expired when the signature was made.",
    ),
    "no-proof-of-time": (
        "Das Zertifikat ist nicht mehr gültig und nichts belegt, dass die Signatur vorher "
        "entstand (kein Zeitstempel).",
        "The certificate is no longer valid and nothing proves the signature was made before "
        "(no timestamp).",
    ),
    "not-trusted": (
        "Das Zertifikat der Signatur führt zu keinem vertrauenswürdigen Aussteller.",
        "The signing certificate does not chain up to a trusted issuer.",
    ),
    "revocation-unknown": (
        "Der Sperrstatus des Zertifikats lässt sich mit den vorliegenden Daten nicht klären.",
        "The certificate's revocation status cannot be established from the data at hand.",
    ),
    "indeterminate": (
        "Die Signatur lässt sich nicht abschließend prüfen.",
        "The signature cannot be conclusively validated.",
    ),
    "partial-coverage": (
        "Eine Signatur deckt ihre Dokumentversion nicht vollständig ab.",
        "A signature does not cover its whole document revision.",
    ),
    "modified-unexplained": (
        "Nach einer Signatur wurde das Dokument auf eine Weise geändert, die nicht als "
        "zulässig erkannt wird; bitte manuell prüfen.",
        "After a signature the document was changed in a way not recognised as permitted; "
        "please review manually.",
    ),
    "modified-not-permitted": (
        "Nach einer Signatur wurde das Dokument über die erlaubten Änderungen hinaus verändert.",
        "After a signature the document was changed beyond what it permits.",
    ),
    "bottom-line": (
        "Die Signatur besteht die Gesamtprüfung nicht.",
        "The signature does not pass the overall check.",
    ),
}


def _reason(code: str) -> Reason:
    de, en = REASONS[code]
    return Reason(code=code, de=de, en=en)


def label_for(indication: Indication, qualification: Any, cert: x509.Certificate | None) -> Label:
    """DSS-style label from the ETSI indication and pyHanko's qualification result."""
    status = getattr(qualification, "status", None)
    qualified = bool(status and status.qualified)
    qc_type = getattr(status, "qc_type", None)
    seal = qc_type is QcCertType.QC_ESEAL
    qscd = getattr(status, "qc_key_security", QcPrivateKeyManagementType.UNKNOWN) in (
        QcPrivateKeyManagementType.QSCD,
        QcPrivateKeyManagementType.QSCD_DELEGATED,
        QcPrivateKeyManagementType.QSCD_BY_POLICY,
    )
    if indication is Indication.TOTAL_FAILED:
        return Label.NOT_ADES
    if indication is Indication.INDETERMINATE:
        if qualified and qscd:
            return Label.INDETERMINATE_QESEAL if seal else Label.INDETERMINATE_QESIG
        if qualified:
            return Label.INDETERMINATE_ADESEAL_QC if seal else Label.INDETERMINATE_ADESIG_QC
        return Label.INDETERMINATE_ADES
    if qualified and qscd:
        return Label.QESEAL if seal else Label.QESIG
    if qualified:
        return Label.ADESEAL_QC if seal else Label.ADESIG_QC
    return Label.ADESEAL if seal else Label.ADESIG


def _signer(cert: x509.Certificate | None) -> Signer | None:
    if cert is None:
        return None
    subject = cert.subject.native
    return Signer(
        name=str(subject.get("common_name") or cert.subject.human_friendly),
        organisation=subject.get("organization_name"),
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        subject=cert.subject.human_friendly,
    )


_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: Coverage.ENTIRE_FILE,
    SignatureCoverageLevel.ENTIRE_REVISION: Coverage.ENTIRE_REVISION,
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: Coverage.CONTIGUOUS_BLOCK,
    SignatureCoverageLevel.UNCLEAR: Coverage.UNCLEAR,
}
_MODIFICATIONS = {
    PyModificationLevel.NONE: ModificationLevel.NONE,
    PyModificationLevel.LTA_UPDATES: ModificationLevel.LTA_UPDATES,
    PyModificationLevel.FORM_FILLING: ModificationLevel.FORM_FILLING,
    PyModificationLevel.ANNOTATIONS: ModificationLevel.ANNOTATIONS,
    PyModificationLevel.OTHER: ModificationLevel.OTHER,
}
_REVOKED = {
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
    AdESFailure.REVOKED,
}
_NO_REVINFO = {AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE}
_EXPIRED = {AdESIndeterminate.EXPIRED}
_NO_POE = {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED}
_UNTRUSTED = {AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND}


def signature_result(  # noqa: PLR0912, PLR0915  (a decision table; to split by concern)
    outcome: AdESBasicValidationResult[Any],
    *,
    field: str | None,
    level: Level,
    process: str,
    claimed_time: datetime | None,
    signer_cert: x509.Certificate | None,
    certification: bool,
    integrity: dict[str, Any] | None = None,
    detached: bool = False,
) -> SignatureResult:
    """One signature's result from the ETSI process outcome and pyHanko's status."""
    subindic = outcome.ades_subindic
    status = outcome.api_status
    ts_validity = getattr(status, "timestamp_validity", None)
    proven = getattr(ts_validity, "timestamp", None)
    if (
        signer_cert is not None
        and subindic.status is AdESStatus.PASSED
        and any(t is not None and t > signer_cert.not_valid_after for t in (proven, claimed_time))
    ):
        # pyHanko 0.38's with-time process lets a signature whose certificate expired before
        # its proven (or claimed) time pass (ades.py: "we can't process expiration here").
        subindic = AdESIndeterminate.OUT_OF_BOUNDS_NO_POE
        expired_at_signing = True
    else:
        expired_at_signing = False
    indication = {
        AdESStatus.PASSED: Indication.TOTAL_PASSED,
        AdESStatus.FAILED: Indication.TOTAL_FAILED,
        AdESStatus.INDETERMINATE: Indication.INDETERMINATE,
    }[subindic.status]
    qualification = getattr(status, "qualification_result", None)
    integrity = integrity or {}
    coverage = (
        Coverage.DETACHED
        if detached
        else _COVERAGE.get(integrity.get("coverage"), Coverage.UNCLEAR)  # type: ignore[arg-type]
    )
    diff = integrity.get("diff_result")
    if detached:
        modification = ModificationLevel.NONE
    elif diff is None:
        # no later revision, or pyHanko could not analyse it: only "none" when nothing follows
        modification = (
            ModificationLevel.NONE if coverage is Coverage.ENTIRE_FILE else ModificationLevel.OTHER
        )
    else:
        modification = _MODIFICATIONS[
            getattr(diff, "modification_level", PyModificationLevel.OTHER)
        ]
    docmdp_ok = None if detached else integrity.get("docmdp_ok")
    if subindic in _REVOKED or (status is not None and getattr(status, "revoked", False)):
        revocation = Revocation.REVOKED
    elif indication is Indication.TOTAL_PASSED:
        revocation = Revocation.GOOD
    else:
        revocation = Revocation.UNKNOWN
    bottom_line = bool(status is not None and status.bottom_line) and not expired_at_signing

    reasons: list[Reason] = []
    if indication is Indication.TOTAL_FAILED:
        if subindic is AdESFailure.HASH_FAILURE:
            reasons.append(_reason("hash-failure"))
        elif subindic is AdESFailure.SIG_CRYPTO_FAILURE:
            reasons.append(_reason("crypto-failure"))
        elif subindic in _REVOKED:
            reasons.append(_reason("signature-revoked"))
        else:
            reasons.append(_reason("signature-failed"))
    elif indication is Indication.INDETERMINATE:
        if expired_at_signing:
            reasons.append(_reason("signature-expired"))
        elif subindic in _REVOKED:
            reasons.append(_reason("signature-revoked"))
        elif subindic in _EXPIRED:
            reasons.append(_reason("signature-expired"))
        elif subindic in _NO_POE:
            reasons.append(_reason("no-proof-of-time"))
        elif subindic in _UNTRUSTED:
            reasons.append(_reason("not-trusted"))
        elif subindic in _NO_REVINFO:
            reasons.append(_reason("revocation-unknown"))
        else:
            reasons.append(_reason("indeterminate"))
    if coverage not in (Coverage.ENTIRE_FILE, Coverage.ENTIRE_REVISION, Coverage.DETACHED):
        reasons.append(_reason("partial-coverage"))
    if modification is ModificationLevel.OTHER:
        reasons.append(_reason("modified-unexplained"))
    elif docmdp_ok is False:
        reasons.append(_reason("modified-not-permitted"))
    if indication is Indication.TOTAL_PASSED and not bottom_line and not reasons:
        reasons.append(_reason("bottom-line"))

    return SignatureResult(
        field=field,
        signer=_signer(signer_cert),
        label=label_for(indication, qualification, signer_cert),
        indication=indication,
        subindication=None
        if indication is Indication.TOTAL_PASSED
        else str(getattr(subindic, "name", subindic)),
        process=process,
        level=level,
        signing_time=claimed_time,
        timestamp_time=proven,
        coverage=coverage,
        modification_level=modification,
        docmdp_ok=docmdp_ok,
        certification=certification,
        revocation=revocation,
        bottom_line=bottom_line,
        reasons=reasons,
    )


def broken_signature(field: str) -> SignatureResult:
    """A signature field whose signature cannot be read at all: TOTAL-FAILED, FORMAT_FAILURE."""
    return SignatureResult(
        field=field,
        signer=None,
        label=Label.NOT_ADES,
        indication=Indication.TOTAL_FAILED,
        subindication="FORMAT_FAILURE",
        process="basic",
        level=Level.PADES_B_B,
        signing_time=None,
        timestamp_time=None,
        coverage=Coverage.UNCLEAR,
        modification_level=ModificationLevel.OTHER,
        docmdp_ok=None,
        certification=False,
        revocation=Revocation.UNKNOWN,
        bottom_line=False,
        reasons=[_reason("signature-failed")],
    )


_REJECTING = {
    "hash-failure",
    "crypto-failure",
    "signature-failed",
    "partial-coverage",
    "modified-not-permitted",
    "signature-expired",
}


def document_verdict(
    signatures: list[SignatureResult],
    *,
    sha256: str,
    at: datetime,
    document_timestamps: int,
    trailing_data: bool,
) -> DocumentReport:
    """The one verdict: rejected beats needs_review beats accepted."""
    reasons: list[Reason] = []
    if trailing_data:
        reasons.append(_reason("trailing-data"))
    for result in signatures:
        for reason in result.reasons:
            if reason not in reasons:
                reasons.append(reason)
    codes = {reason.code for reason in reasons}
    rejected_revoked = any(
        result.indication is Indication.TOTAL_FAILED
        or (
            result.revocation is Revocation.REVOKED
            and result.indication is not Indication.TOTAL_PASSED
        )
        for result in signatures
    )
    if not signatures:
        verdict = Verdict.REJECTED if trailing_data else Verdict.NO_SIGNATURE
        if not trailing_data:
            reasons = [_reason("no-signature")]
    elif trailing_data or codes & _REJECTING or rejected_revoked:
        verdict = Verdict.REJECTED
    elif reasons or not all(
        r.indication is Indication.TOTAL_PASSED and r.bottom_line for r in signatures
    ):
        verdict = Verdict.NEEDS_REVIEW
    else:
        verdict = Verdict.ACCEPTED
    return DocumentReport(
        verdict=verdict,
        reasons=reasons,
        signatures=signatures,
        document_timestamps=document_timestamps,
        sha256=sha256,
        validation_time=at,
    )
