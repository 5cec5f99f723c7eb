"""The SLA clock: the deadline of each stage a report goes through, in working days (calendar.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

import asyncpg

from hub.settings import HubSettings
from hub.sla.calendar import Calendar, local_zone
from simpul.wire import ReportKind, ReportStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Stage(StrEnum):
    """The stages a report is timed through (DOMAIN.md, workflow and deadlines)."""

    VERIFICATION = "VERIFICATION"  # verify and forward (disposisi) to the unit with authority
    FOLLOW_UP = "FOLLOW_UP"  # the holding unit posts its tindak lanjut
    REPORTER_RESPONSE = "REPORTER_RESPONSE"  # after completion: without a reply the report is deemed selesai
    OUTER_LIMIT = "OUTER_LIMIT"  # settled within 60 days of a complete file (Perpres 76/2013)
    INFORMATION = "INFORMATION"  # a permintaan informasi answered in writing (UU 14/2008 art. 22(7)-(8))
    OBJECTION = "OBJECTION"  # the PPID's superior answers a keberatan in writing (UU 14/2008 art. 36(2))


# Stages a unit owes; REPORTER_RESPONSE is the reporter's window and nobody is late by it.
UNIT_STAGES = (Stage.VERIFICATION, Stage.FOLLOW_UP, Stage.OUTER_LIMIT, Stage.INFORMATION, Stage.OBJECTION)
# Stages counted in calendar days rather than working days.
CALENDAR_DAY_STAGES = frozenset({Stage.OUTER_LIMIT})


@dataclass(frozen=True)
class SlaDays:
    """Days each stage may take: working days, calendar days for the outer limit (defaults: DOMAIN.md)."""

    verification: int = 3
    follow_up: int = 5
    reporter_response: int = 10
    outer_limit: int = 60
    information: int = 10
    information_extension: int = 7  # the most one extension may add
    objection: int = 30  # the superior's answer to a keberatan; also the requester's window to file one
    cuti_bersama_days_off: bool = True  # whether cuti bersama are days off (a hub setting)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> SlaDays:
        return cls(settings.sla_verification_days, settings.sla_follow_up_days, settings.sla_response_days,
                   settings.sla_outer_limit_days, settings.kip_answer_days, settings.kip_extension_days,
                   settings.kip_objection_days, settings.cuti_bersama_days_off)

    def of(self, stage: Stage) -> int:
        days: int = getattr(self, _DAYS_OF[stage])
        return days


_DAYS_OF = {Stage.VERIFICATION: "verification", Stage.FOLLOW_UP: "follow_up",
            Stage.REPORTER_RESPONSE: "reporter_response", Stage.OUTER_LIMIT: "outer_limit",
            Stage.INFORMATION: "information", Stage.OBJECTION: "objection"}  # SlaDays' field for each stage


# The moments each report's stages are timed from, read from the ledger and its events:
# clock_region   the holding unit's region: its time zone and local holidays count, not the report's region;
# verified_at    forwarded, or first acted upon at its door (verified, held, returned, archived ...);
# taken_at       the last delivery (or reassignment) to the unit holding it: a new holder's clock starts afresh;
# followed_up_at the holder's first tanggapan since it took the report: COMPLETED, or IN_PROCESS with a note
#                (a bare IN_PROCESS is a click, not a follow-up); for a report received before its node was
#                connected (history), the node's own record, the only evidence there is;
# follow_up_from taken_at, else its receipt at the door it came through, or the end of a hold (tunda) if later;
#                NULL while no unit holds it or it waits for the reporter;
# file_complete_at  receipt, or the end of its last hold; NULL while on hold (the 60-day outer limit);
# settled_at     when it became selesai (hub/sla/selesai.py), or was closed (the outer limit's end).
CLOCKS = """
SELECT l.tracking_number, l.region_code, l.kind, l.channel, l.holder_node,
       coalesce(n.region_code, l.region_code) AS clock_region, l.status, l.received_at, f.followed_up_at,
       l.overdue_notified, c.verified_at, c.follow_up_from, c.completed_at, c.file_complete_at, c.settled_at,
       l.kip_extension_days, l.kip_answered_at, l.kip_objected_at, l.kip_objection_answered_at
FROM ledger l
LEFT JOIN nodes n ON n.code = l.holder_node
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type IN ('STATUS', 'RETURNED') AND e.status <> 'RECEIVED') acted ON true
LEFT JOIN LATERAL (
    SELECT max(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type IN ('DELIVERED', 'REASSIGNED') AND e.node = l.holder_node) taken ON true
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type = 'STATUS' AND e.seq > (
        SELECT max(h.seq) FROM ledger_events h WHERE h.tracking_number = l.tracking_number
        AND h.type = 'STATUS' AND h.status = 'ON_HOLD')) resumed ON true
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM ledger_events e WHERE e.tracking_number = l.tracking_number
    AND e.type = 'STATUS' AND e.node = l.holder_node AND e.at >= coalesce(taken.at, l.received_at)
    AND (e.status = 'COMPLETED' OR (e.status = 'IN_PROCESS' AND btrim(coalesce(e.note, '')) <> ''))) answered ON true
CROSS JOIN LATERAL (SELECT CASE WHEN l.history THEN l.followed_up_at ELSE coalesce(answered.at,
    CASE WHEN l.completed_at >= coalesce(taken.at, l.received_at) THEN l.completed_at END) END AS followed_up_at) f
CROSS JOIN LATERAL (SELECT
    CASE WHEN l.forwarded_at IS NOT NULL OR acted.at IS NOT NULL THEN least(l.forwarded_at, acted.at)
         WHEN l.status <> 'RECEIVED' THEN l.updated_at END AS verified_at,
    CASE WHEN f.followed_up_at IS NOT NULL
           OR (l.routing = 'HELD' AND l.status NOT IN ('ON_HOLD', 'ARCHIVED', 'REJECTED', 'CLOSED'))
         THEN greatest(coalesce(taken.at, l.received_at), resumed.at) END AS follow_up_from,
    CASE WHEN l.status = 'COMPLETED' THEN l.completed_at END AS completed_at,
    CASE WHEN l.status NOT IN ('ON_HOLD', 'ARCHIVED', 'REJECTED')
         THEN greatest(l.received_at, resumed.at) END AS file_complete_at,
    CASE WHEN l.settled_at IS NOT NULL THEN l.settled_at
         WHEN l.status = 'CLOSED' THEN coalesce(l.completed_at, l.updated_at) END AS settled_at) c
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
    followed_up_at: datetime | None  # the holder's first tanggapan since it took the report
    completed_at: datetime | None  # only while COMPLETED
    notified: frozenset[str] = frozenset()
    kind: ReportKind = ReportKind.PENGADUAN
    clock_region: str = ""  # the holding unit's region (its zone and local holidays); "" reads region_code
    file_complete_at: datetime | None = None  # receipt or the end of the last tunda; None while on hold
    settled_at: datetime | None = None  # selesai, or closed
    information_extension_days: int = 0  # KIP: working days one written extension added
    information_answered_at: datetime | None = None  # KIP: the written answer, with its outcome
    objected_at: datetime | None = None  # KIP: a keberatan registered
    objection_answered_at: datetime | None = None  # KIP: the superior's written response

    @property
    def calendar_region(self) -> str:
        """Whose working days and midnight count: the holding unit's."""
        return self.clock_region or self.region_code

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ReportClock:
        return cls(
            tracking_number=row["tracking_number"], region_code=row["region_code"], holder=row["holder_node"],
            status=ReportStatus(row["status"]), received_at=row["received_at"], verified_at=row["verified_at"],
            follow_up_from=row["follow_up_from"], followed_up_at=row["followed_up_at"],
            completed_at=row["completed_at"], notified=frozenset(row["overdue_notified"]),
            kind=ReportKind(row["kind"]), clock_region=row["clock_region"],
            file_complete_at=row["file_complete_at"], settled_at=row["settled_at"],
            information_extension_days=row["kip_extension_days"], information_answered_at=row["kip_answered_at"],
            objected_at=row["kip_objected_at"], objection_answered_at=row["kip_objection_answered_at"],
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
    """Every stage the report has entered, with its deadline, on its holder's calendar. Raises SlaCalendarMissing.

    A permintaan informasi runs on the KIP clock alone: 10 working days from receipt, plus one extension, and
    30 for the superior's answer to an objection (keberatan).
    """
    region = report.calendar_region
    if report.kind is ReportKind.INFORMASI:
        allowed = days.information + report.information_extension_days
        kip = [StageClock(Stage.INFORMATION, report.received_at,
                          calendar.deadline(report.received_at, allowed, region), report.information_answered_at)]
        if report.objected_at is not None:
            kip.append(StageClock(Stage.OBJECTION, report.objected_at,
                                  calendar.deadline(report.objected_at, days.objection, region),
                                  report.objection_answered_at))
        return kip
    started: list[tuple[Stage, datetime, datetime | None]] = [
        (Stage.VERIFICATION, report.received_at, report.verified_at)]
    if report.follow_up_from is not None:
        started.append((Stage.FOLLOW_UP, report.follow_up_from, report.followed_up_at))
    if report.completed_at is not None:
        started.append((Stage.REPORTER_RESPONSE, report.completed_at, None))
    clocks = [StageClock(stage, start, calendar.deadline(start, days.of(stage), region), done)
              for stage, start, done in started]
    if report.file_complete_at is not None:
        # Selesai ends it; an answer not yet settled will be selesai when the reporter's window ends unanswered.
        settled = report.settled_at or (None if report.completed_at is None else
                                        calendar.deadline(report.completed_at, days.reporter_response, region))
        clocks.append(StageClock(Stage.OUTER_LIMIT, report.file_complete_at,
                                 calendar_days_deadline(report.file_complete_at, days.outer_limit, region), settled))
    return clocks


def calendar_days_deadline(start: datetime, days: int, region_code: str) -> datetime:
    """The end (local midnight) of the `days`-th calendar day after the day of `start`: no holiday calendar needed."""
    zone = local_zone(region_code)
    return datetime.combine(start.astimezone(zone).date() + timedelta(days=days + 1), time(), zone)
