"""Group commit: many callers, one statement a window, each answered only once its row has committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from hub.nodes.nonces import PgNonceStore
from simpul.db.grouped import Grouped
from simpul.db.pool import create_pool
from tests.databases import connection, hub_pool_with_kutim

# Each row records the transaction that wrote it, so a test can count the statements.
_WRITE = """
INSERT INTO beats (code, level) SELECT * FROM unnest($1::text[], $2::int[])
ON CONFLICT (code) DO UPDATE SET level = excluded.level
RETURNING code, level, txid_current() AS tx
"""


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async with connection(database) as conn:
        await conn.execute("CREATE TABLE beats (code text PRIMARY KEY, level int NOT NULL CHECK (level >= 0))")
    pool = await create_pool(database, "public")
    try:
        yield pool
    finally:
        await pool.close()


async def test_callers_of_one_window_share_one_statement_and_each_returns_after_its_row_committed(
        pool: asyncpg.Pool, database: str) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=0.2)

    async def beat(code: str, level: int) -> tuple[asyncpg.Record | None, asyncpg.Record | None]:
        written = await grouped(code, code, level)
        async with connection(database) as other:  # another session sees it: committed, not only sent
            return written, await other.fetchrow("SELECT level FROM beats WHERE code = $1", code)

    answers = await asyncio.gather(*(beat(f"n{i}", i) for i in range(50)))
    assert [(written["code"], written["level"]) for written, _ in answers if written] == [
        (f"n{i}", i) for i in range(50)]
    assert [seen["level"] for _, seen in answers if seen] == list(range(50))
    assert len({written["tx"] for written, _ in answers if written}) == 1


async def test_a_quiet_writer_waits_for_no_window_and_a_busy_one_groups_calls_of_a_window(pool: asyncpg.Pool) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=600, busy=5)
    for i in range(5):  # a quiet second: each written at once, not after the 600 s window
        assert await asyncio.wait_for(grouped(f"q{i}", f"q{i}", i), 10) is not None
    await asyncio.sleep(1)  # that second, with its five calls, is over: the writer is busy now
    grouped.window = 0.5
    first = asyncio.ensure_future(grouped("a", "a", 1))
    await asyncio.sleep(0.1)  # a later turn of the loop, within the window
    second = await grouped("b", "b", 2)
    assert (await first)["tx"] == second["tx"]


async def test_a_full_window_is_written_at_once(pool: asyncpg.Pool) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=60, busy=0, most=10)
    written = await asyncio.wait_for(asyncio.gather(*(grouped(f"n{i}", f"n{i}", i) for i in range(10))), 10)
    assert all(row is not None for row in written)


async def test_a_key_given_twice_in_a_window_is_written_once_with_its_latest_row(pool: asyncpg.Pool) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=0.1)
    first, second = await asyncio.gather(grouped("n", "n", 1), grouped("n", "n", 2))
    assert first is not None and second is not None and first["level"] == second["level"] == 2
    assert await pool.fetchval("SELECT level FROM beats WHERE code = 'n'") == 2


async def test_a_failing_statement_fails_every_caller_of_its_window_and_the_next_window_writes(
        pool: asyncpg.Pool) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=0.1)
    outcomes = await asyncio.gather(grouped("a", "a", 1), grouped("b", "b", -1), return_exceptions=True)
    assert all(isinstance(outcome, asyncpg.CheckViolationError) for outcome in outcomes)
    assert await pool.fetchval("SELECT count(*) FROM beats") == 0  # nothing of the failed window was kept
    assert (await grouped("a", "a", 1) or {}).get("level") == 1


async def test_a_caller_that_gives_up_does_not_stop_the_others_write(pool: asyncpg.Pool) -> None:
    grouped = Grouped(pool, _WRITE, key=lambda row: row["code"], window=0.2)
    leaving = asyncio.ensure_future(grouped("a", "a", 1))
    staying = asyncio.ensure_future(grouped("b", "b", 2))
    await asyncio.sleep(0)
    leaving.cancel()
    assert (await staying)["level"] == 2
    assert await pool.fetchval("SELECT count(*) FROM beats") == 2


async def test_a_nonce_sent_twice_at_once_or_later_is_remembered_once(database: str) -> None:
    async with hub_pool_with_kutim(database, 4) as hub_pool:
        nonces = PgNonceStore(hub_pool)
        at_once = await asyncio.gather(*(nonces.remember("64.08", "n-1", 0) for _ in range(5)))
        assert sorted(at_once) == [False] * 4 + [True]
        assert not await nonces.remember("64.08", "n-1", 0)
        assert await PgNonceStore(hub_pool).remember("64.08", "n-2", 0)
        assert not await PgNonceStore(hub_pool).remember("64.08", "n-2", 0)  # another replica's store
