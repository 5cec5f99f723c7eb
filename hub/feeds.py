"""Status flow back: pull each node's change feed into the ledger, from a watermark kept in PostgreSQL.

One pull reads a page of a node's feed and applies it in one transaction
with the new watermark, so a crash repeats a page rather than skipping one.
The watermark row is locked with SKIP LOCKED, so two hub replicas never
pull the same node at once. A node may poke the hub to pull it at once.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from hub.access.principal import node_principal
from hub.audit import record, routed
from hub.federation.client import NodeCallError, NodeClient
from hub.federation.nodewire import CHANGES, REPORT_TO_FORWARD, ChangesData, NodeChange, ReportToForwardData
from hub.ledger import Incoming, Ledger
from hub.registry import NodeRecord, NodeSelection, Registry
from simpul.db.pool import DATABASE_ERRORS
from simpul.wire import ReportStatus

log = logging.getLogger("simpul.feeds")

PAGE = 200
# Feeds pulled at once. Each pull holds a pooled connection across its node call, so a round over a
# thousand nodes at once took every connection for a second and queued the API's requests behind it.
PULLS_AT_ONCE = 8


class FeedPuller:
    """Keeps the ledger in step with every node's change feed."""

    def __init__(self, pool: asyncpg.Pool, client: NodeClient, ledger: Ledger) -> None:
        self.pool = pool
        self.client = client
        self.ledger = ledger
        self.registry = Registry(pool)
        self.poked: asyncio.Queue[str] = asyncio.Queue()
        self._pulling = asyncio.Semaphore(PULLS_AT_ONCE)

    async def pull(self, node: NodeRecord) -> int:
        """Apply the next page of `node`'s feed; the number of changes applied (0: none or busy)."""
        await self.pool.execute(
            "INSERT INTO feed_watermarks (node_code) VALUES ($1) ON CONFLICT DO NOTHING", node.code)
        async with self.pool.acquire() as conn, conn.transaction():
            cursor = await conn.fetchrow(
                "SELECT cursor FROM feed_watermarks WHERE node_code = $1 FOR UPDATE SKIP LOCKED", node.code)
            if cursor is None:
                return 0
            page = await self.client.query(node, CHANGES, {"after": cursor["cursor"], "first": PAGE}, ChangesData)
            for change in page.changes.changes:
                await self._apply(conn, node, change)
            if page.changes.changes:
                await conn.execute(
                    "UPDATE feed_watermarks SET cursor = $2, pulled_at = now() WHERE node_code = $1",
                    node.code, page.changes.changes[-1].cursor)
            return len(page.changes.changes)

    async def _apply(self, conn: asyncpg.Connection, node: NodeRecord, change: NodeChange) -> None:
        row = await conn.fetchrow(
            "SELECT holder_node, region_code FROM ledger WHERE tracking_number = $1 FOR UPDATE",
            change.tracking_number)
        if row is None:
            await self._first_seen(conn, node, change)
            return
        holder = row["holder_node"]
        if holder is None:
            delivered_here = await conn.fetchval(
                "SELECT true FROM deliveries WHERE tracking_number = $1 AND target_node = $2 AND purpose = 'ACCEPT'"
                " AND state IN ('PENDING', 'DONE')", change.tracking_number, node.code)
            holder = node.code if delivered_here else None
        if holder != node.code:
            return  # the origin's own copy after forwarding, or a unit that no longer holds it
        if change.status is ReportStatus.RECEIVED:
            return  # the forwarded copy arriving: the ledger already says DELIVERED
        rerouted = await self.ledger.apply_status(conn, change.tracking_number, node.code, change.status,
                                                  change.note, change.at)
        action, detail = ("REPORT_RETURNED", routed(rerouted)) if rerouted else ("STATUS_CHANGED", {})
        await record(conn, node_principal(node.code, node.region_code), action, f"report {change.tracking_number}",
                     row["region_code"], {"status": change.status.value, "at": change.at.isoformat(), **detail})

    async def _first_seen(self, conn: asyncpg.Connection, node: NodeRecord, change: NodeChange) -> None:
        """A report entered at this node's own door: record it and route it if nobody has handled it yet."""
        found = await self.client.query(node, REPORT_TO_FORWARD, {"id": change.report_id}, ReportToForwardData)
        report = found.report_to_forward
        if report is None or report.tracking_number != change.tracking_number:
            raise NodeCallError(NodeCallError.BAD_RESPONSE,
                                f"node {node.code} lists {change.report_id} in its feed but cannot produce it")
        incoming = Incoming(
            tracking_number=report.tracking_number, origin_id=report.id, origin_node=node.code, kind=report.kind,
            title=report.title, body=report.body, category=report.category, region_code=report.region_code,
            channel=report.channel, anonymous=report.reporter.anonymous,
            confidential=report.reporter.confidential,
            reporter_name=None if report.reporter.anonymous else report.reporter.name,
            reporter_contact=None if report.reporter.anonymous else report.reporter.contact,
            location=report.location, received_at=report.received_at, status=ReportStatus.RECEIVED,
        )
        # Route only what the door has not begun to handle: later changes in the feed follow.
        decision = await self.ledger.record(conn, incoming, route=report.status is ReportStatus.RECEIVED)
        if decision is not None:
            await record(conn, node_principal(node.code, node.region_code), "REPORT_ROUTED",
                         f"report {report.tracking_number}", report.region_code,
                         {"kind": report.kind.value, "channel": report.channel.value, **routed(decision)})

    async def pull_all(self, node: NodeRecord) -> None:
        """Pull `node` until its feed is exhausted, logging rather than raising on failure."""
        try:
            async with self._pulling:
                while await self.pull(node) == PAGE:
                    pass
        except NodeCallError as exc:
            log.info("feed of %s not pulled: %s", node.code, exc)
        except DATABASE_ERRORS as exc:
            log.warning("feed of %s not applied: %s", node.code, exc)

    async def run(self, interval: float) -> None:
        """Pull every active node each interval, and a poked node at once."""
        loop = asyncio.get_running_loop()
        next_round = loop.time()
        while True:
            timeout = max(0.0, next_round - loop.time())
            try:
                code = await asyncio.wait_for(self.poked.get(), timeout)
            except TimeoutError:
                try:
                    nodes = await self.registry.select(NodeSelection(status="ACTIVE"))
                except DATABASE_ERRORS as exc:  # a database outage skips rounds, never ends the puller
                    log.warning("feeds not pulled: database unavailable: %s", exc)
                    nodes = []
                await asyncio.gather(*(self.pull_all(n) for n in nodes))
                next_round = loop.time() + interval
                continue
            try:
                node = await self.registry.get(code)
            except DATABASE_ERRORS as exc:
                log.warning("poke from %s not followed: database unavailable: %s", code, exc)
                continue
            if node is not None and node.status == "ACTIVE":
                await self.pull_all(node)
