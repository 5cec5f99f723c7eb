"""Overdue reports and per-node compliance: the ledger read through the SLA clock.

A report whose deadline falls in a year without a holiday calendar is not
timed; it is counted under that year in `Untimed`, never guessed, so callers
can say which figures are incomplete and why.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import asyncpg

from hub.nodes.registry import NodeRecord
from hub.sla.calendar import Calendar, SlaCalendarMissing, load_calendar, local_zone
from hub.sla.clocks import CLOCKS, UNIT_STAGES, ReportClock, SlaDays, Stage, StageClock, stage_clocks
from simpul.wire import ReportKind

_OVERDUE = CLOCKS + """
WHERE ($1::text IS NULL OR l.region_code = $1 OR l.region_code LIKE $1 || '.%')
  AND l.status NOT IN ('ARCHIVED', 'REJECTED', 'CLOSED')
  AND l.received_at <= $2::timestamptz - make_interval(days => $3)
ORDER BY l.received_at, l.tracking_number
"""

_HELD = CLOCKS + """
WHERE l.routing = 'HELD' AND l.holder_node = ANY($1::text[])
  AND ($2::timestamptz IS NULL OR l.received_at >= $2) AND ($3::timestamptz IS NULL OR l.received_at < $3)
  AND ($4::text IS NULL OR l.kind = $4)
"""
# Indonesia's clocks run from WIB (+7) to WIT (+9): a year starts first in WIT and ends last in WIB.
_FIRST_NEW_YEAR, _LAST_NEW_YEAR = timezone(timedelta(hours=9)), timezone(timedelta(hours=7))


@dataclass
class Untimed:
    """Reports the clock could not time, by the year whose calendar is missing."""

    by_year: dict[int, list[str]] = field(default_factory=dict)

    def add(self, missing: SlaCalendarMissing, tracking_number: str) -> None:
        self.by_year.setdefault(missing.year, []).append(tracking_number)


@dataclass(frozen=True)
class Overdue:
    report: ReportClock
    stage: StageClock
    working_days_late: int


@dataclass(frozen=True)
class NodeFigures:
    """How one unit keeps the follow-up deadline, over the reports it holds now."""

    node: NodeRecord
    reports_held: int
    follow_ups_due: int  # made, or past their deadline and not made
    follow_ups_on_time: int
    median_working_days_to_follow_up: float | None  # working days after the clock's start day, 0: same day
    median_hours_to_follow_up: float | None  # elapsed hours, weekends included
    overdue: int  # reports held past a unit stage's deadline
    untimed: int  # reports not timed for want of a holiday calendar
    outer_limit_overdue: int = 0  # not settled within 60 days of a complete file (Perpres 76/2013)
    information_due: int = 0  # KIP: requests answered, or past their (extended) deadline and not answered
    information_on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.follow_ups_on_time / self.follow_ups_due if self.follow_ups_due else None


def _passed(clock: StageClock, as_of: datetime) -> bool:
    return clock.stage in UNIT_STAGES and clock.passed(as_of)


async def overdue_reports(
    pool: asyncpg.Pool, days: SlaDays, region_prefix: str | None, as_of: datetime
) -> tuple[list[Overdue], Untimed]:
    """Every (report, unit stage) past its deadline at `as_of`, oldest report first."""
    calendar = await load_calendar(pool, days.cuti_bersama_days_off)
    shortest = min(days.of(stage) for stage in UNIT_STAGES)
    rows = await pool.fetch(_OVERDUE, region_prefix or None, as_of, shortest)
    found: list[Overdue] = []
    untimed = Untimed()
    for row in rows:
        report = ReportClock.from_row(row)
        try:
            late = calendar.working_days_late
            found.extend(Overdue(report, clock, late(clock.deadline, as_of, report.calendar_region))
                         for clock in stage_clocks(report, calendar, days) if _passed(clock, as_of))
        except SlaCalendarMissing as missing:
            untimed.add(missing, report.tracking_number)
    return found, untimed


def _working_days_taken(calendar: Calendar, clock: StageClock, region_code: str) -> int:
    assert clock.done_at is not None
    zone = local_zone(region_code)
    return calendar.working_days_between(clock.started_at.astimezone(zone).date(),
                                         clock.done_at.astimezone(zone).date(), region_code)


def _year_bounds(year: int | None) -> tuple[datetime | None, datetime | None]:
    """UTC moments around `year` in every region, so the database sends only those reports' clocks."""
    if year is None:
        return None, None
    return datetime(year, 1, 1, tzinfo=_FIRST_NEW_YEAR), datetime(year + 1, 1, 1, tzinfo=_LAST_NEW_YEAR)


def _received_in(report: ReportClock, year: int | None) -> bool:
    """Whether the report arrived in `year` on its region's calendar (any year for None)."""
    return year is None or report.received_at.astimezone(local_zone(report.region_code)).year == year


async def node_compliance(
    pool: asyncpg.Pool, days: SlaDays, nodes: Sequence[NodeRecord], as_of: datetime, year: int | None = None,
    kind: ReportKind | None = None,
) -> tuple[list[NodeFigures], Untimed]:
    """Figures for each of `nodes` over the reports each holds (those received in `year`, and of `kind`, when
    given: aspirasi and information requests are kept apart from complaints that way)."""
    calendar = await load_calendar(pool, days.cuti_bersama_days_off)
    rows = await pool.fetch(_HELD, [n.code for n in nodes], *_year_bounds(year), kind.value if kind else None)
    by_node: dict[str, list[ReportClock]] = {}
    for row in rows:
        report = ReportClock.from_row(row)
        if _received_in(report, year):
            by_node.setdefault(row["holder_node"], []).append(report)
    untimed = Untimed()
    figures = []
    for node in nodes:
        held = by_node.get(node.code, [])
        due = on_time = overdue = missing = outer = info_due = info_on_time = 0
        working_days: list[int] = []
        hours: list[float] = []
        for report in held:
            try:
                clocks = stage_clocks(report, calendar, days)
                follow_up = next((c for c in clocks if c.stage is Stage.FOLLOW_UP), None)
                if follow_up is not None and follow_up.done_at is not None:
                    working_days.append(_working_days_taken(calendar, follow_up, report.calendar_region))
            except SlaCalendarMissing as error:
                untimed.add(error, report.tracking_number)
                missing += 1
                continue
            overdue += any(_passed(c, as_of) for c in clocks)
            outer += any(c.stage is Stage.OUTER_LIMIT and c.passed(as_of) for c in clocks)
            for answer in (c for c in clocks if c.stage is Stage.INFORMATION):
                if answer.done_at is not None or answer.passed(as_of):
                    info_due += 1
                    info_on_time += bool(answer.on_time)
            if follow_up is None:
                continue
            if follow_up.done_at is not None:
                hours.append((follow_up.done_at - follow_up.started_at).total_seconds() / 3600)
            if follow_up.done_at is not None or follow_up.passed(as_of):
                due += 1
                on_time += bool(follow_up.on_time)
        figures.append(NodeFigures(
            node=node, reports_held=len(held), follow_ups_due=due, follow_ups_on_time=on_time,
            median_working_days_to_follow_up=statistics.median(working_days) if working_days else None,
            median_hours_to_follow_up=round(statistics.median(hours), 2) if hours else None,
            overdue=overdue, untimed=missing, outer_limit_overdue=outer, information_due=info_due,
            information_on_time=info_on_time,
        ))
    return figures, untimed
