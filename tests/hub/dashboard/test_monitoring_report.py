"""The monitoring report's coverage (the region's row carries connected / expected, the PDF names who is missing),
what became of the reports of a month: selesai, in process, by kind and channel, each stage kept, and the
dashboard's charts in the PDF."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from hub.coverage.figure import ActiveNode, connect
from hub.coverage.register import ExpectedUnit, UnitKind, governments
from hub.dashboard.monitoring_report import COVERAGE_COLUMNS, TOTAL, MonitoringReport, to_csv, to_pdf
from hub.nodes.registry import NodeRecord
from hub.sla.clocks import Stage
from hub.sla.compliance import Handling, StageTally
from hub.sla.period import Period
from hub.sla.series import MonthFigures
from hub.sla.units import UnitZone
from hub.sla.zones import Tally, ZoneThresholds, zone_of
from simpul.wire import Channel, NodeLevel, ReportKind

DISHUB = ExpectedUnit(kind=UnitKind.DECLARED, name="Dinas Perhubungan Provinsi Kalimantan Utara", region_code="65",
                      node_code="65.dishub", id=3, sk_number="188.44/K.77/2019", legal_basis="Perpres 76/2013")


def _report() -> MonitoringReport:
    coverage = connect("65", [*governments("65"), DISHUB], [ActiveNode("65", NodeLevel.PROVINSI, "65")])
    return MonitoringReport("65", "Kalimantan Utara", Period(2020), datetime(2026, 12, 4, tzinfo=UTC), [],
                            ZoneThresholds(), coverage=coverage)


def test_the_regions_row_carries_expected_and_connected_units_and_their_share() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_report()))))
    assert [r["unit"] for r in rows] == [TOTAL]
    assert {c: rows[0][c] for c in COVERAGE_COLUMNS} == {
        "expected_units": "7", "connected_units": "1", "coverage_share": "0.1429"}


def test_the_pdf_names_each_unit_expected_but_not_connected(tmp_path: Path) -> None:
    saved = tmp_path / "laporan.pdf"
    saved.write_bytes(to_pdf(_report()))
    text = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Keterhubungan: 1 dari 7 unit yang seharusnya terhubung (14,3%)" in text
    for name in ("Dinas Perhubungan Provinsi Kalimantan Utara", "Pemerintah Kota Tarakan", "188.44/K.77/2019"):
        assert name in text
    assert "Pemerintah Provinsi Kalimantan Utara" not in text.split("belum terhubung")[1]


def _unit(code: str, name: str, tally: Tally, handling: Handling) -> UnitZone:
    node = NodeRecord(code=code, name=name, level=NodeLevel.UNIT, region_code="65", parent_code="65", categories=(),
                      endpoint=f"https://{code}.example.go.id", kind="desk", status="ACTIVE", signing_key=None,
                      enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None, healthy=None)
    return UnitZone(node, True, tally, zone_of(tally, ZoneThresholds()), handling)


def _march() -> MonitoringReport:
    dinkes = _unit("65.dinkes", "Dinas Kesehatan", Tally(1, 1, 4, 3, 2, 1), Handling(
        selesai=2, in_process=1, withdrawn=1, by_kind={ReportKind.PENGADUAN: 3, ReportKind.ASPIRASI: 1},
        by_channel={Channel.WEB: 3, Channel.SMS: 1},
        stages={Stage.VERIFICATION: StageTally(4, 4), Stage.FOLLOW_UP: StageTally(3, 2)}))
    ppid = _unit("65.ppid", "PPID Utama", Tally(1, 1, 2, 0, 0, 0), Handling(
        selesai=0, in_process=2, by_kind={ReportKind.INFORMASI: 2}, by_channel={Channel.DESK: 2},
        stages={Stage.INFORMATION: StageTally(2, 1)}))
    return MonitoringReport("65", "Kalimantan Utara", Period(2026, 3), datetime(2026, 4, 1, 1, 30, tzinfo=UTC),
                            [dinkes, ppid], ZoneThresholds())


def test_a_months_csv_says_what_became_of_each_units_reports_and_sums_them_for_the_region() -> None:
    rows = {r["unit"]: r for r in csv.DictReader(io.StringIO(to_csv(_march())))}
    assert {r["period"] for r in rows.values()} == {"2026-03"}
    figures = ("reports_received", "selesai", "in_process", "rejected_or_archived", "received_pengaduan",
               "received_aspirasi", "received_informasi", "channel_web", "channel_sms", "channel_desk",
               "follow_up_due", "follow_up_on_time", "follow_up_on_time_share", "information_due",
               "information_on_time", "objection_due")
    assert [rows["65.dinkes"][c] for c in figures] == [
        "4", "2", "1", "1", "3", "1", "0", "3", "1", "0", "3", "2", "0.6667", "0", "0", "0"]
    assert [rows[TOTAL][c] for c in figures] == [
        "6", "2", "3", "1", "3", "1", "2", "3", "1", "2", "3", "2", "0.6667", "2", "1", "0"]
    assert rows[TOTAL]["objection_on_time_share"] == "", "nothing due: no share, not 0"


def test_a_months_pdf_is_titled_for_the_month_in_local_time_with_each_stage_kept(tmp_path: Path) -> None:
    saved = tmp_path / "laporan.pdf"
    saved.write_bytes(to_pdf(_march()))
    text = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Laporan Bulanan Pemantauan Pengelolaan Pengaduan Maret 2026" in text
    assert "Dibuat: 2026-04-01 09:30 WITA" in text  # Kaltara keeps WITA
    lines = text.splitlines()
    assert "65.dinkes Dinas Kesehatan 4 2 1 1 3 1 0 3 1 0 0 0 0" in lines  # received, selesai ... by channel
    assert "65.ppid PPID Utama - - - 1/2 (50,0%) -" in lines
    assert "65 Total Kalimantan Utara 4/4 (100,0%) 2/3 (66,7%) - 1/2 (50,0%) -" in lines


def test_the_pdf_draws_the_dashboards_charts_the_months_so_far_and_the_units_compared(tmp_path: Path) -> None:
    march = _march()
    series = [MonthFigures(Period(2026, m), received, Handling(selesai=selesai))
              for m, received, selesai in ((1, 3, 1), (2, 0, 0), (3, 6, 2))]
    beyond_latin1 = _unit("65.pu", "Dinas PU \u2014 Bina Marga", Tally(1, 1, 1, 1, 1, 0), Handling())
    saved = tmp_path / "laporan.pdf"
    saved.write_bytes(to_pdf(replace(march, units=[*march.units, beyond_latin1], series=series)))
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    charts = text.split("\nGrafik\n", 1)[1]  # on pages of their own, after the tables and notes
    for title in ("Laporan diterima dan selesai per bulan - Kalimantan Utara 2026",
                  "Tepat waktu per tahap per bulan - Kalimantan Utara 2026",
                  "Perbandingan unit - Kalimantan Utara, Maret 2026"):
        assert title in charts
    assert "Jan Feb Mar" in charts and "Apr" not in charts
    assert "65.pu Dinas PU ? Bina Marga" in charts  # the core font's Latin-1 only, never an error
    assert "66,7% (Kuning)" in charts  # Dinas Kesehatan: 2 of 3 follow-ups on time
