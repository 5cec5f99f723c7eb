"""GraphQL for the compliance dashboard: zones per province and unit, for a year."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.sla import report_untimed
from hub.federation.queries import Federation
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from hub.settings import HubSettings
from hub.sla.annual import RegionZone, UnitZone, by_province, unit_zones
from hub.sla.clocks import SlaDays
from hub.sla.zones import Tally, Zone, ZoneThresholds
from simpul.errors import InvalidInput
from simpul.wire import NodeLevel, check_region_code

FIRST_YEAR = 2000

strawberry.enum(Zone, name="ComplianceZone", description=(
    "The Ombudsman's zones: GREEN (zona hijau), YELLOW (zona kuning), RED (zona merah); "
    "thresholds in docs/dashboard.md."))


@strawberry.type(description="Figures a zone is judged on, for one unit or summed over a region's units.")
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


@strawberry.type(name="UnitZone", description="One unit (node) and its zone.")
class UnitZoneInfo:
    node: str
    name: str
    level: NodeLevel
    region_code: str
    reachable: bool
    zone: Zone
    figures: ZoneFigures

    @classmethod
    def of(cls, u: UnitZone) -> UnitZoneInfo:
        return cls(node=u.node.code, name=u.node.name, level=u.node.level, region_code=u.node.region_code,
                   reachable=u.reachable, zone=u.zone, figures=ZoneFigures.of(u.tally))


@strawberry.type(name="RegionZone",
                 description="A province (empty code: national nodes) with its units, zoned on their sums.")
class RegionZoneInfo:
    region_code: str
    region_name: str | None
    zone: Zone
    figures: ZoneFigures
    units: list[UnitZoneInfo]

    @classmethod
    def of(cls, r: RegionZone) -> RegionZoneInfo:
        return cls(region_code=r.region_code, region_name=region_name(r.region_code), zone=r.zone,
                   figures=ZoneFigures.of(r.tally), units=[UnitZoneInfo.of(u) for u in r.units])


def check_year(year: int | None, now: datetime) -> int | None:
    if year is not None and not FIRST_YEAR <= year <= now.year + 1:
        raise InvalidInput(f"year must be between {FIRST_YEAR} and {now.year + 1}, not {year}")
    return year


@strawberry.type
class ZonesQuery:
    @strawberry.field(description="Compliance zones of the active units in the region subtree, by province: "
                      "reachability now, follow-ups on time and overdue reports over the reports received in "
                      "`year` (default: all reports held).")
    async def compliance_zones(
        self, info: Info[Context, None], region_prefix: str | None = None, year: int | None = None
    ) -> list[RegionZoneInfo]:
        if region_prefix:
            check_region_code(region_prefix)
        now = datetime.now(UTC)
        check_year(year, now)
        settings: HubSettings = info.context.settings
        federation: Federation = info.context.federation
        nodes = await federation.registry.select(
            principal_of(info).narrow(NodeSelection(region_prefix=region_prefix or None, status=NodeStatus.ACTIVE)))
        units, untimed = await unit_zones(info.context.pool, SlaDays.from_settings(settings), nodes, now,
                                          settings.heartbeat_grace, ZoneThresholds(), year)
        report_untimed(info, untimed, list_reports=False)
        return [RegionZoneInfo.of(r) for r in by_province(units, ZoneThresholds())]
