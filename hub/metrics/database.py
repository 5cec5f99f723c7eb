"""Gauges read from PostgreSQL when /metrics is scraped: deliveries, overdue SLA stages, nodes.

A scrape refreshes them at most once a second per process, each query
bounded by a timeout; when PostgreSQL does not answer, the scrape still
answers at once, with the last values and simpul_database_up 0.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

from hub.metrics.families import HubMetrics
from hub.nodes.reachability import REACHABLE
from hub.nodes.status import NodeStatus
from hub.sla.clocks import CLOCKS, Stage
from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.metrics")

FRESH_FOR = 1.0  # seconds a refresh serves later scrapes
TIMEOUT = 2.0  # seconds the queries of one refresh may take together
DELIVERY_STATES = ("PENDING", "DEAD")
NODE_STATUSES = tuple(NodeStatus)

# One count per state over its partial index (deliveries_due, deliveries_dead), not a scan of the whole outbox.
_DELIVERIES = "SELECT " + ", ".join(f"(SELECT count(*) FROM deliveries WHERE state = '{state}') AS \"{state}\""
                                    for state in DELIVERY_STATES)

# A stage counts while it is still open and DeadlineWatch has announced its deadline (its marker
# '<stage>:<start in epoch microseconds>' is in overdue_notified, as StageClock.marker writes it).
# Only reports with an announced deadline are looked at, so the count costs what the late ones cost.
# Per unit stage: the condition that it is still open, and the moment its clock started (the marker's time).
_OPEN_STAGES = {
    Stage.VERIFICATION: ("r.verified_at IS NULL", "r.received_at"),
    Stage.FOLLOW_UP: ("r.follow_up_from IS NOT NULL AND r.followed_up_at IS NULL", "r.follow_up_from"),
    Stage.OUTER_LIMIT: ("r.file_complete_at IS NOT NULL AND r.settled_at IS NULL", "r.file_complete_at"),
    Stage.INFORMATION: ("r.kind = 'INFORMASI' AND r.kip_answered_at IS NULL", "r.received_at"),
    Stage.OBJECTION: ("r.kip_objected_at IS NOT NULL AND r.kip_objection_answered_at IS NULL", "r.kip_objected_at"),
}
_OVERDUE = "SELECT " + ", ".join(
    f"count(*) FILTER (WHERE {open_} AND '{stage}:' || (extract(epoch FROM {start}) * 1000000)::bigint::text"
    f" = ANY(r.overdue_notified)) AS \"{stage}\"" for stage, (open_, start) in _OPEN_STAGES.items()) + """
FROM (""" + CLOCKS + """
  WHERE l.status NOT IN ('ARCHIVED', 'REJECTED', 'CLOSED') AND cardinality(l.overdue_notified) > 0) r
"""

_NODES = f"""
SELECT status, count(*) AS n,
       count(*) FILTER (WHERE status = 'ACTIVE' AND {REACHABLE}) AS reachable
FROM nodes GROUP BY status
"""


class DatabaseGauges:
    """Refreshes the gauges of `metrics` that PostgreSQL knows, for the scrape being answered."""

    def __init__(self, pool: asyncpg.Pool, metrics: HubMetrics, heartbeat_grace: float) -> None:
        self.pool = pool
        self.metrics = metrics
        self.heartbeat_grace = heartbeat_grace
        self._refreshed = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Read the gauges again unless a refresh under a second old stands; never raises, never waits long."""
        async with self._lock:
            if time.monotonic() - self._refreshed < FRESH_FOR:
                return
            try:
                await asyncio.wait_for(self._read(), TIMEOUT)
            except DATABASE_ERRORS as exc:
                log.info("metrics not read from the database: %s", exc.__class__.__name__)
                self.metrics.database_up.set(0)
                return
            self.metrics.database_up.set(1)
            self._refreshed = time.monotonic()

    async def _read(self) -> None:
        m = self.metrics
        async with self.pool.acquire() as conn:
            deliveries = await conn.fetchrow(_DELIVERIES)
            overdue = await conn.fetchrow(_OVERDUE)
            nodes = await conn.fetch(_NODES, self.heartbeat_grace)
        for state in DELIVERY_STATES:
            m.deliveries.labels(state).set(deliveries[state])
        for stage in _OPEN_STAGES:
            m.sla_overdue.labels(stage.value).set(overdue[stage.value])
        by_status = {row["status"]: row["n"] for row in nodes}
        for status in NODE_STATUSES:
            m.nodes.labels(status).set(by_status.get(status, 0))
        m.nodes_reachable.set(sum(row["reachable"] for row in nodes))
