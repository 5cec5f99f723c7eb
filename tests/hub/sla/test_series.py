"""A year month by month from one read of the ledger: each month is what the monthly report counts for it,
on each report's own regional clock, and a month not begun is left out rather than shown as zero."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.sla.clocks import SlaDays
from hub.sla.compliance import Handling, node_compliance
from hub.sla.period import Period
from hub.sla.series import year_series
from tests.hub import ledger_rows

WITA, WIT = timezone(timedelta(hours=8)), timezone(timedelta(hours=9))
NOW = datetime(2026, 6, 15, 9, tzinfo=WITA)


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, ("64.08", "91.01")):
        yield hub_pool


async def test_each_month_counts_what_the_monthly_report_counts_on_the_regions_own_clock(pool: asyncpg.Pool) -> None:
    for number, received, region in (
        ("LPR-JAN", datetime(2026, 1, 15, 9, tzinfo=WITA), "64.08"),
        ("LPR-MAR-1", datetime(2026, 3, 10, 9, tzinfo=WITA), "64.08"),
        ("LPR-MAR-2", datetime(2026, 3, 1, 0, 30, tzinfo=WIT), "91.01"),  # 28 February in Jakarta, March in Papua
        ("LPR-APR", datetime(2026, 4, 2, 9, tzinfo=WITA), "64.08"),
    ):
        await ledger_rows.add_report(pool, number, received, region=region, holder=region, status="IN_PROCESS")
    await ledger_rows.add_event(pool, "LPR-MAR-1", "STATUS", datetime(2026, 3, 11, 9, tzinfo=WITA), "64.08",
                                "IN_PROCESS", "Sedang diperbaiki")
    nodes = await Registry(pool).select(NodeSelection())

    series, _ = await year_series(pool, SlaDays(), nodes, NOW, 2026)

    assert [m.period for m in series] == [Period(2026, m) for m in range(1, 7)]  # July has not begun
    assert [m.reports_received for m in series] == [1, 0, 2, 1, 0, 0]
    for month in series:
        figures, _ = await node_compliance(pool, SlaDays(), nodes, NOW, month.period)
        assert month.reports_received == sum(f.reports_held for f in figures)
        assert month.handling == sum((f.handling for f in figures), Handling())


async def test_a_months_series_stops_at_that_month(pool: asyncpg.Pool) -> None:
    nodes = await Registry(pool).select(NodeSelection())
    series, _ = await year_series(pool, SlaDays(), nodes, NOW, 2026, last_month=3)
    assert [m.period.month for m in series] == [1, 2, 3]
    assert (await year_series(pool, SlaDays(), nodes, NOW, 2027))[0] == []  # nothing of next year has begun
