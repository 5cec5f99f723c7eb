"""Rebuild a node's part of the federation index from its change feed, read again from the start.

The feed is read first, outside any transaction, keeping each report's newest
snapshot; the old rows keep answering meanwhile. Then one transaction, holding
the node's watermark, switches: reports the index lacks are indexed as first
seen, reports whose status differs from the node's are corrected (an event in
their timeline says so), and the watermark moves to the end of the feed.
The same runs when a pull finds that a node's feed went backwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from hub.federation.nodewire import CHANGES, FEED_PAGE, ChangesData, NodeChange
from hub.registry import NodeRecord, record_call
from simpul.wire import ReportStatus

if TYPE_CHECKING:
    from hub.feeds import FeedPuller

log = logging.getLogger("simpul.index")


@dataclass(frozen=True)
class Rebuilt:
    node: str
    changes_read: int
    reports: int
    added: int
    corrected: int


async def rebuild_node(pool: asyncpg.Pool, puller: FeedPuller, node: NodeRecord,
                       progress: Callable[[str], None] = lambda line: None) -> Rebuilt:
    """Re-read `node`'s whole feed and make its part of the index equal to what the feed says."""
    latest: dict[str, NodeChange] = {}  # report id -> its first change, carrying its newest snapshot
    cursor: str | None = None
    read = 0
    while True:
        page = await puller.client.query(node, CHANGES, {"after": cursor, "first": FEED_PAGE}, ChangesData)
        for change in page.changes.changes:
            first = latest.get(change.report_id, change)
            latest[change.report_id] = first.model_copy(update={"report": change.report or first.report})
        read += len(page.changes.changes)
        if page.changes.changes:
            cursor = page.changes.changes[-1].cursor
        progress(f"{node.code}: {read} changes read, {len(latest)} reports")
        if not page.changes.has_more or not page.changes.changes:
            break
    added = corrected = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO feed_watermarks (node_code) VALUES ($1) ON CONFLICT DO NOTHING", node.code)
        await conn.execute("SELECT FROM feed_watermarks WHERE node_code = $1 FOR UPDATE", node.code)
        for change in latest.values():
            report = change.report
            row = await conn.fetchrow(
                "SELECT tracking_number, holder_node, status FROM ledger WHERE origin_id = $1 OR holder_id = $1"
                " LIMIT 1 FOR UPDATE", change.report_id)
            if row is None:
                await puller.apply(conn, node, change)
                added += bool(await conn.fetchval("SELECT true FROM ledger WHERE origin_id = $1", change.report_id))
            elif (report is not None and row["holder_node"] == node.code and report.status.value != row["status"]
                  and report.status is not ReportStatus.RECEIVED):
                await puller.ledger.apply_status(conn, row["tracking_number"], node.code, report.status,
                                                 "as the node's feed says, read again", report.updated_at)
                corrected += 1
        await conn.execute(
            "UPDATE feed_watermarks SET cursor = $2, pulled_at = now(), synced_at = now(), failed_at = NULL,"
            " error = NULL WHERE node_code = $1", node.code, cursor)
        await record_call(conn, node.code, None)
    log.info("index of %s rebuilt: %d changes, %d reports, %d added, %d corrected", node.code, read, len(latest),
             added, corrected)
    return Rebuilt(node.code, read, len(latest), added, corrected)


async def rebuild_nodes(database_url: str, code: str | None, progress: Callable[[str], None]) -> list[Rebuilt]:
    """`simpul index rebuild`: every active node's part of the index, or node `code`'s, one node at a time.
    A node that cannot be called is skipped with the reason (its rows stay as they are)."""
    import aiohttp

    from hub.db.migrate import migrate_hub
    from hub.federation.client import NodeCallError, NodeClient
    from hub.feeds import FeedPuller
    from hub.ledger import Ledger
    from hub.metrics.families import HubMetrics
    from hub.registry import NodeSelection, Registry
    from hub.routing import Router
    from hub.settings import SCHEMA, HubSettings
    from simpul.db.pool import create_pool
    from simpul.wire import InvalidInput

    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA)
    try:
        registry = Registry(pool)
        nodes = await registry.select(NodeSelection(codes=(code,) if code else None, status="ACTIVE"))
        if code and not nodes:
            raise InvalidInput(f"no active node {code!r}")
        settings = HubSettings()
        timeout = aiohttp.ClientTimeout(total=settings.node_timeout, sock_connect=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            puller = FeedPuller(pool, NodeClient(session, HubMetrics()), Ledger(Router(pool), settings.max_hops))
            rebuilt = []
            for node in nodes:
                try:
                    rebuilt.append(await rebuild_node(pool, puller, node, progress))
                except NodeCallError as exc:
                    progress(f"{node.code}: not rebuilt, the hub cannot call it: {exc.code}: {exc}")
            return rebuilt
    finally:
        await pool.close()
