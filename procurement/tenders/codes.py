"""CPV and NUTS codes as a tender states them.

A CPV code (Regulation (EC) No 213/2008) is eight digits and a check digit, ``45210000-2``. The
check digit is the sum of the digits weighted 3, 7, 1, 3, 7, 1, 3, 7, modulo 10 (it holds for
every code of the vocabulary; ``45000000-7`` construction work, ``72000000-5`` IT services).
A code may name a division (``45000000``), a group, a class or a category; trailing zeros fill
it up. The division (the first two digits) must be one of the vocabulary's.

A NUTS code (Regulation (EC) No 1059/2003) is the two-letter country code and up to three more
characters for the levels 1 to 3 (``DE5`` Bremen, ``DE501`` Bremen, city). The platform does
not ship the classification itself: it checks the form and the country.
"""

from __future__ import annotations

__all__ = ["cpv_check_digit", "cpv_division", "cpv_problem", "nuts_problem"]

import re

from prequalification.cpv_names import CPV_DIVISION_NAMES

_CPV = re.compile(r"([0-9]{8})-([0-9])")
_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)
_NUTS = re.compile(r"([A-Z]{2})([0-9A-Z]{0,3})")
_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
        "CH",
    ]
)
"""EU member states (Greece is ``EL`` in NUTS) and the EFTA states."""


def cpv_check_digit(digits: str) -> int:
    """The check digit of the eight digits of a CPV code."""
    return sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 10


def cpv_division(code: str) -> str:
    """The division (first two digits) of a valid CPV code."""
    return code[:2]


def cpv_problem(code: str) -> str | None:
    """Why ``code`` is no valid CPV code, or ``None``."""
    found = _CPV.fullmatch(code)
    if found is None:
        return "A CPV code is eight digits, a hyphen and a check digit, e.g. 45210000-2."
    digits, check = found.group(1), int(found.group(2))
    if cpv_check_digit(digits) != check:
        return f"The check digit of {digits} is {cpv_check_digit(digits)}, not {check}."
    if digits[:2] not in CPV_DIVISION_NAMES:
        return f"{digits[:2]} is not a division of the CPV."
    return None


def nuts_problem(code: str) -> str | None:
    """Why ``code`` is no NUTS code of an EU or EFTA state, or ``None``."""
    found = _NUTS.fullmatch(code)
    if found is None:
        return "A NUTS code is a country code and up to three letters or digits, e.g. DE501."
    if found.group(1) not in _COUNTRIES:
        return f"{found.group(1)} is not the NUTS code of an EU or EFTA state."
    return None
