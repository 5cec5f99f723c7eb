"""NODE_DOWN / NODE_UP: each transition announced once, however many replicas look at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from hub.events.publish import EventType
from hub.nodes.reachability import ReachabilityWatch, watch_interval
from tests.databases import hub_pool_with_kutim

REPLICAS = 8


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """The hub's tables with one enrolled node, 64.08, never heard from."""
    async with hub_pool_with_kutim(database, REPLICAS) as hub_pool:
        yield hub_pool


async def _everyone_looks(pool: asyncpg.Pool) -> list[EventType]:
    """Every replica checks at once; the events all of them announced."""
    replicas = [ReachabilityWatch(pool, heartbeat_grace=3) for _ in range(REPLICAS)]
    announced = await asyncio.gather(*(r.check() for r in replicas))
    return [event.type for events in announced for event in events]


async def test_each_transition_is_announced_once_by_one_of_many_replicas(pool: asyncpg.Pool) -> None:
    assert await _everyone_looks(pool) == []  # never heard from: it never went up, so nothing went down

    await pool.execute("UPDATE nodes SET last_heartbeat = now() WHERE code = '64.08'")
    assert await _everyone_looks(pool) == [EventType.NODE_UP]
    assert await _everyone_looks(pool) == []

    await pool.execute("UPDATE nodes SET last_heartbeat = now() - interval '4 seconds' WHERE code = '64.08'")
    assert await _everyone_looks(pool) == [EventType.NODE_DOWN]
    assert await _everyone_looks(pool) == []


async def test_a_suspended_node_is_not_watched(pool: asyncpg.Pool) -> None:
    await pool.execute("UPDATE nodes SET last_heartbeat = now(), status = 'SUSPENDED' WHERE code = '64.08'")
    assert await _everyone_looks(pool) == []


def test_replicas_look_every_third_of_the_grace_within_bounds() -> None:
    assert watch_interval(3) == 1
    assert watch_interval(60) == 5
    assert watch_interval(0.3) == 0.5
