"""CPV codes with their check digit, NUTS codes by form and country."""

from __future__ import annotations

import pytest

from procurement.tenders.codes import cpv_check_digit, cpv_problem, nuts_problem

# Codes of the vocabulary (Regulation (EC) No 213/2008) with their published check digits.
KNOWN = [
    "03000000-1",
    "09000000-3",
    "15000000-8",
    "30000000-9",
    "30213100-6",
    "33000000-0",
    "44000000-0",
    "45000000-7",
    "45210000-2",
    "45233120-6",
    "48000000-8",
    "50000000-5",
    "71000000-8",
    "72000000-5",
    "72212000-4",
    "79000000-4",
    "90000000-7",
]


@pytest.mark.parametrize("code", KNOWN)
def test_codes_of_the_vocabulary_are_valid(code: str) -> None:
    assert cpv_problem(code) is None
    assert cpv_check_digit(code[:8]) == int(code[-1])


@pytest.mark.parametrize("code", KNOWN)
def test_every_other_check_digit_is_refused(code: str) -> None:
    for digit in set("0123456789") - {code[-1]}:
        problem = cpv_problem(code[:-1] + digit)
        assert problem is not None
        assert "check digit" in problem


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("45210000", "eight digits, a hyphen"),
        ("4521000-2", "eight digits, a hyphen"),
        ("45210000-22", "eight digits, a hyphen"),
        ("45210000-2\n", "eight digits, a hyphen"),
        ("4521OOOO-2", "eight digits, a hyphen"),
        (" 45210000-2", "eight digits, a hyphen"),
        ("２5210000-2", "eight digits, a hyphen"),
        ("13000000-4", "not a division"),
    ],
)
def test_malformed_codes_say_why(code: str, why: str) -> None:
    problem = cpv_problem(code)
    assert problem is not None
    assert why in problem


@pytest.mark.parametrize("code", ["DE", "DE5", "DE50", "DE501", "AT130", "EL301", "NO0A1"])
def test_nuts_codes_of_eu_and_efta_states(code: str) -> None:
    assert nuts_problem(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("de501", "country code"),
        ("DE5011", "country code"),
        ("D", "country code"),
        ("GR301", "not the NUTS code"),
        ("US123", "not the NUTS code"),
        ("DE-50", "country code"),
        ("DE5\n", "country code"),
    ],
)
def test_other_codes_are_refused(code: str, why: str) -> None:
    problem = nuts_problem(code)
    assert problem is not None
    assert why in problem
