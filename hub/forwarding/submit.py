"""No wrong door, the hub's side: submit, route, track, and an admin's hand on stuck reports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from hub.access.principal import Principal, Role
from hub.audit import record
from hub.events.publish import EventType, HubEvent, publish
from hub.forwarding.ledger import (
    PUBLIC_NOTES,
    Incoming,
    Ledger,
    LedgerEvent,
    Purpose,
    Routing,
    add_event,
    check_incoming,
    lock_report,
    new_tracking_number,
    wake_workers,
)
from hub.forwarding.routing import Decision, Router
from hub.forwarding.sealing import IdentitySeal
from hub.nodes.status import NodeStatus
from hub.sla.calendar import SlaCalendarMissing, load_calendar
from hub.sla.selesai import selesai_at
from simpul.errors import InvalidInput
from simpul.report import ReportContent, Reporter, check_information_requester
from simpul.wire import HUB_ORIGIN, ReportStatus, check_idempotency_key

REPLY_LIMIT = 5000  # characters of one reply, like an SMS thread or a short letter
REPLY_LENGTH = f"a reply must be 1 to {REPLY_LIMIT} characters"
REPLY_UNKNOWN = "no report with tracking number {number!r}"
REPLY_UNANSWERED = ("report {number} has no answer (tanggapan) to reply to: it is {status}; a reply is possible once "
                    "the unit has posted its answer")
REPLY_SETTLED = ("report {number} is selesai since {at}: it went {days} working days after the answer without a "
                 "reply; a new matter needs a new report")

KEY_REUSED = ("idempotencyKey {key!r} was used before for a different report: a new report needs a new key "
              "(the same key repeats the same submission)")


@dataclass(frozen=True)
class TrackEvent:
    at: datetime
    type: str
    node: str | None
    status: str | None
    note: str | None


@dataclass(frozen=True)
class Track:
    tracking_number: str
    kind: str
    status: str
    routing: str
    received_at: datetime
    holder: str | None
    events: list[TrackEvent]
    region_code: str
    confidential: bool
    settled_at: datetime | None = None

    def published(self) -> Track:
        """What a tracking number tells anyone who has it: a note only where the unit answers the reporter; of a
        rahasia report, where it stands only (no notes, no units: who handles it says what it is about)."""
        if self.confidential:
            return replace(self, holder=None, events=[replace(e, node=None, note=None) for e in self.events])
        return replace(self, events=[e if e.type == LedgerEvent.STATUS and e.status in PUBLIC_NOTES
                                     else replace(e, note=None) for e in self.events])


def _as_submitted(content: ReportContent, reporter: Reporter) -> dict[str, Any]:
    """A submission as its digest reads it: what the caller sent, untrimmed, with the reporter flattened (digests
    stored before the reporter was nested read the same)."""
    return {**content.model_dump(mode="json"), "anonymous": reporter.anonymous, "confidential": reporter.confidential,
            "reporter_name": reporter.name, "reporter_contact": reporter.contact}


def caller_key(caller: Principal, key: str, digest: bytes) -> str:
    """An idempotency key in its caller's namespace: a key, user or node repeats only its own submissions. The
    public cannot be told apart, so a public key also names what was submitted: it repeats only the same report."""
    if caller.role is Role.PUBLIC:
        return f"public:{digest.hex()}:{key}"
    return f"{caller.rate_key}:{key}"


async def _selesai_by_now(conn: asyncpg.Connection, row: asyncpg.Record, response_days: int,
                          cuti_bersama_days_off: bool) -> datetime | None:
    """When an answered report became selesai, if its window has passed though the closing job has yet to run;
    None while the window is open, or when no calendar can time it (the reply is then taken)."""
    if row["status"] != ReportStatus.COMPLETED or row["completed_at"] is None:
        return None
    try:
        at = selesai_at(await load_calendar(conn, cuti_bersama_days_off), row["completed_at"], row["region_code"],
                        response_days)
    except SlaCalendarMissing:
        return None
    return at if at <= datetime.now(UTC) else None


@dataclass(frozen=True)
class DeadDelivery:
    """A delivery that gave up: in dead-letter until an admin retries or re-routes its report."""

    id: int
    tracking_number: str
    purpose: Purpose
    target_node: str
    attempts: int
    last_error: str | None
    created_at: datetime


class Forwarding:
    """Operations on the ledger that callers of the API start."""

    def __init__(self, pool: asyncpg.Pool, router: Router, ledger: Ledger, seal: IdentitySeal) -> None:
        self.pool = pool
        self.router = router
        self.ledger = ledger
        self.seal = seal

    async def submit(
        self, submitter: Principal, content: ReportContent, reporter: Reporter, submit_key: str | None
    ) -> tuple[str, Decision | None]:
        """Record a report entered at the hub (its reporter sealed), its routing decision, its delivery and its
        audit entry in one transaction; a key the caller used before gives that report back, if it is this one."""
        if submit_key is not None:
            check_idempotency_key(submit_key)
        check_information_requester(content.kind, reporter)
        tracking = new_tracking_number()
        incoming = Incoming.at_door(HUB_ORIGIN + tracking, tracking, content, reporter, datetime.now(UTC), self.seal)
        check_incoming(incoming)
        digest = self.seal.digest(_as_submitted(content, reporter))
        key = caller_key(submitter, submit_key, digest) if submit_key is not None else None
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await self.ledger.record(conn, incoming, route=True, submit_key=key, submit_digest=digest)
            if decision is not None:  # None: this key's report was submitted before
                await record(conn, submitter, "REPORT_SUBMITTED", f"report {tracking}", content.region_code,
                             {"kind": content.kind.value, "channel": content.channel.value,
                              **decision.audit_detail()})
        if decision is None and key is not None:
            existing = await self.pool.fetchrow(
                "SELECT tracking_number, submit_digest FROM ledger WHERE submit_key = $1", key)
            if existing["submit_digest"] != digest:
                raise InvalidInput(KEY_REUSED.format(key=submit_key))
            return existing["tracking_number"], None
        return tracking, decision

    async def track(self, tracking_number: str, public: bool) -> Track | None:
        """The report's chain: the whole of it, or (`public`) what the public reads of it."""
        row = await self.pool.fetchrow(
            "SELECT tracking_number, kind, status, routing, received_at, holder_node, region_code, confidential,"
            " settled_at FROM ledger WHERE tracking_number = $1", tracking_number)
        if row is None:
            return None
        events = await self.pool.fetch(
            "SELECT at, type, node, status, note FROM ledger_events WHERE tracking_number = $1"
            " AND (public OR NOT $2) ORDER BY seq", tracking_number, public)
        track = Track(
            tracking_number=row["tracking_number"], kind=row["kind"], status=row["status"], routing=row["routing"],
            received_at=row["received_at"], holder=row["holder_node"],
            events=[TrackEvent(e["at"], e["type"], e["node"], e["status"], e["note"]) for e in events],
            region_code=row["region_code"], confidential=row["confidential"], settled_at=row["settled_at"],
        )
        return track.published() if public else track

    async def reply(self, replier: Principal, tracking_number: str, text: str, response_days: int,
                    cuti_bersama_days_off: bool = True) -> None:
        """The reporter answers the unit's tanggapan before the report is selesai: the report is open again
        (IN_PROCESS), here at once and at its unit through the outbox; the reply's text goes to that unit."""
        text = text.strip()
        if not text or len(text) > REPLY_LIMIT:
            raise InvalidInput(REPLY_LENGTH)
        if "\x00" in text:
            raise InvalidInput("a reply must not contain NUL characters")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT tracking_number, region_code, status, routing, holder_node, completed_at, settled_at"
                " FROM ledger WHERE tracking_number = $1 FOR UPDATE", tracking_number)
            if row is None:
                raise InvalidInput(REPLY_UNKNOWN.format(number=tracking_number))
            settled = row["settled_at"] or await _selesai_by_now(conn, row, response_days, cuti_bersama_days_off)
            if settled is not None:
                raise InvalidInput(REPLY_SETTLED.format(number=tracking_number, at=settled.isoformat(),
                                                        days=response_days))
            if row["status"] != ReportStatus.COMPLETED:
                raise InvalidInput(REPLY_UNANSWERED.format(number=tracking_number, status=row["status"]))
            await conn.execute("UPDATE ledger SET status = 'IN_PROCESS', updated_at = now()"
                               " WHERE tracking_number = $1", tracking_number)
            seq = await conn.fetchval(
                "INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)"
                " VALUES ($1, now(), $2, $3, 'IN_PROCESS', $4, true) RETURNING seq",
                tracking_number, LedgerEvent.REPLIED, row["holder_node"], text)
            await publish(conn, HubEvent(type=EventType.STATUS_CHANGED, at=datetime.now(UTC),
                                         region_code=row["region_code"], tracking_number=tracking_number,
                                         node=row["holder_node"], status=ReportStatus.IN_PROCESS.value,
                                         detail=LedgerEvent.REPLIED))
            if row["routing"] == Routing.HELD and row["holder_node"] is not None:
                await conn.execute(
                    "INSERT INTO deliveries (tracking_number, purpose, target_node, idempotency_key, reply_event)"
                    " VALUES ($1, $2, $3, $4, $5)", tracking_number, Purpose.REPLY, row["holder_node"],
                    f"{tracking_number}:reply:{seq}", seq)
                await wake_workers(conn)
            # The audit log keeps no report contents: the reply's length, not its words.
            await record(conn, replier, "REPORT_REPLIED", f"report {tracking_number}", row["region_code"],
                         {"holder": row["holder_node"], "characters": len(text), "event": seq})

    async def reassign(self, admin: Principal, tracking_number: str, node: str, note: str) -> None:
        """Disposisi by hand: send the report to `node`, whatever the rules say."""
        if not note.strip():
            raise InvalidInput("a disposisi needs a note saying why")
        target = await self.router.registry.get(node)
        if target is None or target.status != NodeStatus.ACTIVE:
            raise InvalidInput(f"node {node!r} is not an active node")
        admin.require(target.region_code, f"send reports to node {node}")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await lock_report(conn, tracking_number)
            admin.require(row["region_code"], "re-assign reports")
            if row["holder_node"] == node and row["routing"] == Routing.HELD:
                raise InvalidInput(f"report {tracking_number} is already held by {node}")
            decision = Decision(target, None, f"disposisi by {admin.name}: {note.strip()}", ())
            await self.ledger.place(conn, tracking_number, decision, event=LedgerEvent.REASSIGNED)
            await record(conn, admin, "REPORT_REASSIGNED", f"report {tracking_number}", row["region_code"],
                         {"from": row["holder_node"], "to": node, "note": note.strip()})

    async def retry(self, admin: Principal, delivery_id: int) -> None:
        """Give a dead delivery a fresh start."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT d.tracking_number, d.purpose, d.state, l.region_code FROM deliveries d"
                " JOIN ledger l USING (tracking_number) WHERE d.id = $1 FOR UPDATE OF d", delivery_id)
            if row is None:
                raise InvalidInput(f"no delivery {delivery_id}")
            admin.require(row["region_code"], "retry deliveries")
            if row["state"] != "DEAD":
                raise InvalidInput(f"delivery {delivery_id} is {row['state']}, not DEAD")
            await conn.execute(
                "UPDATE deliveries SET state = 'PENDING', attempts = 0, next_attempt_at = now() WHERE id = $1",
                delivery_id)
            if row["purpose"] == Purpose.ACCEPT:
                await conn.execute("UPDATE ledger SET routing = 'FORWARDING' WHERE tracking_number = $1",
                                   row["tracking_number"])
            await add_event(conn, row["tracking_number"], LedgerEvent.RETRIED, note=f"by {admin.name}", public=False)
            await record(conn, admin, "DELIVERY_RETRIED", f"report {row['tracking_number']}", row["region_code"],
                         {"delivery": delivery_id, "purpose": row["purpose"]})
            await wake_workers(conn)

    async def reroute(self, admin: Principal, tracking_number: str) -> None:
        """Route a dead or unroutable report again, past the unit its delivery died at."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await lock_report(conn, tracking_number)
            admin.require(row["region_code"], "re-route reports")
            if row["routing"] not in (Routing.DEAD, Routing.UNROUTABLE):
                raise InvalidInput(f"report {tracking_number} is {row['routing']}; only DEAD or UNROUTABLE ones "
                                   "are re-routed (use reassignReport for a disposisi)")
            dead = {r["target_node"] for r in await conn.fetch(
                "SELECT target_node FROM deliveries WHERE tracking_number = $1 AND state = 'DEAD'", tracking_number)}
            await conn.execute("UPDATE deliveries SET state = 'CANCELLED' WHERE tracking_number = $1"
                               " AND state = 'DEAD'", tracking_number)
            decision = await self.ledger.reroute(conn, tracking_number, extra_exclude=dead)
            await record(conn, admin, "REPORT_REROUTED", f"report {tracking_number}", row["region_code"],
                         {"was": row["routing"], **decision.audit_detail()})

    async def dead_letters(self, admin: Principal) -> list[DeadDelivery]:
        """The deliveries that gave up, of reports in the admin's region."""
        rows = await self.pool.fetch(
            "SELECT d.id, d.tracking_number, d.purpose, d.target_node, d.attempts, d.last_error, d.created_at,"
            " l.region_code FROM deliveries d JOIN ledger l USING (tracking_number)"
            " WHERE d.state = 'DEAD' ORDER BY d.id")
        return [DeadDelivery(id=r["id"], tracking_number=r["tracking_number"], purpose=Purpose(r["purpose"]),
                             target_node=r["target_node"], attempts=r["attempts"], last_error=r["last_error"],
                             created_at=r["created_at"])
                for r in rows if admin.covers(r["region_code"])]
