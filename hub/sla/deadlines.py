"""DEADLINE_PASSED live events: each stage deadline is announced once, by whichever hub replica sees it first.

A replica locks the reports it looks at with FOR UPDATE SKIP LOCKED and
publishes each event in the transaction that records the stage instance in
ledger.overdue_notified, so an event goes out if and only if that record commits.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import asyncpg

from hub.events.publish import EventType, HubEvent, publish
from hub.sla.calendar import Calendar, SlaCalendarMissing, load_calendar, local_zone
from hub.sla.clocks import CALENDAR_DAY_STAGES, CLOCKS, ReportClock, SlaDays, StageClock, stage_clocks
from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.deadlines")

BATCH = 200


def _us(column: str) -> str:
    """SQL for a timestamp's epoch microseconds as text, as StageClock.marker writes them."""
    return f"(extract(epoch FROM {column}) * 1000000)::bigint::text"


# Reports that may have a stage whose deadline passed unannounced; the stage's shortest
# possible length in calendar days ($3..$5) keeps fresh reports out cheaply.
_DUE = CLOCKS + f"""
WHERE l.status NOT IN ('ARCHIVED', 'REJECTED', 'CLOSED') AND l.tracking_number > $1
  AND ((c.verified_at IS NULL AND l.received_at <= $2::timestamptz - make_interval(days => $3)
        AND NOT 'VERIFICATION:' || {_us('l.received_at')} = ANY(l.overdue_notified))
    OR (c.follow_up_from IS NOT NULL AND f.followed_up_at IS NULL
        AND c.follow_up_from <= $2::timestamptz - make_interval(days => $4)
        AND NOT 'FOLLOW_UP:' || {_us('c.follow_up_from')} = ANY(l.overdue_notified))
    OR (c.completed_at IS NOT NULL AND c.completed_at <= $2::timestamptz - make_interval(days => $5)
        AND NOT 'REPORTER_RESPONSE:' || {_us('c.completed_at')} = ANY(l.overdue_notified))
    OR (l.kind = 'INFORMASI' AND l.kip_answered_at IS NULL
        AND l.received_at <= $2::timestamptz - make_interval(days => $7)
        AND NOT 'INFORMATION:' || {_us('l.received_at')} = ANY(l.overdue_notified))
    OR (l.kip_objected_at IS NOT NULL AND l.kip_objection_answered_at IS NULL
        AND l.kip_objected_at <= $2::timestamptz - make_interval(days => $9)
        AND NOT 'OBJECTION:' || {_us('l.kip_objected_at')} = ANY(l.overdue_notified))
    OR (c.file_complete_at IS NOT NULL AND c.settled_at IS NULL
        AND c.file_complete_at <= $2::timestamptz - make_interval(days => $8)
        AND NOT 'OUTER_LIMIT:' || {_us('c.file_complete_at')} = ANY(l.overdue_notified)))
ORDER BY l.tracking_number
LIMIT $6
FOR UPDATE OF l SKIP LOCKED
"""


def _event(report: ReportClock, clock: StageClock, days: SlaDays) -> HubEvent:
    started = clock.started_at.astimezone(local_zone(report.calendar_region))
    unit = "calendar days" if clock.stage in CALENDAR_DAY_STAGES else "working days"
    taken = f"{days.of(clock.stage)} {unit} from {started.isoformat(timespec='seconds')}"
    return HubEvent(
        type=EventType.DEADLINE_PASSED, at=clock.deadline, region_code=report.region_code,
        tracking_number=report.tracking_number, node=report.holder, status=report.status.value,
        detail=f"{clock.stage}: {taken} ended {clock.deadline.isoformat(timespec='seconds')}",
    )


class DeadlineWatch:
    """Looks for newly passed deadlines every interval and announces them."""

    def __init__(self, pool: asyncpg.Pool, days: SlaDays) -> None:
        self.pool = pool
        self.days = days
        self._warned: set[int] = set()

    async def announce(self, as_of: datetime | None = None) -> int:
        """Publish every stage deadline passed by `as_of` (now) and not yet announced; how many."""
        as_of = as_of or datetime.now(UTC)
        calendar = await load_calendar(self.pool, self.days.cuti_bersama_days_off)
        announced, after = 0, ""
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await self.candidates(conn, after, as_of)
                for row in rows:
                    announced += await self._announce_one(conn, calendar, ReportClock.from_row(row), as_of)
            if len(rows) < BATCH:
                return announced
            after = rows[-1]["tracking_number"]

    async def candidates(self, conn: asyncpg.Connection, after: str, as_of: datetime) -> list[asyncpg.Record]:
        """Lock and read the next reports after `after` that may have a deadline to announce (CLOCKS rows)."""
        rows: list[asyncpg.Record] = await conn.fetch(
            _DUE, after, as_of, self.days.verification, self.days.follow_up, self.days.reporter_response, BATCH,
            self.days.information, self.days.outer_limit, self.days.objection)
        return rows

    async def _announce_one(
        self, conn: asyncpg.Connection, calendar: Calendar, report: ReportClock, as_of: datetime
    ) -> int:
        try:
            clocks = stage_clocks(report, calendar, self.days)
        except SlaCalendarMissing as missing:
            if missing.year not in self._warned:
                self._warned.add(missing.year)
                log.warning("deadlines of reports such as %s are not watched: %s", report.tracking_number, missing)
            return 0
        passed = [c for c in clocks if c.passed(as_of) and c.marker not in report.notified]
        for clock in passed:
            await publish(conn, _event(report, clock, self.days))
        if passed:
            await conn.execute(
                "UPDATE ledger SET overdue_notified = overdue_notified || $2::text[] WHERE tracking_number = $1",
                report.tracking_number, [c.marker for c in passed])
        return len(passed)

    async def run(self, interval: float) -> None:
        while True:
            try:
                count = await self.announce()
                if count:
                    log.info("announced %d passed deadlines", count)
            except DATABASE_ERRORS as exc:
                log.warning("could not look for passed deadlines: %s", exc)
            await asyncio.sleep(interval)
