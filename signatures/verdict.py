"""From pyHanko's findings to our reports: labels, reasons and the one verdict (DESIGN.md §4).

Accept only when the ETSI indication is TOTAL-PASSED, pyHanko's bottom line is true, the
signature covers its whole revision, nothing worse than form filling follows it, and nothing but
whitespace follows the final ``%%EOF``. ``OTHER`` modifications mean review, never accept.

The label (QESig, AdESeal-QC …) follows pyHanko's qualification assessment, which only a trusted
list gives. A certificate validated against a plain anchor (the platform seal, an operator's
root) is labelled by what it declares itself (QCStatements), and such a claim never makes a
qualified signature or seal — the trusted list has to confirm that (as DSS decides).
"""

from __future__ import annotations

__all__ = ["REASONS", "broken_signature", "document_verdict", "label_for", "signature_result"]

from datetime import datetime
from typing import Any, NamedTuple

from asn1crypto import x509
from pyhanko.sign.ades import qualified_asn1
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate, AdESStatus, AdESSubIndic
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


class _Qualification(NamedTuple):
    """What a label needs to know about the signing certificate."""

    qualified: bool
    seal: bool
    qscd: bool


_NOT_QUALIFIED = _Qualification(qualified=False, seal=False, qscd=False)
_QSCD = frozenset(QcPrivateKeyManagementType) - {QcPrivateKeyManagementType.UNKNOWN}


def _assessed(qualification: Any) -> _Qualification:
    """pyHanko's assessment (ETSI TS 119 615) of the certificate against the trusted lists."""
    status = getattr(qualification, "status", None)
    return _Qualification(
        qualified=bool(status and status.qualified),
        seal=getattr(status, "qc_type", None) is QcCertType.QC_ESEAL,
        qscd=getattr(status, "qc_key_security", QcPrivateKeyManagementType.UNKNOWN) in _QSCD,
    )


def _claimed(cert: x509.Certificate | None) -> _Qualification:
    """What the certificate says of itself in its QCStatements (ETSI EN 319 412-5).

    ``QcType`` names the purpose: ``eseal`` alone makes a seal, no type means e-signature (as
    pyHanko reads it), anything else (web, several types) names neither. ``QcCompliance``
    claims qualification, which counts only with a signature or seal purpose. The claim never
    reaches a QSCD: only a trusted list confirms that.
    """
    if cert is None:
        return _NOT_QUALIFIED
    try:
        statements = {s["statement_id"].native: s for s in qualified_asn1.get_qc_statements(cert)}
        qc_type = statements.get("qc_type")
        types = {t.native for t in qc_type["statement_info"]} if qc_type is not None else set()
    except (ValueError, TypeError, KeyError, IndexError):  # a malformed extension claims nothing
        return _NOT_QUALIFIED
    seal = types == {"qct_eseal"}
    purpose = seal or types <= {"qct_esign"}
    return _Qualification(
        qualified=purpose and "qc_compliance" in statements, seal=seal, qscd=False
    )


def label_for(indication: Indication, qualification: Any, cert: x509.Certificate | None) -> Label:
    """DSS-style label from the ETSI indication and the certificate's qualification.

    ``qualification`` is pyHanko's assessment against the trusted lists. When no listed service
    covers the certificate (it chains to a plain anchor), a passed signature's certificate is
    read for its own claims: without a trusted list confirming them they give at most ``-QC``
    (AdESig-QC, AdESeal-QC), never QESig or QESeal, as in DSS. An indeterminate signature's
    certificate is not known to chain anywhere, so its claims count for nothing.
    """
    if indication is Indication.TOTAL_FAILED:
        return Label.NOT_ADES
    if indication is Indication.INDETERMINATE:
        found = _assessed(qualification)
        if found.qualified and found.qscd:
            return Label.INDETERMINATE_QESEAL if found.seal else Label.INDETERMINATE_QESIG
        if found.qualified:
            return Label.INDETERMINATE_ADESEAL_QC if found.seal else Label.INDETERMINATE_ADESIG_QC
        return Label.INDETERMINATE_ADES
    listed = getattr(qualification, "service_definition", None) is not None
    found = _assessed(qualification) if listed else _claimed(cert)
    if found.qualified and found.qscd:
        return Label.QESEAL if found.seal else Label.QESIG
    if found.qualified:
        return Label.ADESEAL_QC if found.seal else Label.ADESIG_QC
    return Label.ADESEAL if found.seal else Label.ADESIG


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


_INDICATIONS = {
    AdESStatus.PASSED: Indication.TOTAL_PASSED,
    AdESStatus.FAILED: Indication.TOTAL_FAILED,
    AdESStatus.INDETERMINATE: Indication.INDETERMINATE,
}
_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: Coverage.ENTIRE_FILE,
    SignatureCoverageLevel.ENTIRE_REVISION: Coverage.ENTIRE_REVISION,
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: Coverage.CONTIGUOUS_BLOCK,
    SignatureCoverageLevel.UNCLEAR: Coverage.UNCLEAR,
}
_WHOLE = frozenset({Coverage.ENTIRE_FILE, Coverage.ENTIRE_REVISION, Coverage.DETACHED})
_MODIFICATIONS = {
    PyModificationLevel.NONE: ModificationLevel.NONE,
    PyModificationLevel.LTA_UPDATES: ModificationLevel.LTA_UPDATES,
    PyModificationLevel.FORM_FILLING: ModificationLevel.FORM_FILLING,
    PyModificationLevel.ANNOTATIONS: ModificationLevel.ANNOTATIONS,
    PyModificationLevel.OTHER: ModificationLevel.OTHER,
}
_REVOKED = frozenset(
    {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE, AdESFailure.REVOKED}
)
_CAUSES: dict[AdESSubIndic, str] = {
    AdESFailure.HASH_FAILURE: "hash-failure",
    AdESFailure.SIG_CRYPTO_FAILURE: "crypto-failure",
    **dict.fromkeys(_REVOKED, "signature-revoked"),
    AdESIndeterminate.EXPIRED: "signature-expired",
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE: "no-proof-of-time",
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED: "no-proof-of-time",
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: "not-trusted",
    AdESIndeterminate.TRY_LATER: "revocation-unknown",
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE: "revocation-unknown",
}
"""The reason for each sub-indication that has one of its own; the others fall back by
indication (``signature-failed``, ``indeterminate``)."""
_NO_CAUSE = {Indication.TOTAL_FAILED: "signature-failed", Indication.INDETERMINATE: "indeterminate"}


class _Integrity(NamedTuple):
    coverage: Coverage
    modification: ModificationLevel
    docmdp_ok: bool | None


def _integrity(integrity: dict[str, Any] | None, *, detached: bool) -> _Integrity:
    """What the signature covers, the worst change after it, and whether DocMDP allows that."""
    if detached:
        return _Integrity(Coverage.DETACHED, ModificationLevel.NONE, None)
    facts = integrity or {}
    coverage = _COVERAGE.get(facts.get("coverage"), Coverage.UNCLEAR)  # type: ignore[arg-type]
    diff = facts.get("diff_result")
    if diff is None:
        # no later revision, or pyHanko could not analyse it: only "none" when nothing follows
        modification = (
            ModificationLevel.NONE if coverage is Coverage.ENTIRE_FILE else ModificationLevel.OTHER
        )
    else:
        modification = _MODIFICATIONS[
            getattr(diff, "modification_level", PyModificationLevel.OTHER)
        ]
    return _Integrity(coverage, modification, facts.get("docmdp_ok"))


def _expired_when_signed(
    subindic: AdESSubIndic, cert: x509.Certificate | None, times: tuple[datetime | None, ...]
) -> bool:
    """Whether a passed signature's certificate had expired by its proven or claimed time.

    pyHanko 0.38's with-time process lets such a signature pass (ades.py: "we can't process
    expiration here"); it is INDETERMINATE, OUT_OF_BOUNDS_NO_POE.
    """
    return (
        cert is not None
        and subindic.status is AdESStatus.PASSED
        and any(t is not None and t > cert.not_valid_after for t in times)
    )


def _revocation(subindic: AdESSubIndic, status: Any, indication: Indication) -> Revocation:
    if subindic in _REVOKED or getattr(status, "revoked", False):
        return Revocation.REVOKED
    return Revocation.GOOD if indication is Indication.TOTAL_PASSED else Revocation.UNKNOWN


def _cause(indication: Indication, subindic: AdESSubIndic, *, expired: bool) -> list[Reason]:
    """Why the ETSI process did not pass (nothing when it did)."""
    if indication is Indication.TOTAL_PASSED:
        return []
    if expired:
        return [_reason("signature-expired")]
    return [_reason(_CAUSES.get(subindic, _NO_CAUSE[indication]))]


def _integrity_reasons(facts: _Integrity) -> list[Reason]:
    """What speaks against the file around the signature: coverage and later changes."""
    reasons = []
    if facts.coverage not in _WHOLE:
        reasons.append(_reason("partial-coverage"))
    if facts.modification is ModificationLevel.OTHER:
        reasons.append(_reason("modified-unexplained"))
    elif facts.docmdp_ok is False:
        reasons.append(_reason("modified-not-permitted"))
    return reasons


def signature_result(
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
    status = outcome.api_status
    proven = getattr(getattr(status, "timestamp_validity", None), "timestamp", None)
    expired = _expired_when_signed(outcome.ades_subindic, signer_cert, (proven, claimed_time))
    subindic = AdESIndeterminate.OUT_OF_BOUNDS_NO_POE if expired else outcome.ades_subindic
    indication = _INDICATIONS[subindic.status]
    facts = _integrity(integrity, detached=detached)
    bottom_line = bool(status is not None and status.bottom_line) and not expired
    reasons = _cause(indication, subindic, expired=expired) + _integrity_reasons(facts)
    if indication is Indication.TOTAL_PASSED and not bottom_line and not reasons:
        reasons.append(_reason("bottom-line"))
    return SignatureResult(
        field=field,
        signer=_signer(signer_cert),
        label=label_for(indication, getattr(status, "qualification_result", None), signer_cert),
        indication=indication,
        subindication=None
        if indication is Indication.TOTAL_PASSED
        else str(getattr(subindic, "name", subindic)),
        process=process,
        level=level,
        signing_time=claimed_time,
        timestamp_time=proven,
        coverage=facts.coverage,
        modification_level=facts.modification,
        docmdp_ok=facts.docmdp_ok,
        certification=certification,
        revocation=_revocation(subindic, status, indication),
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
