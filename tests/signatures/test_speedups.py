"""The faster routines give exactly what pyHanko's and asn1crypto's own give."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from signatures import speedups

HEX_CASES = [
    b"<48656c6c6f> rest",
    b"<48 65\n6c\r6c\t6f\x00> rest",
    b"<4865f>",
    b"<ABCDEF0123>",
    b"<> rest",
    b"<48656c6c6f % a comment > with a bracket\n 21>tail",
    b"<FEFF00480069>",
    b"<" + b"ab" * 100_000 + b">tail",
]


@pytest.mark.parametrize("raw", HEX_CASES, ids=range(len(HEX_CASES)))
def test_hex_string_same_value_and_position_as_pyhanko(raw: bytes) -> None:
    ours, theirs = BytesIO(raw), BytesIO(raw)

    value = speedups.read_hex_string(ours)
    expected = speedups._ORIGINAL_HEX(theirs)

    assert type(value) is type(expected)
    assert value == expected
    assert ours.tell() == theirs.tell()


@pytest.mark.parametrize("raw", [b"<48656g>", b"<4865", b"<48 65 ] >"])
def test_bad_hex_strings_fail_like_pyhanko(raw: bytes) -> None:
    with pytest.raises(PdfStreamError):
        speedups._ORIGINAL_HEX(BytesIO(raw))
    with pytest.raises(PdfStreamError):
        speedups.read_hex_string(BytesIO(raw))


def _name(**attrs: str) -> x509.Name:
    return x509.Name.build(attrs)


def _utf8(name: x509.Name) -> x509.Name:
    """The same name re-encoded: every value as UTF8String instead of PrintableString."""
    return x509.Name.build(name.native, use_printable=False)


NAME_PAIRS = [
    (
        _name(common_name="Test QES CA", country_name="DE"),
        _name(common_name="Test QES CA", country_name="DE"),
    ),
    (_name(common_name="Test QES CA"), _name(common_name="test  qes   ca")),
    (_name(common_name="Test QES CA"), _utf8(_name(common_name="TEST QES CA"))),
    (_name(common_name="Test QES CA"), _name(common_name="Test QES CB")),
    (_name(common_name="Test", organization_name="Vergabe"), _name(common_name="Test")),
    (_name(common_name="Ä Straße"), _utf8(_name(common_name="ä straße"))),
]


@pytest.mark.parametrize(("left", "right"), NAME_PAIRS, ids=range(len(NAME_PAIRS)))
def test_name_equality_as_rfc_5280_and_asn1crypto(left: x509.Name, right: x509.Name) -> None:
    expected = speedups._ORIGINAL_EQ(left, right)

    assert speedups.name_equal(left, right) is expected
    assert (speedups.name_hashable(left) == speedups.name_hashable(right)) is expected
    assert speedups.name_hashable(left) == speedups._ORIGINAL_HASHABLE(left)


def test_name_equality_answers_false_for_other_types() -> None:
    assert speedups.name_equal(_name(common_name="x"), "x") is False


def test_installed_on_import_of_the_verifier() -> None:
    import signatures.verify  # noqa: F401  (installing is part of importing the verifier)

    assert generic.read_hex_string_from_stream is speedups.read_hex_string
    assert generic.read_object(BytesIO(b"<0a0B>"), None) == b"\x0a\x0b"  # type: ignore[arg-type]
    assert _name(common_name="A b") == _name(common_name="a  B")
    assert _name(common_name="A b") != _name(common_name="a c")
    assert _name(common_name="A b").hashable == speedups._ORIGINAL_HASHABLE(
        _name(common_name="a B")
    )


def test_a_tagged_name_compares_by_its_content() -> None:
    """A directory name inside a GeneralName is explicitly tagged; it still equals the bare one."""
    bare = _name(common_name="Test QES CA", country_name="DE")
    general = x509.GeneralName.load(x509.GeneralName(name="directory_name", value=bare).dump())
    tagged = general.chosen

    assert speedups.name_equal(tagged, bare) is speedups._ORIGINAL_EQ(tagged, bare) is True
    assert speedups.name_hashable(tagged) == speedups._ORIGINAL_HASHABLE(bare)
