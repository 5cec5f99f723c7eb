"""The broadcaster: one LISTEN connection, bounded queues, slow clients cut off, lost connections told."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from hub.api.subscriptions import in_scope
from hub.events.broadcast import Broadcaster, EventsInterrupted, SubscriberTooSlow
from hub.events.publish import EventType, HubEvent, publish


def _status_changed(n: int, region: str = "64.08") -> HubEvent:
    return HubEvent(type=EventType.STATUS_CHANGED, at=datetime.now(UTC), region_code=region,
                    tracking_number=f"LPR-{n:08d}", node="64", status="VERIFIED", detail="STATUS")


@pytest.fixture
async def listening(database: str) -> AsyncIterator[Broadcaster]:
    """A broadcaster listening on a fresh database, with room for three waiting events per subscriber."""
    broadcaster = Broadcaster(max_queued=3)
    task = asyncio.create_task(broadcaster.run(database))
    yield broadcaster
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_slow_subscriber_is_cut_off_while_a_fast_one_gets_every_event(
    listening: Broadcaster, database: str
) -> None:
    fast = await listening.subscribe(in_scope(None, None))
    slow = await listening.subscribe(in_scope(None, None))
    first = asyncio.create_task(anext(fast))
    second = asyncio.create_task(anext(slow))
    await asyncio.wait_for(listening.registered(2), 5)  # both are waiting, registered with the broadcaster
    conn = await asyncpg.connect(database)
    try:
        received = []
        for n in range(6):
            await publish(conn, _status_changed(n))
            received.append(await asyncio.wait_for(first if n == 0 else anext(fast), 5))
    finally:
        await conn.close()

    assert [e.tracking_number for e in received] == [f"LPR-{n:08d}" for n in range(6)]
    assert (await second).tracking_number == "LPR-00000000"
    with pytest.raises(SubscriberTooSlow, match="more than 3 events were waiting"):
        await anext(slow)


async def test_open_subscriptions_end_when_the_listen_connection_is_lost_and_new_ones_work_after(
    listening: Broadcaster, database: str
) -> None:
    before = await listening.subscribe(in_scope(None, None))
    waiting = asyncio.create_task(anext(before))
    await asyncio.wait_for(listening.registered(1), 5)
    conn = await asyncpg.connect(database)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
                           " AND datname = current_database()"
                           " AND pid <> pg_backend_pid()")
        with pytest.raises(EventsInterrupted, match="subscribe again"):
            await asyncio.wait_for(waiting, 5)

        after = await listening.subscribe(in_scope("64", None))  # waits for the broadcaster to LISTEN again
        arrived = asyncio.create_task(anext(after))
        await asyncio.wait_for(listening.registered(1), 5)  # the ended one is gone, the new one is in
        await publish(conn, _status_changed(1, region="65"))
        await publish(conn, _status_changed(2, region="64.08"))
        assert (await asyncio.wait_for(arrived, 5)).tracking_number == "LPR-00000002"
    finally:
        await conn.close()


async def test_the_count_of_subscribers_is_reported_as_each_registers_and_leaves(database: str) -> None:
    counts: list[int] = []
    broadcaster = Broadcaster(counted=counts.append)
    task = asyncio.create_task(broadcaster.run(database))
    try:
        events = await broadcaster.subscribe(in_scope(None, None))
        assert broadcaster.subscribers == 0  # not until it waits for its first event
        waiting = asyncio.create_task(anext(events))
        await asyncio.wait_for(broadcaster.registered(1), 5)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        assert broadcaster.subscribers == 0 and counts == [1, 0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_scope_is_a_region_subtree_and_a_set_of_types() -> None:
    kaltim = in_scope("64", [EventType.STATUS_CHANGED])
    assert kaltim(_status_changed(1, region="64"))
    assert kaltim(_status_changed(1, region="64.08"))
    assert not kaltim(_status_changed(1, region="65"))
    assert not kaltim(_status_changed(1, region="640"))
    assert not kaltim(HubEvent(type=EventType.NODE_DOWN, at=datetime.now(UTC), region_code="64", node="64"))
    assert not kaltim(HubEvent(type=EventType.STATUS_CHANGED, at=datetime.now(UTC)))
    assert in_scope(None, None)(HubEvent(type=EventType.NODE_UP, at=datetime.now(UTC)))
