"""The SLA clock: working days in Indonesia, and the deadline of each stage a report goes through.

Days off are Saturdays, Sundays, the national holidays and cuti bersama of the
year (lokal-id's for the years it ships, or a year an admin loaded) and the
local holidays of the report's region subtree. A date in a year with no
national calendar raises SlaCalendarMissing: a deadline is never guessed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

import asyncpg
import lokal

from hub.settings import HubSettings
from simpul.wire import PublicError, ReportStatus, in_region

# Indonesia keeps no daylight saving, so each zone is a fixed offset (WIB +7, WITA +8, WIT +9).
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SlaCalendarMissing(PublicError):
    """A working day was asked of a year with no national holiday calendar."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"no holiday calendar for {year}; load it with "
                         f"`simpul holidays load --year {year} --file <csv of date,name>`")


def local_zone(region_code: str) -> timezone:
    """The time zone whose calendar days count for a region (WIB for the national level)."""
    province = region_code[:2]
    hours = 8 if province in _WITA_PROVINCES else 9 if province in _WIT_PROVINCES else 7
    return timezone(timedelta(hours=hours))


def lokal_holidays(year: int) -> list[tuple[date, str]]:
    """lokal-id's libur nasional and cuti bersama of `year` (both are days off in government)."""
    return [(date.fromisoformat(h.date), h.name) for h in lokal.get_holidays(year).holidays]


class Calendar:
    """Working days: Monday to Friday, less national days off and those of the region's subtree."""

    def __init__(self, national: Mapping[int, Collection[date]], local: Mapping[str, Collection[date]]) -> None:
        self._national = {year: frozenset(days) for year, days in national.items()}
        self._local = {prefix: frozenset(days) for prefix, days in local.items()}
        self._regional: dict[str, frozenset[date]] = {}

    def years(self) -> list[int]:
        """Years with a national calendar."""
        return sorted(self._national)

    def _local_days(self, region_code: str) -> frozenset[date]:
        days = self._regional.get(region_code)
        if days is None:
            days = frozenset(d for p, ds in self._local.items() if in_region(region_code, p) for d in ds)
            self._regional[region_code] = days
        return days

    def is_working_day(self, day: date, region_code: str = "") -> bool:
        national = self._national.get(day.year)
        if national is None:
            raise SlaCalendarMissing(day.year)
        return day.weekday() < 5 and day not in national and day not in self._local_days(region_code)

    def add_working_days(self, day: date, n: int, region_code: str = "") -> date:
        """The `n`-th working day after `day` (`day` itself when n is 0)."""
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day, region_code):
                n -= 1
        return day

    def working_days_between(self, after: date, until: date, region_code: str = "") -> int:
        """Working days later than `after`, up to and including `until`."""
        count = 0
        day = after + timedelta(days=1)
        while day <= until:
            count += self.is_working_day(day, region_code)
            day += timedelta(days=1)
        return count

    def deadline(self, start: datetime, working_days: int, region_code: str) -> datetime:
        """The end (local midnight) of the `working_days`-th working day after the day of `start`."""
        zone = local_zone(region_code)
        last = self.add_working_days(start.astimezone(zone).date(), working_days, region_code)
        return datetime.combine(last + timedelta(days=1), time(), zone)

    def working_days_late(self, deadline: datetime, as_of: datetime, region_code: str) -> int:
        """Whole working days from `deadline` to the day of `as_of`, that day included."""
        zone = local_zone(region_code)
        last_day_allowed = deadline.astimezone(zone).date() - timedelta(days=1)
        return self.working_days_between(last_day_allowed, as_of.astimezone(zone).date(), region_code)


async def load_calendar(conn: asyncpg.Connection | asyncpg.Pool) -> Calendar:
    """The calendar as it stands: lokal-id's years, loaded years (which replace lokal-id's), admins' additions."""
    loaded = {r["year"] for r in await conn.fetch("SELECT year FROM holiday_years")}
    national: dict[int, set[date]] = {year: set() for year in loaded}
    for year in lokal.HOLIDAY_YEARS:
        if year not in loaded:
            national[year] = {day for day, _ in lokal_holidays(year)}
    local: dict[str, set[date]] = {}
    for row in await conn.fetch("SELECT region_prefix, day FROM holidays"):
        if row["region_prefix"]:
            local.setdefault(row["region_prefix"], set()).add(row["day"])
        elif row["day"].year in national:
            national[row["day"].year].add(row["day"])
    return Calendar(national, local)


class Stage(StrEnum):
    """The stages a report is timed through (DOMAIN.md, workflow and deadlines)."""

    VERIFICATION = "VERIFICATION"  # verify and forward (disposisi) to the unit with authority
    FOLLOW_UP = "FOLLOW_UP"  # the holding unit posts its tindak lanjut
    REPORTER_RESPONSE = "REPORTER_RESPONSE"  # after completion: without a reply the report is deemed selesai


# Stages a unit owes; REPORTER_RESPONSE is the reporter's window and nobody is late by it.
UNIT_STAGES = (Stage.VERIFICATION, Stage.FOLLOW_UP)


@dataclass(frozen=True)
class SlaDays:
    """Working days each stage may take (defaults: DOMAIN.md)."""

    verification: int = 3
    follow_up: int = 5
    reporter_response: int = 10

    @classmethod
    def from_settings(cls, settings: HubSettings) -> SlaDays:
        return cls(settings.sla_verification_days, settings.sla_follow_up_days, settings.sla_response_days)

    def of(self, stage: Stage) -> int:
        return {Stage.VERIFICATION: self.verification, Stage.FOLLOW_UP: self.follow_up,
                Stage.REPORTER_RESPONSE: self.reporter_response}[stage]


# The moments each report's stages are timed from, read from the ledger and its events:
# verified_at    forwarded, or first acted upon at its door (verified, held, returned, archived ...);
# follow_up_from the last delivery to the unit holding it, else its receipt at the door it came through,
#                or the end of a hold (tunda) if later; NULL while no unit holds it or it waits for the reporter.
CLOCKS = """
SELECT l.tracking_number, l.region_code, l.holder_node, l.status, l.received_at, l.followed_up_at,
       l.overdue_notified, c.verified_at, c.follow_up_from, c.completed_at
FROM ledger l
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type IN ('STATUS', 'RETURNED') AND e.status <> 'RECEIVED') acted ON true
LEFT JOIN LATERAL (
    SELECT max(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type = 'DELIVERED' AND e.node = l.holder_node) delivered ON true
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type = 'STATUS' AND e.seq > (
        SELECT max(h.seq) FROM ledger_events h WHERE h.tracking_number = l.tracking_number
        AND h.type = 'STATUS' AND h.status = 'ON_HOLD')) resumed ON true
CROSS JOIN LATERAL (SELECT
    CASE WHEN l.forwarded_at IS NOT NULL OR acted.at IS NOT NULL THEN least(l.forwarded_at, acted.at)
         WHEN l.status <> 'RECEIVED' THEN l.updated_at END AS verified_at,
    CASE WHEN l.followed_up_at IS NOT NULL
           OR (l.routing = 'HELD' AND l.status NOT IN ('ON_HOLD', 'ARCHIVED', 'REJECTED', 'CLOSED'))
         THEN greatest(coalesce(delivered.at, l.received_at), resumed.at) END AS follow_up_from,
    CASE WHEN l.status = 'COMPLETED' THEN l.completed_at END AS completed_at) c
"""


@dataclass(frozen=True)
class ReportClock:
    """The moments of a report's progress its stages are timed from (a row of CLOCKS)."""

    tracking_number: str
    region_code: str
    holder: str | None
    status: ReportStatus
    received_at: datetime
    verified_at: datetime | None  # forwarded, or first acted upon (verified, held, returned, archived)
    follow_up_from: datetime | None  # delivery to the holder, or receipt at the door; None: nobody's clock runs
    followed_up_at: datetime | None
    completed_at: datetime | None  # only while COMPLETED
    notified: frozenset[str] = frozenset()

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ReportClock:
        return cls(
            tracking_number=row["tracking_number"], region_code=row["region_code"], holder=row["holder_node"],
            status=ReportStatus(row["status"]), received_at=row["received_at"], verified_at=row["verified_at"],
            follow_up_from=row["follow_up_from"], followed_up_at=row["followed_up_at"],
            completed_at=row["completed_at"], notified=frozenset(row["overdue_notified"]),
        )


@dataclass(frozen=True)
class StageClock:
    stage: Stage
    started_at: datetime
    deadline: datetime
    done_at: datetime | None

    @property
    def marker(self) -> str:
        """Names this stage instance in ledger.overdue_notified; a new holder or completion starts a new one."""
        return f"{self.stage}:{(self.started_at - _EPOCH) // timedelta(microseconds=1)}"

    def passed(self, as_of: datetime) -> bool:
        """Still open at `as_of`, and past its deadline."""
        return (self.done_at is None or self.done_at > as_of) and self.deadline <= as_of

    @property
    def on_time(self) -> bool | None:
        return None if self.done_at is None else self.done_at <= self.deadline


def stage_clocks(report: ReportClock, calendar: Calendar, days: SlaDays) -> list[StageClock]:
    """Every stage the report has entered, with its deadline. Raises SlaCalendarMissing."""
    started: list[tuple[Stage, datetime, datetime | None]] = [
        (Stage.VERIFICATION, report.received_at, report.verified_at)]
    if report.follow_up_from is not None:
        started.append((Stage.FOLLOW_UP, report.follow_up_from, report.followed_up_at))
    if report.completed_at is not None:
        started.append((Stage.REPORTER_RESPONSE, report.completed_at, None))
    return [StageClock(stage, start, calendar.deadline(start, days.of(stage), report.region_code), done)
            for stage, start, done in started]
