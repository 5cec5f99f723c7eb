"""Selesai as the rule says: a report whose answer (tanggapan) stood its window with no reply is settled.

DOMAIN.md: a report is deemed selesai when a follow-up exists and 10 working days
(settings.sla_response_days) pass with no reply from the reporter; a reply reopens it.
The unit's COMPLETED only says the tanggapan is posted. Every hub replica runs the
closing job: it locks the reports it looks at with FOR UPDATE SKIP LOCKED and writes
settled_at, its SETTLED event, live event and audit entry in one transaction, with an
UPDATE that only a report not yet settled passes, so each report is settled once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import asyncpg

from hub.access.principal import Principal, Role
from hub.audit import record
from hub.events.publish import EventType, HubEvent, publish
from hub.forwarding.ledger import LedgerEvent
from hub.sla.calendar import Calendar, SlaCalendarMissing, load_calendar
from simpul.db.pool import DATABASE_ERRORS
from simpul.wire import ReportStatus

log = logging.getLogger("simpul.selesai")

BATCH = 200

CLOSER = Principal(role=Role.SYSTEM, name="hub selesai job")
"""Who the audit log says settled a report: the hub's own job, after the reporter's window passed in silence."""

# Answered reports not yet settled whose window may have passed: it lasts at least `$2` calendar days.
_DUE = """
SELECT tracking_number, region_code, holder_node, completed_at FROM ledger
WHERE status = 'COMPLETED' AND settled_at IS NULL AND completed_at IS NOT NULL
  AND completed_at <= $1::timestamptz - make_interval(days => $2) AND tracking_number > $3
ORDER BY tracking_number
LIMIT $4
FOR UPDATE SKIP LOCKED
"""

# Settle a report once: a reply (status no longer COMPLETED) or another replica's settlement lets nothing through.
_SETTLE = """
UPDATE ledger SET settled_at = $2
WHERE tracking_number = $1 AND status = 'COMPLETED' AND settled_at IS NULL AND completed_at = $3
RETURNING tracking_number
"""


def selesai_at(calendar: Calendar, completed_at: datetime, region_code: str, response_days: int) -> datetime:
    """When an answer posted at `completed_at` makes its report selesai, if no reply comes before: the end (local
    midnight) of the `response_days`-th working day after. Raises SlaCalendarMissing."""
    return calendar.deadline(completed_at, response_days, region_code)


class SelesaiWatch:
    """Settles every answered report whose reply window has passed, every interval."""

    def __init__(self, pool: asyncpg.Pool, response_days: int, cuti_bersama_days_off: bool = True) -> None:
        self.pool = pool
        self.response_days = response_days
        self.cuti_bersama_days_off = cuti_bersama_days_off
        self._warned: set[int] = set()

    async def settle(self, as_of: datetime | None = None) -> list[str]:
        """Settle every report whose window passed by `as_of` (now); the tracking numbers this call settled."""
        as_of = as_of or datetime.now(UTC)
        calendar = await load_calendar(self.pool, self.cuti_bersama_days_off)
        settled: list[str] = []
        after = ""
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                # A window of n working days lasts at least n calendar days: fresher answers stay out cheaply.
                rows = await conn.fetch(_DUE, as_of, self.response_days, after, BATCH)
                for row in rows:
                    if await self._settle_one(conn, calendar, row, as_of):
                        settled.append(row["tracking_number"])
            if len(rows) < BATCH:
                return settled
            after = rows[-1]["tracking_number"]

    async def _settle_one(self, conn: asyncpg.Connection, calendar: Calendar, row: asyncpg.Record,
                          as_of: datetime) -> bool:
        tracking, region = row["tracking_number"], row["region_code"]
        try:
            at = selesai_at(calendar, row["completed_at"], region, self.response_days)
        except SlaCalendarMissing as missing:
            if missing.year not in self._warned:
                self._warned.add(missing.year)
                log.warning("reports such as %s are not settled: %s", tracking, missing)
            return False
        if at > as_of or await conn.fetchval(_SETTLE, tracking, at, row["completed_at"]) is None:
            return False
        await conn.execute(
            "INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)"
            " VALUES ($1, $2, $3, $4, $5, $6, true)", tracking, at, LedgerEvent.SETTLED, row["holder_node"],
            ReportStatus.COMPLETED.value,
            f"selesai: no reply in {self.response_days} working days after the tanggapan")
        await publish(conn, HubEvent(type=EventType.STATUS_CHANGED, at=at, region_code=region,
                                     tracking_number=tracking, node=row["holder_node"],
                                     status=ReportStatus.COMPLETED.value, detail=LedgerEvent.SETTLED))
        await record(conn, CLOSER, "REPORT_SETTLED", f"report {tracking}", region,
                     {"completedAt": row["completed_at"].isoformat(), "settledAt": at.isoformat(),
                      "workingDays": self.response_days})
        return True

    async def run(self, interval: float) -> None:
        while True:
            try:
                settled = await self.settle()
                if settled:
                    log.info("settled %d reports (selesai)", len(settled))
            except DATABASE_ERRORS as exc:
                log.warning("could not settle reports: %s", exc)
            await asyncio.sleep(interval)
