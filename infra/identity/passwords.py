"""Passwords: argon2id hashing and the rules of NIST SP 800-63B.

At least 12 characters, at most 256, no composition rules; refused when zxcvbn rates it weak,
which covers its list of the 30,000 most common passwords, repetitions, sequences, keyboard
walks, dictionary words, and the user's own name, e-mail address and the platform's name.

Hashing takes tens of milliseconds of CPU, so request handlers use the ``*_async`` variants,
which run it in a worker thread (argon2 releases the GIL): a burst of logins neither blocks
the event loop for other requests nor leaves the second core idle.

Hash parameters: argon2id, 3 passes over 32 MiB, one lane (``bench/login.py`` prints the cost
here, 50-100 ms per hash on the 2-core reference machine). Hashes made with older parameters
are replaced at the next successful login.
"""

from __future__ import annotations

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "check_strength",
    "hash_password",
    "hash_password_async",
    "verify_password",
    "verify_password_async",
]

import asyncio
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
"""zxcvbn score 3: "safely unguessable", about 10^8 to 10^10 guesses."""

_HASHER = PasswordHasher(time_cost=3, memory_cost=32_768, parallelism=1)
_DUMMY_HASH = _HASHER.hash("timing-equaliser-not-a-password")


def check_strength(password: str, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` is not acceptable, or ``None`` if it is.

    Args:
        password: the candidate.
        context: words a guesser would try first (e-mail, name, platform name).
    """
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    words = [w for item in context for w in item.replace("@", " ").replace(".", " ").split() if w]
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE:
        return "too easy to guess (common, repetitive or built from your details)"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check ``password``; returns (valid, new hash if the stored one needs an upgrade).

    Without a stored hash (unknown account) a dummy hash is verified, so that answering takes
    as long as for a real account.
    """
    try:
        _HASHER.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if password_hash is None:
        return False, None
    if _HASHER.check_needs_rehash(password_hash):
        return True, _HASHER.hash(password)
    return True, None


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` in a worker thread."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(
    password_hash: str | None, password: str
) -> tuple[bool, str | None]:
    """:func:`verify_password` in a worker thread."""
    return await asyncio.to_thread(verify_password, password_hash, password)
