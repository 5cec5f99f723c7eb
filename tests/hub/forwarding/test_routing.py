"""Routing's pure parts: which rule matches, which of several wins, and the fallback up the region tree; and, on
the hub's tables, which units of a region claim one category alike."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.forwarding.routing import (
    Routable,
    Rule,
    _describe,
    _fallbacks,
    _nearest,
    _tie,
    region_level,
    shared_authority,
)
from hub.nodes.registry import NodeRecord
from simpul.wire import NodeLevel, ReportKind
from tests.databases import hub_pool_with_kutim

HEALTH_IN_KUTIM = Routable("64.08", "kesehatan", ReportKind.PENGADUAN)


def _rule(id: int, region_prefix: str = "", category: str | None = None, kind: ReportKind | None = None,
          level: NodeLevel | None = None, target: str = "64") -> Rule:
    return Rule(id=id, region_prefix=region_prefix, category=category, kind=kind, level=level, target_node=target,
                created_by="admin 64", created_at=datetime(2026, 1, 5, tzinfo=UTC))


def _node(code: str, level: NodeLevel, region: str, categories: tuple[str, ...] = (), kind: str = "desk"
          ) -> NodeRecord:
    return NodeRecord(code=code, name=f"Unit {code}", level=level, region_code=region, parent_code=None,
                      categories=categories, endpoint=f"https://{code}.example.go.id", kind=kind, status="ACTIVE",
                      signing_key=None, enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None,
                      healthy=None)


def test_a_rule_matches_its_region_subtree_and_only_the_category_kind_and_level_it_names() -> None:
    assert _rule(1).matches("64.08", "kesehatan", ReportKind.PENGADUAN)  # national, any: everything
    assert _rule(2, "64").matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert _rule(3, "64.08").matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert not _rule(4, "64.08").matches("64", "kesehatan", ReportKind.PENGADUAN)  # a subtree, not its parent
    assert not _rule(5, "64.0").matches("64.08", "kesehatan", ReportKind.PENGADUAN)  # whole segments only
    assert not _rule(6, "65").matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert not _rule(7, category="jalan").matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert not _rule(8, kind=ReportKind.ASPIRASI).matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert _rule(9, level=NodeLevel.KABKOTA).matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert not _rule(10, level=NodeLevel.PROVINSI).matches("64.08", "kesehatan", ReportKind.PENGADUAN)
    assert _rule(11, level=NodeLevel.PROVINSI).matches("64", "kesehatan", ReportKind.PENGADUAN)


def test_a_reports_region_is_provincial_at_one_segment_and_kab_kota_below() -> None:
    assert region_level("64") is NodeLevel.PROVINSI
    assert region_level("64.08") is NodeLevel.KABKOTA
    assert region_level("64.08.01") is NodeLevel.KABKOTA


def test_the_deepest_region_wins_then_a_named_category_kind_and_level_then_the_older_rule() -> None:
    rules = [
        _rule(1),
        _rule(2, "64"),
        _rule(3, "64", category="kesehatan"),
        _rule(4, "64.08"),
        _rule(5, "64.08", level=NodeLevel.KABKOTA),
        _rule(6, "64.08", kind=ReportKind.PENGADUAN),
        _rule(7, "64.08", category="kesehatan"),
        _rule(8, "64.08", category="kesehatan", kind=ReportKind.PENGADUAN),
        _rule(9, "64.08", category="gizi", kind=ReportKind.PENGADUAN),  # as specific as #8: the older goes first
    ]
    assert [r.id for r in sorted(reversed(rules), key=Rule.specificity)] == [8, 9, 7, 6, 5, 4, 3, 2, 1]


def test_the_fallback_climbs_from_units_with_authority_to_the_kab_kota_province_and_national_desks() -> None:
    active = [
        _node("pusat", NodeLevel.PUSAT, ""),
        _node("64", NodeLevel.PROVINSI, "64"),
        _node("dinkes-64", NodeLevel.UNIT, "64", ("kesehatan",)),
        _node("64.08", NodeLevel.KABKOTA, "64.08"),
        _node("dinkes-64.08", NodeLevel.UNIT, "64.08", ("kesehatan", "gizi")),
        _node("pupr-64.08", NodeLevel.UNIT, "64.08", ("jalan",)),
        _node("65", NodeLevel.PROVINSI, "65"),
    ]

    steps = [(step, [n.code for n in nodes]) for step, nodes in _fallbacks(HEALTH_IN_KUTIM, active)]

    assert steps == [
        ("unit with authority over kesehatan in 64.08", ["dinkes-64.08"]),
        ("kab/kota desk of 64.08", ["64.08"]),
        ("unit with authority over kesehatan in 64", ["dinkes-64"]),
        ("province desk of 64", ["64"]),
        ("national desk", ["pusat"]),
    ]


def test_an_sms_door_is_never_a_fallback_handler_and_a_tie_between_units_is_said() -> None:
    """Nobody at an SMS 1708 door can verify or follow up a report: its region's desk, or the next one up,
    handles what arrives there. Two units claiming one category in one region both fit; the decision says so."""
    kaltara = Routable("65", "kesehatan", ReportKind.PENGADUAN)
    sms = _node("65.sms", NodeLevel.PROVINSI, "65", ("kesehatan",), kind="sms")
    pusat = _node("pusat", NodeLevel.PUSAT, "")
    steps = {step: [n.code for n in nodes] for step, nodes in _fallbacks(kaltara, [sms, pusat])}
    assert steps == {"unit with authority over kesehatan in 65": [], "province desk of 65": [],
                     "national desk": ["pusat"]}

    first, second = _node("dinkes-65", NodeLevel.UNIT, "65", ("kesehatan",)), _node("rsud-65", NodeLevel.UNIT, "65",
                                                                                     ("kesehatan",))
    assert _tie(first, [first, second], exclude=()) == (
        "; 2 nodes fit (dinkes-65, rsud-65): the first by code was chosen, a routing rule decides otherwise")
    assert _tie(first, [first, second], exclude=("rsud-65",)) == ""
    assert _tie(first, [first], exclude=()) == ""


def test_a_village_report_falls_back_through_its_kab_kota_and_a_provincial_one_skips_that_step() -> None:
    village = Routable("64.08.01", "jalan", ReportKind.PENGADUAN)
    assert [step for step, _ in _fallbacks(village, [])] == [
        "unit with authority over jalan in 64.08", "kab/kota desk of 64.08",
        "unit with authority over jalan in 64", "province desk of 64", "national desk"]
    provincial = Routable("64", "jalan", ReportKind.PENGADUAN)
    assert [step for step, _ in _fallbacks(provincial, [])] == [
        "unit with authority over jalan in 64", "province desk of 64", "national desk"]


def test_a_rule_is_described_by_what_it_names() -> None:
    assert _describe(_rule(1)) == "region national"
    assert _describe(_rule(2, "64.08", "kesehatan", ReportKind.PENGADUAN, NodeLevel.KABKOTA)) == (
        "region 64.08, category kesehatan, kind PENGADUAN, level KABKOTA")


def test_an_information_request_asks_its_regions_ppid_first_at_each_level() -> None:
    request = Routable("64.08", "umum", ReportKind.INFORMASI)
    active = [_node("64.08", NodeLevel.KABKOTA, "64.08"), _node("64", NodeLevel.PROVINSI, "64")]
    ppid_of = {"64.08": _node("ppid-64.08", NodeLevel.UNIT, "64.08"), "64": _node("ppid-64", NodeLevel.UNIT, "64")}

    steps = [(step, [n.code for n in nodes]) for step, nodes in _fallbacks(request, active, ppid_of)]

    assert steps[:4] == [("PPID of 64.08", ["ppid-64.08"]), ("unit with authority over umum in 64.08", []),
                         ("kab/kota desk of 64.08", ["64.08"]), ("PPID of 64", ["ppid-64"])]
    complaint = Routable("64.08", "umum", ReportKind.PENGADUAN)
    assert not [s for s, _ in _fallbacks(complaint, active, ppid_of) if s.startswith("PPID")], "complaints: no PPID"
    assert _nearest("64.08.01", {"64": "ppid-64"}) == "ppid-64", "no kab/kota PPID: the province's"
    assert _nearest("64.08", {"64": "ppid-64", "64.08": "ppid-64.08"}) == "ppid-64.08"
    assert _nearest("65", {"64": "ppid-64"}) is None
    assert _describe(_rule(3, "64", kind=ReportKind.INFORMASI).model_copy(
        update={"target_node": None, "target_ppid": True})) == "region 64, to the PPID, kind INFORMASI"


async def test_units_sharing_a_category_in_one_region_are_named_with_the_one_that_gets_its_reports(
    database: str
) -> None:
    """What the hub logs when SIPAKAR enrols: each category another active unit of Kutai Timur claims too, and
    which unit the fallback sends its reports to; a suspended unit, an SMS door or another region's unit is no
    rival."""
    rows = [("64.08.dinkes", "64.08", ["kesehatan", "jalan"], "desk", "ACTIVE"),
            ("64.08.rsud", "64.08", ["kesehatan"], "desk", "ACTIVE"),
            ("64.08.sipakar", "64.08", ["jalan", "kesehatan", "kebersihan"], "rest", "ACTIVE"),
            ("64.08.lama", "64.08", ["kebersihan"], "desk", "SUSPENDED"),
            ("64.08.sms", "64.08", ["kebersihan"], "sms", "ACTIVE"),
            ("64.07.dlh", "64.07", ["kebersihan"], "desk", "ACTIVE")]
    async with hub_pool_with_kutim(database, 2) as pool:
        await pool.executemany(
            "INSERT INTO nodes (code, name, level, region_code, categories, endpoint, kind, status, signing_key)"
            " VALUES ($1, $1, 'UNIT', $2, $3, 'http://127.0.0.1:1', $4, $5, '\\x00')", rows)
        assert await shared_authority(pool, "64.08.sipakar") == [
            "units 64.08.dinkes and 64.08.sipakar both claim category jalan in 64.08: without a routing rule its"
            " reports go to 64.08.dinkes, the first by code; add one (addRoutingRule) to choose",
            "units 64.08.dinkes, 64.08.rsud and 64.08.sipakar all claim category kesehatan in 64.08: without a"
            " routing rule its reports go to 64.08.dinkes, the first by code; add one (addRoutingRule) to choose"]
        assert await shared_authority(pool, "64.08") == []  # the kab/kota desk claims no unit's authority
