"""Compliance per unit and per province for a period: compliance.py's figures per node, zoned and summed.

The compliance dashboard and the monitoring reports (laporan bulanan and tahunan,
to the Ombudsman and KemenPANRB) both read these, so the page and the downloads agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

import asyncpg

from hub.nodes.registry import NodeRecord
from hub.sla.clocks import SlaDays
from hub.sla.compliance import Handling, NodeFigures, Untimed, node_compliance
from hub.sla.period import Period
from hub.sla.zones import NOTHING, Tally, Zone, ZoneThresholds, zone_of


@dataclass(frozen=True)
class UnitZone:
    node: NodeRecord
    reachable: bool  # now: the hub keeps no history of heartbeats
    tally: Tally
    zone: Zone
    handling: Handling = Handling()


@dataclass(frozen=True)
class RegionZone:
    region_code: str  # a province, or '' for national (PUSAT) nodes
    tally: Tally
    zone: Zone
    units: list[UnitZone]

    @property
    def handling(self) -> Handling:
        return handled(self.units)


def province_of(region_code: str) -> str:
    return region_code.split(".", 1)[0]


async def unit_zones(
    pool: asyncpg.Pool, days: SlaDays, nodes: Sequence[NodeRecord], now: datetime, grace: float,
    thresholds: ZoneThresholds, period: Period | None,
) -> tuple[list[UnitZone], Untimed]:
    """Each node's zone over the reports it holds that were received in `period` (all, for None)."""
    figures, untimed = await node_compliance(pool, days, nodes, now, period)
    return zoned(figures, now, grace, thresholds), untimed


def zoned(figures: Sequence[NodeFigures], now: datetime, grace: float, thresholds: ZoneThresholds) -> list[UnitZone]:
    """Each node's zone over its figures, however they were read."""
    units = []
    for f in figures:
        reachable = f.node.reachable(now, grace)
        tally = Tally(units=1, reachable_units=int(reachable), reports_received=f.reports_held,
                      follow_ups_due=f.follow_ups_due, follow_ups_on_time=f.follow_ups_on_time, overdue=f.overdue,
                      untimed=f.untimed)
        units.append(UnitZone(f.node, reachable, tally, zone_of(tally, thresholds), f.handling))
    return units


def total(units: Sequence[UnitZone]) -> Tally:
    return reduce(lambda a, b: a + b, (u.tally for u in units), NOTHING)


def handled(units: Sequence[UnitZone]) -> Handling:
    """What became of the units' reports, summed."""
    return reduce(lambda a, b: a + b, (u.handling for u in units), Handling())


def by_province(units: Sequence[UnitZone], thresholds: ZoneThresholds) -> list[RegionZone]:
    """Units grouped by province, each province zoned on its units' figures summed."""
    grouped: dict[str, list[UnitZone]] = {}
    for unit in units:
        grouped.setdefault(province_of(unit.node.region_code), []).append(unit)
    regions = []
    for code, members in sorted(grouped.items()):
        tally = total(members)
        regions.append(RegionZone(code, tally, zone_of(tally, thresholds), members))
    return regions
