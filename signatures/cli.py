"""``vergabe signatures verify``: check a signed file on the command line, offline.

Without ``--trust-anchor`` or ``--trusted-list`` the instance's trust is used (profile anchors,
the cached trusted lists and CRLs); with them, only what is given. ``--json`` prints the
:class:`~signatures.schemas.DocumentReport` as one JSON object; otherwise a summary in English.
"""

from __future__ import annotations

__all__ = ["EPILOG", "add_arguments", "verify_command"]

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import x509

from infra.settings import Settings
from signatures import service
from signatures.errors import SignatureError
from signatures.schemas import DocumentReport, SignatureResult, Verdict

if TYPE_CHECKING:
    from signatures.trust import TrustStore

EXIT_ACCEPTED, EXIT_NOT_ACCEPTED, EXIT_UNUSABLE = 0, 1, 2
EPILOG = (
    "exit codes: 0 accepted; 1 rejected, needs review or no signature; "
    "2 unreadable input, bad arguments or an invalid trusted list (one line on stderr)"
)


class Unusable(Exception):
    """The command cannot check anything: exit code 2 with this message."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="the signed PDF (or signed file)")
    parser.add_argument("--detached", type=Path, metavar="SIG", help="detached signature (.p7s)")
    parser.add_argument(
        "--trust-anchor", action="append", default=[], type=Path, metavar="PEM",
        help="trust these certificates as roots (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--trusted-list", action="append", default=[], type=Path, metavar="XML",
        help="a trusted list (ETSI TS 119 612); each needs a --tl-signer (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--tl-signer", action="append", default=[], type=Path, metavar="PEM",
        help="certificates allowed to sign the trusted list of the same position",
    )  # fmt: skip
    parser.add_argument("--at", metavar="ISO-8601", help="validation time (default: now)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Unusable(f"{path}: {exc.strerror or exc}") from None


def _moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Unusable(f"--at {value!r}: not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _certificates(path: Path) -> list[x509.Certificate]:
    from signatures.trust import load_certificates

    try:
        return list(load_certificates(_read(path)))
    except (ValueError, TypeError) as exc:
        raise Unusable(f"{path}: no certificate ({exc})") from None


def _trust(args: argparse.Namespace, settings: Settings, at: datetime) -> TrustStore:
    from signatures.trust import TrustedList, build_trust_store, load_trust_store

    if not args.trust_anchor and not args.trusted_list:
        return load_trust_store(settings, at=at)
    if len(args.trusted_list) != len(args.tl_signer):
        raise Unusable("give one --tl-signer for each --trusted-list, in the same order")
    anchors = [cert for path in args.trust_anchor for cert in _certificates(path)]
    lists = [
        TrustedList(xml=_read(xml), signers=tuple(_certificates(signer)), source=str(xml))
        for xml, signer in zip(args.trusted_list, args.tl_signer, strict=True)
    ]
    return build_trust_store(anchors=anchors, trusted_lists=lists, at=at)


def _signature_lines(number: int, result: SignatureResult) -> list[str]:
    signer = result.signer
    who = "unknown signer"
    if signer is not None:
        who = signer.name + (f" ({signer.organisation})" if signer.organisation else "")
    indication = result.indication + (f"/{result.subindication}" if result.subindication else "")
    lines = [
        f"signature {number}{f' [{result.field}]' if result.field else ''}: {who}",
        f"  label {result.label}, {indication} ({result.process} process), {result.level}",
    ]
    if signer is not None:
        lines.append(f"  certificate {signer.serial} issued by {signer.issuer}")
    lines += [
        f"  signing time {result.signing_time.isoformat() if result.signing_time else '-'}, "
        f"timestamp {result.timestamp_time.isoformat() if result.timestamp_time else '-'}",
        f"  coverage {result.coverage}, modifications {result.modification_level}, "
        f"revocation {result.revocation}",
    ]
    lines += [f"  - {reason.en}" for reason in result.reasons]
    return lines


def describe(report: DocumentReport) -> str:
    """The report as a few lines of English."""
    lines = [f"verdict: {report.verdict}"]
    lines += [f"  - {reason.en}" for reason in report.reasons]
    for number, result in enumerate(report.signatures, 1):
        lines += _signature_lines(number, result)
    lines += [
        f"document timestamps: {report.document_timestamps}",
        f"sha256: {report.sha256}",
        f"validated for: {report.validation_time.isoformat()}",
    ]
    return "\n".join(lines)


def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``vergabe signatures verify``; returns the exit code."""
    # pyHanko takes seconds to import: only this command loads it, not every ``vergabe`` call.
    from signatures.checking import verify_document
    from signatures.verify import Limits

    try:
        at = _moment(args.at)
        document = _read(args.file)
        signature = _read(args.detached) if args.detached is not None else None
        trust = _trust(args, settings, at)
        verification = asyncio.run(
            verify_document(
                document,
                signature,
                trust=trust,
                at=at,
                limits=Limits.from_settings(settings.signatures),
            )
        )
    except Unusable as exc:
        print(f"vergabe: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except SignatureError as exc:
        print(f"vergabe: {args.file}: {exc.detail}", file=sys.stderr)
        return EXIT_UNUSABLE
    report = verification.report
    print(service.encode_report(report).decode() if args.json else describe(report))
    return EXIT_ACCEPTED if report.verdict == Verdict.ACCEPTED else EXIT_NOT_ACCEPTED
