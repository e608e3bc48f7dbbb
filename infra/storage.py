"""Document storage on the local file system, with an area for temporary uploads.

Files are written to a temporary name and renamed into place after ``fsync``, so a stored file
is either complete or absent. Temporary uploads (parts of an upload not yet attached to a
record) are purged by housekeeping once older than ``temp_ttl_hours``.
"""

from __future__ import annotations

__all__ = ["Storage"]

import os
import uuid
from datetime import datetime
from pathlib import Path


class Storage:
    """Local document storage below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp_dir = root / "tmp"

    def ensure(self) -> None:
        """Create the directories (idempotent)."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def write_temp(self, data: bytes) -> Path:
        """Keep ``data`` as a temporary upload and return its path."""
        self.ensure()
        path = self.temp_dir / uuid.uuid4().hex
        partial = path.with_suffix(".part")
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(path)
        return path

    def purge_temp(self, older_than: datetime) -> int:
        """Delete temporary uploads last modified before ``older_than``; return how many."""
        if not self.temp_dir.is_dir():
            return 0
        cutoff = older_than.timestamp()
        purged = 0
        for entry in self.temp_dir.iterdir():
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    purged += 1
            except FileNotFoundError:
                continue
        return purged
