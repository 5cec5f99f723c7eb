"""Status flow back and the federation index: pull each node's change feed into the ledger, from a watermark.

One pull reads a page of a node's feed and applies it in one transaction
with the new watermark, so a crash repeats a page rather than skipping one;
a repeated change is recognised (ledger.node_changed_at) and applied once.
The watermark row is locked with SKIP LOCKED, so two hub replicas never
pull the same node at once. A node may poke the hub to pull it at once.

Every change carries the report as it is now, so a report first seen is
indexed with its real status and timeline without a second call. Each pull
also says whether the hub can call the node (`nodes.call_error`) and how
fresh its part of the index is (`feed_watermarks.synced_at`).

`rebuild` reads a node's whole feed again (`simpul index rebuild`, or by itself
when the node says its feed went backwards): first outside any transaction,
keeping each report's newest snapshot while the old rows keep answering, then
in one transaction that indexes what is missing, corrects statuses that differ
(an event in the timeline says so) and moves the watermark to the feed's end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from hub.access.principal import node_principal
from hub.audit import record
from hub.federation.client import NodeCallError, NodeClient, NodeSkipped
from hub.federation.nodewire import CHANGES, FEED_PAGE, ChangesData, NodeChange, NodeReport
from hub.forwarding.ledger import Incoming, Ledger, LedgerEvent, add_event, new_tracking_number
from hub.nodes.registry import NodeRecord, Registry, record_call
from hub.nodes.status import NodeStatus
from simpul.db.grouped import Grouped
from simpul.db.pool import DATABASE_ERRORS
from simpul.wire import FeedCheck, ReportStatus

log = logging.getLogger("simpul.feeds")

# Feeds pulled at once. Each pull holds a pooled connection across its node call, so a round over a
# thousand nodes at once took every connection for a second and queued the API's requests behind it.
PULLS_AT_ONCE = 8
POKED_PULLS_AT_ONCE = 4  # slots of their own: a poked node is not kept waiting behind a round over every node


# The feed checks of a window's heartbeats, each node's latest: the node checks its feed at every heartbeat (the
# rounds leave it alone); with no news after the watermark it was told, its part of the index is as of now. A node
# the hub has never pulled gets its row.
_HEARD = """
WITH heard AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bool[]) AS heard(code, cursor, news)),
known AS (
    UPDATE feed_watermarks w SET checked_at = now(), synced_at = CASE
        WHEN NOT heard.news AND w.cursor IS NOT DISTINCT FROM heard.cursor AND w.error IS NULL THEN now()
        ELSE w.synced_at END
    FROM heard WHERE w.node_code = heard.code RETURNING w.node_code, w.cursor),
added AS (
    INSERT INTO feed_watermarks AS w (node_code, checked_at, synced_at)
    SELECT code, now(), CASE WHEN NOT news AND cursor IS NULL THEN now() END FROM heard
    WHERE code NOT IN (SELECT node_code FROM known)
    ON CONFLICT (node_code) DO UPDATE SET checked_at = now()
    RETURNING w.node_code, w.cursor)
SELECT * FROM known UNION ALL SELECT * FROM added
"""


class FeedWentBack(Exception):
    """The node's feed no longer reaches the hub's watermark: its system was restored or reinstalled."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of one node's part of the index found."""

    node: str
    changes_read: int
    reports: int
    added: int
    corrected: int


class FeedPuller:
    """Keeps the ledger, and so the federation index, in step with every node's change feed."""

    def __init__(self, pool: asyncpg.Pool, client: NodeClient, ledger: Ledger, checked_within: float = 60.0
                 ) -> None:
        self.pool = pool
        self.checked_within = checked_within  # seconds a node's feed check at its heartbeat spares it the rounds
        self.client = client
        self.ledger = ledger
        self.registry = Registry(pool)
        self.poked: asyncio.Queue[str] = asyncio.Queue()
        self._round_slots = asyncio.Semaphore(PULLS_AT_ONCE)
        self._poke_slots = asyncio.Semaphore(POKED_PULLS_AT_ONCE)
        self._pulling: dict[str, asyncio.Task[None]] = {}  # node code -> its pull now under way
        self._again: set[str] = set()  # poked while being pulled: pull once more when that pull ends
        self._heard = Grouped(pool, _HEARD, key=lambda row: row["node_code"], window=0.25)

    async def pull(self, node: NodeRecord) -> tuple[int, bool]:
        """Apply the next page of `node`'s feed: (changes applied, whether more follow). (0, False) when
        another replica is pulling it. Raises NodeCallError (recorded first) and FeedWentBack."""
        await self.pool.execute(
            "INSERT INTO feed_watermarks (node_code) VALUES ($1) ON CONFLICT DO NOTHING", node.code)
        failure: NodeCallError | None = None
        async with self.pool.acquire() as conn, conn.transaction():
            cursor = await conn.fetchrow(
                "SELECT cursor FROM feed_watermarks WHERE node_code = $1 FOR UPDATE SKIP LOCKED", node.code)
            if cursor is None:
                return 0, False
            try:
                page = await self.client.query(node, CHANGES, {"after": cursor["cursor"], "first": FEED_PAGE},
                                               ChangesData)
            except NodeSkipped:
                return 0, False  # not called: this replica's breaker is open, and its probe says when to call again
            except NodeCallError as exc:
                failure = exc
                await record_call(conn, node.code, f"{exc.code}: {exc}")
            else:
                if page.changes.behind:
                    raise FeedWentBack(f"node {node.code}'s feed ends before the hub's watermark")
                changes = page.changes.changes
                for change in changes:
                    await self.apply(conn, node, change)
                more = page.changes.has_more and bool(changes)
                await conn.execute(
                    "UPDATE feed_watermarks SET cursor = coalesce($2, cursor), pulled_at = now(),"
                    " synced_at = CASE WHEN $3 THEN synced_at ELSE now() END, failed_at = NULL, error = NULL"
                    " WHERE node_code = $1", node.code, changes[-1].cursor if changes else None, more)
                await record_call(conn, node.code, None)
                return len(changes), more
        assert failure is not None
        raise failure

    async def apply(self, conn: asyncpg.Connection, node: NodeRecord, change: NodeChange) -> None:
        """One change of `node`'s feed, in the caller's transaction; a change already applied is skipped, and one
        about another node's report is refused."""
        if not change.report_id.startswith(f"{node.code}:"):
            await _refuse(conn, node, change, change.report_id.partition(":")[0])
            return
        row = await conn.fetchrow(
            "SELECT tracking_number, holder_node, region_code, node_changed_at, status, received_at FROM ledger"
            " WHERE origin_id = $1 OR holder_id = $1 LIMIT 1 FOR UPDATE", change.report_id)
        if row is None:
            # The forwarded copy arriving before its delivery is recorded, or a report this node brought in.
            row = await conn.fetchrow(
                "SELECT tracking_number, holder_node, region_code, node_changed_at, status, received_at FROM ledger l"
                " WHERE tracking_number = $1 AND EXISTS (SELECT FROM deliveries d WHERE d.tracking_number ="
                " l.tracking_number AND d.target_node = $2 AND d.purpose = 'ACCEPT' AND d.state IN ('PENDING', 'DONE'))"
                " FOR UPDATE", change.tracking_number, node.code)
            if row is None:
                await self._first_seen(conn, node, change)
                return
        holder = row["holder_node"]
        if holder is None:
            delivered_here = await conn.fetchval(
                "SELECT true FROM deliveries WHERE tracking_number = $1 AND target_node = $2 AND purpose = 'ACCEPT'"
                " AND state IN ('PENDING', 'DONE')", row["tracking_number"], node.code)
            holder = node.code if delivered_here else None
        if holder != node.code:
            return  # the origin's own copy after forwarding, or a unit that no longer holds it
        if change.status is ReportStatus.RECEIVED:
            return  # the forwarded copy arriving: the ledger already says DELIVERED
        if await _applied_before(conn, row, node.code, change):
            return  # a page repeated after a crash, or a feed read again
        if change.status.value == row["status"] and change.status is not ReportStatus.RETURNED:
            return  # no change: a feed that restates where a report stands (a backfill, a re-read)
        tracking = row["tracking_number"]
        at = await clamp_status_time(conn, tracking, node.code, change.status, change.at, row["received_at"])
        rerouted = await self.ledger.apply_status(conn, tracking, node.code, change.status, change.said, at)
        action, detail = ("REPORT_RETURNED", rerouted.audit_detail()) if rerouted else ("STATUS_CHANGED", {})
        clamped = {"nodeSaid": change.at.isoformat()} if at != change.at else {}
        await record(conn, node_principal(node.code, node.region_code), action, f"report {tracking}",
                     row["region_code"], {"status": change.status.value, "at": at.isoformat(), **clamped, **detail})

    async def _first_seen(self, conn: asyncpg.Connection, node: NodeRecord, change: NodeChange) -> None:
        """A report entered at this node's own door: index it as the node has it now, and route it if it is
        new and nobody has handled it yet. A number that carries another node's code is not this node's to
        claim: a node squatting on another's numbers would hide that node's reports."""
        report = change.report
        if report is None or report.id != change.report_id or report.tracking_number != change.tracking_number:
            raise NodeCallError(NodeCallError.BAD_RESPONSE,
                                f"node {node.code} lists {change.report_id} in its feed without the report")
        owner = await _issuer(conn, report.tracking_number)
        if owner is not None and owner != node.code:  # another unit's number, perhaps one it has yet to give out
            await _refuse(conn, node, change, owner)
            return
        incoming = first_seen(node, report, await _tracking_number_taken(conn, report.tracking_number))
        # Route only what the door has not begun to handle; a child hub has placed its reports itself.
        route = report.status is ReportStatus.RECEIVED and node.kind != "hub"
        decision = await self.ledger.record(conn, incoming, route=route)
        timeline = [_TimedEvent(await clamp_status_time(conn, incoming.tracking_number, node.code, e.status, e.at,
                                                        incoming.received_at), e.status, e.note)
                    for e in report.timeline if e.status is not ReportStatus.RECEIVED]
        updated_at = min(max(report.updated_at, incoming.received_at), datetime.now(UTC))
        await self.ledger.take_timeline(conn, incoming, timeline, updated_at)
        action = "REPORT_ROUTED"
        if report.status is ReportStatus.RETURNED and node.kind != "hub":
            # Returned at its own door before the hub saw it ("bukan wewenang"): on to a unit with authority.
            decision, action = await self.ledger.reroute(conn, incoming.tracking_number), "REPORT_RETURNED"
        if decision is not None:
            await record(conn, node_principal(node.code, node.region_code), action,
                         f"report {incoming.tracking_number}", report.region_code,
                         {"kind": report.kind.value, "channel": report.channel.value, **decision.audit_detail()})

    async def pull_all(self, node: NodeRecord) -> None:
        """Pull `node` until its feed is exhausted, logging rather than raising on failure."""
        try:
            while (await self.pull(node))[1]:
                pass
        except NodeCallError as exc:
            log.info("feed of %s not pulled: %s", node.code, exc)
        except FeedWentBack:
            log.warning("feed of %s went backwards (restored or reinstalled): reading it again from the start",
                        node.code)
            await self._read_again(node)
        except DATABASE_ERRORS as exc:
            log.warning("feed of %s not applied: %s", node.code, exc)

    async def _read_again(self, node: NodeRecord) -> None:
        try:
            await self.rebuild(node)
        except (NodeCallError, FeedWentBack) as exc:
            log.warning("feed of %s not read again: %s", node.code, exc)

    async def rebuild(self, node: NodeRecord, progress: Callable[[str], None] = lambda line: None) -> Rebuilt:
        """Re-read `node`'s whole feed and make its part of the index equal to what the feed says."""
        latest: dict[str, NodeChange] = {}  # report id -> its first change, carrying its newest snapshot
        cursor: str | None = None
        read = 0
        while True:
            page = await self.client.query(node, CHANGES, {"after": cursor, "first": FEED_PAGE}, ChangesData)
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
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO feed_watermarks (node_code) VALUES ($1) ON CONFLICT DO NOTHING", node.code)
            await conn.execute("SELECT FROM feed_watermarks WHERE node_code = $1 FOR UPDATE", node.code)
            for change in latest.values():
                report = change.report
                row = await conn.fetchrow(
                    "SELECT tracking_number, holder_node, status, received_at FROM ledger"
                    " WHERE origin_id = $1 OR holder_id = $1 LIMIT 1 FOR UPDATE", change.report_id)
                if row is None:
                    await self.apply(conn, node, change)
                    added += bool(await conn.fetchval("SELECT true FROM ledger WHERE origin_id = $1", change.report_id))
                elif (report is not None and row["holder_node"] == node.code and report.status.value != row["status"]
                      and report.status is not ReportStatus.RECEIVED):
                    at = await clamp_status_time(conn, row["tracking_number"], node.code, report.status,
                                                 report.updated_at, row["received_at"])
                    await self.ledger.apply_status(conn, row["tracking_number"], node.code, report.status,
                                                     "as the node's feed says, read again", at)
                    corrected += 1
            await conn.execute(
                "UPDATE feed_watermarks SET cursor = $2, pulled_at = now(), synced_at = now(), failed_at = NULL,"
                " error = NULL WHERE node_code = $1", node.code, cursor)
            await record_call(conn, node.code, None)
        log.info("index of %s rebuilt: %d changes, %d reports, %d added, %d corrected", node.code, read, len(latest),
                 added, corrected)
        return Rebuilt(node.code, read, len(latest), added, corrected)

    async def heard(self, code: str, feed: FeedCheck | None) -> str | None:
        """A heartbeat of node `code`, with what it found in its feed after the watermark it was last told: with
        no news, its part of the index is as of now and the rounds leave it alone (`checked_at`); with news it
        has poked. Returns the watermark, for the node's next check."""
        if feed is None:
            cursor: str | None = await self.pool.fetchval(
                "SELECT cursor FROM feed_watermarks WHERE node_code = $1", code)
            return cursor
        row = await self._heard(code, code, feed.cursor, feed.news)
        return row["cursor"] if row is not None else None

    def poke(self, code: str) -> None:
        """Pull `code` at once (a node said its feed has news)."""
        self.poked.put_nowait(code)

    def _start(self, node: NodeRecord, slots: asyncio.Semaphore) -> None:
        """Pull `node` unless a pull of it is under way; then that pull goes round once more (news may have come
        after it read its page)."""
        if node.code in self._pulling:
            self._again.add(node.code)
            return
        self._pulling[node.code] = asyncio.create_task(self._pull_task(node, slots))

    async def _pull_task(self, node: NodeRecord, slots: asyncio.Semaphore) -> None:
        try:
            while True:
                async with slots:
                    await self.pull_all(node)
                if node.code not in self._again:
                    return
                self._again.discard(node.code)
        finally:
            self._pulling.pop(node.code, None)

    async def _poked(self, code: str) -> None:
        try:
            node = await self.registry.get(code)
        except DATABASE_ERRORS as exc:
            log.warning("poke from %s not followed: database unavailable: %s", code, exc)
            return
        if node is not None and node.status == NodeStatus.ACTIVE:
            self._start(node, self._poke_slots)

    async def run(self, interval: float) -> None:
        """Pull each active node when its feed was not read to its end within the interval, and a poked node at
        once; a round starts pulls and does not wait for a slow node (it is skipped while its pull goes on)."""
        try:
            await self._run(interval)
        finally:  # pulls end with the puller: none holds a pooled connection past the hub's stop
            for task in self._pulling.values():
                task.cancel()
            await asyncio.gather(*self._pulling.values(), return_exceptions=True)

    async def _run(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        next_round = loop.time()
        while True:
            timeout = max(0.0, next_round - loop.time())
            try:
                code = await asyncio.wait_for(self.poked.get(), timeout)
            except TimeoutError:
                try:
                    due = await self.registry.due_for_pull(interval * 0.9, self.checked_within)
                except DATABASE_ERRORS as exc:  # a database outage skips rounds, never ends the puller
                    log.warning("feeds not pulled: database unavailable: %s", exc)
                    due = []
                for node in due:
                    self._start(node, self._round_slots)
                next_round = loop.time() + interval
                continue
            await self._poked(code)


@dataclass(frozen=True)
class _TimedEvent:
    """A node's timeline event at the time the hub accepts for it (ledger.NodeEvent)."""

    at: datetime
    status: ReportStatus
    note: str | None


async def clamp_status_time(conn: asyncpg.Connection, tracking_number: str, node: str, status: ReportStatus,
                            at: datetime, received_at: datetime) -> datetime:
    """The time the SLA clock may take for a node's status change: no later than the hub saw it (now: no
    backdating or future-dating past the hub's own observation) and no earlier than the report's receipt. A
    clamped time is said in the report's timeline (TIME_CLAMPED, internal), so a supervisor sees it."""
    observed = datetime.now(UTC)
    clamped = min(max(at, received_at), observed)
    if clamped != at:
        why = "after the hub saw it" if at > observed else "before the report was received"
        await add_event(conn, tracking_number, LedgerEvent.TIME_CLAMPED, node=node, status=status.value,
                        note=f"the node dated this change {at.isoformat()}, {why}; timed at {clamped.isoformat()}",
                        public=False, at=clamped)
    return clamped


def first_seen(node: NodeRecord, report: NodeReport, number_taken: bool) -> Incoming:
    """The ledger's entry for a report first seen in `node`'s feed; no reporter identity (it stays at the
    node, and is fetched from there when the report is forwarded)."""
    tracking, agency_number = report.tracking_number, None
    if number_taken:  # another agency's system issued the same number first: two reports, never one
        tracking, agency_number = new_tracking_number(), report.tracking_number
    return Incoming(
        origin_id=report.id, origin_node=node.code, tracking_number=tracking, content=report.content(),
        reporter=report.reporter.without_identity(), received_at=report.received_at, status=report.status,
        history=report.received_at < node.enrolled_at, node_tracking_number=agency_number,
    )


async def _applied_before(conn: asyncpg.Connection, row: asyncpg.Record, node: str, change: NodeChange) -> bool:
    """Whether the index already shows this change: it is older than the newest the holder told, or as new and
    already in the timeline (two changes may share a moment)."""
    newest = row["node_changed_at"]
    if newest is None or change.at > newest:
        return False
    if change.at < newest:
        return True
    return bool(await conn.fetchval(
        "SELECT true FROM ledger_events WHERE tracking_number = $1 AND at = $2 AND node = $3 AND status = $4"
        " AND type IN ('STATUS', 'RETURNED')", row["tracking_number"], change.at, node, change.status.value))


async def _tracking_number_taken(conn: asyncpg.Connection, tracking_number: str) -> bool:
    """Whether another report holds `tracking_number`; until commit, no other pull can take it meanwhile."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('simpul tracking number ' || $1))", tracking_number)
    return bool(await conn.fetchval("SELECT true FROM ledger WHERE tracking_number = $1", tracking_number))


async def _issuer(conn: asyncpg.Connection, tracking_number: str) -> str | None:
    """The node whose code prefixes `tracking_number` (`64.08-...`), the longest if several do; None for a number
    no node's code starts (the hub's `LPR-`, an agency's own form)."""
    code: str | None = await conn.fetchval(
        "SELECT code FROM nodes WHERE starts_with(upper($1), upper(code) || '-') ORDER BY length(code) DESC LIMIT 1",
        tracking_number)
    return code


async def _refuse(conn: asyncpg.Connection, node: NodeRecord, change: NodeChange, owner: str) -> None:
    """A node's feed speaks of a report it neither originated nor holds: skip it, and say so in the audit log
    (in the owner's region, where its admins look) and the log; the owner's own report is unaffected."""
    region = await conn.fetchval("SELECT region_code FROM nodes WHERE code = $1", owner)
    await record(conn, node_principal(node.code, node.region_code), "TRACKING_CONFLICT",
                 f"report {change.tracking_number}", region if region is not None else node.region_code,
                 {"claimedBy": node.code, "owner": owner, "reportId": change.report_id,
                  "trackingNumber": change.tracking_number})
    log.warning("node %s listed %s (%s) of node %s in its feed: refused", node.code, change.report_id,
                change.tracking_number, owner)
