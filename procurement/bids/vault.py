"""Sealed storage of bids (§ 54 VgV): AES-256-GCM with a data key per tender, wrapped by a
key-encryption key (KEK) that is not in the database.

- Each tender gets a random 256-bit data key the first time a company prepares a bid on it. The
  database keeps it only wrapped by the KEK (AES-256-GCM, the tender id as associated data), in
  ``bid_tender_keys``, with the KEK's id so that a rotated KEK can be told apart.
- Every sealed value is ``nonce (12 bytes) || ciphertext || tag`` with a fresh random nonce, and
  associated data that binds it to its place (``bid/<bid id>/content``,
  ``document/<document id>/file`` …): a sealed value copied to another row or file does not open.
- The KEK comes from the settings: :class:`FileKek` reads 32 random bytes from a file
  (development generates one); :class:`KeyEncryptionKey` is the interface for a PKCS#11 token or
  a cloud KMS, which wrap and unwrap without the key ever leaving them.

Who may unseal what is decided by the callers, not here: the company its own bid at any time,
the authority's officers and evaluators only after the two-person opening
(:mod:`procurement.bids.opening`), the worker for the signature check. Someone holding only a
copy of the database or of the files holds ciphertext.
"""

from __future__ import annotations

__all__ = [
    "DATA_KEY_BYTES",
    "BidFiles",
    "FileKek",
    "KeyEncryptionKey",
    "SealBroken",
    "check_context",
    "content_context",
    "data_key",
    "document_context",
    "kek_from_settings",
    "manifest_context",
    "manifest_of",
    "meta_context",
    "minutes_context",
    "open_sealed",
    "receipt_context",
    "seal",
]

import functools
import hashlib
import os
import secrets
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from infra.settings import Settings
from procurement.bids.models import Submission, TenderKey
from procurement.bids.schemas import Manifest

DATA_KEY_BYTES = 32
_NONCE = 12


class SealBroken(Exception):
    """A sealed value did not open: wrong key, wrong place, or changed bytes."""


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps data keys; a hardware token or KMS implements the same two calls."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """``plaintext`` sealed with ``key`` (AES-256-GCM, fresh nonce, ``context`` as AAD)."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, sealed: bytes, context: bytes) -> bytes:
    """The plaintext of ``sealed``.

    Raises:
        SealBroken: wrong key or context, or changed bytes.
    """
    if len(sealed) < _NONCE + 16:
        raise SealBroken("sealed value too short")
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], context)
    except InvalidTag as exc:
        raise SealBroken("sealed value does not open") from exc


class FileKek:
    """A KEK of 32 random bytes in a file (hex or raw)."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        text = raw.strip()
        key = bytes.fromhex(text.decode("ascii")) if len(text) == 64 else raw
        if len(key) != DATA_KEY_BYTES:
            raise ValueError(f"{path}: a key-encryption key is 32 bytes (64 hex digits)")
        self._key = key
        self._id = hashlib.sha256(b"openvergabe.kek.v1" + key).hexdigest()[:32]

    @property
    def key_id(self) -> str:
        return self._id

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        return seal(self._key, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        return open_sealed(self._key, wrapped, context)


def kek_from_settings(settings: Settings) -> KeyEncryptionKey:
    """The KEK the settings name (:attr:`infra.settings.BidSettings.kek_file`)."""
    path = settings.bids.kek_file
    if path is None:
        raise RuntimeError("no key-encryption key configured (VERGABE_BID_KEK_FILE)")
    stat = path.stat()  # a replaced file is read again
    return _file_kek(path, (stat.st_mtime_ns, stat.st_size, stat.st_ino))


@functools.lru_cache(maxsize=4)
def _file_kek(path: Path, version: tuple[int, int, int]) -> FileKek:
    """The file's KEK, read once per version of the file rather than once per request."""
    del version  # a part of the cache key only
    return FileKek(path)


def _context(tender_id: uuid.UUID) -> bytes:
    return f"openvergabe/tender-key/{tender_id}".encode()


async def data_key(
    session: AsyncSession,
    kek: KeyEncryptionKey,
    tender_id: uuid.UUID,
    *,
    now: datetime,
    create: bool,
) -> bytes | None:
    """The tender's data key, unwrapped; created on first use when ``create``.

    Two requests creating it at once insert one row (the second insert does nothing) and both
    read the row that won.

    Raises:
        SealBroken: the stored key was wrapped by another KEK or changed.
    """
    row = await session.get(TenderKey, tender_id)
    if row is None:
        if not create:
            return None
        fresh = secrets.token_bytes(DATA_KEY_BYTES)
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            insert(TenderKey)
            .values(
                tender_id=tender_id,
                kek_id=kek.key_id,
                wrapped=kek.wrap(fresh, _context(tender_id)),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["tender_id"])
        )
        row = (
            await session.scalars(
                select(TenderKey)
                .where(TenderKey.tender_id == tender_id)
                .execution_options(populate_existing=True)
            )
        ).one()
    if row.kek_id != kek.key_id:
        raise SealBroken(f"the tender's data key was wrapped by another KEK ({row.kek_id})")
    return kek.unwrap(row.wrapped, _context(tender_id))


class BidFiles:
    """Where sealed bid documents live: ``<storage>/bids/<tender id>/<document id>``."""

    def __init__(self, storage_root: Path) -> None:
        self.directory = storage_root / "bids"

    def path(self, tender_id: uuid.UUID, document_id: uuid.UUID) -> Path:
        return self.directory / str(tender_id) / str(document_id)

    def write(self, tender_id: uuid.UUID, document_id: uuid.UUID, sealed: bytes) -> None:
        """Write a sealed file: fsync, then rename into place (complete or absent)."""
        path = self.path(tender_id, document_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        try:
            with partial.open("wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)

    def read(self, tender_id: uuid.UUID, document_id: uuid.UUID) -> bytes:
        return self.path(tender_id, document_id).read_bytes()

    def remove(self, tender_id: uuid.UUID, document_id: uuid.UUID) -> None:
        self.path(tender_id, document_id).unlink(missing_ok=True)


def document_context(document_id: uuid.UUID) -> bytes:
    return f"openvergabe/bid-document/{document_id}/file".encode()


def meta_context(document_id: uuid.UUID) -> bytes:
    return f"openvergabe/bid-document/{document_id}/meta".encode()


def check_context(document_id: uuid.UUID) -> bytes:
    return f"openvergabe/bid-document/{document_id}/check".encode()


def content_context(bid_id: uuid.UUID) -> bytes:
    return f"openvergabe/bid/{bid_id}/content".encode()


def manifest_context(submission_id: uuid.UUID) -> bytes:
    return f"openvergabe/submission/{submission_id}/manifest".encode()


def receipt_context(submission_id: uuid.UUID) -> bytes:
    return f"openvergabe/submission/{submission_id}/receipt".encode()


def minutes_context(tender_id: uuid.UUID) -> bytes:
    return f"openvergabe/opening/{tender_id}/minutes".encode()


def manifest_of(submission: Submission, key: bytes) -> Manifest:
    """The bid as submitted (the opened manifest of ``submission``)."""
    plain = open_sealed(key, submission.manifest, manifest_context(submission.id))
    return msgspec.json.decode(plain, type=Manifest)
