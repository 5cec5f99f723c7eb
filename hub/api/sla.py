"""GraphQL for the SLA clock: overdue reports, per-node compliance, and the holiday calendar.

A report whose deadline falls in a year with no holiday calendar is left out
of the figures, and the answer carries one GraphQL error per such year with
extensions {code: SLA_CALENDAR_MISSING, year, reports}, beside the data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.federation.queries import Federation
from hub.nodes.selection import NodeSelection
from hub.sla.calendar import SlaCalendarMissing
from hub.sla.clocks import UNIT_STAGES, SlaDays, Stage
from hub.sla.compliance import Handling, NodeFigures, Overdue, Untimed, node_compliance, overdue_reports
from hub.sla.holidays import Holiday, add_holiday, remove_holiday, year_holidays
from hub.sla.period import period_asked
from simpul.wire import Channel, ReportKind, ReportStatus, check_aware_time, check_region_code

strawberry.enum(Stage, name="SlaStage", description=(
    "VERIFICATION: verify and forward (disposisi); FOLLOW_UP: the holding unit's tindak lanjut (COMPLETED, or "
    "IN_PROCESS with a tanggapan), from its taking of the report; REPORTER_RESPONSE: after completion, the "
    "reporter's window before the report is deemed selesai; OUTER_LIMIT: settled within sla-outer-limit-days "
    "calendar days of a complete file (receipt or the end of the last tunda; Perpres 76/2013); INFORMATION: a "
    "permintaan informasi answered within kip-answer-days working days plus its one extension (UU 14/2008 "
    "art. 22(7)-(8)), the only stage an INFORMASI report runs."))


def report_untimed(info: Info[Context, None], untimed: Untimed, list_reports: bool) -> None:
    """One error per year without a calendar, beside the data (tracking numbers for admins only)."""
    errors: list[GraphQLError] = info.context.node_errors
    for year, numbers in sorted(untimed.by_year.items()):
        extensions: dict[str, Any] = {"code": "SLA_CALENDAR_MISSING", "year": year, "reports": len(numbers)}
        if list_reports:
            extensions["trackingNumbers"] = numbers[:100]
        errors.append(GraphQLError(f"{SlaCalendarMissing(year)}; {len(numbers)} reports not timed",
                                   path=info.path.as_list(), extensions=extensions))


@strawberry.type(description="A report past the deadline of a stage its unit owes.")
class OverdueReport:
    tracking_number: str
    region_code: str
    holder: str | None = strawberry.field(description="Code of the unit holding it; null while in transit.")
    status: ReportStatus
    stage: Stage
    started_at: datetime = strawberry.field(description="When the stage's clock started.")
    deadline: datetime = strawberry.field(
        description="The end of its last day, in the holding unit's time (its zone and local holidays).")
    working_days_late: int = strawberry.field(
        description="Working days since the deadline, today included; 0 when only days off have passed.")

    @classmethod
    def of(cls, found: Overdue) -> OverdueReport:
        return cls(tracking_number=found.report.tracking_number, region_code=found.report.region_code,
                   holder=found.report.holder, status=found.report.status, stage=found.stage.stage,
                   started_at=found.stage.started_at, deadline=found.stage.deadline,
                   working_days_late=found.working_days_late)


@strawberry.type(description="A stage a unit owes, over the reports asked: instances due (kept, or past the "
                 "deadline and not kept) and those kept by the deadline.")
class StageOnTime:
    stage: Stage
    due: int
    on_time: int
    on_time_share: float | None = strawberry.field(description="onTime / due; null when none is due.")


@strawberry.type
class KindCount:
    kind: ReportKind
    count: int


@strawberry.type
class ChannelCount:
    channel: Channel
    count: int


@strawberry.type(name="Handling", description=(
    "What became of the reports asked, in counts that add up over units: selesai as the rule says (an answer "
    "that stood the reporter's 10 working days, or closed; PermenPANRB 5/2025), in process, rejected or archived; "
    "by kind and by channel; and each stage's deadline kept (docs/figures.md)."))
class HandlingInfo:
    selesai: int
    in_process: int = strawberry.field(description="Neither selesai nor rejected or archived.")
    rejected_or_archived: int
    by_kind: list[KindCount]
    by_channel: list[ChannelCount]
    stages: list[StageOnTime] = strawberry.field(description="Each stage a unit owes, timed reports only.")

    @classmethod
    def of(cls, h: Handling) -> HandlingInfo:
        stages = [StageOnTime(stage=s, due=t.due, on_time=t.on_time, on_time_share=t.on_time_share)
                  for s, t in ((s, h.stage(s)) for s in UNIT_STAGES)]
        return cls(selesai=h.selesai, in_process=h.in_process, rejected_or_archived=h.withdrawn,
                   by_kind=[KindCount(kind=k, count=h.by_kind.get(k, 0)) for k in ReportKind],
                   by_channel=[ChannelCount(channel=c, count=h.by_channel.get(c, 0)) for c in Channel],
                   stages=stages)


@strawberry.type(description="How a unit keeps the follow-up deadline, over the reports it holds now (received in "
                 "the period asked).")
class NodeCompliance:
    node: str
    name: str
    region_code: str
    reachable: bool = strawberry.field(description="Heard from within the heartbeat grace.")
    reports_held: int
    follow_ups_due: int = strawberry.field(
        description="Follow-ups made, plus those past their deadline and not made.")
    follow_ups_on_time: int
    on_time_share: float | None = strawberry.field(
        description="followUpsOnTime / followUpsDue; null when none is due yet.")
    median_working_days_to_follow_up: float | None = strawberry.field(
        description="Working days from the day the clock started to the follow-up's day (0: same day).")
    median_hours_to_follow_up: float | None = strawberry.field(
        description="Elapsed hours from the clock's start to the follow-up, nights and weekends included.")
    overdue: int = strawberry.field(description="Reports held past the deadline of a stage the unit owes.")
    untimed: int = strawberry.field(description="Reports held that could not be timed: see SLA_CALENDAR_MISSING.")
    outer_limit_overdue: int = strawberry.field(
        description="Reports held and not settled within the outer limit of a complete file (Perpres 76/2013).")
    information_due: int = strawberry.field(
        description="Permintaan informasi answered, or past their (extended) KIP deadline and not answered.")
    information_on_time: int = strawberry.field(description="Of informationDue, answered by the KIP deadline.")
    handling: HandlingInfo

    @classmethod
    def of(cls, figures: NodeFigures, now: datetime, grace: float) -> NodeCompliance:
        return cls(node=figures.node.code, name=figures.node.name, region_code=figures.node.region_code,
                   reachable=figures.node.reachable(now, grace), reports_held=figures.reports_held,
                   follow_ups_due=figures.follow_ups_due, follow_ups_on_time=figures.follow_ups_on_time,
                   on_time_share=figures.on_time_share,
                   median_working_days_to_follow_up=figures.median_working_days_to_follow_up,
                   median_hours_to_follow_up=figures.median_hours_to_follow_up, overdue=figures.overdue,
                   untimed=figures.untimed, outer_limit_overdue=figures.outer_limit_overdue,
                   information_due=figures.information_due, information_on_time=figures.information_on_time,
                   handling=HandlingInfo.of(figures.handling))


@strawberry.type(name="Holiday", description="A day off besides weekends.")
class HolidayDay:
    day: date
    name: str
    region_prefix: str = strawberry.field(description="Region subtree it applies to; empty: national.")
    source: str = strawberry.field(description="lokal-id, the holidays package, or the admin or file that added it.")

    @classmethod
    def of(cls, holiday: Holiday) -> HolidayDay:
        return cls(day=holiday.day, name=holiday.name, region_prefix=holiday.region_prefix, source=holiday.source)


@strawberry.type
class SlaQuery:
    @strawberry.field(description="Admin: reports past a stage deadline, by report region (default: the admin's), "
                      "at asOf (default now). Deadlines count working days.")
    async def overdue_reports(
        self, info: Info[Context, None], region_prefix: str | None = None, as_of: datetime | None = None
    ) -> list[OverdueReport]:
        region = principal_of(info).region_asked(region_prefix, "list overdue reports")
        moment = check_aware_time(as_of, "asOf") if as_of is not None else datetime.now(UTC)
        found, untimed = await overdue_reports(info.context.pool, SlaDays.from_settings(info.context.settings),
                                               region, moment)
        report_untimed(info, untimed, list_reports=True)
        return [OverdueReport.of(o) for o in found]

    @strawberry.field(description="Per node in the region subtree: reports held, follow-ups on time, median time "
                      "to follow-up, overdue reports, reachability; of one kind when given (aspirasi and "
                      "permintaan informasi apart from pengaduan); over the reports received in `year`, or in its "
                      "`month`, on each region's clock, when given.")
    async def compliance(self, info: Info[Context, None], region_prefix: str | None = None,
                         kind: ReportKind | None = None, year: int | None = None,
                         month: int | None = None) -> list[NodeCompliance]:
        if region_prefix:
            check_region_code(region_prefix)
        period = period_asked(year, month, datetime.now(UTC))
        federation: Federation = info.context.federation
        nodes = await federation.registry.select(
            principal_of(info).narrow(NodeSelection(region_prefix=region_prefix or None)))
        now = datetime.now(UTC)
        figures, untimed = await node_compliance(info.context.pool, SlaDays.from_settings(info.context.settings),
                                                 nodes, now, period, kind)
        report_untimed(info, untimed, list_reports=False)
        grace = info.context.settings.heartbeat_grace
        return [NodeCompliance.of(f, now, grace) for f in figures]

    @strawberry.field(description="Days off in a year: national ones, then local ones in, above or below region.")
    async def holidays(self, info: Info[Context, None], year: int, region: str | None = None) -> list[HolidayDay]:
        if region:
            check_region_code(region)
        return [HolidayDay.of(h) for h in await year_holidays(info.context.pool, year, region or None)]


@strawberry.type
class SlaMutation:
    @strawberry.mutation(description="Admin: make a day a holiday in a region subtree (default: the admin's own); "
                         "an empty regionPrefix is the national calendar, for national admins.")
    async def add_holiday(
        self, info: Info[Context, None], day: date, name: str, region_prefix: str | None = None
    ) -> HolidayDay:
        admin = principal_of(info)
        region = admin.region_code if region_prefix is None else region_prefix.strip()
        return HolidayDay.of(await add_holiday(info.context.pool, admin, day, name, region))

    @strawberry.mutation(description="Admin: remove a holiday an admin added (default region: the admin's own).")
    async def remove_holiday(
        self, info: Info[Context, None], day: date, region_prefix: str | None = None
    ) -> HolidayDay:
        admin = principal_of(info)
        region = admin.region_code if region_prefix is None else region_prefix.strip()
        return HolidayDay.of(await remove_holiday(info.context.pool, admin, day, region))
