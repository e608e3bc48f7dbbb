"""Random secrets handed out once and kept only as digests; TOTP secrets encrypted at rest."""

from __future__ import annotations

__all__ = ["digest", "new_api_token", "new_secret", "open_secret", "seal_secret"]

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

API_TOKEN_PREFIX = "vgb_"  # noqa: S105 - the public prefix of API tokens


def new_secret() -> tuple[str, str]:
    """A random URL-safe secret (256 bits) and its SHA-256 digest for storage."""
    value = secrets.token_urlsafe(32)
    return value, digest(value)


def new_api_token() -> tuple[str, str, str]:
    """An API token ``vgb_…``, its display prefix and its digest."""
    value = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return value, value[:12], digest(value)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _fernet(instance_secret: str) -> Fernet:
    key = hashlib.sha256(b"vergabe-totp:" + instance_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_secret(instance_secret: str, plain: str) -> str:
    """Encrypt a TOTP secret with a key derived from the instance secret."""
    return _fernet(instance_secret).encrypt(plain.encode()).decode()


def open_secret(instance_secret: str, sealed: str) -> str | None:
    """Decrypt a sealed secret; ``None`` if it cannot be (the instance secret changed)."""
    try:
        return _fernet(instance_secret).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
