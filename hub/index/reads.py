"""National reads from the federation index: one PostgreSQL query whatever the number of nodes.

The index is the ledger (hub/db/migrations/0008_federation_index.sql): one row per report, shown at its
holder, fed by every node's change feed (hub/forwarding/feeds.py). A node that is down keeps its reports in the
answer as of its last pull; the answer says how fresh it is and names the nodes that are stale.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from hub.access.principal import Principal
from hub.forwarding.ledger import CONTENT_COLUMNS
from hub.nodes.selection import NodeSelection, Parameters
from simpul.cursor import Position
from simpul.errors import NotAllowed
from simpul.filters import ReportFilter
from simpul.report import StatsBucket
from simpul.wire import Dimension

FRESHNESS_TTL = 1.0  # seconds an answer's freshness may be reused by the next answers of the same scope

# A report as the index serves it, its content in the ledger's columns named like the content's fields.
REPORT_COLUMNS = (
    "tracking_number, origin_id, coalesce(holder_id, origin_id) AS id, coalesce(shown_node, 'hub') AS node, "
    + ", ".join(CONTENT_COLUMNS)
    + ", status, anonymous, confidential, received_at, updated_at"
)


@dataclass(frozen=True)
class StaleNode:
    """A node whose part of the index is older than the threshold, or that the hub cannot call."""

    node: str
    as_of: datetime | None  # when its feed was last read to its end; None: never
    lag_seconds: float | None
    reason: str


@dataclass(frozen=True)
class Freshness:
    """How fresh an indexed answer is, over the active nodes in scope."""

    asked: int
    as_of: datetime | None  # the oldest of their feeds; None when one was never read
    stale: list[StaleNode]


@dataclass(frozen=True)
class IndexedPage:
    rows: list[asyncpg.Record]
    has_next_page: bool
    end_cursor: str | None
    freshness: Freshness


@dataclass(frozen=True)
class IndexedStats:
    buckets: list[StatsBucket]
    selesai: int  # of the reports counted, those selesai as the rule says (settled_at, or closed)
    freshness: Freshness


class _Sql:
    """A WHERE clause built from parts, its values as parameters."""

    def __init__(self) -> None:
        self.args = Parameters()
        self.where: list[str] = []

    def arg(self, value: Any) -> str:
        return self.args.add(value)

    def clause(self) -> str:
        return " AND ".join(self.where) or "true"


def _in_scope(sql: _Sql, narrowed: NodeSelection) -> None:
    """Reports shown at the active nodes of `narrowed`; every report when it narrows nothing."""
    if narrowed == NodeSelection():
        return
    # A suspended node's reports stay in indexed answers as the hub last read them: they are the federation's.
    nodes = narrowed.where(sql.arg, "n", status=False)
    sql.where.append(f"shown_node IN (SELECT n.code FROM nodes n WHERE {nodes})")


def _filtered(sql: _Sql, filter: ReportFilter) -> None:
    if filter.statuses:
        sql.where.append(f"status = ANY({sql.arg([s.value for s in filter.statuses])}::text[])")
    if filter.kinds:
        sql.where.append(f"kind = ANY({sql.arg([k.value for k in filter.kinds])}::text[])")
    if filter.categories:
        sql.where.append(f"category = ANY({sql.arg(list(filter.categories))}::text[])")
    if filter.region_prefix is not None:
        p = sql.arg(filter.region_prefix)
        sql.where.append(f"(region_code = {p} OR region_code LIKE {p} || '.%')")
    if filter.received_from is not None:
        sql.where.append(f"received_at >= {sql.arg(filter.received_from)}")
    if filter.received_to is not None:
        sql.where.append(f"received_at < {sql.arg(filter.received_to)}")


def _region(level: str) -> str:
    return f"array_to_string((string_to_array(region_code, '.'))[1:{level}], '.')"


class FederationIndex:
    """Reads of the federation index, scoped to what the principal may see."""

    def __init__(self, pool: asyncpg.Pool, stale_after: float) -> None:
        self.pool = pool
        self.stale_after = stale_after
        # Freshness per scope, kept for FRESHNESS_TTL: it joins every node in scope with its watermark, which at a
        # thousand nodes cost more than the page itself, and it moves by the second, not by the request.
        self._freshness: dict[NodeSelection, tuple[float, Freshness]] = {}
        # Counts in progress or done, by scope, with when each began (`stats` given `since`).
        self._shared: dict[tuple[object, ...], tuple[float, asyncio.Future[IndexedStats]]] = {}

    async def freshness(self, narrowed: NodeSelection) -> Freshness:
        now = time.monotonic()
        kept = self._freshness.get(narrowed)
        if kept is not None and now - kept[0] < FRESHNESS_TTL:
            return kept[1]
        if len(self._freshness) > 1000:
            self._freshness.clear()
        found = await self._read_freshness(narrowed)
        self._freshness[narrowed] = (now, found)
        return found

    async def _read_freshness(self, narrowed: NodeSelection) -> Freshness:
        sql = _Sql()
        nodes = narrowed.where(sql.arg, "n", status=False)
        stale = (f"(w.synced_at IS NULL OR w.synced_at < now() - make_interval(secs => {sql.arg(self.stale_after)})"
                 " OR w.error IS NOT NULL OR n.call_error IS NOT NULL)")
        row = await self.pool.fetchrow(
            "SELECT count(*) AS asked, min(w.synced_at) AS oldest, bool_or(w.synced_at IS NULL) AS unread,"
            " now() AS now,"
            f" array_agg(n.code ORDER BY n.code) FILTER (WHERE {stale}) AS codes,"
            f" array_agg(w.synced_at ORDER BY n.code) FILTER (WHERE {stale}) AS synced,"
            f" array_agg(coalesce(w.error, n.call_error) ORDER BY n.code) FILTER (WHERE {stale}) AS errors"
            f" FROM nodes n LEFT JOIN feed_watermarks w ON w.node_code = n.code WHERE n.status = 'ACTIVE' AND {nodes}",
            *sql.args)
        now = row["now"]
        stale_nodes = [
            StaleNode(node=code, as_of=synced, lag_seconds=(now - synced).total_seconds() if synced else None,
                      reason=error or ("never read" if synced is None else "feed not read within the threshold"))
            for code, synced, error in zip(row["codes"] or (), row["synced"] or (), row["errors"] or (), strict=True)]
        return Freshness(asked=row["asked"], as_of=None if row["unread"] else row["oldest"], stale=stale_nodes)

    async def reports(self, principal: Principal, selection: NodeSelection, filter: ReportFilter, first: int,
                      after: Position | None) -> IndexedPage:
        narrowed = principal.narrow(selection)
        sql = _Sql()
        _in_scope(sql, narrowed)
        _filtered(sql, filter)
        if after is not None:
            t, i = sql.arg(after.received_at), sql.arg(after.id)
            # The first condition bounds the index scan; the second alone would make PostgreSQL filter every row
            # before the cursor.
            sql.where.append(f"received_at <= {t} AND (received_at < {t} OR origin_id > {i})")
        rows = await self.pool.fetch(
            f"SELECT {REPORT_COLUMNS} FROM ledger WHERE {sql.clause()}"
            f" ORDER BY received_at DESC, origin_id LIMIT {sql.arg(first + 1)}", *sql.args)
        page = rows[:first]
        end = Position(page[-1]["received_at"], page[-1]["origin_id"]).encode() if page else None
        return IndexedPage(page, len(rows) > first, end, await self.freshness(narrowed))

    async def stats(self, principal: Principal, selection: NodeSelection, filter: ReportFilter,
                    group_by: Sequence[Dimension], region_level: int, since: float | None = None) -> IndexedStats:
        """Counts in scope. Given `since` (a time.monotonic()), any count of the same scope begun at or after it
        is shared: the subscriptions that heard one change, however many, make one query."""
        narrowed = principal.narrow(selection)
        if since is None:
            return await self._count(narrowed, filter, group_by, region_level)
        key = (narrowed, repr(filter), tuple(group_by), region_level)
        shared = self._shared.get(key)
        if shared is None or shared[0] < since:
            if len(self._shared) > 1000:
                self._shared = {k: v for k, v in self._shared.items() if not v[1].done()}
            shared = (time.monotonic(), asyncio.ensure_future(self._count(narrowed, filter, group_by, region_level)))
            self._shared[key] = shared
        return await asyncio.shield(shared[1])  # one caller leaving does not cancel the others' count

    async def _count(self, narrowed: NodeSelection, filter: ReportFilter, group_by: Sequence[Dimension],
                     region_level: int) -> IndexedStats:
        sql = _Sql()
        _in_scope(sql, narrowed)
        _filtered(sql, filter)
        columns = {Dimension.STATUS: "status", Dimension.KIND: "kind", Dimension.CATEGORY: "category",
                   Dimension.REGION: _region(str(region_level))}
        dims = [columns[d] for d in group_by]
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
        if _counted(narrowed, filter, group_by, region_level):
            # National counts kept at ingest: a few thousand rows, not millions.
            select = ", ".join([*(f"{c} AS d{i}" for i, c in enumerate(dims)), "sum(n) AS n",
                                "coalesce(sum(n) FILTER (WHERE selesai), 0) AS selesai"])
            source = ("(SELECT status, kind, category, region_code, selesai, n FROM index_counts UNION ALL"
                      " SELECT status, kind, category, region_code, selesai, d FROM index_count_deltas) c")
            rows = await self.pool.fetch(f"SELECT {select} FROM {source} WHERE {sql.clause()}{group}"
                                         " HAVING sum(n) <> 0", *sql.args)
        else:
            select = ", ".join([*(f"{c} AS d{i}" for i, c in enumerate(dims)), "count(*) AS n",
                                "count(*) FILTER (WHERE ledger_selesai(status, settled_at)) AS selesai"])
            rows = await self.pool.fetch(f"SELECT {select} FROM ledger WHERE {sql.clause()}{group}", *sql.args)
        buckets = []
        for row in rows:
            values = dict(zip(group_by, (row[f"d{i}"] for i in range(len(dims))), strict=True))
            buckets.append(StatsBucket(count=int(row["n"]), status=values.get(Dimension.STATUS),
                                       kind=values.get(Dimension.KIND), category=values.get(Dimension.CATEGORY),
                                       region_code=values.get(Dimension.REGION)))
        buckets.sort(key=lambda b: (-b.count, str(b.status), str(b.kind), str(b.category), str(b.region_code)))
        return IndexedStats(buckets, sum(int(r["selesai"]) for r in rows), await self.freshness(narrowed))

    async def report(self, principal: Principal, report_id: str) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
        """The indexed row of a report by its holder's or its door's global id, with its timeline."""
        row = await self.pool.fetchrow(
            f"SELECT {REPORT_COLUMNS}, shown_node FROM ledger WHERE holder_id = $1 OR origin_id = $1 LIMIT 1",
            report_id)
        if row is None:
            return None
        if not await self._may_see(principal, row["shown_node"]):
            raise NotAllowed(f"report {report_id} is at node {row['node']}, outside your scope")
        events = await self.pool.fetch(
            "SELECT at, status, coalesce(node, 'hub') AS actor, note FROM ledger_events"
            " WHERE tracking_number = $1 AND status IS NOT NULL AND type IN ('RECEIVED', 'STATUS', 'RETURNED')"
            " ORDER BY at, seq", row["tracking_number"])
        return row, events

    async def _may_see(self, principal: Principal, node: str | None) -> bool:
        if node is None:  # in flight from the hub's own door, or placed nowhere: national principals only
            return principal.narrow(NodeSelection()) == NodeSelection()
        sql = _Sql()
        _in_scope(sql, principal.narrow(NodeSelection(codes=(node,))))
        return bool(await self.pool.fetchval(
            f"SELECT true FROM (SELECT {sql.arg(node)}::text AS shown_node) s WHERE {sql.clause()}", *sql.args))


def _counted(narrowed: NodeSelection, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int) -> bool:
    """Whether index_counts answers: national, no time window, regions no finer than kab/kota."""
    shallow = filter.region_prefix is None or filter.region_prefix.count(".") < 2
    return (narrowed == NodeSelection() and filter.received_from is None and filter.received_to is None
            and shallow and (Dimension.REGION not in group_by or region_level <= 2))
