"""The dashboard's charts as SVG, without a browser: the figures are in the drawing as marks and as words,
a chart reads without colour, and names are text, never markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from hub.dashboard.charts import Compared, compared, received_chart, stages_chart, units_chart
from hub.dashboard.labels import ZONE_COLOURS
from hub.dashboard.svg import nice_top
from hub.nodes.registry import NodeRecord
from hub.sla.clocks import Stage
from hub.sla.compliance import Handling, StageTally
from hub.sla.period import Period
from hub.sla.series import MonthFigures
from hub.sla.units import UnitZone
from hub.sla.zones import Tally, Zone, ZoneThresholds, zone_of
from simpul.wire import NodeLevel

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [
    MonthFigures(Period(2026, 1), 5, Handling(selesai=3, stages={Stage.VERIFICATION: StageTally(5, 4),
                                                                  Stage.FOLLOW_UP: StageTally(4, 2)})),
    MonthFigures(Period(2026, 2), 0, Handling()),
    MonthFigures(Period(2026, 3), 12, Handling(selesai=4, stages={Stage.VERIFICATION: StageTally(12, 12),
                                                                   Stage.FOLLOW_UP: StageTally(8, 6)})),
]


def _marks(drawing: str) -> dict[tuple[str, str], float]:
    """(series, label) -> value of every mark that carries one."""
    root = ET.fromstring(drawing)
    return {(e.get("data-series", ""), e.get("data-label", "")): float(e.get("data-value", ""))
            for e in root.iter() if e.get("data-value") is not None}


def _words(drawing: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(drawing).iter(f"{SVG}text")]


def test_each_months_received_and_selesai_are_columns_with_their_counts_written() -> None:
    drawing = received_chart(SERIES, "Kalimantan Timur", 2026)
    assert ET.fromstring(drawing).get("data-chart") == "received"
    assert _marks(drawing) == {("received", "Jan"): 5, ("selesai", "Jan"): 3, ("received", "Feb"): 0,
                               ("selesai", "Feb"): 0, ("received", "Mar"): 12, ("selesai", "Mar"): 4}
    words = _words(drawing)
    assert "Laporan diterima dan selesai per bulan - Kalimantan Timur 2026" in words
    assert ["Jan", "Feb", "Mar"] == [w for w in words if w in ("Jan", "Feb", "Mar")]
    assert {"12", "4", "Diterima"} <= set(words)  # the counts and the legend in words, not only in colour


def test_each_stages_on_time_share_is_a_line_that_breaks_where_nothing_was_due() -> None:
    drawing = stages_chart(SERIES, "Kalimantan Timur", 2026)
    assert _marks(drawing) == {("verification", "Jan"): 0.8, ("verification", "Mar"): 1.0,
                               ("follow_up", "Jan"): 0.5, ("follow_up", "Mar"): 0.75}
    assert not ET.fromstring(drawing).findall(f"{SVG}polyline[@stroke='#1565c0']")  # Jan and Mar are not adjacent
    words = _words(drawing)
    assert "Tanggapan keberatan: tidak ada yang jatuh tempo" in words  # said, not drawn as 0%
    assert {"0,0%", "50,0%", "100,0%"} <= set(words)
    dashes = {e.get("stroke-dasharray") for e in ET.fromstring(drawing).iter(f"{SVG}line")} - {None}
    assert len(dashes) == 4  # five stages told apart by dash (one solid) and marker, without colour


def _unit(code: str, name: str, tally: Tally, region: str = "64") -> UnitZone:
    node = NodeRecord(code=code, name=name, level=NodeLevel.UNIT, region_code=region, parent_code=None, categories=(),
                      endpoint=f"https://{code}.example.go.id", kind="desk", status="ACTIVE", signing_key=None,
                      enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None, healthy=None)
    return UnitZone(node, True, tally, zone_of(tally, ZoneThresholds()))


UNITS = [_unit("64.08", "Kutai Timur", Tally(1, 1, 5, 4, 3, 1)), _unit("64", "Provinsi", Tally(1, 1, 0, 0, 0, 0)),
         _unit("64.01", "Paser", Tally(1, 1, 12, 10, 2, 5))]


def test_units_are_compared_worst_on_time_first_each_bar_in_its_zones_colour_and_word() -> None:
    shown = compared(UNITS, ZoneThresholds(), national=False)
    assert [c.code for c in shown] == ["64.01", "64.08", "64"]  # 20%, 75%, nothing due
    drawing = units_chart(shown, "Kalimantan Timur", Period(2026, 3), national=False)
    assert "Perbandingan unit - Kalimantan Timur, Maret 2026" in _words(drawing)
    assert _marks(drawing) == {("received", "64.01 Paser"): 12, ("on_time", "64.01 Paser"): 0.2,
                               ("received", "64.08 Kutai Timur"): 5, ("on_time", "64.08 Kutai Timur"): 0.75,
                               ("received", "64 Provinsi"): 0}
    assert {"20,0% (Merah)", "75,0% (Kuning)", "- (Abu-abu)"} <= set(_words(drawing))
    fills = {e.get("data-label"): e.get("fill") for e in ET.fromstring(drawing).iter()
             if e.get("data-series") == "on_time"}
    assert fills == {"64.01 Paser": ZONE_COLOURS[Zone.RED], "64.08 Kutai Timur": ZONE_COLOURS[Zone.YELLOW]}


def test_the_country_compares_its_provinces_and_no_units_says_so() -> None:
    kalsel = _unit("63", "Kalsel", Tally(1, 1, 2, 2, 2, 0), region="63")
    shown = compared([*UNITS, kalsel], ZoneThresholds(), national=True)
    assert [(c.code, c.name) for c in shown] == [("64", "Kalimantan Timur"), ("63", "Kalimantan Selatan")]
    empty = units_chart([], "Kalimantan Utara", Period(2026), national=False)
    assert "Tidak ada unit aktif dalam wilayah ini." in _words(empty)


def test_a_name_is_written_as_text_never_as_markup() -> None:
    odd = Compared("64.99", '<script>alert("x")</script> & Co', Zone.GREY, Tally(1, 1, 0, 0, 0, 0))
    drawing = units_chart([odd], "Kalimantan Timur", Period(2026), national=False)
    assert "<script>" not in drawing
    assert not list(ET.fromstring(drawing).iter(f"{SVG}script"))
    assert '64.99 <script>alert("x")</script...' in _words(drawing)  # long names are cut, with their code first


@pytest.mark.parametrize(("largest", "top", "step"), [(0, 1, 1), (3, 3, 1), (7, 8, 2), (23, 25, 5), (48, 50, 10),
                                                       (51, 60, 20), (740, 800, 200)])
def test_an_axis_ends_on_a_round_number_in_at_most_five_steps(largest: float, top: float, step: float) -> None:
    assert nice_top(largest) == (top, step)
