"""Time-based one-time codes (RFC 6238), each accepted at most once.

A code is valid in its 30-second step and one step either side (clock drift). The step of the
last accepted code is stored on the user, and a code of that step or an earlier one is refused,
so an observed code cannot be replayed within its validity period (NIST SP 800-63B 5.1.4.2).
"""

from __future__ import annotations

__all__ = ["accept_code"]

import hmac
from datetime import datetime

import pyotp

from infra.identity.models import User

DRIFT_STEPS = 1


def accept_code(user: User, secret: str, code: str, now: datetime) -> bool:
    """Check ``code`` for ``user`` and, if it is new and valid, remember its step."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False
