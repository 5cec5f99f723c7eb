"""The SLA clock: the deadline of each stage a report goes through, in working days (calendar.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import asyncpg

from hub.settings import HubSettings
from hub.sla.calendar import Calendar
from simpul.wire import ReportStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    cuti_bersama_days_off: bool = True  # whether cuti bersama are days off (a hub setting)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> SlaDays:
        return cls(settings.sla_verification_days, settings.sla_follow_up_days, settings.sla_response_days,
                   settings.cuti_bersama_days_off)

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
