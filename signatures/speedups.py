"""Faster equivalents of two library routines that dominate a validation's time.

Both are installed once by :func:`install` (``signatures.verify`` does so on import) and both
give exactly the library's answer; ``tests/signatures/test_speedups.py`` holds each to the
original on the cases that matter.

- **PDF hex strings.** pyHanko 0.38 reads ``<…>`` one byte at a time through a generator. A
  signature's ``/Contents`` is such a string of tens of thousands of digits, read again for
  every revision the change analysis looks at: at ~25 KB documents a fifth of a validation.
  :func:`read_hex_string` scans it with bytes methods — the same whitespace rules, an odd digit
  count padded with ``0``, :class:`PdfStreamError` on a stray byte or a truncated stream. A
  string holding a comment (``%``) goes to pyHanko's own reader, which knows how comments end.
- **X.509 name comparison.** pyhanko-certvalidator compares and hashes names (RFC 5280 §7.1:
  string preparation, case folding, whitespace) thousands of times per validation through
  asn1crypto's ``Name.hashable``, which prepares every value again on every call. The prepared
  form is a pure function of the name's DER encoding; :func:`name_hashable` memoises it by that
  encoding (bounded), and :func:`name_equal` compares two names by it — the comparison
  ``Name.__eq__`` performs, attribute by attribute, gives the same answer. The CA names in
  submitted documents repeat from one document to the next, so the memo stays warm.
"""

from __future__ import annotations

__all__ = ["install", "name_equal", "name_hashable", "read_hex_string"]

import binascii
import os
import re
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE, PdfStreamError

_CHUNK = 64 * 1024
_NOT_HEX = re.compile(rb"[^0-9a-fA-F]")
_ORIGINAL_HEX = generic.read_hex_string_from_stream
_ORIGINAL_HASHABLE = x509.Name.hashable.fget
_ORIGINAL_EQ = x509.Name.__eq__
_NAMES_REMEMBERED = 8192


def read_hex_string(stream: Any) -> generic.ByteStringObject | generic.TextStringObject:
    """Read ``<hex digits>`` from ``stream`` (positioned at ``<``) into a PDF string object."""
    start = stream.tell()
    stream.read(1)
    parts: list[bytes] = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            raise PdfStreamError("Stream ended prematurely")
        end = chunk.find(b">")
        part = chunk if end < 0 else chunk[:end]
        if b"%" in part:
            stream.seek(start, os.SEEK_SET)
            return _ORIGINAL_HEX(stream)
        parts.append(part)
        if end >= 0:
            stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
            break
    digits = b"".join(parts).translate(None, PDF_WHITESPACE)
    stray = _NOT_HEX.search(digits)
    if stray is not None:
        raise PdfStreamError("Unexpected token in hex string: " + repr(stray.group()))
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_prepared: dict[bytes, str] = {}


def name_hashable(name: x509.Name) -> str:
    """The RFC 5280-prepared form of ``name`` that asn1crypto uses for hashing and equality."""
    # Keyed by the RDN sequence's content octets: the same whatever tagging the name carries
    # where it sits (a directory name in a GeneralName is explicitly tagged, for one).
    key = name.chosen.contents
    found = _prepared.get(key)
    if found is None:
        if len(_prepared) >= _NAMES_REMEMBERED:
            _prepared.clear()
        found = _prepared[key] = str(_ORIGINAL_HASHABLE(name))
    return found


def name_equal(name: x509.Name, other: object) -> bool:
    """RFC 5280 §7.1 name equality, by the prepared forms."""
    if not isinstance(other, x509.Name):
        return False
    return name_hashable(name) == name_hashable(other)


def _name_not_equal(name: x509.Name, other: object) -> bool:
    return not name_equal(name, other)


def install() -> None:
    """Put the faster routines in place (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string
    x509.Name.hashable = property(name_hashable)
    x509.Name.__eq__ = name_equal
    x509.Name.__ne__ = _name_not_equal
