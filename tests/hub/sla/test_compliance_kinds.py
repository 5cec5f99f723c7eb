"""Compliance by kind over the ledger: aspirasi and permintaan informasi apart from pengaduan, the KIP figures,
and the 60-day outer limit as its own overdue figure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import lokal
import pytest

from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.sla.clocks import SlaDays, Stage
from hub.sla.compliance import node_compliance, overdue_reports
from simpul.wire import ReportKind
from tests.hub import ledger_rows

WITA = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 11, 2, 9, tzinfo=WITA)
AS_OF = datetime(2027, 1, 5, 12, tzinfo=WITA)  # past 60 days from 2 November


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database):
        yield hub_pool


async def _kinds(pool: asyncpg.Pool) -> None:
    """A complaint answered in time but never settled, an aspiration, and an information request answered on
    working day 9."""
    await ledger_rows.add_report(pool, "LPR-ADUAN", RECEIVED, status="IN_PROCESS")
    await pool.execute("INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public) VALUES"
                       " ('LPR-ADUAN', $1, 'STATUS', '64.08', 'IN_PROCESS', 'Sedang diperbaiki', true)",
                       RECEIVED + timedelta(days=1))
    await ledger_rows.add_report(pool, "LPR-SARAN", RECEIVED)
    await pool.execute("UPDATE ledger SET kind = 'ASPIRASI' WHERE tracking_number = 'LPR-SARAN'")
    answered = datetime.combine(lokal.add_working_days(RECEIVED.date(), 9), RECEIVED.time(), WITA)
    await ledger_rows.add_report(pool, "LPR-INFO", RECEIVED, status="IN_PROCESS", kip_answered_at=answered,
                                 kip_outcome="GRANTED")
    await pool.execute("UPDATE ledger SET kind = 'INFORMASI' WHERE tracking_number = 'LPR-INFO'")


async def test_each_kind_is_counted_apart_and_information_requests_on_the_kip_clock(pool: asyncpg.Pool) -> None:
    await _kinds(pool)
    nodes = await Registry(pool).select(NodeSelection())

    by_kind = {kind: (await node_compliance(pool, SlaDays(), nodes, AS_OF, kind=kind))[0][0] for kind in ReportKind}

    assert {k: f.reports_held for k, f in by_kind.items()} == {
        ReportKind.PENGADUAN: 1, ReportKind.ASPIRASI: 1, ReportKind.INFORMASI: 1}
    information = by_kind[ReportKind.INFORMASI]
    assert (information.information_due, information.information_on_time) == (1, 1)
    assert information.follow_ups_due == 0 and information.overdue == 0  # not on the complaint clock
    complaint = by_kind[ReportKind.PENGADUAN]
    assert (complaint.follow_ups_due, complaint.follow_ups_on_time) == (1, 1)
    assert complaint.outer_limit_overdue == 1 and complaint.overdue == 1


async def test_a_complaint_past_the_outer_limit_is_listed_overdue_by_that_stage(pool: asyncpg.Pool) -> None:
    await _kinds(pool)

    found, untimed = await overdue_reports(pool, SlaDays(), "64", AS_OF)

    stages = {(o.report.tracking_number, o.stage.stage) for o in found}
    assert ("LPR-ADUAN", Stage.OUTER_LIMIT) in stages
    assert not any(number == "LPR-INFO" for number, _ in stages)
    assert untimed.by_year == {}
