"""Overdue reports and per-node compliance: the ledger read through the SLA clock.

A report whose deadline falls in a year without a holiday calendar is not
timed; it is counted under that year in `Untimed`, never guessed, so callers
can say which figures are incomplete and why.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from hub.nodes.registry import NodeRecord
from hub.sla.calendar import Calendar, SlaCalendarMissing, load_calendar, local_zone
from hub.sla.clocks import CLOCKS, UNIT_STAGES, ReportClock, SlaDays, Stage, StageClock, stage_clocks
from hub.sla.period import Period
from simpul.wire import Channel, ReportKind, ReportStatus

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
_WITHDRAWN = frozenset({ReportStatus.REJECTED, ReportStatus.ARCHIVED})  # not pursued, and not selesai either


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
class StageTally:
    """How one stage was kept: instances due (done, or past the deadline and not done) and those done in time."""

    due: int = 0
    on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def __add__(self, other: StageTally) -> StageTally:
        return StageTally(self.due + other.due, self.on_time + other.on_time)


@dataclass(frozen=True)
class Handling:
    """What became of the reports a unit holds, in counts that add up over units: a region's is their sum."""

    selesai: int = 0  # settled as the rule says (hub/sla/selesai.py), or closed
    in_process: int = 0  # neither selesai nor rejected or archived: still the unit's to finish
    withdrawn: int = 0  # rejected or archived, never selesai
    by_kind: Mapping[ReportKind, int] = field(default_factory=dict)
    by_channel: Mapping[Channel, int] = field(default_factory=dict)  # the channel each came in by
    stages: Mapping[Stage, StageTally] = field(default_factory=dict)  # the unit's stages, timed reports only

    def stage(self, stage: Stage) -> StageTally:
        return self.stages.get(stage, StageTally())

    def __add__(self, other: Handling) -> Handling:
        return Handling(self.selesai + other.selesai, self.in_process + other.in_process,
                        self.withdrawn + other.withdrawn, Counter(self.by_kind) + Counter(other.by_kind),
                        Counter(self.by_channel) + Counter(other.by_channel),
                        {s: self.stage(s) + other.stage(s) for s in {*self.stages, *other.stages}})


@dataclass(frozen=True)
class NodeFigures:
    """How one unit handles the reports it holds now (those received in a period, when one is asked)."""

    node: NodeRecord
    reports_held: int
    median_working_days_to_follow_up: float | None  # working days after the clock's start day, 0: same day
    median_hours_to_follow_up: float | None  # elapsed hours, weekends included
    overdue: int  # reports held past a unit stage's deadline
    untimed: int  # reports not timed for want of a holiday calendar
    outer_limit_overdue: int = 0  # not settled within 60 days of a complete file (Perpres 76/2013)
    handling: Handling = Handling()

    @property
    def follow_ups_due(self) -> int:
        return self.handling.stage(Stage.FOLLOW_UP).due

    @property
    def follow_ups_on_time(self) -> int:
        return self.handling.stage(Stage.FOLLOW_UP).on_time

    @property
    def on_time_share(self) -> float | None:
        return self.handling.stage(Stage.FOLLOW_UP).on_time_share

    @property
    def information_due(self) -> int:
        """KIP: requests answered, or past their (extended) deadline and not answered."""
        return self.handling.stage(Stage.INFORMATION).due

    @property
    def information_on_time(self) -> int:
        return self.handling.stage(Stage.INFORMATION).on_time


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


async def node_compliance(
    pool: asyncpg.Pool, days: SlaDays, nodes: Sequence[NodeRecord], as_of: datetime, period: Period | None = None,
    kind: ReportKind | None = None,
) -> tuple[list[NodeFigures], Untimed]:
    """Figures for each of `nodes` over the reports each holds (those received in `period`, and of `kind`, when
    given: aspirasi and information requests are kept apart from complaints that way)."""
    calendar = await load_calendar(pool, days.cuti_bersama_days_off)
    untimed = Untimed()
    held = _timed(await _held(pool, nodes, period, kind), calendar, days)
    return _per_node(nodes, held, calendar, as_of, untimed), untimed


@dataclass(frozen=True)
class _Timed:
    """A clock row with its stages, timed once whichever figures are then asked of it."""

    row: asyncpg.Record
    report: ReportClock
    clocks: list[StageClock] | SlaCalendarMissing


def _timed(rows: Sequence[asyncpg.Record], calendar: Calendar, days: SlaDays) -> list[_Timed]:
    timed = []
    for row in rows:
        report = ReportClock.from_row(row)
        try:
            clocks: list[StageClock] | SlaCalendarMissing = stage_clocks(report, calendar, days)
        except SlaCalendarMissing as missing:
            clocks = missing
        timed.append(_Timed(row, report, clocks))
    return timed


@dataclass(frozen=True)
class YearOfLedger:
    """The reports `nodes` hold that their region's clock received in `year`, read from the ledger once and timed
    once. The year's figures per node, one month's, and the year month by month all come from it, so the
    dashboard's charts and a monitoring report read and time a year once, not once per figure. It is a value of
    one request, never kept: figures are never older than the read that made them."""

    year: int
    nodes: Sequence[NodeRecord]
    calendar: Calendar
    held: Sequence[_Timed]  # in the order read
    by_month: Mapping[int, Sequence[_Timed]]

    @classmethod
    async def read(cls, pool: asyncpg.Pool, days: SlaDays, nodes: Sequence[NodeRecord], year: int) -> YearOfLedger:
        calendar = await load_calendar(pool, days.cuti_bersama_days_off)
        held = _timed(await _held(pool, nodes, Period(year), None), calendar, days)
        by_month: dict[int, list[_Timed]] = {}
        for timed in held:
            row = timed.row
            by_month.setdefault(row["received_at"].astimezone(local_zone(row["region_code"])).month, []).append(timed)
        return cls(year, nodes, calendar, held, by_month)

    def per_node(self, as_of: datetime, period: Period, untimed: Untimed) -> list[NodeFigures]:
        """node_compliance over `period`, which is this year or one of its months."""
        if period.year != self.year:
            raise ValueError(f"{period} is not in the year read, {self.year}")
        held = self.held if period.month is None else self.by_month.get(period.month, [])
        return _per_node(self.nodes, held, self.calendar, as_of, untimed)

    def monthly(self, as_of: datetime, untimed: Untimed) -> list[list[NodeFigures]]:
        """per_node for each month, January first: a year's series costs one query, not twelve. A report belongs to
        the month its region's clock received it in."""
        return [_per_node(self.nodes, self.by_month.get(month, []), self.calendar, as_of, untimed)
                for month in range(1, 13)]


async def _held(pool: asyncpg.Pool, nodes: Sequence[NodeRecord], period: Period | None,
                kind: ReportKind | None) -> list[asyncpg.Record]:
    """The clock rows of the reports `nodes` hold, received in `period` on each report's own regional clock."""
    start, end = period.window() if period is not None else (None, None)
    rows = await pool.fetch(_HELD, [n.code for n in nodes], start, end, kind.value if kind else None)
    return [r for r in rows if period is None or period.contains(r["received_at"], r["region_code"])]


def _per_node(nodes: Sequence[NodeRecord], held: Sequence[_Timed], calendar: Calendar, as_of: datetime,
              untimed: Untimed) -> list[NodeFigures]:
    by_node: dict[str, list[_Timed]] = {}
    for timed in held:
        by_node.setdefault(timed.row["holder_node"], []).append(timed)
    return [_figures(node, by_node.get(node.code, []), calendar, as_of, untimed) for node in nodes]


def _figures(node: NodeRecord, held: Sequence[_Timed], calendar: Calendar, as_of: datetime,
             untimed: Untimed) -> NodeFigures:
    """One unit's figures over the timed clock rows of the reports it holds."""
    overdue = missing = outer = selesai = in_process = withdrawn = 0
    stages: dict[Stage, StageTally] = {}
    working_days: list[int] = []
    hours: list[float] = []
    for timed in held:
        report, clocks = timed.report, timed.clocks
        if report.settled_at is not None:
            selesai += 1
        elif report.status in _WITHDRAWN:
            withdrawn += 1
        else:
            in_process += 1
        if isinstance(clocks, SlaCalendarMissing):
            untimed.add(clocks, report.tracking_number)
            missing += 1
            continue
        overdue += any(_passed(c, as_of) for c in clocks)
        outer += any(c.stage is Stage.OUTER_LIMIT and c.passed(as_of) for c in clocks)
        for clock in clocks:
            if clock.stage in UNIT_STAGES and (clock.done_at is not None or clock.passed(as_of)):
                stages[clock.stage] = stages.get(clock.stage, StageTally()) + StageTally(1, int(bool(clock.on_time)))
            if clock.stage is Stage.FOLLOW_UP and clock.done_at is not None:
                working_days.append(_working_days_taken(calendar, clock, report.calendar_region))
                hours.append((clock.done_at - clock.started_at).total_seconds() / 3600)
    return NodeFigures(
        node=node, reports_held=len(held),
        median_working_days_to_follow_up=statistics.median(working_days) if working_days else None,
        median_hours_to_follow_up=round(statistics.median(hours), 2) if hours else None,
        overdue=overdue, untimed=missing, outer_limit_overdue=outer,
        handling=Handling(selesai, in_process, withdrawn, Counter(ReportKind(t.row["kind"]) for t in held),
                          Counter(Channel(t.row["channel"]) for t in held), stages),
    )
