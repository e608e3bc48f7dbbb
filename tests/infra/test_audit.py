"""The audit chain (infra.audit): appends link to their predecessor, digests are canonical, and
verification names the first broken link for every kind of tampering, on this run's database.

Tampering is done the way an intruder with database access would: plain SQL on the table.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.audit import service as audit
from infra.audit.models import GENESIS_HASH, AuditEvent
from infra.audit.schemas import ChainReport
from infra.clock import ManualClock
from infra.logs import request_id_var
from tests.support import run_cli

ORGANISATION = uuid.UUID("3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
ACTOR = uuid.UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


class Snapshot(msgspec.Struct, frozen=True):
    legal_name: str
    city: str


async def _append(
    sessions: async_sessionmaker[AsyncSession], clock: ManualClock, count: int
) -> list[AuditEvent]:
    """``count`` events, each in a transaction of its own, one second apart."""
    events = []
    for number in range(count):
        async with sessions() as session, session.begin():
            events.append(
                await audit.record(
                    session,
                    now=clock.now(),
                    action="organisation.update",
                    object_type="organisation",
                    object_id=str(ORGANISATION),
                    actor_user_id=ACTOR,
                    organisation_id=ORGANISATION,
                    before={"city": "Kiel", "version": number},
                    after={"city": "Lübeck", "version": number + 1},
                )
            )
        clock.advance(timedelta(seconds=1))
    return events


async def _verify(sessions: async_sessionmaker[AsyncSession], batch_size: int = 2) -> ChainReport:
    async with sessions() as session:
        return await audit.verify(session, batch_size=batch_size)


async def _tamper(engine: AsyncEngine, *statements: str) -> None:
    """Run raw SQL in one committed transaction, as an intruder with write access would."""
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def _shift_from(engine: AsyncEngine, seq: int) -> None:
    """Move events ``seq``, ``seq + 1``, … one place up, making room at ``seq``."""
    await _tamper(
        engine,
        f"UPDATE audit_events SET seq = -seq WHERE seq >= {seq}",
        "UPDATE audit_events SET seq = 1 - seq WHERE seq < 0",
    )


async def _forge(sessions: async_sessionmaker[AsyncSession], seq: int, prev_hash: str) -> None:
    """Insert an event at ``seq`` with a correctly recomputed hash of its own."""
    forged = AuditEvent(
        seq=seq,
        at=datetime(2026, 3, 27, 9, 0, 2, tzinfo=UTC),
        actor_user_id=None,
        organisation_id=ORGANISATION,
        action="bid.read",
        object_type="bid",
        object_id="forged",
        before_digest=None,
        after_digest=None,
        request_id=None,
        prev_hash=prev_hash,
    )
    forged.hash = audit.event_hash(forged)
    async with sessions() as session, session.begin():
        session.add(forged)


class TestDigest:
    def test_equal_snapshots_digest_alike_whatever_the_key_order(self) -> None:
        # Given the same content built in two orders, nested
        first = {"name": "Muster GmbH", "address": {"city": "Kiel", "zip": "24103"}}
        second = {"address": {"zip": "24103", "city": "Kiel"}, "name": "Muster GmbH"}

        # Then their digests are equal
        assert audit.digest(first) == audit.digest(second)

    def test_a_struct_and_a_dict_with_the_same_fields_digest_alike(self) -> None:
        assert audit.digest(Snapshot(legal_name="Muster GmbH", city="Kiel")) == audit.digest(
            {"city": "Kiel", "legal_name": "Muster GmbH"}
        )

    def test_different_content_digests_differently(self) -> None:
        assert audit.digest({"city": "Kiel"}) != audit.digest({"city": "Kiel "})
        assert audit.digest([1, 2]) != audit.digest([2, 1])

    def test_uuids_datetimes_and_decimals_are_digested_as_strings(self) -> None:
        # Given a snapshot with a UUID, an instant and an amount
        moment = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
        snapshot = {"id": ORGANISATION, "at": moment, "amount": Decimal("216000.00")}

        # Then it digests like the same values written as strings
        assert audit.digest(snapshot) == audit.digest(
            {"id": str(ORGANISATION), "at": "2026-03-27T09:00:00Z", "amount": "216000.00"}
        )

    def test_digest_is_sha256_of_sorted_compact_json(self) -> None:
        expected = hashlib.sha256(b'{"a":1,"b":[true,null]}').hexdigest()

        assert audit.digest({"b": [True, None], "a": 1}) == expected

    def test_no_snapshot_has_no_digest(self) -> None:
        assert audit.digest(None) is None

    def test_a_value_without_a_canonical_encoding_is_refused(self) -> None:
        with pytest.raises(TypeError, match="cannot contain object"):
            audit.digest({"thing": object()})


class TestEventHash:
    def test_matches_an_independent_reimplementation_of_the_documented_format(self) -> None:
        # Given an event with every field set, including non-ASCII and a control character
        event = AuditEvent(
            seq=7,
            at=datetime(2026, 3, 29, 3, 30, 0, 120, tzinfo=UTC),
            actor_user_id=ACTOR,
            organisation_id=ORGANISATION,
            action="organisation.register",
            object_type="organisation",
            object_id='Müller & Söhne\t"KG"',
            before_digest=None,
            after_digest="ab" * 32,
            request_id="req-12345678",
            prev_hash="cd" * 32,
        )

        # When an auditor re-implements the format from the module docstring with the stdlib
        array = [
            "openvergabe.audit.v1",
            7,
            "2026-03-29T03:30:00.000120Z",
            str(ACTOR),
            str(ORGANISATION),
            "organisation.register",
            "organisation",
            'Müller & Söhne\t"KG"',
            None,
            "ab" * 32,
            "req-12345678",
            "cd" * 32,
        ]
        encoded = json.dumps(array, ensure_ascii=False, separators=(",", ":")).encode()

        # Then both give the same hash
        assert audit.event_hash(event) == hashlib.sha256(encoded).hexdigest()

    def test_the_documented_example_hashes_to_a_fixed_value(self) -> None:
        # Given the example event of the module docstring (pinned: the format must not drift)
        event = AuditEvent(
            seq=1,
            at=datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
            actor_user_id=None,
            organisation_id=None,
            action="organisation.register",
            object_type="organisation",
            object_id=None,
            before_digest=None,
            after_digest=None,
            request_id=None,
            prev_hash=GENESIS_HASH,
        )
        documented = (
            '["openvergabe.audit.v1",1,"2026-03-27T09:00:00.000000Z",null,null,'
            '"organisation.register","organisation",null,null,null,null,"' + "0" * 64 + '"]'
        )

        assert audit.event_hash(event) == hashlib.sha256(documented.encode()).hexdigest()

    def test_the_same_instant_in_another_zone_hashes_alike(self) -> None:
        def at(moment: datetime) -> str:
            return audit.event_hash(
                AuditEvent(
                    seq=1,
                    at=moment,
                    action="a.b",
                    object_type="a",
                    prev_hash=GENESIS_HASH,
                    actor_user_id=None,
                    organisation_id=None,
                    object_id=None,
                    before_digest=None,
                    after_digest=None,
                    request_id=None,
                )
            )

        utc = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
        berlin = utc.astimezone(ZoneInfo("Europe/Berlin"))
        assert at(utc) == at(berlin)


class TestRecord:
    async def test_events_link_to_their_predecessor_from_the_zero_hash(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # When three events are recorded
        first, second, third = await _append(sessions, clock, 3)

        # Then they are numbered 1, 2, 3 and each carries the hash of the one before
        assert [first.seq, second.seq, third.seq] == [1, 2, 3]
        assert first.prev_hash == GENESIS_HASH
        assert second.prev_hash == first.hash
        assert third.prev_hash == second.hash
        assert len({first.hash, second.hash, third.hash}) == 3

    async def test_stores_the_snapshot_digests_and_the_current_request_id(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given a request being served
        token = request_id_var.set("req-abcdef12")
        try:
            # When a change is recorded without an explicit request id
            async with sessions() as session, session.begin():
                await audit.record(
                    session,
                    now=clock.now(),
                    action="organisation.register",
                    object_type="organisation",
                    object_id=str(ORGANISATION),
                    actor_user_id=ACTOR,
                    after=Snapshot(legal_name="Muster GmbH", city="Kiel"),
                )
        finally:
            request_id_var.reset(token)

        # Then the stored row carries the request's id, the time and the digest of the snapshot
        async with sessions() as session:
            stored = (await session.scalars(select(AuditEvent))).one()
        assert stored.request_id == "req-abcdef12"
        assert stored.at == clock.now()
        assert stored.before_digest is None
        assert stored.after_digest == audit.digest({"city": "Kiel", "legal_name": "Muster GmbH"})
        assert stored.hash == audit.event_hash(stored)

    async def test_an_event_rolled_back_with_its_change_leaves_no_gap(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given an event whose transaction rolls back
        await _append(sessions, clock, 1)

        async def change_that_fails() -> None:
            async with sessions() as session, session.begin():
                await audit.record(session, now=clock.now(), action="bid.read", object_type="bid")
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError, match="the change failed"):
            await change_that_fails()

        # When the next event is recorded
        (event,) = await _append(sessions, clock, 1)

        # Then it takes the place of the rolled-back one and the chain is intact
        assert event.seq == 2
        assert (await _verify(sessions)).ok

    async def test_refuses_a_naive_time_and_a_text_longer_than_its_column(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session, session.begin():
            with pytest.raises(ValueError, match="naive"):
                await audit.record(
                    session, now=datetime(2026, 3, 27, 9, 0), action="a.b", object_type="a"
                )
            with pytest.raises(ValueError, match="action longer than 80"):
                await audit.record(session, now=datetime.now(UTC), action="a" * 81, object_type="a")


class TestVerify:
    async def test_an_empty_chain_is_intact(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        report = await _verify(sessions)

        assert report == ChainReport(ok=True, events=0, head=None, broken_at=None, reason=None)

    async def test_an_intact_chain_reports_its_length_and_head(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given five events, read back two at a time
        events = await _append(sessions, clock, 5)

        report = await _verify(sessions, batch_size=2)

        assert report == ChainReport(
            ok=True, events=5, head=events[-1].hash, broken_at=None, reason=None
        )

    async def test_an_edited_field_is_caught_at_its_event(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given five events, the third's action changed afterwards
        events = await _append(sessions, clock, 5)
        await _tamper(engine, "UPDATE audit_events SET action = 'organisation.view' WHERE seq = 3")

        report = await _verify(sessions)

        assert report == ChainReport(
            ok=False,
            events=2,
            head=events[1].hash,
            broken_at=3,
            reason="event 3: content does not match its hash (edited)",
        )

    async def test_a_changed_digest_is_caught_at_its_event(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given the fourth event's after-digest replaced by that of other content
        await _append(sessions, clock, 5)
        other = audit.digest({"city": "Flensburg"})
        await _tamper(engine, f"UPDATE audit_events SET after_digest = '{other}' WHERE seq = 4")

        report = await _verify(sessions)

        assert not report.ok
        assert report.broken_at == 4
        assert report.reason == "event 4: content does not match its hash (edited)"

    async def test_a_deleted_middle_event_is_named_as_missing(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        await _append(sessions, clock, 5)
        await _tamper(engine, "DELETE FROM audit_events WHERE seq = 3")

        report = await _verify(sessions)

        assert (report.ok, report.events, report.broken_at) == (False, 2, 3)
        assert report.reason == "event 3: missing (deleted) — event 4 follows event 2"

    async def test_deleted_events_at_the_start_are_named_as_a_range(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        await _append(sessions, clock, 4)
        await _tamper(engine, "DELETE FROM audit_events WHERE seq <= 2")

        report = await _verify(sessions)

        assert (report.ok, report.events, report.head, report.broken_at) == (False, 0, None, 1)
        assert report.reason == "events 1–2: missing (deleted) — the chain starts at event 3"

    async def test_two_events_swapped_are_caught_at_the_first_of_them(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given events 3 and 4 swapped (each now holds the other's content)
        await _append(sessions, clock, 5)
        await _tamper(
            engine,
            "UPDATE audit_events SET seq = -1 WHERE seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = -1",
        )

        report = await _verify(sessions)

        assert (report.ok, report.events, report.broken_at) == (False, 2, 3)
        assert report.reason is not None
        assert report.reason.startswith(
            "event 3: previous hash does not match event 2 (reordered or inserted"
        )

    async def test_a_forged_event_with_its_own_hash_but_a_wrong_link_is_caught(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given a forged event slipped in as event 4, hashed correctly but linked to event 2
        events = await _append(sessions, clock, 5)
        await _shift_from(engine, 4)
        await _forge(sessions, 4, prev_hash=events[1].hash)

        report = await _verify(sessions)

        assert (report.ok, report.events, report.head, report.broken_at) == (
            False,
            3,
            events[2].hash,
            4,
        )
        assert report.reason is not None
        assert report.reason.startswith("event 4: previous hash does not match event 3")

    async def test_a_forged_event_linked_correctly_is_caught_at_the_event_after_it(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given a forged event 4 that links to event 3, the old events 4, 5 moved to 5, 6
        events = await _append(sessions, clock, 5)
        await _shift_from(engine, 4)
        await _forge(sessions, 4, prev_hash=events[2].hash)

        report = await _verify(sessions)

        # Then the forgery itself passes, but the event after it no longer links
        assert (report.ok, report.events, report.broken_at) == (False, 4, 5)
        assert report.reason is not None
        assert report.reason.startswith("event 5: previous hash does not match event 4")

    async def test_an_event_before_the_first_is_caught(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
    ) -> None:
        await _append(sessions, clock, 2)
        await _forge(sessions, 0, prev_hash=GENESIS_HASH)

        report = await _verify(sessions)

        assert (report.ok, report.events, report.broken_at) == (False, 0, 0)
        assert report.reason == "event 0: before event 1, where the chain starts (inserted)"

    async def test_limit_deleting_the_newest_events_is_not_detectable_by_the_chain(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
    ) -> None:
        # Given five events of which the last two are deleted (documented limitation)
        events = await _append(sessions, clock, 5)
        await _tamper(engine, "DELETE FROM audit_events WHERE seq > 3")

        report = await _verify(sessions)

        # Then the chain verifies, but its head differs from the head seen before: only a head
        # anchored outside the database reveals the truncation
        assert report.ok
        assert report.head == events[2].hash != events[-1].hash


class TestConcurrentAppends:
    async def test_ten_sessions_appending_at_once_keep_one_unbroken_chain(
        self, sessions: async_sessionmaker[AsyncSession], clock: ManualClock
    ) -> None:
        # Given ten transactions that each record an event, all at once
        async def one(number: int) -> int:
            async with sessions() as session, session.begin():
                event = await audit.record(
                    session,
                    now=clock.now(),
                    action="bid.read",
                    object_type="bid",
                    object_id=f"bid-{number}",
                )
                await asyncio.sleep(0.01)  # hold the transaction open a little
                return event.seq

        seqs = await asyncio.gather(*(one(number) for number in range(10)))

        # Then each got its own place and the chain is intact
        assert sorted(seqs) == list(range(1, 11))
        report = await _verify(sessions)
        assert (report.ok, report.events) == (True, 10)


def _vergabe(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``vergabe args`` in this process, on this run's database."""
    done = run_cli(args, env=env)
    return done.exit_code, done.stdout, done.stderr


class TestAuditVerifyCommand:
    async def test_an_intact_chain_exits_0_with_its_length_and_head(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        environment: dict[str, str],
    ) -> None:
        events = await _append(sessions, clock, 3)

        code, stdout, stderr = _vergabe("audit", "verify", env=environment)

        assert code == 0, stderr
        assert stdout.strip() == f"audit trail intact: 3 events, head {events[-1].hash}"

    async def test_a_tampered_chain_exits_1_naming_the_event(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        engine: AsyncEngine,
        environment: dict[str, str],
    ) -> None:
        await _append(sessions, clock, 3)
        await _tamper(engine, "UPDATE audit_events SET object_id = 'other' WHERE seq = 2")

        code, stdout, stderr = _vergabe("audit", "verify", env=environment)

        assert code == 1, stderr
        assert stdout.strip() == (
            "audit trail broken at event 2: event 2: content does not match its hash (edited)"
        )
