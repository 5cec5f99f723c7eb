"""Node went down, node came back: NODE_DOWN / NODE_UP, announced once per transition.

Each hub replica compares every active node's heartbeat with the reachability
last announced for it (`nodes.announced_reachable`). The rows that changed are
locked with SKIP LOCKED and flipped in the transaction that publishes the
events, so when several replicas look at once, one of them announces.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from hub.events.publish import EventType, HubEvent, publish
from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.reachability")

# Reachable: heard from within the grace, and callable at its endpoint when the hub last called (NodeRecord.reachable).
REACHABLE = "(call_error IS NULL AND coalesce(last_heartbeat >= now() - make_interval(secs => $1), false))"

_FLIP = f"""
WITH changed AS (
    SELECT code FROM nodes
    WHERE status = 'ACTIVE' AND announced_reachable <> {REACHABLE}
    FOR UPDATE SKIP LOCKED
)
UPDATE nodes SET announced_reachable = {REACHABLE}
FROM changed WHERE nodes.code = changed.code
RETURNING nodes.code, nodes.region_code, nodes.announced_reachable, nodes.last_heartbeat, nodes.call_error,
          now() AS at
"""


def watch_interval(heartbeat_grace: float) -> float:
    """How often to look: a third of the grace, between half a second and five seconds."""
    return max(0.5, min(5.0, heartbeat_grace / 3))


class ReachabilityWatch:
    """Publishes NODE_DOWN when a node's heartbeat is older than the grace, NODE_UP when one arrives again."""

    def __init__(self, pool: asyncpg.Pool, heartbeat_grace: float) -> None:
        self.pool = pool
        self.heartbeat_grace = heartbeat_grace

    async def check(self) -> list[HubEvent]:
        """Announce every transition since the last check, by any replica; return what this one announced."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_FLIP, self.heartbeat_grace)
            events = [_event(row) for row in rows]
            for event in events:
                await publish(conn, event)
        for event in events:
            log.info("node %s: %s", event.node, event.type.value)
        return events

    async def run(self) -> None:
        """Check until cancelled."""
        interval = watch_interval(self.heartbeat_grace)
        while True:
            try:
                await self.check()
            except DATABASE_ERRORS as exc:
                log.warning("node reachability not checked: %s", exc)
            await asyncio.sleep(interval)


def _event(row: asyncpg.Record) -> HubEvent:
    up = row["announced_reachable"]
    if up:
        detail = "heartbeat received"
    elif row["call_error"] is not None:
        detail = f"the hub cannot call it: {row['call_error']}"
    else:
        detail = f"no heartbeat since {row['last_heartbeat'].isoformat() if row['last_heartbeat'] else 'enrolment'}"
    return HubEvent(type=EventType.NODE_UP if up else EventType.NODE_DOWN, at=row["at"],
                    region_code=row["region_code"], node=row["code"], detail=detail)
