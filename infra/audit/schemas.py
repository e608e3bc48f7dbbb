"""What verifying the audit chain reports."""

from __future__ import annotations

__all__ = ["ChainReport"]

import msgspec


class ChainReport(msgspec.Struct, frozen=True):
    """The outcome of walking the audit chain from its first event to its last."""

    ok: bool
    """``True`` when every event matches its hash and links to the one before, without gaps."""
    events: int
    """Events found intact: all of them when ``ok``, else those before the first broken link."""
    head: str | None
    """Hash of the last intact event (``None``: no intact event); anchor it outside the database."""
    broken_at: int | None
    """``seq`` of the first broken link (for a deletion: the first missing ``seq``)."""
    reason: str | None
    """One English sentence naming what is wrong, e.g. ``event 7: content does not match …``."""
