"""Factories for test documents: plain PDFs of a chosen size, signed at any PAdES level.

Everything is generated from the test PKI (:mod:`tests.signatures.pki`) in-process, at fixed
times, with revocation data taken from the PKI's own CRL repositories and OCSP responder at the
signing time — nothing is fetched from a network.
"""

from __future__ import annotations

__all__ = [
    "SIGNED_AT",
    "add_document_timestamp",
    "add_revocation_data",
    "make_pdf",
    "sign_cades_detached",
    "sign_pdf",
    "sign_unchecked",
]

import asyncio
import concurrent.futures
import os
import zlib
from collections.abc import Coroutine
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any, Literal, TypeVar

from asn1crypto import cms
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from tests.signatures.pki import PKI_NOW, TestPki

SIGNED_AT = PKI_NOW - timedelta(days=10)
"""Default signing time: 2026-03-17, before the revoked signer's revocation."""

T = TypeVar("T")
REVINFO_DELAY = timedelta(minutes=5)
"""Revocation data is gathered, and the archive timestamp made, a few minutes after signing."""
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]


def make_pdf(pages: int = 1, *, padding_bytes: int = 0, text: str = "Angebot") -> bytes:
    """A valid PDF with ``pages`` pages of text and, if asked, incompressible filler.

    The filler (random bytes in an embedded stream) lets tests build files of a given size.
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids: list[int] = []
    pages_id_placeholder = len(objects) + 2 * pages + (1 if padding_bytes else 0) + 1
    for number in range(1, pages + 1):
        content = f"BT /F1 18 Tf 72 720 Td ({text} - Seite {number}) Tj ET".encode("latin-1")
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_id_placeholder, font, stream)
            )
        )
    if padding_bytes:
        filler = zlib.compress(os.urandom(padding_bytes), 0)
        add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(filler), filler))
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    pages_id = add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    assert pages_id == pages_id_placeholder
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)

    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def _validation_context(pki: TestPki, at: datetime, signer: str) -> ValidationContext:
    """Revocation data as a B-LT signer gathers it: fetched shortly after signing."""
    return ValidationContext(
        trust_roots=[pki.root],
        crls=pki.crls(at + REVINFO_DELAY),
        ocsps=[pki.ocsp_response(signer, at + timedelta(minutes=1))],
        allow_fetching=False,
        moment=at + REVINFO_DELAY,
    )


def sign_pdf(
    pki: TestPki,
    pdf: bytes,
    *,
    signer: str = "signer-qes",
    level: PadesLevel = "B-LTA",
    at: datetime = SIGNED_AT,
    tsa: str = "qtsa",
    field: str = "Signature1",
    certify: bool = False,
    docmdp: fields.MDPPerm = fields.MDPPerm.FILL_FORMS,
) -> bytes:
    """Sign ``pdf`` as PAdES at ``level`` by ``signer`` at time ``at``."""
    timestamped = level != "B-B"
    with_revinfo = level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=docmdp,
        embed_validation_info=with_revinfo,
        use_pades_lta=False,
        validation_context=_validation_context(pki, at, signer) if with_revinfo else None,
    )
    pdf_signer = _PdfSignerAt(
        at,
        meta,
        signer=pki.signer(signer),
        timestamper=pki.timestamper(tsa, at) if timestamped else None,
    )
    out = BytesIO()

    async def run() -> None:
        await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), output=out)

    _run(run())
    if level == "B-LTA":
        return add_document_timestamp(pki, out.getvalue(), at=at + REVINFO_DELAY, tsa=tsa)
    return out.getvalue()


def add_document_timestamp(pki: TestPki, pdf: bytes, *, at: datetime, tsa: str = "qtsa") -> bytes:
    """Add a document timestamp (PAdES-LTA archive timestamp) made at ``at``."""
    stamper = PdfTimeStamper(pki.timestamper(tsa, at))
    out = BytesIO()

    async def run() -> None:
        await stamper.async_timestamp_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf)),
            "sha256",
            validation_context=ValidationContext(
                trust_roots=[pki.root],
                crls=pki.crls(at),
                allow_fetching=False,
                moment=at,
            ),
            output=out,
        )

    _run(run())
    return out.getvalue()


class _PdfSignerAt(signers.PdfSigner):
    """A PDF signer whose claimed signing time is ``at`` instead of the system clock."""

    def __init__(self, at: datetime, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._at = at

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


def sign_cades_detached(
    pki: TestPki,
    data: bytes,
    *,
    signer: str = "signer-qes",
    at: datetime = SIGNED_AT,
    tsa: str | None = "qtsa",
) -> bytes:
    """A detached CAdES signature (DER, ``.p7s``) over ``data``."""
    cms_signer = pki.signer(signer)

    async def run() -> bytes:
        signed = await cms_signer.async_sign_general_data(
            data,
            "sha256",
            detached=True,
            timestamper=pki.timestamper(tsa, at) if tsa else None,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=at),
        )
        # CAdES-B-LT style: the CRLs go into the (unsigned) ``crls`` field of SignedData.
        signed["content"]["crls"] = [
            cms.RevocationInfoChoice({"crl": crl}) for crl in pki.crls(at + REVINFO_DELAY)
        ]
        return bytes(signed.dump(force=True))

    return _run(run())


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` from sync or async test code (a fresh loop in a worker thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def add_revocation_data(pki: TestPki, pdf: bytes, *, at: datetime, signer: str) -> bytes:
    """Append a DSS with the CRLs and the signer's OCSP answer as published at ``at``.

    This is how a B-T signature made with a certificate pyHanko would refuse to sign with
    (revoked, expired) still gets the revocation data that proves it.
    """
    reader = PdfFileReader(BytesIO(pdf))
    contents = reader.embedded_signatures[0].pkcs7_content
    out = BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        out,
        contents,
        crls=pki.crls(at),
        ocsps=[pki.ocsp_response(signer, at)],
        certs=pki.chain(),
        force_write=True,
    )
    return out.getvalue()


def sign_unchecked(
    pki: TestPki, pdf: bytes, *, signer: str, at: datetime, tsa: str = "qtsa"
) -> bytes:
    """A PAdES-B-T signature made at ``at`` without pyHanko's own pre-signing check."""
    return sign_pdf(pki, pdf, signer=signer, level="B-T", at=at, tsa=tsa)
