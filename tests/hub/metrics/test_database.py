"""The gauges /metrics reads from PostgreSQL: overdue stages, deliveries, nodes, and a database that is gone."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from hub.metrics import database
from hub.metrics.database import DatabaseGauges
from hub.metrics.families import HubMetrics
from hub.sla.clocks import SlaDays
from hub.sla.deadlines import DeadlineWatch
from tests.hub import ledger_rows

WITA = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=WITA)  # a Monday


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64.08", "65")):
        yield hub_pool


def _value(metrics: HubMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def _read(pool: asyncpg.Pool) -> HubMetrics:
    metrics = HubMetrics()
    await DatabaseGauges(pool, metrics, heartbeat_grace=60).refresh()
    return metrics


async def test_a_stage_counts_as_overdue_once_its_deadline_is_announced_and_until_it_is_done(
    pool: asyncpg.Pool,
) -> None:
    await ledger_rows.add_report(pool, "LPR-OLD", datetime(2026, 11, 9, 9, 0, tzinfo=WITA))
    await ledger_rows.add_report(pool, "LPR-FRESH", datetime(2026, 11, 20, 9, 0, tzinfo=WITA))
    assert _value(await _read(pool), "simpul_sla_overdue", stage="VERIFICATION") == 0, "nothing announced yet"

    assert await DeadlineWatch(pool, SlaDays()).announce(NOW) == 2  # LPR-OLD: verification and follow-up
    metrics = await _read(pool)
    assert _value(metrics, "simpul_sla_overdue", stage="VERIFICATION") == 1
    assert _value(metrics, "simpul_sla_overdue", stage="FOLLOW_UP") == 1

    await pool.execute("UPDATE ledger SET followed_up_at = $2 WHERE tracking_number = $1", "LPR-OLD", NOW)
    await ledger_rows.add_event(pool, "LPR-OLD", "STATUS", NOW, node="64.08", status="IN_PROCESS",
                                note="Petugas meninjau lokasi")  # a tanggapan: a bare IN_PROCESS is no follow-up
    metrics = await _read(pool)
    assert _value(metrics, "simpul_sla_overdue", stage="VERIFICATION") == 0, "acted on: verified"
    assert _value(metrics, "simpul_sla_overdue", stage="FOLLOW_UP") == 0, "followed up, late but done"


async def test_the_kip_stages_and_the_60_day_limit_count_as_overdue_like_the_others(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-INFO", datetime(2026, 11, 2, 9, 0, tzinfo=WITA))  # 15 working days
    await pool.execute("UPDATE ledger SET kind = 'INFORMASI' WHERE tracking_number = 'LPR-INFO'")
    await ledger_rows.add_report(pool, "LPR-LAMA", datetime(2026, 9, 1, 9, 0, tzinfo=WITA), status="IN_PROCESS")

    await DeadlineWatch(pool, SlaDays()).announce(NOW)
    metrics = await _read(pool)
    assert _value(metrics, "simpul_sla_overdue", stage="INFORMATION") == 1, "a request unanswered after 10 days"
    assert _value(metrics, "simpul_sla_overdue", stage="OUTER_LIMIT") == 1, "not settled 60 days after a full file"
    assert _value(metrics, "simpul_sla_overdue", stage="OBJECTION") == 0

    await pool.execute("UPDATE ledger SET kip_answered_at = $2, kip_outcome = 'GRANTED' WHERE tracking_number = $1",
                       "LPR-INFO", NOW)
    await pool.execute("UPDATE ledger SET settled_at = $2 WHERE tracking_number = $1", "LPR-LAMA", NOW)
    metrics = await _read(pool)
    assert _value(metrics, "simpul_sla_overdue", stage="INFORMATION") == 0, "answered, late but done"
    assert _value(metrics, "simpul_sla_overdue", stage="OUTER_LIMIT") == 0, "selesai at last"


async def test_deliveries_and_nodes_are_counted_by_state(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-1", NOW, holder=None, routing="FORWARDING")
    for n, state in enumerate(("PENDING", "PENDING", "DEAD", "DONE")):
        await pool.execute("INSERT INTO deliveries (tracking_number, purpose, target_node, idempotency_key, state)"
                           " VALUES ('LPR-1', 'MARK_FORWARDED', '65', $1, $2)", f"k{n}", state)
    await pool.execute("UPDATE nodes SET last_heartbeat = now() WHERE code = '65'")
    await pool.execute("UPDATE nodes SET status = 'SUSPENDED' WHERE code = '64.08'")

    metrics = await _read(pool)
    assert _value(metrics, "simpul_deliveries", state="PENDING") == 2
    assert _value(metrics, "simpul_deliveries", state="DEAD") == 1
    assert _value(metrics, "simpul_nodes", status="ACTIVE") == 1
    assert _value(metrics, "simpul_nodes", status="SUSPENDED") == 1
    assert _value(metrics, "simpul_nodes_reachable") == 1
    assert _value(metrics, "simpul_database_up") == 1


async def test_a_database_that_is_gone_leaves_the_last_values_and_says_so_at_once(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "FRESH_FOR", 0.0)  # every scrape reads again
    metrics = HubMetrics()
    gauges = DatabaseGauges(pool, metrics, heartbeat_grace=60)
    await gauges.refresh()
    await pool.close()

    started = time.monotonic()
    await gauges.refresh()
    assert time.monotonic() - started < 1
    assert _value(metrics, "simpul_database_up") == 0
    assert _value(metrics, "simpul_nodes", status="ACTIVE") == 2, "the last values read stay"
