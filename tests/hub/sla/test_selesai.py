"""The closing job: an answer that stood 10 working days with no reply makes its report selesai, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from hub.forwarding.ledger import _APPLY_STATUS
from hub.sla.selesai import SelesaiWatch
from tests.hub import ledger_rows

WITA = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 10, 1, 9, 0, tzinfo=WITA)
ANSWERED = datetime(2026, 11, 6, 9, 0, tzinfo=WITA)  # a Friday; the 10th working day after is Friday 20 November
SELESAI = datetime(2026, 11, 21, tzinfo=WITA)  # the end of that day, local time


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database):
        yield hub_pool


async def answered(pool: asyncpg.Pool, tracking_number: str, at: datetime = ANSWERED) -> None:
    await ledger_rows.add_report(pool, tracking_number, RECEIVED, status="COMPLETED", forwarded_at=RECEIVED,
                                 followed_up_at=RECEIVED, completed_at=at)


async def test_an_answer_without_reply_for_10_working_days_is_settled_once(pool: asyncpg.Pool) -> None:
    await answered(pool, "LPR-QUIET")
    watch = SelesaiWatch(pool, 10)

    assert await watch.settle(SELESAI - timedelta(seconds=1)) == []
    assert await watch.settle(SELESAI) == ["LPR-QUIET"]
    assert await watch.settle(SELESAI + timedelta(days=30)) == []

    assert await pool.fetchval("SELECT settled_at FROM ledger WHERE tracking_number = 'LPR-QUIET'") == SELESAI
    events = await pool.fetch("SELECT type, at, status FROM ledger_events WHERE tracking_number = 'LPR-QUIET'")
    assert [(e["type"], e["at"], e["status"]) for e in events] == [("SETTLED", SELESAI, "COMPLETED")]
    audit = await pool.fetch("SELECT actor, action FROM audit_log WHERE target = 'report LPR-QUIET'")
    assert [(a["actor"], a["action"]) for a in audit] == [("hub selesai job", "REPORT_SETTLED")]


async def test_reports_not_answered_or_reopened_are_not_settled(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-IN-PROCESS", RECEIVED, status="IN_PROCESS", followed_up_at=RECEIVED,
                                 completed_at=ANSWERED)  # answered once, then reopened by a reply
    await answered(pool, "LPR-FRESH", at=SELESAI - timedelta(days=3))

    assert await SelesaiWatch(pool, 10).settle(SELESAI + timedelta(days=1)) == []


async def test_replicas_racing_settle_each_report_once(pool: asyncpg.Pool) -> None:
    numbers = [f"LPR-{n:03d}" for n in range(60)]
    for number in numbers:
        await answered(pool, number)
    replicas = [SelesaiWatch(pool, 10) for _ in range(4)]

    rounds = await asyncio.gather(*(watch.settle(SELESAI) for watch in replicas for _ in range(3)))

    settled = [number for one in rounds for number in one]
    assert sorted(settled) == numbers
    assert await pool.fetchval("SELECT count(*) FROM ledger_events WHERE type = 'SETTLED'") == 60
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'REPORT_SETTLED'") == 60


async def test_a_settled_report_its_unit_reopens_is_selesai_no_more(pool: asyncpg.Pool) -> None:
    await answered(pool, "LPR-REOPENED")
    assert await SelesaiWatch(pool, 10).settle(SELESAI) == ["LPR-REOPENED"]

    async with pool.acquire() as conn:  # the unit's feed says it works on it again
        await conn.execute(_APPLY_STATUS, "LPR-REOPENED", "IN_PROCESS", SELESAI + timedelta(days=2))

    assert await pool.fetchval("SELECT settled_at FROM ledger WHERE tracking_number = 'LPR-REOPENED'") is None
