"""The hub's ledger: where every report is, how it got there, and what became of it.

Every change is written in the caller's transaction together with the
routing decision and any delivery row it implies, so that a crash at any
moment leaves either all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import asyncpg

from hub.events.publish import EventType, HubEvent, publish
from hub.forwarding.routing import Decision, Routable, Router
from hub.forwarding.sealing import Identity, IdentitySeal
from simpul.errors import InvalidInput
from simpul.report import ANONYMOUS_HAS_IDENTITY, ReportContent, Reporter
from simpul.tracking import new_tracking_number as federation_number
from simpul.wire import ReportKind, ReportStatus, check_aware_time, check_region_code, check_report_text

NOTIFY_DELIVERY = "simpul_delivery"


class Routing(StrEnum):
    """Where a ledger row stands in forwarding (ledger.routing)."""

    HELD = "HELD"  # a unit with authority holds it
    FORWARDING = "FORWARDING"  # a delivery to a unit is owed
    UNROUTABLE = "UNROUTABLE"  # no unit is left to take it: an admin decides
    DEAD = "DEAD"  # its delivery gave up: in dead-letter until an admin retries or re-routes


class Purpose(StrEnum):
    """What a delivery asks of its node (deliveries.purpose)."""

    ACCEPT = "ACCEPT"  # take the report (acceptReport)
    MARK_FORWARDED = "MARK_FORWARDED"  # tell the origin that another unit holds it now
    REPLY = "REPLY"  # carry the reporter's reply to the unit holding it (replyToReport)
    AMEND = "AMEND"  # carry an admin's verification edits to a node keeping a copy (verifyReport)


class LedgerEvent(StrEnum):
    """What happened to a report (ledger_events.type)."""

    RECEIVED = "RECEIVED"  # a door took it in
    ROUTED = "ROUTED"  # the routing rules chose a unit
    REASSIGNED = "REASSIGNED"  # an admin chose a unit by hand (disposisi)
    UNROUTABLE = "UNROUTABLE"  # no unit is left to take it
    DELIVERED = "DELIVERED"  # the unit accepted it
    DEAD_LETTER = "DEAD_LETTER"  # its delivery gave up
    RETRIED = "RETRIED"  # an admin sent a dead delivery again
    STATUS = "STATUS"  # the unit holding it changed its status
    RETURNED = "RETURNED"  # the unit holding it said it is not theirs
    VERIFIED = "VERIFIED"  # an admin retitled, reclassified or set anonim/rahasia; routing was re-evaluated
    REPLIED = "REPLIED"  # the reporter answered the unit's tanggapan: the report is open again
    SETTLED = "SETTLED"  # the tanggapan stood its window with no reply: selesai (hub/sla/selesai.py)
    TIME_CLAMPED = "TIME_CLAMPED"  # a node's status time was later than the hub saw it, or before receipt
    KIP_EXTENDED = "KIP_EXTENDED"  # a permintaan informasi's one extension, with its written reason
    KIP_ANSWERED = "KIP_ANSWERED"  # a permintaan informasi answered: granted, refused (exemption), not held
    KIP_OBJECTED = "KIP_OBJECTED"  # the requester objected (keberatan) to the PPID's superior
    KIP_OBJECTION_ANSWERED = "KIP_OBJECTION_ANSWERED"  # the superior's written response to the objection


class DeliveryState(StrEnum):
    """Where a delivery stands (deliveries.state)."""

    PENDING = "PENDING"
    DONE = "DONE"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"

# Notes a reporter may read in trackReport: the answer, or what the unit asks of them.
PUBLIC_NOTES = frozenset({ReportStatus.COMPLETED, ReportStatus.ON_HOLD})

# Ledger events that subscribers hear of; the live event carries no note (notes may be internal).
LIVE_EVENTS = {
    LedgerEvent.ROUTED: EventType.REPORT_FORWARDED, LedgerEvent.REASSIGNED: EventType.REPORT_FORWARDED,
    LedgerEvent.DELIVERED: EventType.REPORT_FORWARDED, LedgerEvent.STATUS: EventType.STATUS_CHANGED,
    LedgerEvent.RETURNED: EventType.STATUS_CHANGED,
}


def new_tracking_number() -> str:
    """A tracking number for a report submitted at the hub itself (60 random bits, see simpul.tracking)."""
    return federation_number("lpr")


@dataclass(frozen=True)
class Incoming:
    """A report the hub must place: submitted at the hub, or first seen in a node's feed."""

    origin_id: str  # '<node>:<local id>', or 'hub:<tracking number>', or 'parent:<the parent's origin id>'
    origin_node: str | None
    tracking_number: str
    content: ReportContent
    reporter: Reporter  # its flags only: the hub keeps no identity in the clear (issue 14)
    received_at: datetime
    status: ReportStatus = ReportStatus.RECEIVED
    history: bool = False  # received before its node was connected
    node_tracking_number: str | None = None  # the agency's own number, where the federation's had to differ
    # A hub-door report's reporter, sealed (forwarding/sealing.py) until its unit has it; a feed's report carries none.
    sealed_identity: bytes | None = None

    @classmethod
    def at_door(cls, origin_id: str, tracking_number: str, content: ReportContent, reporter: Reporter,
                received_at: datetime, seal: IdentitySeal) -> Incoming:
        """A report entered at one of the hub's own doors: its text trimmed, its reporter's identity sealed."""
        identity = Identity.of(reporter.name, reporter.contact)
        trimmed = content.model_copy(update={"title": content.title.strip(), "body": content.body.strip(),
                                             "category": content.category.strip()})
        return cls(origin_id=origin_id, origin_node=None, tracking_number=tracking_number, content=trimmed,
                   reporter=reporter.without_identity(), received_at=received_at,
                   sealed_identity=seal.seal(tracking_number, identity) if identity else None)

    def routable(self) -> Routable:
        return Routable(self.content.region_code, self.content.category, self.content.kind)


def check_incoming(report: Incoming) -> None:
    """What every report must satisfy before the ledger takes it, whichever door it came through."""
    content = report.content
    check_region_code(content.region_code)
    check_report_text(content.title, content.body, content.category)
    check_aware_time(report.received_at, "receivedAt")
    if report.reporter.has_identity():
        raise ValueError("the ledger keeps a reporter's identity sealed only")
    if report.reporter.anonymous and report.sealed_identity is not None:
        raise InvalidInput(ANONYMOUS_HAS_IDENTITY)


async def add_event(
    conn: asyncpg.Connection, tracking_number: str, type: LedgerEvent, *, node: str | None = None,
    status: str | None = None, note: str | None = None, public: bool = True, at: datetime | None = None,
    live: bool = True,
) -> None:
    """Append to a report's timeline and, for the events in LIVE_EVENTS, tell subscribers on commit
    (unless not `live`: a unit's history arriving is no news)."""
    added_at = await conn.fetchval(
        "INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)"
        " VALUES ($1, coalesce($2, now()), $3, $4, $5, $6, $7) RETURNING at",
        tracking_number, at, type, node, status, note, public,
    )
    event = LIVE_EVENTS.get(type) if live else None
    if event is not None:
        region = await conn.fetchval("SELECT region_code FROM ledger WHERE tracking_number = $1", tracking_number)
        await publish(conn, HubEvent(type=event, at=added_at, region_code=region, tracking_number=tracking_number,
                                     node=node, status=status, detail=type))


class Ledger:
    """Writes to the ledger; every method runs inside the caller's transaction."""

    def __init__(self, router: Router, max_hops: int) -> None:
        self.router = router
        self.max_hops = max_hops

    async def record(
        self, conn: asyncpg.Connection, report: Incoming, route: bool, submit_key: str | None = None,
        submit_digest: bytes | None = None,
    ) -> Decision | None:
        """Enter a new report and, when `route`, send it where it belongs.

        Returns None when the tracking number (or submit key) is already known.
        """
        written = report.content.model_dump(mode="json")
        inserted = await conn.fetchval(
            _RECORD, report.tracking_number, report.origin_id, submit_key, submit_digest, report.origin_node,
            report.reporter.anonymous, report.reporter.confidential, report.sealed_identity, report.received_at,
            report.status.value, report.history, report.node_tracking_number,
            *(written[name] for name in CONTENT_COLUMNS),
        )
        if not inserted:
            return None
        await add_event(conn, report.tracking_number, LedgerEvent.RECEIVED, node=report.origin_node,
                        status=ReportStatus.RECEIVED.value, at=report.received_at)
        if not route:
            return None
        decision = await self.router.decide(report.routable(), db=conn)
        await self.place(conn, report.tracking_number, decision)
        return decision

    async def place(self, conn: asyncpg.Connection, tracking_number: str, decision: Decision,
                    event: LedgerEvent = LedgerEvent.ROUTED) -> None:
        """Act on a routing decision: keep the report where it is, queue a delivery, or say no one is left."""
        row = await conn.fetchrow(
            "SELECT origin_id, origin_node, holder_node FROM ledger WHERE tracking_number = $1 FOR UPDATE",
            tracking_number,
        )
        hops = await conn.fetchval(
            "SELECT count(*) FROM ledger_events WHERE tracking_number = $1 AND type IN ('ROUTED', 'REASSIGNED')",
            tracking_number,
        )
        target = decision.target
        if target is None or (event is LedgerEvent.ROUTED and hops >= self.max_hops):
            reason = decision.reason if target is None else f"stopped after {hops} routings"
            note = "; ".join([reason, *decision.tried])
            await conn.execute(
                "UPDATE ledger SET routing = 'UNROUTABLE', holder_node = NULL, holder_id = NULL,"
                " updated_at = now() WHERE tracking_number = $1", tracking_number)
            await add_event(conn, tracking_number, LedgerEvent.UNROUTABLE, note=note, public=False)
            return
        await add_event(conn, tracking_number, event, node=target.code, note=decision.reason)
        if target.code == row["holder_node"] or target.code == row["origin_node"]:
            # Handled at the door it came through (or back where it started): nothing to send.
            await conn.execute(
                "UPDATE ledger SET routing = 'HELD', holder_node = $2, holder_id = coalesce($3, holder_id),"
                " node_changed_at = CASE WHEN holder_node IS DISTINCT FROM $2 THEN NULL ELSE node_changed_at END,"
                f" chain = {CHAIN_WITH_2}, updated_at = now() WHERE tracking_number = $1", tracking_number, target.code,
                row["origin_id"] if target.code == row["origin_node"] else None)
            return
        await conn.execute(
            "UPDATE deliveries SET state = 'CANCELLED' WHERE tracking_number = $1 AND state = 'PENDING'"
            " AND purpose = 'ACCEPT'", tracking_number)
        await conn.execute(
            "UPDATE ledger SET routing = 'FORWARDING', holder_node = NULL, holder_id = NULL,"
            " node_changed_at = NULL, updated_at = now()"
            " WHERE tracking_number = $1", tracking_number)
        key = f"{tracking_number}:{target.code}:{hops}"
        await queue_delivery(conn, tracking_number, Purpose.ACCEPT, target.code, key)

    async def decide_again(
        self, conn: asyncpg.Connection, tracking_number: str, extra_exclude: Collection[str] = ()
    ) -> Decision:
        """Where the rules send the report as the ledger holds it now, past every unit that returned it."""
        row = await conn.fetchrow("SELECT region_code, category, kind FROM ledger WHERE tracking_number = $1",
                                  tracking_number)
        returned = {r["node"] for r in await conn.fetch(
            "SELECT DISTINCT node FROM ledger_events WHERE tracking_number = $1 AND type = 'RETURNED'",
            tracking_number)}
        routable = Routable(row["region_code"], row["category"], ReportKind(row["kind"]))
        return await self.router.decide(routable, exclude=returned | set(extra_exclude), db=conn)

    async def reroute(
        self, conn: asyncpg.Connection, tracking_number: str, extra_exclude: Collection[str] = ()
    ) -> Decision:
        """Route again, past every unit that returned the report."""
        decision = await self.decide_again(conn, tracking_number, extra_exclude)
        await self.place(conn, tracking_number, decision)
        return decision

    async def apply_status(
        self, conn: asyncpg.Connection, tracking_number: str, node: str, status: ReportStatus,
        note: str | None, at: datetime,
    ) -> Decision | None:
        """A status change reported by the unit holding the report; for a return, where it went next."""
        await conn.execute(_APPLY_STATUS, tracking_number, status.value, at)
        if status is ReportStatus.RETURNED:
            await add_event(conn, tracking_number, LedgerEvent.RETURNED, node=node, status=status.value, note=note,
                            public=False, at=at)
            return await self.reroute(conn, tracking_number)
        await add_event(conn, tracking_number, LedgerEvent.STATUS, node=node, status=status.value, note=note, at=at,
                        public=True)
        return None

    async def take_timeline(self, conn: asyncpg.Connection, report: Incoming, timeline: Sequence[NodeEvent],
                            updated_at: datetime) -> None:
        """A report first seen at its door arrives with what already happened to it there: its statuses and
        times are the node's own, so the SLA clock times it as the unit did (a connection is no event)."""
        for event in sorted(timeline, key=lambda e: e.at):
            if event.status is ReportStatus.RECEIVED:
                continue  # the ledger's RECEIVED event is the report's receipt
            # No event is later than the report's own last change: a system that dates events when it captured
            # them (a feed trigger installed today) must not make months-old work look done today.
            at = min(event.at, updated_at)
            await conn.execute(_APPLY_STATUS, report.tracking_number, event.status.value, at)
            returned = event.status is ReportStatus.RETURNED  # as apply_status records it: a return is internal
            await add_event(conn, report.tracking_number, LedgerEvent.RETURNED if returned else LedgerEvent.STATUS,
                            node=report.origin_node, status=event.status.value, note=event.note, at=at,
                            public=not returned, live=not report.history)
        # Where it stands now, as of the node's own last change, even from a node that keeps no timeline.
        await conn.execute(
            "UPDATE ledger SET status = $2, updated_at = $3,"
            " followed_up_at = CASE WHEN $2 IN ('IN_PROCESS', 'COMPLETED') THEN coalesce(followed_up_at, $3)"
            "   ELSE followed_up_at END,"
            " completed_at = CASE WHEN $2 = 'COMPLETED' THEN coalesce(completed_at, $3) ELSE completed_at END"
            " WHERE tracking_number = $1", report.tracking_number, report.status.value, updated_at)


class NodeEvent(Protocol):
    """An event of a node's timeline, as a node reports it."""

    @property
    def at(self) -> datetime: ...
    @property
    def status(self) -> ReportStatus: ...
    @property
    def note(self) -> str | None: ...


# A status change applied to the ledger, at the holder's own time `$3` (each at most once: see node_changed_at).
# What the reporter wrote: the ledger's columns are named like the content's fields (tests/simpul/test_report.py).
CONTENT_COLUMNS = tuple(ReportContent.model_fields)

# A new report, its content from $13 on.
_RECORD = (
    "INSERT INTO ledger (tracking_number, origin_id, submit_key, submit_digest, origin_node, anonymous, confidential,"
    " sealed_identity, received_at, status, history, node_tracking_number, holder_node, holder_id, routing, chain, "
    + ", ".join(CONTENT_COLUMNS)
    + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $5,"
    " CASE WHEN $5::text IS NULL THEN NULL ELSE $2 END, 'HELD',"
    " CASE WHEN $5::text IS NULL THEN '{}' ELSE ARRAY[$5::text] END, "
    + ", ".join(f"${n}" for n in range(13, 13 + len(CONTENT_COLUMNS)))
    + ") ON CONFLICT DO NOTHING RETURNING true"
)

_APPLY_STATUS = """
UPDATE ledger SET status = $2, updated_at = greatest(updated_at, $3),
    followed_up_at = CASE WHEN $2 IN ('IN_PROCESS', 'COMPLETED') THEN coalesce(followed_up_at, $3)
                          ELSE followed_up_at END,
    completed_at = CASE WHEN $2 = 'COMPLETED' THEN $3 ELSE completed_at END,
    settled_at = CASE WHEN $2 = 'IN_PROCESS' THEN NULL ELSE settled_at END,  -- reopened: selesai no longer
    node_changed_at = greatest(node_changed_at, $3)
WHERE tracking_number = $1
"""

# The chain with unit $2 appended, unless it holds the report already.
CHAIN_WITH_2 = "CASE WHEN chain[cardinality(chain)] IS DISTINCT FROM $2 THEN chain || $2::text ELSE chain END"


async def queue_delivery(conn: asyncpg.Connection, tracking_number: str, purpose: Purpose, target: str,
                         key: str) -> None:
    """Owe a node a call; delivery workers anywhere pick it up, once NOTIFY is committed."""
    await conn.execute(
        "INSERT INTO deliveries (tracking_number, purpose, target_node, idempotency_key)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
        tracking_number, purpose, target, key,
    )
    await wake_workers(conn)


async def wake_workers(conn: asyncpg.Connection) -> None:
    """Tell delivery workers in every hub process that something is due, once the transaction commits."""
    await conn.execute(f"NOTIFY {NOTIFY_DELIVERY}")


async def lock_report(conn: asyncpg.Connection, tracking_number: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM ledger WHERE tracking_number = $1 FOR UPDATE", tracking_number)
    if row is None:
        raise InvalidInput(f"no report with tracking number {tracking_number!r}")
    return row
