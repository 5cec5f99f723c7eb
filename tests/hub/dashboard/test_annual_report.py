"""The annual report's coverage: the region's row carries connected / expected, the PDF names who is missing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from hub.coverage.figure import ActiveNode, connect
from hub.coverage.register import ExpectedUnit, UnitKind, governments
from hub.dashboard.annual_report import COVERAGE_COLUMNS, TOTAL, AnnualReport, to_csv, to_pdf
from hub.sla.zones import ZoneThresholds
from simpul.wire import NodeLevel

DISHUB = ExpectedUnit(kind=UnitKind.DECLARED, name="Dinas Perhubungan Provinsi Kalimantan Utara", region_code="65",
                      node_code="65.dishub", id=3, sk_number="188.44/K.77/2019", legal_basis="Perpres 76/2013")


def _report() -> AnnualReport:
    coverage = connect("65", [*governments("65"), DISHUB], [ActiveNode("65", NodeLevel.PROVINSI, "65")])
    return AnnualReport("65", "Kalimantan Utara", 2020, datetime(2026, 12, 4, tzinfo=UTC), [], ZoneThresholds(),
                        coverage=coverage)


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
