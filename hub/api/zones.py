"""GraphQL for the compliance dashboard: simpul's complaint-handling zones per province and unit, for a year, and
the year month by month for its charts."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.ombudsman import OmbudsmanScoreInfo
from hub.api.sla import HandlingInfo, report_untimed
from hub.federation.queries import Federation
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from hub.settings import HubSettings
from hub.sla.clocks import SlaDays
from hub.sla.ombudsman import ScoreBook, scores
from hub.sla.period import Period, period_asked
from hub.sla.series import MonthFigures, year_series
from hub.sla.units import RegionZone, UnitZone, by_province, unit_zones
from hub.sla.zones import Tally, Zone, ZoneThresholds
from simpul.wire import NodeLevel, check_region_code

strawberry.enum(Zone, name="ComplianceZone", description=(
    "Zona kinerja pengaduan simpul: simpul's own zone of complaint-handling performance (reachability, "
    "follow-ups on time, reports past a deadline), not the Ombudsman's zone of compliance with service "
    "standards. GREEN (hijau), YELLOW (kuning), RED (merah), GREY (not enough data: nothing could be timed); "
    "thresholds are hub settings (--zone-*), described in docs/figures.md."))


@strawberry.type(description="Figures simpul's complaint-handling zone is judged on, for one unit or summed over a "
                 "region's units.")
class ZoneFigures:
    units: int
    reachable_units: int = strawberry.field(description="Units heard from within the heartbeat grace, now.")
    reachable_share: float | None
    reports_received: int = strawberry.field(description="Reports the units hold that arrived in the year.")
    follow_ups_due: int
    follow_ups_on_time: int
    on_time_share: float | None = strawberry.field(description="followUpsOnTime / followUpsDue; null: none due.")
    overdue: int = strawberry.field(description="Reports held past the deadline of a stage a unit owes.")
    overdue_share: float | None = strawberry.field(
        description="overdue / (reportsReceived - untimed); null: none received and timed.")
    untimed: int = strawberry.field(description="Reports not timed for want of a holiday calendar.")

    @classmethod
    def of(cls, t: Tally) -> ZoneFigures:
        return cls(units=t.units, reachable_units=t.reachable_units, reachable_share=t.reachable_share,
                   reports_received=t.reports_received, follow_ups_due=t.follow_ups_due,
                   follow_ups_on_time=t.follow_ups_on_time, on_time_share=t.on_time_share, overdue=t.overdue,
                   overdue_share=t.overdue_share, untimed=t.untimed)


@strawberry.type(name="UnitZone", description="One unit (node) and its zone of complaint-handling performance.")
class UnitZoneInfo:
    node: str
    name: str
    level: NodeLevel
    region_code: str
    region_name: str | None = strawberry.field(description="The Kemendagri name of the unit's region: a "
                                               "kabupaten/kota's, or its province's.")
    reachable: bool
    zone: Zone
    figures: ZoneFigures
    handling: HandlingInfo
    ombudsman: OmbudsmanScoreInfo | None = strawberry.field(description=(
        "The Ombudsman RI's score for the year asked, beside simpul's zone: the node's own, or for a province's or "
        "kabupaten/kota's desk its government's; null when none was entered or no year was asked."))

    @classmethod
    def of(cls, u: UnitZone, book: ScoreBook) -> UnitZoneInfo:
        score = book.for_node(u.node)
        return cls(node=u.node.code, name=u.node.name, level=u.node.level, region_code=u.node.region_code,
                   region_name=region_name(u.node.region_code), reachable=u.reachable, zone=u.zone,
                   figures=ZoneFigures.of(u.tally), handling=HandlingInfo.of(u.handling),
                   ombudsman=OmbudsmanScoreInfo.of(score) if score else None)


@strawberry.type(name="RegionZone",
                 description="A province (empty code: national nodes) with its units, zoned on their sums.")
class RegionZoneInfo:
    region_code: str
    region_name: str | None
    zone: Zone
    figures: ZoneFigures
    units: list[UnitZoneInfo]
    handling: HandlingInfo
    ombudsman: OmbudsmanScoreInfo | None = strawberry.field(description=(
        "The Ombudsman RI's score of the province's government for the year asked, beside simpul's zone; null "
        "when none was entered or no year was asked."))

    @classmethod
    def of(cls, r: RegionZone, book: ScoreBook) -> RegionZoneInfo:
        score = book.for_region(r.region_code)
        return cls(region_code=r.region_code, region_name=region_name(r.region_code), zone=r.zone,
                   figures=ZoneFigures.of(r.tally), units=[UnitZoneInfo.of(u, book) for u in r.units],
                   handling=HandlingInfo.of(r.handling),
                   ombudsman=OmbudsmanScoreInfo.of(score) if score else None)


@strawberry.type(name="ZoneThresholds", description=(
    "Where simpul's complaint-handling zones change (hub settings --zone-*): red when any red bound is crossed, "
    "GREY when neither follow-ups nor timed reports can be measured, green when every measured share meets its "
    "green bound, yellow between."))
class ZoneThresholdsInfo:
    green_reachable: float = strawberry.field(description="Green: at least this share of units reachable.")
    green_on_time: float = strawberry.field(description="Green: at least this share of follow-ups on time.")
    green_overdue: float = strawberry.field(description="Green: at most this share of timed reports overdue.")
    red_reachable: float = strawberry.field(description="Red: below this share of units reachable.")
    red_on_time: float = strawberry.field(description="Red: below this share of follow-ups on time.")
    red_overdue: float = strawberry.field(description="Red: above this share of timed reports overdue.")


@strawberry.type(name="ComplianceMonth", description=(
    "One month of a year, summed over the active units in the region subtree: the reports their region's clock "
    "received in the month, and what became of those reports so far (so `handling.selesai` counts the month's "
    "reports that are selesai now)."))
class ComplianceMonthInfo:
    year: int
    month: int = strawberry.field(description="1-12.")
    reports_received: int
    handling: HandlingInfo

    @classmethod
    def of(cls, m: MonthFigures) -> ComplianceMonthInfo:
        assert m.period.month is not None
        return cls(year=m.period.year, month=m.period.month, reports_received=m.reports_received,
                   handling=HandlingInfo.of(m.handling))


@strawberry.type
class ZonesQuery:
    @strawberry.field(description="simpul's complaint-handling zones (zona kinerja pengaduan simpul, not the "
                      "Ombudsman's) of the active units in the region subtree, by province: reachability now, "
                      "follow-ups on time and overdue reports over the reports received in `year`, or in its "
                      "`month`, on each region's clock (default: all reports held).")
    async def compliance_zones(
        self, info: Info[Context, None], region_prefix: str | None = None, year: int | None = None,
        month: int | None = None,
    ) -> list[RegionZoneInfo]:
        if region_prefix:
            check_region_code(region_prefix)
        now = datetime.now(UTC)
        period = period_asked(year, month, now)
        settings: HubSettings = info.context.settings
        federation: Federation = info.context.federation
        nodes = await federation.registry.select(
            principal_of(info).narrow(NodeSelection(region_prefix=region_prefix or None, status=NodeStatus.ACTIVE)))
        thresholds = ZoneThresholds.from_settings(settings)
        units, untimed = await unit_zones(info.context.pool, SlaDays.from_settings(settings), nodes, now,
                                          settings.heartbeat_grace, thresholds, period)
        report_untimed(info, untimed, list_reports=False)
        region = region_prefix or principal_of(info).region_code
        book = ScoreBook.of(await scores(info.context.pool, region, year) if year is not None else [])
        return [RegionZoneInfo.of(r, book) for r in by_province(units, thresholds)]

    @strawberry.field(description="A year month by month, for the dashboard's charts: reports received, selesai and "
                      "each stage's deadline kept, over the active units in the region subtree (default: your own), "
                      "for the months begun by now.")
    async def compliance_series(
        self, info: Info[Context, None], year: int, region_prefix: str | None = None,
    ) -> list[ComplianceMonthInfo]:
        now = datetime.now(UTC)
        Period.asked(year, None, now)
        principal = principal_of(info)
        region = principal.region_asked(region_prefix, "read the compliance series")
        federation: Federation = info.context.federation
        nodes = await federation.registry.select(
            principal.narrow(NodeSelection(region_prefix=region or None, status=NodeStatus.ACTIVE)))
        series, untimed = await year_series(info.context.pool, SlaDays.from_settings(info.context.settings), nodes,
                                            now, year)
        report_untimed(info, untimed, list_reports=False)
        return [ComplianceMonthInfo.of(m) for m in series]

    @strawberry.field(description="The thresholds of simpul's complaint-handling zones, as this hub is set.")
    def zone_thresholds(self, info: Info[Context, None]) -> ZoneThresholdsInfo:
        t = ZoneThresholds.from_settings(info.context.settings)
        return ZoneThresholdsInfo(green_reachable=t.green_reachable, green_on_time=t.green_on_time,
                                  green_overdue=t.green_overdue, red_reachable=t.red_reachable,
                                  red_on_time=t.red_on_time, red_overdue=t.red_overdue)
