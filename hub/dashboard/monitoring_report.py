"""A region's monitoring report for a month or a year (laporan bulanan / tahunan pemantauan), as CSV and PDF.

Per unit and for the region, over the reports received in the period on the region's
own clock: what became of them (selesai as the rule says, in process, rejected or
archived), by kind and by channel, each stage's deadline kept (verification,
follow-up, the 60-day limit, KIP answers and objections), simpul's zone of complaint-handling performance
(zona kinerja pengaduan simpul, never called the Ombudsman's), reports received, follow-ups on time,
overdue reports, reachability, and beside them the Ombudsman RI's own
compliance score where an admin entered one (labelled as the Ombudsman's);
for the region, connection coverage (expected
units, connected ones, and in the PDF the units not connected, by name). Only
counts: no reporter appears anywhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.coverage.figure import Coverage
from hub.dashboard.charts import compared, received_chart, stages_chart, units_chart
from hub.dashboard.labels import STAGE_NAMES, ZONE_COLOURS, ZONE_TEXT_COLOURS, percent, rgb
from hub.sla.clocks import UNIT_STAGES
from hub.sla.compliance import Handling, StageTally
from hub.sla.ombudsman import OMBUDSMAN_LABEL, OMBUDSMAN_ZONE_NAMES, OmbudsmanScore, ScoreBook
from hub.sla.period import Period, local_time
from hub.sla.series import MonthFigures
from hub.sla.units import UnitZone, handled, total
from hub.sla.zones import ZONE_NAMES, ZONE_TITLE, Tally, Zone, ZoneThresholds, zone_of
from simpul.wire import Channel, ReportKind

COVERAGE_COLUMNS = ("expected_units", "connected_units", "coverage_share")  # the region's row only
HANDLING_COLUMNS = ("selesai", "in_process", "rejected_or_archived",
                    *(f"received_{k.value.lower()}" for k in ReportKind),
                    *(f"channel_{c.value.lower()}" for c in Channel),
                    *(f"{s.value.lower()}_{part}" for s in UNIT_STAGES for part in ("due", "on_time", "on_time_share")))
COLUMNS = ("period", "region_code", "unit", "unit_name", "level", "simpul_zone", "reports_received",
           "follow_ups_due", "follow_ups_on_time", "on_time_share", "overdue", "reachable_share", "untimed",
           "ombudsman_score", "ombudsman_zone", *COVERAGE_COLUMNS, *HANDLING_COLUMNS)
KIND_NAMES = {ReportKind.PENGADUAN: "Pengaduan", ReportKind.ASPIRASI: "Aspirasi", ReportKind.INFORMASI: "Informasi"}
CHANNEL_NAMES = {Channel.WEB: "Web", Channel.SMS: "SMS", Channel.APP: "Aplikasi", Channel.DESK: "Loket",
                 Channel.SOCIAL: "Media sosial", Channel.API: "API"}
TOTAL = "TOTAL"  # the unit column of the region's own row, the last one
CHART_ROWS = 28  # units per comparison chart in the PDF: what fits on a landscape A4 page
_ZONE_FILL = {zone: rgb(colour) for zone, colour in ZONE_COLOURS.items()}
_ZONE_TEXT = {zone: rgb(colour) for zone, colour in ZONE_TEXT_COLOURS.items()}


@dataclass(frozen=True)
class MonitoringReport:
    region_code: str
    region_name: str
    period: Period
    generated_at: datetime
    units: Sequence[UnitZone]
    thresholds: ZoneThresholds
    coverage: Coverage | None = None  # connection coverage of the region, when the report is made
    ombudsman: ScoreBook = ScoreBook({})  # the Ombudsman's scores of the year, as entered
    series: Sequence[MonthFigures] = ()  # the year's months up to the period's end, for the charts

    @property
    def total(self) -> Tally:
        return total(self.units)

    @property
    def zone(self) -> Zone:
        return zone_of(self.total, self.thresholds)

    def rows(self) -> list[tuple[str, str, str, str, Zone, Tally, Handling]]:
        """(region, unit code, unit name, level, zone, figures, handling) per unit, then the region's total."""
        rows = [(u.node.region_code, u.node.code, u.node.name, u.node.level.value, u.zone, u.tally, u.handling)
                for u in self.units]
        rows.append((self.region_code, TOTAL, self.region_name, "", self.zone, self.total, handled(self.units)))
        return rows

    def ombudsman_score(self, unit: str) -> OmbudsmanScore | None:
        """The Ombudsman's score beside a row: the region government's on the TOTAL row."""
        if unit == TOTAL:
            return self.ombudsman.for_region(self.region_code)
        node = next((u.node for u in self.units if u.node.code == unit), None)
        return self.ombudsman.for_node(node) if node is not None else None


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _coverage_cells(report: MonitoringReport, unit: str) -> tuple[str, str, str]:
    """The region's coverage on its own (TOTAL) row; empty on a unit's row."""
    c = report.coverage
    if unit != TOTAL or c is None:
        return ("", "", "")
    return (str(c.expected), str(c.connected), _share(c.share))


def _ombudsman_cells(score: OmbudsmanScore | None) -> tuple[str, str]:
    return ("", "") if score is None else (f"{score.score:.2f}", score.zone.value)


def ombudsman_text(score: OmbudsmanScore | None) -> str:
    """The Ombudsman's score as the PDF shows it (72,50 Kuning); a dash when none was entered."""
    if score is None:
        return "-"
    return f"{score.score:.2f}".replace(".", ",") + f" {OMBUDSMAN_ZONE_NAMES[score.zone]}"


def _handling_cells(h: Handling) -> tuple[str, ...]:
    stages = ((str(t.due), str(t.on_time), _share(t.on_time_share)) for t in map(h.stage, UNIT_STAGES))
    return (str(h.selesai), str(h.in_process), str(h.withdrawn), *(str(h.by_kind.get(k, 0)) for k in ReportKind),
            *(str(h.by_channel.get(c, 0)) for c in Channel), *(cell for stage in stages for cell in stage))


def to_csv(report: MonitoringReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for region, unit, name, level, zone, t, h in report.rows():
        writer.writerow((report.period.label, region, unit, _cell(name), level, zone.value, t.reports_received,
                         t.follow_ups_due, t.follow_ups_on_time, _share(t.on_time_share), t.overdue,
                         _share(t.reachable_share), t.untimed, *_ombudsman_cells(report.ombudsman_score(unit)),
                         *_coverage_cells(report, unit), *_handling_cells(h)))
    return out.getvalue()


def _latin1(text: str) -> str:
    """The PDF's core font has Latin-1 only; anything else shows as '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def to_pdf(report: MonitoringReport) -> bytes:
    from fpdf import FPDF  # imported on the first download: it costs every hub process ~0.2 s at start
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", format="A4")
    kind, _, when = report.period.title.partition(" ")
    title = f"Laporan {kind} Pemantauan Pengelolaan Pengaduan {when}"
    pdf.set_title(title)
    pdf.set_creator("simpul")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(text=_latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.cell(text=_latin1(f"Wilayah: {report.region_name} ({report.region_code})"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=f"{ZONE_TITLE} (wilayah): {ZONE_NAMES[report.zone]} ({report.zone.value})", new_x="LMARGIN",
             new_y="NEXT")
    pdf.cell(text=f"Dibuat: {local_time(report.generated_at, report.region_code)}. Laporan dihitung menurut tanggal "
             "diterima pada jam setempat wilayahnya.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("helvetica", "", 9)
    header = ("Kode", "Unit", "Zona kinerja simpul", "Laporan diterima", "Tindak lanjut jatuh tempo", "Tepat waktu",
              "Lewat tenggat", "Terhubung", "Tanpa kalender", "Skor Ombudsman RI")
    with pdf.table(col_widths=(16, 62, 18, 20, 24, 18, 18, 18, 18, 26), text_align="LEFT") as table:
        heading = table.row()
        for text in header:
            heading.cell(text)
        for _, unit, name, _, zone, t, _ in report.rows():
            row = table.row()
            row.cell(_latin1(report.region_code if unit == TOTAL else unit))
            row.cell(_latin1(f"Total {name}" if unit == TOTAL else name))
            row.cell(ZONE_NAMES[zone], style=FontFace(fill_color=_ZONE_FILL[zone], color=_ZONE_TEXT[zone]))
            for text in (str(t.reports_received), str(t.follow_ups_due), percent(t.on_time_share), str(t.overdue),
                         percent(t.reachable_share), str(t.untimed), ombudsman_text(report.ombudsman_score(unit))):
                row.cell(text)
    _handling_section(pdf, report)
    _stages_section(pdf, report)
    if report.coverage is not None:
        _coverage_section(pdf, report.coverage)
    pdf.ln(3)
    th = report.thresholds
    for line in (
        f"Hijau: terhubung >= {percent(th.green_reachable)}, tepat waktu >= {percent(th.green_on_time)}, "
        f"lewat tenggat <= {percent(th.green_overdue)}.",
        f"Merah: terhubung < {percent(th.red_reachable)}, atau tepat waktu < {percent(th.red_on_time)}, "
        f"atau lewat tenggat > {percent(th.red_overdue)}. Kuning: di antaranya. Abu-abu: data kurang, tidak ada "
        "tindak lanjut maupun laporan yang dapat dihitung tenggatnya.",
        f"{ZONE_TITLE}: ukuran simpul sendiri atas pengelolaan pengaduan, bukan zona kepatuhan standar pelayanan "
        "publik dari Ombudsman RI.",
        f"Skor Ombudsman RI: {OMBUDSMAN_LABEL} (0-100; hijau 81-100, kuning 51-80,99, merah 0-50,99), data yang "
        "dimasukkan admin dari publikasi Ombudsman, tidak dihitung simpul.",
        "Terhubung: keadaan saat laporan dibuat. Tepat waktu: tindak lanjut dalam tenggat (hari kerja).",
        "Selesai: tanggapan unit tidak dibalas pelapor dalam 10 hari kerja (PermenPANRB 5/2025), atau ditutup. Dalam "
        "proses: belum selesai, tidak ditolak atau diarsipkan. Per tahap: jatuh tempo (selesai, atau lewat tenggat "
        "dan belum) / tepat waktu. Batas 60 hari: Perpres 76/2013; informasi dan keberatan: UU 14/2008.",
        "Keterhubungan: unit yang dilayani node aktif / unit yang seharusnya terhubung (pemerintah provinsi dan "
        "kabupaten/kota menurut daftar wilayah Kemendagri, ditambah unit yang dinyatakan admin), keadaan pada "
        "akhir periode (atau saat laporan dibuat, bila periode belum berakhir).",
    ):
        pdf.multi_cell(w=0, text=line, new_x="LMARGIN", new_y="NEXT")
    _charts_section(pdf, report)
    return bytes(pdf.output())


def _charts_section(pdf: Any, report: MonitoringReport) -> None:
    """The dashboard's charts, on a page of their own: the year's months up to the period, and the units compared
    (in parts of CHART_ROWS, so a region with many units runs over pages)."""
    pdf.add_page()
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(text="Grafik", new_x="LMARGIN", new_y="NEXT")
    drawings = [received_chart(report.series, report.region_name, report.period.year),
                stages_chart(report.series, report.region_name, report.period.year)] if report.series else []
    shown = compared(report.units, report.thresholds, national=False)
    drawings += [units_chart(shown[i:i + CHART_ROWS], report.region_name, report.period, national=False)
                 for i in range(0, max(len(shown), 1), CHART_ROWS)]
    for drawing in drawings:
        pdf.ln(2)
        pdf.image(io.BytesIO(_latin1(drawing).encode()), w=190)


def _coverage_section(pdf: Any, coverage: Coverage) -> None:
    """Keterhubungan: connected / expected units, then each expected unit not connected, by name."""
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(text=f"Keterhubungan: {coverage.connected} dari {coverage.expected} unit yang seharusnya terhubung "
             f"({percent(coverage.share)})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    missing = coverage.not_connected
    if not missing:
        return
    pdf.cell(text="Unit yang seharusnya terhubung tetapi belum terhubung:", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(20, 110, 60, 60), text_align="LEFT") as table:
        heading = table.row()
        for text in ("Wilayah", "Unit", "Nomor SK", "Dasar hukum"):
            heading.cell(text)
        for unit in missing:
            row = table.row()
            for text in (unit.region_code or "nasional", unit.name, unit.sk_number or "-", unit.legal_basis):
                row.cell(_latin1(text))


def _unit_label(report: MonitoringReport, unit: str, name: str) -> tuple[str, str]:
    return (report.region_code if unit == TOTAL else unit), (f"Total {name}" if unit == TOTAL else name)


def _handling_section(pdf: Any, report: MonitoringReport) -> None:
    """What became of the reports received in the period, by kind and by channel."""
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(text="Penyelesaian laporan, jenis dan kanal", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 8)
    header = ("Kode", "Unit", "Diterima", "Selesai", "Dalam proses", "Ditolak/ diarsipkan",
              *KIND_NAMES.values(), *CHANNEL_NAMES.values())
    with pdf.table(col_widths=(18, 46, 15, 15, 15, 17, 17, 15, 15, 14, 14, 16, 14, 18, 14), text_align="LEFT") as table:
        heading = table.row()
        for text in header:
            heading.cell(text)
        for _, unit, name, _, _, t, h in report.rows():
            row = table.row()
            for text in (*_unit_label(report, unit, name), str(t.reports_received), str(h.selesai), str(h.in_process),
                         str(h.withdrawn), *(str(h.by_kind.get(k, 0)) for k in KIND_NAMES),
                         *(str(h.by_channel.get(c, 0)) for c in CHANNEL_NAMES)):
                row.cell(_latin1(text))


def stage_text(tally: StageTally) -> str:
    """A stage as the PDF shows it: on time of due (share), 3/4 (75,0%); a dash when none was due."""
    return "-" if not tally.due else f"{tally.on_time}/{tally.due} ({percent(tally.on_time_share)})"


def _stages_section(pdf: Any, report: MonitoringReport) -> None:
    """Each stage a unit owes: instances due and those kept on time."""
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(text="Ketepatan waktu per tahap (tepat waktu / jatuh tempo)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 8)
    with pdf.table(col_widths=(18, 54, 41, 41, 41, 41, 41), text_align="LEFT") as table:
        heading = table.row()
        for text in ("Kode", "Unit", *(STAGE_NAMES[s] for s in UNIT_STAGES)):
            heading.cell(text)
        for _, unit, name, _, _, _, h in report.rows():
            row = table.row()
            for text in (*_unit_label(report, unit, name), *(stage_text(h.stage(s)) for s in UNIT_STAGES)):
                row.cell(_latin1(text))
