"""DEADLINE_PASSED events: each passed stage announced once, even by replicas racing each other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from hub.sla.clocks import SlaDays
from hub.sla.deadlines import DeadlineWatch
from tests.hub import ledger_rows
from tests.live_events import Heard, listening

WITA = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=WITA)  # a Monday


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database):
        yield hub_pool


@pytest.fixture
async def heard(database: str) -> AsyncIterator[Heard]:
    """Every live event published on the database, as it arrives."""
    async with listening(database) as events:
        yield events


async def test_a_passed_deadline_is_announced_once(pool: asyncpg.Pool, heard: Heard) -> None:
    await ledger_rows.add_report(pool, "LPR-OLD", datetime(2026, 11, 9, 9, 0, tzinfo=WITA))
    await ledger_rows.add_report(pool, "LPR-FRESH", datetime(2026, 11, 20, 9, 0, tzinfo=WITA))
    watch = DeadlineWatch(pool, SlaDays())

    assert await watch.announce(NOW) == 2
    assert await watch.announce(NOW) == 0

    events = await heard.everything_sent()
    assert [(e["type"], e["tracking_number"], e["node"], e["detail"]) for e in events] == [
        ("DEADLINE_PASSED", "LPR-OLD", "64.08",
         "VERIFICATION: 3 working days from 2026-11-09T09:00:00+08:00 ended 2026-11-13T00:00:00+08:00"),
        ("DEADLINE_PASSED", "LPR-OLD", "64.08",
         "FOLLOW_UP: 5 working days from 2026-11-09T09:00:00+08:00 ended 2026-11-17T00:00:00+08:00"),
    ]
    assert datetime.fromisoformat(events[0]["at"]) == datetime(2026, 11, 13, tzinfo=WITA)
    async with pool.acquire() as conn, conn.transaction():
        # Announced stages are no longer looked at; the fresh one is near its deadline, not past it.
        assert [r["tracking_number"] for r in await watch.candidates(conn, "", NOW)] == ["LPR-FRESH"]


async def test_the_reporters_window_closing_is_announced_too(pool: asyncpg.Pool, heard: Heard) -> None:
    received, completed = datetime(2026, 10, 1, 9, 0, tzinfo=WITA), datetime(2026, 11, 6, 9, 0, tzinfo=WITA)
    await ledger_rows.add_report(pool, "LPR-DONE", received, status="COMPLETED", forwarded_at=received,
                                 followed_up_at=received, completed_at=completed)

    assert await DeadlineWatch(pool, SlaDays()).announce(NOW) == 1

    [event] = await heard.everything_sent()
    assert event["detail"].startswith("REPORTER_RESPONSE: 10 working days from 2026-11-06T09:00:00+08:00")


async def test_replicas_racing_announce_each_deadline_once(pool: asyncpg.Pool, heard: Heard) -> None:
    for i in range(30):
        await ledger_rows.add_report(pool, f"LPR-{i:04d}", datetime(2026, 11, 2, 9, 0, tzinfo=WITA))
    replicas = [DeadlineWatch(pool, SlaDays()) for _ in range(3)]

    counts = await asyncio.gather(*(r.announce(NOW) for r in replicas))

    assert sum(counts) == 60
    events = await heard.everything_sent()
    assert len(events) == 60
    assert len({(e["tracking_number"], e["detail"].split(":")[0]) for e in events}) == 60


async def test_a_report_without_a_calendar_is_skipped_not_guessed(
    pool: asyncpg.Pool, heard: Heard, caplog: pytest.LogCaptureFixture
) -> None:
    await ledger_rows.add_report(pool, "LPR-1945", datetime(1945, 9, 3, 9, 0, tzinfo=WITA))
    watch = DeadlineWatch(pool, SlaDays())

    assert await watch.announce(NOW) == 0

    assert "no holiday calendar for 1945" in caplog.text
    assert await pool.fetchval("SELECT overdue_notified FROM ledger WHERE tracking_number = 'LPR-1945'") == []
