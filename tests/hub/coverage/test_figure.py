"""Coverage from the register and the active nodes: who counts as connected, and the shares."""

from __future__ import annotations

from hub.coverage.figure import ActiveNode, connect
from hub.coverage.register import ExpectedUnit, UnitKind, governments
from simpul.wire import NodeLevel

KALTARA = governments("65")  # the province and its four kabupaten and one kota


def _declared(name: str, region: str, node: str | None) -> ExpectedUnit:
    return ExpectedUnit(kind=UnitKind.DECLARED, name=name, region_code=region, node_code=node, id=1,
                        legal_basis="Perpres 76/2013")


def test_a_government_is_connected_by_an_active_node_of_its_level_at_its_region_code() -> None:
    nodes = [ActiveNode("65", NodeLevel.PROVINSI, "65"), ActiveNode("65.71-desk", NodeLevel.KABKOTA, "65.71"),
             ActiveNode("65.01.rsud", NodeLevel.UNIT, "65.01")]  # a unit in Bulungan does not connect Bulungan
    coverage = connect("65", KALTARA, nodes)
    assert (coverage.expected, coverage.connected) == (6, 2)
    assert coverage.share == 2 / 6
    assert [u.region_code for u in coverage.not_connected] == ["65.01", "65.02", "65.03", "65.04"]
    assert [u.node_code for u in coverage.units if u.connected] == ["65", "65.71-desk"]


def test_a_declared_unit_is_connected_only_by_its_declared_node_and_one_never_enrolled_is_not() -> None:
    dinkes = _declared("Dinas Kesehatan", "65", "65.dinkes")
    dishub = _declared("Dinas Perhubungan", "65", "65.dishub")  # its node never enrolled
    bpbd = _declared("BPBD", "65", None)  # no node named yet
    coverage = connect("65", [dinkes, dishub, bpbd], [ActiveNode("65.dinkes", NodeLevel.UNIT, "65")])
    assert [(u.unit.name, u.connected) for u in coverage.units] == [
        ("Dinas Kesehatan", True), ("Dinas Perhubungan", False), ("BPBD", False)]
    assert coverage.share == 1 / 3


def test_coverage_is_split_by_province_with_national_units_first_and_none_expected_has_no_share() -> None:
    ministry = _declared("Kementerian Kesehatan", "", "kemenkes")
    units = [*governments("64.08"), *KALTARA, ministry]
    coverage = connect("", units, [ActiveNode("kemenkes", NodeLevel.PUSAT, "")])
    assert [(p.region_code, p.expected, p.connected) for p in coverage.by_province()] == [
        ("", 1, 1), ("64", 1, 0), ("65", 6, 0)]
    assert connect("65", [], []).share is None
