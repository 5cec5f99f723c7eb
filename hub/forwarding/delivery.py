"""Delivery workers: the outbox rows, claimed with FOR UPDATE SKIP LOCKED and sent at least once.

A worker locks one due row, calls the node with the row's idempotency key
and records the result in the same transaction. If the process dies
mid-call, the lock goes with its connection and another worker repeats the
call; the node recognises the key, so the report is created exactly once.
While a node is unreachable the row waits with exponential backoff and
jitter; after the configured number of attempts it goes to dead-letter.

The reporter travels in flight only: opened from the ledger's seal (a report
entered at the hub's own door, until its unit has it) or fetched from the unit
holding it. Error text from nodes is stored and logged without it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from hub.access.principal import Principal, Role
from hub.audit import record
from hub.federation.client import NodeCallError, NodeClient
from hub.federation.nodewire import (
    ACCEPT_REPORT,
    AMEND_REPORT,
    MARK_FORWARDED,
    REPORT_TO_FORWARD,
    TAKE_REPLY,
    AcceptData,
    AmendReportData,
    MarkForwardedData,
    ReportToForwardData,
    TakeReplyData,
)
from hub.forwarding.ledger import (
    CHAIN_WITH_2,
    CONTENT_COLUMNS,
    NOTIFY_DELIVERY,
    DeliveryState,
    LedgerEvent,
    Purpose,
    add_event,
    queue_delivery,
)
from hub.forwarding.sealing import Identity, IdentitySeal, SealBroken
from hub.nodes.registry import NodeRecord, Registry
from hub.nodes.status import NodeStatus
from simpul.db.pool import DATABASE_ERRORS
from simpul.redaction import redact
from simpul.report import Amendment, ForwardedReport, Reporter

log = logging.getLogger("simpul.delivery")

WORKER = Principal(role=Role.SYSTEM, name="hub delivery worker")
"""Who the audit log says recorded a node's acknowledgement: the hub's own worker, not a caller."""


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float
    max_attempts: int

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`, with ±20% jitter so retries spread out."""
        return float(min(self.cap, self.base * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2))


_CLAIM = """
SELECT d.id, d.tracking_number, d.purpose, d.target_node, d.idempotency_key, d.attempts, d.reply_event, l.*
FROM deliveries d JOIN ledger l USING (tracking_number)
WHERE d.state = 'PENDING' AND d.next_attempt_at <= now()
ORDER BY d.next_attempt_at
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""


# The unit that holds a report the hub's own door took, once delivered: the target of its last accepted delivery.
_LAST_HOLDER = """
SELECT target_node, accepted_id FROM deliveries
WHERE tracking_number = $1 AND purpose = 'ACCEPT' AND state = 'DONE' AND accepted_id IS NOT NULL
ORDER BY delivered_at DESC, id DESC LIMIT 1
"""

# The id a node gave its copy of a report the hub delivered to it (the latest, should it have taken it twice).
_COPY_AT = """
SELECT accepted_id FROM deliveries
WHERE tracking_number = $1 AND target_node = $2 AND purpose = 'ACCEPT' AND state = 'DONE' AND accepted_id IS NOT NULL
ORDER BY delivered_at DESC, id DESC LIMIT 1
"""

_ON_ITS_WAY = """
SELECT EXISTS (SELECT 1 FROM deliveries WHERE tracking_number = $1 AND target_node = $2 AND purpose = 'ACCEPT'
               AND state = 'PENDING')
"""


def _forwarded_report(row: asyncpg.Record, identity: Identity | None) -> dict[str, Any]:
    """The report as the target's acceptReport takes it, from the ledger's columns of the same names, with the
    reporter carried in flight."""
    carried = None if row["anonymous"] else identity  # never an identity for an anonymous report, whatever came
    reporter = Reporter(anonymous=row["anonymous"], confidential=row["confidential"],
                        name=carried.name if carried else None, contact=carried.contact if carried else None)
    report = ForwardedReport(**{name: row[name] for name in CONTENT_COLUMNS}, source_id=row["origin_id"],
                             tracking_number=row["tracking_number"], reporter=reporter,
                             received_at=row["received_at"])
    return report.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class OwedCall:
    """One delivery of a report to a node, as the outbox holds it."""

    id: int
    tracking_number: str
    purpose: Purpose
    target_node: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


async def deliveries(pool: asyncpg.Pool, node_code: str | None, state: DeliveryState | None, region: str | None,
                     first: int) -> list[OwedCall]:
    """The newest deliveries first: to one node, in one state, to nodes of a region subtree ('' or None: any)."""
    rows = await pool.fetch(
        "SELECT d.id, d.tracking_number, d.purpose, d.target_node, d.state, d.attempts, d.last_error,"
        " d.created_at, d.delivered_at FROM deliveries d JOIN nodes n ON n.code = d.target_node"
        " WHERE ($1::text IS NULL OR d.target_node = $1) AND ($2::text IS NULL OR d.state = $2)"
        " AND ($3::text IS NULL OR $3 = '' OR n.region_code = $3 OR n.region_code LIKE $3 || '.%')"
        " ORDER BY d.id DESC LIMIT $4", node_code, state, region, first)
    return [OwedCall(id=r["id"], tracking_number=r["tracking_number"], purpose=Purpose(r["purpose"]),
                     target_node=r["target_node"], state=DeliveryState(r["state"]), attempts=r["attempts"],
                     last_error=r["last_error"], created_at=r["created_at"], delivered_at=r["delivered_at"])
            for r in rows]


class DeliveryWorker:
    """Sends due deliveries; many run side by side, in one process or many."""

    def __init__(self, pool: asyncpg.Pool, client: NodeClient, backoff: Backoff, seal: IdentitySeal) -> None:
        self.pool = pool
        self.client = client
        self.registry = Registry(pool)
        self.backoff = backoff
        self.seal = seal

    async def deliver_one(self) -> bool:
        """Send one due delivery; False when none is due."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(_CLAIM)
            if row is None:
                return False
            node = await self.registry.get(row["target_node"])
            identity = None
            try:
                if node is None or node.status != NodeStatus.ACTIVE:
                    raise NodeCallError(NodeCallError.UNAVAILABLE, f"node {row['target_node']} is not active")
                if row["purpose"] == Purpose.ACCEPT:
                    identity = await self._identity(conn, row)
                    report = _forwarded_report(row, identity)
                    accepted = await self.client.query(
                        node, ACCEPT_REPORT, {"key": row["idempotency_key"], "report": report}, AcceptData)
                    if not accepted.accept_report.id.startswith(f"{node.code}:"):  # a node names its own copies only
                        raise NodeCallError(NodeCallError.BAD_RESPONSE,
                                            f"node {node.code} accepted the report as another node's id")
                    await self._accepted(conn, row, accepted.accept_report.id)
                elif row["purpose"] == Purpose.REPLY:
                    await self._reply(conn, node, row)
                elif row["purpose"] == Purpose.AMEND:
                    await self._amend(conn, node, row)
                else:
                    forwarded = {"id": row["origin_id"], "to": row["holder_node"] or "hub"}
                    await self.client.query(node, MARK_FORWARDED, forwarded, MarkForwardedData)
                    await self._done(conn, row["id"], None)
            except NodeCallError as exc:
                await self._failed(conn, row, exc, identity)
            return True

    async def _reply(self, conn: asyncpg.Connection, node: NodeRecord, row: asyncpg.Record) -> None:
        """Carry the reporter's reply (its REPLIED event's text) to the unit holding the report."""
        if row["holder_node"] != node.code or row["holder_id"] is None:
            raise NodeCallError(NodeCallError.ERROR, f"node {node.code} no longer holds the report: the reply "
                                "stays in the hub's timeline (reportChain)")
        text = await conn.fetchval("SELECT note FROM ledger_events WHERE seq = $1", row["reply_event"])
        await self.client.query(node, TAKE_REPLY, {"id": row["holder_id"], "key": row["idempotency_key"],
                                                   "text": text}, TakeReplyData)
        await self._done(conn, row["id"], None)
        log.info("reply to %s delivered to %s", row["tracking_number"], node.code)

    async def _amend(self, conn: asyncpg.Connection, node: NodeRecord, row: asyncpg.Record) -> None:
        """Carry an admin's verification edits to a node keeping a copy of the report: the ledger's title, category,
        kind and flags as they stand now (a later edit only repeats the newest state)."""
        local_id = row["origin_id"] if node.code == row["origin_node"] else await conn.fetchval(
            _COPY_AT, row["tracking_number"], node.code)
        if local_id is None:
            if await conn.fetchval(_ON_ITS_WAY, row["tracking_number"], node.code):
                raise NodeCallError(NodeCallError.ERROR, f"node {node.code} has yet to take the report: the "
                                    "verification edits follow once it has")
            await self._done(conn, row["id"], None)  # its delivery was called off: no copy there to amend
            return
        amendment = Amendment(title=row["title"], category=row["category"], kind=row["kind"],
                              anonymous=row["anonymous"], confidential=row["confidential"])
        await self.client.query(node, AMEND_REPORT, {"id": local_id, "key": row["idempotency_key"],
                                                     "amendment": amendment.model_dump(mode="json", by_alias=True)},
                                AmendReportData)
        await self._done(conn, row["id"], None)
        log.info("verification edits of %s delivered to %s", row["tracking_number"], node.code)

    async def _identity(self, conn: asyncpg.Connection, row: asyncpg.Record) -> Identity | None:
        """The reporter, for this delivery only: unsealed while the hub's own door still keeps it, else from the
        unit holding the report (the door it came through, or the last unit the hub delivered it to)."""
        if row["anonymous"]:
            return None
        if row["sealed_identity"] is not None:
            try:
                return self.seal.open(row["tracking_number"], row["sealed_identity"])
            except SealBroken as exc:
                raise NodeCallError(NodeCallError.ERROR, str(exc)) from None
        if row["origin_node"] is not None:
            holder, held_id = row["origin_node"], row["origin_id"]
        else:
            last = await conn.fetchrow(_LAST_HOLDER, row["tracking_number"])
            if last is None:
                return None  # submitted without a name or contact: nothing to carry
            holder, held_id = last["target_node"], last["accepted_id"]
        return await self._fetch_identity(holder, held_id)

    async def _fetch_identity(self, holder: str, held_id: str) -> Identity:
        node = await self.registry.get(holder)
        if node is None or node.status != NodeStatus.ACTIVE:
            raise NodeCallError(NodeCallError.UNAVAILABLE, f"node {holder} is not active to give the reporter")
        found = await self.client.query(node, REPORT_TO_FORWARD, {"id": held_id}, ReportToForwardData)
        if found.report_to_forward is None:
            raise NodeCallError(NodeCallError.BAD_RESPONSE, f"node {holder} no longer has {held_id}")
        reporter = found.report_to_forward.reporter
        return Identity(reporter.name, reporter.contact)

    async def _done(self, conn: asyncpg.Connection, delivery_id: int, accepted_id: str | None) -> None:
        await conn.execute(
            "UPDATE deliveries SET state = 'DONE', delivered_at = now(), attempts = attempts + 1,"
            " accepted_id = $2, last_error = NULL WHERE id = $1", delivery_id, accepted_id)

    async def _accepted(self, conn: asyncpg.Connection, row: asyncpg.Record, accepted_id: str) -> None:
        tracking, target = row["tracking_number"], row["target_node"]
        await self._done(conn, row["id"], accepted_id)
        await conn.execute(
            # The unit has the reporter now: the hub's sealed copy goes in the same commit.
            "UPDATE ledger SET holder_node = $2, holder_id = $3, routing = 'HELD', sealed_identity = NULL,"
            # As its new holder has it (a returned report starts afresh there), unless the holder's feed
            # already told a change: a pull can run between the node's commit and this one.
            " status = CASE WHEN node_changed_at IS NULL THEN 'RECEIVED' ELSE status END,"
            f" chain = {CHAIN_WITH_2}, forwarded_at = coalesce(forwarded_at, now()), updated_at = now()"
            " WHERE tracking_number = $1",
            tracking, target, accepted_id)
        await add_event(conn, tracking, LedgerEvent.DELIVERED, node=target)
        await record(conn, WORKER, "REPORT_DELIVERED", f"report {tracking}", row["region_code"],
                     {"node": target, "delivery": row["id"], "acceptedId": accepted_id})
        origin = row["origin_node"]
        if origin is not None and origin != target:
            await queue_delivery(conn, tracking, Purpose.MARK_FORWARDED, origin, f"{tracking}:forwarded:{origin}")
        log.info("report %s delivered to %s", tracking, target)

    async def _failed(
        self, conn: asyncpg.Connection, row: asyncpg.Record, error: NodeCallError, identity: Identity | None
    ) -> None:
        attempts = row["attempts"] + 1
        # A node or agency may quote the reporter ("kontak '0812...' tidak valid"): stored, served and logged
        # as its class plus the text with that reporter (and any other personal data) masked.
        message = f"{error.code}: {redact(str(error), (identity.name, identity.contact) if identity else ())}"
        if attempts >= self.backoff.max_attempts:
            await conn.execute(
                "UPDATE deliveries SET state = 'DEAD', attempts = $2, last_error = $3 WHERE id = $1",
                row["id"], attempts, message)
            if row["purpose"] == Purpose.ACCEPT:
                await conn.execute(
                    "UPDATE ledger SET routing = 'DEAD', updated_at = now() WHERE tracking_number = $1",
                    row["tracking_number"])
                await add_event(conn, row["tracking_number"], LedgerEvent.DEAD_LETTER, node=row["target_node"],
                                note=message, public=False)
            log.error("delivery %d of %s to %s is dead after %d attempts: %s", row["id"], row["tracking_number"],
                      row["target_node"], attempts, message)
            return
        delay = self.backoff.delay(attempts)
        await conn.execute(
            "UPDATE deliveries SET attempts = $2, last_error = $3,"
            " next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
            row["id"], attempts, message, delay)
        log.warning("delivery %d to %s failed (attempt %d), retry in %.1f s: %s", row["id"], row["target_node"],
                    attempts, delay, message)

    async def run(self, wake: asyncio.Event, idle_wait: float = 1.0) -> None:
        """Deliver until cancelled; sleep while nothing is due, waking on NOTIFY."""
        while True:
            try:
                busy = await self.deliver_one()
            except DATABASE_ERRORS as exc:
                log.warning("delivery worker: database unavailable: %s", exc)
                busy = False
            if not busy:
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), idle_wait)
                except TimeoutError:
                    pass


async def listen_for_deliveries(database_url: str, wake: asyncio.Event) -> None:
    """Wake the delivery workers whenever any hub process commits a delivery row."""
    while True:
        try:
            conn = await asyncpg.connect(database_url)
            try:
                await conn.add_listener(NOTIFY_DELIVERY, lambda *_: wake.set())
                wake.set()  # catch up on anything queued while not listening
                while not conn.is_closed():
                    await asyncio.sleep(5)
            finally:
                await conn.close()
        except DATABASE_ERRORS as exc:
            log.warning("delivery notifications lost, reconnecting: %s", exc)
            await asyncio.sleep(2)
