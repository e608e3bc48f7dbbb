"""Append to and verify the audit chain; the hash format, for auditors who re-implement it.

Every state-changing service call, and every read of a sensitive object (bids, evidence
documents), calls :func:`record` in its own transaction: the event commits or rolls back with
the change it describes. :func:`verify` walks the chain and names the first broken link.

**Snapshot digests.** ``before`` and ``after`` are not stored, only their digests:
``SHA-256(msgspec.json.encode(snapshot, order="sorted"))`` as lowercase hex, ``None`` when no
snapshot is given. ``order="sorted"`` writes the keys of every dict and the fields of every
msgspec struct in sorted order, and sets as sorted arrays, so equal content gives an equal
digest whatever the order it was built in (a struct and a dict with the same fields digest
alike). msgspec writes UUIDs (lowercase, hyphenated), datetimes (RFC 3339, UTC as ``Z``),
dates and Decimals (``str(value)``) natively as JSON strings; the encoder's hook refuses every
other unsupported type, so that no ``repr`` with a memory address can make a digest
irreproducible. A digest lets anyone holding the object prove what it was at that moment; it
does not hide a snapshot whose content can be guessed (small, low-entropy snapshots can be
confirmed by trying candidates), so keep secrets (passwords, bid prices) out of snapshots.

**Event hash.** ``hash = SHA-256(J).hexdigest()`` (64 lowercase hex digits), where ``J`` is the
UTF-8 JSON text of this twelve-element array, without any whitespace::

    ["openvergabe.audit.v1", seq, at, actor_user_id, organisation_id, action, object_type,
     object_id, before_digest, after_digest, request_id, prev_hash]

``seq`` is a JSON integer; ``at`` the time in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always
six fraction digits); the UUIDs lowercase and hyphenated (36 characters); every other element a
JSON string exactly as stored; an absent value (SQL ``NULL``) is ``null``. Strings are escaped
as RFC 8259 requires and no further (``"``, ``\\`` and control characters; non-ASCII is written
as UTF-8), which is byte-for-byte what Python's
``json.dumps(array, ensure_ascii=False, separators=(",", ":")).encode()`` produces.
``prev_hash`` is the ``hash`` of the event with ``seq - 1``, or 64 zeros for event 1. For
example, the first event of an empty chain at 2026-03-27 09:00 UTC with nothing but action
``organisation.register`` and object type ``organisation`` hashes ::

    ["openvergabe.audit.v1",1,"2026-03-27T09:00:00.000000Z",null,null,"organisation.register",
    "organisation",null,null,null,null,"0000000000000000000000000000000000000000000000000000000000000000"]

(one line, no line break). Because ``seq`` and ``prev_hash`` are hashed, moving, editing,
deleting or inserting an event breaks the chain at that event or the one after it.

**What a hash chain alone cannot detect.** Deleting the newest events (truncating the tail)
leaves a shorter chain that verifies; so does a complete rewrite of the chain, recomputing every
hash, by someone with write access to the database. Both are detectable only against a head hash
kept outside the database: anchoring the head (for example a sealed daily digest, a later issue)
closes that gap. Until then, :func:`verify` proves internal consistency, not completeness.
"""

from __future__ import annotations

__all__ = ["BATCH_SIZE", "HASH_FORMAT", "EventContent", "digest", "event_hash", "record", "verify"]

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Protocol

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from infra.audit.models import GENESIS_HASH, AuditEvent
from infra.audit.repository import AuditRepository, StoredEvent
from infra.audit.schemas import ChainReport
from infra.logs import current_request_id

HASH_FORMAT = "openvergabe.audit.v1"
"""First element of every hashed array: names this format, so a successor cannot be confused."""
BATCH_SIZE = 1000
"""Events :func:`verify` reads per query."""

_LIMITS = {"action": 80, "object_type": 60, "object_id": 80, "request_id": 64}


def _refuse(value: object) -> object:
    raise TypeError(f"audit snapshots cannot contain {type(value).__name__} values")


def digest(snapshot: object) -> str | None:
    """SHA-256 (hex) of the canonical JSON of ``snapshot``; ``None`` for ``None``.

    Raises:
        TypeError: ``snapshot`` holds a value msgspec cannot encode.
    """
    if snapshot is None:
        return None
    canonical = msgspec.json.encode(snapshot, order="sorted", enc_hook=_refuse)
    return hashlib.sha256(canonical).hexdigest()


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


class EventContent(Protocol):
    """What the hash of an event covers: a stored :class:`AuditEvent` or a row read back."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_user_id(self) -> uuid.UUID | None: ...
    @property
    def organisation_id(self) -> uuid.UUID | None: ...
    @property
    def action(self) -> str: ...
    @property
    def object_type(self) -> str: ...
    @property
    def object_id(self) -> str | None: ...
    @property
    def before_digest(self) -> str | None: ...
    @property
    def after_digest(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def prev_hash(self) -> str: ...


def event_hash(event: EventContent) -> str:
    """The hash of one event, in the format documented in this module."""
    moment = event.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    content = [
        HASH_FORMAT,
        event.seq,
        moment + "Z",
        _text(event.actor_user_id),
        _text(event.organisation_id),
        event.action,
        event.object_type,
        event.object_id,
        event.before_digest,
        event.after_digest,
        event.request_id,
        event.prev_hash,
    ]
    return hashlib.sha256(msgspec.json.encode(content)).hexdigest()


async def record(
    session: AsyncSession,
    *,
    now: datetime,
    action: str,
    object_type: str,
    object_id: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    before: object = None,
    after: object = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append an event to the chain in the session's transaction (never commits).

    On PostgreSQL this takes the chain's advisory lock, held until the transaction ends: record
    late in a transaction, after the work that may fail, so appends wait as briefly as possible.
    A read is recorded like a change, with neither ``before`` nor ``after``.

    Args:
        now: The time of the event (aware; stored in UTC).
        action: ``<object>.<verb>``, e.g. ``organisation.register`` or ``bid.read``.
        before: The object before the change (a msgspec struct, dict, list or primitive);
            only its :func:`digest` is stored.
        after: The object after the change, likewise.
        request_id: Defaults to the id of the request being served, if any.

    Raises:
        ValueError: ``now`` is naive, or a text is longer than its column.
        TypeError: a snapshot holds a value that cannot be digested.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime given for an audit event")
    if request_id is None:
        request_id = current_request_id()
    texts = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "request_id": request_id,
    }
    for name, value in texts.items():
        if value is not None and len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} longer than {_LIMITS[name]} characters")
    at = now.astimezone(UTC)
    before_digest, after_digest = digest(before), digest(after)

    repository = AuditRepository(session)
    await repository.lock_chain()
    head = await repository.head()
    seq, prev_hash = (1, GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_user_id=actor_user_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before_digest=before_digest,
        after_digest=after_digest,
        request_id=request_id,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    await repository.add(event)
    return event


def _broken_link(event: StoredEvent, previous: StoredEvent | None) -> tuple[int, str] | None:
    """Where and why ``event`` does not continue the chain after ``previous``; else ``None``."""
    expected = 1 if previous is None else previous.seq + 1
    if event.seq < expected:
        return event.seq, f"event {event.seq}: before event 1, where the chain starts (inserted)"
    if event.seq > expected:
        last_missing = event.seq - 1
        missing = (
            f"event {expected}" if last_missing == expected else f"events {expected}–{last_missing}"
        )
        context = (
            f"the chain starts at event {event.seq}"
            if previous is None
            else f"event {event.seq} follows event {previous.seq}"
        )
        return expected, f"{missing}: missing (deleted) — {context}"
    if previous is None and event.prev_hash != GENESIS_HASH:
        return event.seq, f"event {event.seq}: previous hash is not the zero hash (inserted)"
    if previous is not None and event.prev_hash != previous.hash:
        return event.seq, (
            f"event {event.seq}: previous hash does not match event {previous.seq} "
            f"(reordered or inserted, or event {previous.seq} rewritten with a new hash)"
        )
    recomputed = event_hash(event)
    if recomputed != event.hash:
        return event.seq, f"event {event.seq}: content does not match its hash (edited)"
    return None


async def verify(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> ChainReport:
    """Walk the chain in ``seq`` order, ``batch_size`` events at a time; stop at the first break.

    Each event must follow its predecessor without a gap in ``seq``, carry its predecessor's hash
    as ``prev_hash`` (64 zeros for event 1) and match its own hash. See the module docstring for
    what this cannot detect (truncation, a complete rewrite).
    """
    repository = AuditRepository(session)
    previous: StoredEvent | None = None
    intact = 0
    while events := await repository.batch(None if previous is None else previous.seq, batch_size):
        for event in events:
            broken = _broken_link(event, previous)
            if broken is not None:
                return ChainReport(
                    ok=False,
                    events=intact,
                    head=None if previous is None else previous.hash,
                    broken_at=broken[0],
                    reason=broken[1],
                )
            previous = event
            intact += 1
    return ChainReport(
        ok=True,
        events=intact,
        head=None if previous is None else previous.hash,
        broken_at=None,
        reason=None,
    )
