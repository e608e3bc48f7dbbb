"""What a signature check reports: per signature and for the whole document (DESIGN.md §4).

These structs cross every boundary — the job stores them as JSON, the API returns them, the page
and the CLI render them — so they carry plain values only (strings, times, lists), never pyHanko
objects. Field names follow ETSI EN 319 102-1 where it has one.
"""

from __future__ import annotations

__all__ = [
    "Coverage",
    "DocumentReport",
    "Indication",
    "Label",
    "Level",
    "ModificationLevel",
    "Reason",
    "Revocation",
    "SignatureResult",
    "Signer",
    "Verdict",
]

from datetime import datetime
from enum import StrEnum

import msgspec


class Verdict(StrEnum):
    """The one answer for a document."""

    ACCEPTED = "accepted"
    """Every signature passed, is intact, covers its revision and nothing unexplained follows."""
    REJECTED = "rejected"
    """A signature failed, or the file was changed in a way no signature allows."""
    NEEDS_REVIEW = "needs_review"
    """Nothing failed outright, but a person must look (indeterminate, unexplained changes)."""
    NO_SIGNATURE = "no_signature"
    """The PDF carries no signature at all."""


class Indication(StrEnum):
    """ETSI EN 319 102-1 main status indication."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"


class Label(StrEnum):
    """Qualification of a signature, as the EU's DSS names it (ETSI TS 119 615 / 119 172-4)."""

    QESIG = "QESig"
    QESEAL = "QESeal"
    ADESIG_QC = "AdESig-QC"
    ADESEAL_QC = "AdESeal-QC"
    ADESIG = "AdESig"
    ADESEAL = "AdESeal"
    INDETERMINATE_QESIG = "Indeterminate QESig"
    INDETERMINATE_QESEAL = "Indeterminate QESeal"
    INDETERMINATE_ADESIG_QC = "Indeterminate AdESig-QC"
    INDETERMINATE_ADESEAL_QC = "Indeterminate AdESeal-QC"
    INDETERMINATE_ADES = "Indeterminate AdES"
    NOT_ADES = "Not AdES"


class Level(StrEnum):
    """Baseline level of the signature (ETSI EN 319 142-1 for PAdES, 319 122-1 for CAdES)."""

    PADES_B_B = "PAdES-B-B"
    PADES_B_T = "PAdES-B-T"
    PADES_B_LT = "PAdES-B-LT"
    PADES_B_LTA = "PAdES-B-LTA"
    CADES_B_B = "CAdES-B-B"
    CADES_B_T = "CAdES-B-T"


class Coverage(StrEnum):
    """How much of the file the signature's byte range covers (pyHanko's coverage level)."""

    ENTIRE_FILE = "entire_file"
    ENTIRE_REVISION = "entire_revision"
    CONTIGUOUS_BLOCK = "contiguous_block_from_start"
    UNCLEAR = "unclear"
    DETACHED = "detached"
    """A detached CAdES signature covers the whole separate file by its digest."""


class ModificationLevel(StrEnum):
    """The worst change made after the signature (pyHanko ``ModificationLevel``)."""

    NONE = "none"
    LTA_UPDATES = "lta_updates"
    FORM_FILLING = "form_filling"
    ANNOTATIONS = "annotations"
    OTHER = "other"


class Revocation(StrEnum):
    """Revocation status of the signer's certificate, from the data at hand only."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    """No usable revocation data in the document or the local cache."""


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """One reason for a verdict, for people in both platform languages."""

    code: str
    """Stable identifier, e.g. ``signature-revoked``; clients branch on this, not on text."""
    de: str
    """The reason in German."""
    en: str
    """The reason in English."""


class Signer(msgspec.Struct, frozen=True, kw_only=True):
    """Who signed, as the signing certificate names them."""

    name: str
    """Common name (or the whole subject when there is no common name)."""
    organisation: str | None
    """Organisation name from the certificate, if present."""
    serial: str
    """Certificate serial number in hexadecimal."""
    issuer: str
    """Issuer's distinguished name, human-readable."""
    subject: str
    """Subject's distinguished name, human-readable."""


class SignatureResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for one signature (document timestamps are counted, not listed)."""

    field: str | None
    """Name of the PDF signature field; ``None`` for a detached signature."""
    signer: Signer | None
    """The signer; ``None`` when the signature is too broken to name one."""
    label: Label
    """Qualification label (``QESig`` …)."""
    indication: Indication
    """ETSI EN 319 102-1 indication of the validation process that fits the level."""
    subindication: str | None
    """ETSI sub-indication, e.g. ``REVOKED_NO_POE``; ``None`` when passed."""
    process: str
    """Which ETSI process produced the indication: ``basic``, ``with-time`` or ``lta``."""
    level: Level
    """Baseline level of the signature."""
    signing_time: datetime | None
    """Time the signer claims (signed attribute); not proof of anything."""
    timestamp_time: datetime | None
    """Time proven by the signature timestamp, if any."""
    coverage: Coverage
    """How much of the file the signature covers."""
    modification_level: ModificationLevel
    """Worst change made to the file after this signature."""
    docmdp_ok: bool | None
    """Whether the changes stay within the certification (DocMDP) permissions; ``None`` when
    the signature is not a certification and no field lock applies."""
    certification: bool
    """Whether this is a certification (author) signature."""
    revocation: Revocation
    """Revocation status of the signer's certificate at the proven time."""
    bottom_line: bool
    """pyHanko's own bottom line (intact, valid, trusted, modifications allowed)."""
    reasons: list[Reason] = msgspec.field(default_factory=list)
    """What speaks against this signature; empty when it is accepted."""


class DocumentReport(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome for one document; the JSON report of a signature check."""

    verdict: Verdict
    """The one answer."""
    reasons: list[Reason]
    """Why, in German and English; empty when accepted."""
    signatures: list[SignatureResult]
    """Every signature in file order (document timestamps excluded)."""
    document_timestamps: int
    """How many document timestamps (PAdES-LTA) the file holds."""
    sha256: str
    """SHA-256 of the checked file (hex)."""
    validation_time: datetime
    """The time the validation was performed for."""
