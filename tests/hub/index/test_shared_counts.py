"""Counts shared by the subscriptions of one scope: a count begun after a change is good for everyone who heard
it; one begun before is not, so nobody is sent counts that miss the change they heard."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from hub.access.principal import Principal, Role
from hub.index.reads import FederationIndex
from hub.nodes.selection import NodeSelection
from simpul.filters import ReportFilter
from simpul.wire import Dimension
from tests.hub import ledger_rows

KALTIM_ADMIN = Principal(role=Role.ADMIN, name="Biro Organisasi Kaltim", region_code="64")
KALTARA_ADMIN = Principal(role=Role.ADMIN, name="Biro Organisasi Kaltara", region_code="65")


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64.08", "65")):
        yield hub_pool


async def _count(index: FederationIndex, since: float, principal: Principal = KALTIM_ADMIN) -> int:
    counted = await index.stats(principal, NodeSelection(), ReportFilter(), [Dimension.STATUS], 1, since)
    return sum(b.count for b in counted.buckets)


async def test_those_who_heard_a_change_share_one_count_begun_after_it_and_never_one_begun_before(
        pool: asyncpg.Pool) -> None:
    index = FederationIndex(pool, stale_after=60)
    await ledger_rows.add_report(pool, "LPR-1", datetime.now(UTC))
    before = time.monotonic()
    shared = await asyncio.gather(*(index.stats(KALTIM_ADMIN, NodeSelection(), ReportFilter(), [Dimension.STATUS], 1,
                                                before) for _ in range(20)))
    assert all(s is shared[0] for s in shared)  # twenty subscribers, one count
    assert sum(b.count for b in shared[0].buckets) == 1

    await ledger_rows.add_report(pool, "LPR-2", datetime.now(UTC))
    heard = time.monotonic()
    assert await _count(index, before) == 1  # heard nothing since: the count begun then still serves
    assert await _count(index, heard) == 2  # heard the second report: counted again
    assert await _count(index, heard) == 2


async def test_counts_are_shared_within_one_scope_only(pool: asyncpg.Pool) -> None:
    index = FederationIndex(pool, stale_after=60)
    await ledger_rows.add_report(pool, "LPR-64", datetime.now(UTC))
    for number in ("LPR-65-A", "LPR-65-B"):
        await ledger_rows.add_report(pool, number, datetime.now(UTC), region="65", holder="65")
    since = time.monotonic()
    assert await _count(index, since, KALTIM_ADMIN) == 1
    assert await _count(index, since, KALTARA_ADMIN) == 2  # another region: its own count
    by_kind = await index.stats(KALTIM_ADMIN, NodeSelection(), ReportFilter(), [Dimension.KIND], 1, since)
    assert [(b.kind, b.status) for b in by_kind.buckets] == [("PENGADUAN", None)]  # other groups: their own
