"""The annual report's zones: simpul's own zone, named so (grey when nothing could be timed), and the Ombudsman's
score beside it, labelled as the Ombudsman's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader

from hub.dashboard.monitoring_report import COLUMNS, TOTAL, MonitoringReport, to_csv, to_pdf
from hub.nodes.registry import NodeRecord
from hub.sla.ombudsman import OmbudsmanScore, ScoreBook, ScoredUnit
from hub.sla.period import Period
from hub.sla.units import UnitZone
from hub.sla.zones import Tally, ZoneThresholds, zone_of
from simpul.wire import NodeLevel

THRESHOLDS = ZoneThresholds()
AT = datetime(2022, 3, 1, tzinfo=UTC)


def _unit(code: str, level: NodeLevel, tally: Tally) -> UnitZone:
    node = NodeRecord(code=code, name=f"Unit {code}", level=level, region_code="63", parent_code=None,
                      categories=(), endpoint=f"https://{code}.example.go.id", kind="desk", status="ACTIVE",
                      signing_key=None, enrolled_at=AT, last_heartbeat=None, healthy=None)
    return UnitZone(node, True, tally, zone_of(tally, THRESHOLDS))


def _score(kind: ScoredUnit, unit: str, score: str) -> OmbudsmanScore:
    return OmbudsmanScore(kind, unit, "63", 2021, Decimal(score), "Ombudsman RI 2021", "user biro-kalsel", AT)


def _report() -> MonitoringReport:
    idle = Tally(units=1, reachable_units=1, reports_received=3, follow_ups_due=0, follow_ups_on_time=0, overdue=0,
                 untimed=3)
    busy = Tally(units=1, reachable_units=1, reports_received=4, follow_ups_due=4, follow_ups_on_time=4, overdue=0)
    units = [_unit("63", NodeLevel.PROVINSI, idle), _unit("63.dinkes", NodeLevel.UNIT, busy)]
    book = ScoreBook.of([_score(ScoredUnit.REGION, "63", "72.5"), _score(ScoredUnit.NODE, "63.dinkes", "50.99")])
    return MonitoringReport("63", "Kalimantan Selatan", Period(2021), AT, units, THRESHOLDS, ombudsman=book)


def test_the_csv_names_simpuls_zone_and_puts_the_ombudsmans_score_beside_it() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_report()))))
    assert "simpul_zone" in COLUMNS and "zone" not in COLUMNS
    assert [(r["unit"], r["simpul_zone"], r["ombudsman_score"], r["ombudsman_zone"]) for r in rows] == [
        ("63", "GREY", "72.50", "KUNING"),  # nothing timed: grey, not green; the desk shows its pemda's score
        ("63.dinkes", "GREEN", "50.99", "MERAH"),  # simpul's figure and the Ombudsman's may well disagree
        (TOTAL, "GREEN", "72.50", "KUNING")]


def test_the_pdf_labels_simpuls_zone_and_the_ombudsmans_score_apart(tmp_path: Path) -> None:
    saved = tmp_path / "laporan.pdf"
    saved.write_bytes(to_pdf(_report()))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(saved).pages).split())
    assert "Zona kinerja pengaduan simpul (wilayah): Hijau (GREEN)" in text
    assert "bukan zona kepatuhan standar pelayanan publik dari Ombudsman RI" in text
    assert "Skor Ombudsman RI: Penilaian kepatuhan Ombudsman RI" in text
    assert "63 Unit 63 Abu-abu 3 0 - 0 100,0% 3 72,50 Kuning" in text
    assert "63.dinkes Unit 63.dinkes Hijau 4 4 100,0% 0 100,0% 0 50,99 Merah" in text
