"""The annual zones' pure parts: units grouped by province and each province judged on its units summed."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.nodes.registry import NodeRecord
from hub.sla.units import UnitZone, by_province, province_of, total
from hub.sla.zones import NOTHING, Tally, Zone, ZoneThresholds, zone_of
from simpul.wire import NodeLevel

THRESHOLDS = ZoneThresholds()


def _unit(code: str, region: str, level: NodeLevel, tally: Tally) -> UnitZone:
    node = NodeRecord(code=code, name=f"Unit {code}", level=level, region_code=region, parent_code=None,
                      categories=(), endpoint=f"https://{code}.example.go.id", kind="desk", status="ACTIVE",
                      signing_key=None, enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None,
                      healthy=None)
    return UnitZone(node, bool(tally.reachable_units), tally, zone_of(tally, THRESHOLDS))


def test_a_region_code_belongs_to_the_province_of_its_first_segment() -> None:
    assert [province_of(code) for code in ("64", "64.08", "64.08.01", "")] == ["64", "64", "64", ""]


def test_units_are_grouped_by_province_and_each_province_is_zoned_on_its_sum() -> None:
    kaltim = _unit("64", "64", NodeLevel.PROVINSI, Tally(1, 1, 10, 10, 10, 0))
    kutim = _unit("64.08", "64.08", NodeLevel.KABKOTA, Tally(1, 0, 10, 10, 2, 6))
    kaltara = _unit("65", "65", NodeLevel.PROVINSI, Tally(1, 1, 4, 2, 2, 0))
    pusat = _unit("pusat", "", NodeLevel.PUSAT, Tally(1, 1, 0, 0, 0, 0))

    regions = by_province([kutim, kaltara, kaltim, pusat], THRESHOLDS)

    assert [(r.region_code, [u.node.code for u in r.units]) for r in regions] == [
        ("", ["pusat"]), ("64", ["64.08", "64"]), ("65", ["65"])]
    kaltim_region = regions[1]
    assert kaltim_region.tally == Tally(2, 1, 20, 20, 12, 6)
    assert (kutim.zone, kaltim.zone, kaltim_region.zone) == (Zone.RED, Zone.GREEN, Zone.YELLOW)
    assert regions[2].zone is Zone.GREEN


def test_the_national_total_sums_every_unit_and_is_nothing_without_units() -> None:
    units = [_unit("64", "64", NodeLevel.PROVINSI, Tally(1, 1, 10, 8, 6, 1, untimed=2)),
             _unit("65", "65", NodeLevel.PROVINSI, Tally(1, 0, 3, 1, 1, 0))]
    assert total(units) == Tally(2, 1, 13, 9, 7, 1, untimed=2)
    assert total([]) == NOTHING
