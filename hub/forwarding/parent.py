"""This hub as one node of a parent hub: take reports forwarded from above, and show the ledger's changes.

A province's hub joins the national hub through a `hub` connector that
holds an admin key of this hub. The parent forwards reports down with its
own tracking number (kept here, so a reporter tracks one number end to
end), and pulls this ledger's events to learn what became of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hub.access.principal import Principal
from hub.audit import record
from hub.forwarding.ledger import Incoming, Ledger, check_incoming
from simpul.errors import InvalidInput
from simpul.report import AcceptResult
from simpul.wire import PARENT_ORIGIN, check_idempotency_key, check_page_size, check_sequence_cursor

MAX_CHANGES = 500


@dataclass(frozen=True)
class LedgerChange:
    cursor: str
    tracking_number: str
    at: datetime
    type: str
    node: str | None
    status: str | None
    note: str | None
    report_id: str | None  # the report's global id at a node of this hub, when it is at one
    origin_id: str


_PLACE = "SELECT tracking_number, coalesce(holder_id, origin_id) AS id FROM ledger WHERE {} = $1"

_CHANGES = """
SELECT e.seq, e.tracking_number, e.at, e.type, e.node, e.status, e.note, l.origin_id,
       coalesce(l.holder_id, CASE WHEN l.origin_node IS NOT NULL THEN l.origin_id END) AS report_id
FROM ledger_events e JOIN ledger l USING (tracking_number)
WHERE e.seq > $1 AND ($2 = '' OR l.region_code = $2 OR l.region_code LIKE $2 || '.%')
ORDER BY e.seq LIMIT $3
"""


async def take_from_parent(
    pool: asyncpg.Pool, ledger: Ledger, admin: Principal, key: str, report: Incoming
) -> AcceptResult:
    """Record a report the parent hub forwards (origin 'parent:<its id>') under its own tracking number
    and route it here, once per key."""
    check_idempotency_key(key)
    if not 1 <= len(report.tracking_number) <= 100 or not 1 <= len(report.origin_id) <= 300:
        raise InvalidInput("trackingNumber must be 1 to 100 and sourceId 1 to 300 characters")
    check_incoming(report)
    region = report.content.region_code
    admin.require(region, "accept forwarded reports")
    scoped_key = f"{admin.rate_key}:{key}"  # the parent's key, never another caller's
    async with pool.acquire() as conn, conn.transaction():
        decision = await ledger.record(conn, report, route=True, submit_key=scoped_key)
        if decision is not None:  # None: known already, nothing changed
            await record(conn, admin, "FORWARDED_REPORT_ACCEPTED", f"report {report.tracking_number}",
                         region, {"source": report.origin_id, **decision.audit_detail()})
    by_key = await pool.fetchrow(_PLACE.format("submit_key"), scoped_key)
    if by_key is not None and by_key["tracking_number"] != report.tracking_number:
        raise InvalidInput(f"idempotencyKey {key!r} was used for another report")
    # Known under another key (the parent forwards it here again): one report, as a desk does.
    row = by_key or await pool.fetchrow(_PLACE.format("tracking_number"), report.tracking_number)
    if row is None:
        raise InvalidInput(f"another report came from {report.origin_id.removeprefix(PARENT_ORIGIN)!r}")
    # where it is here: the holder's global id once delivered, else its origin id
    return AcceptResult(id=row["id"], tracking_number=report.tracking_number, created=decision is not None)


async def ledger_changes(pool: asyncpg.Pool, admin: Principal, after: str | None, first: int) -> list[LedgerChange]:
    """Ledger events in the admin's region after cursor `after`, oldest first."""
    seq = check_sequence_cursor(after, "ledger cursor")
    check_page_size(first, MAX_CHANGES)
    rows = await pool.fetch(_CHANGES, seq, admin.region_code, first)
    return [LedgerChange(cursor=str(r["seq"]), tracking_number=r["tracking_number"], at=r["at"], type=r["type"],
                         node=r["node"], status=r["status"], note=r["note"], report_id=r["report_id"],
                         origin_id=r["origin_id"]) for r in rows]
