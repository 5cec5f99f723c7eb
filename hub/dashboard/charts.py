"""The dashboard's charts, the same on the page and in the monitoring report's PDF: reports received and
selesai per month, each stage's deadline kept per month, and the units of a region (or the provinces of the
country) compared.

Figures in, SVG out (hub/dashboard/svg.py): the page fetches these from /dashboard/chart/..., the PDF
draws them with fpdf2. Only counts: no reporter appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.dashboard import svg
from hub.dashboard.labels import STAGE_NAMES, ZONE_COLOURS, percent
from hub.regions import region_name
from hub.sla.clocks import UNIT_STAGES, Stage
from hub.sla.period import MONTHS, Period
from hub.sla.series import MonthFigures
from hub.sla.units import UnitZone, by_province
from hub.sla.zones import ZONE_NAMES, Tally, Zone, ZoneThresholds

CHARTS = ("received", "stages", "units")  # the names /dashboard/chart/{name}.svg serves
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
RECEIVED, SELESAI = "#90caf9", "#0d47a1"  # light and dark: told apart in grey too, and each count is written
_STAGE_LOOK = {Stage.VERIFICATION: ("#1565c0", "", "circle"), Stage.FOLLOW_UP: ("#2e7d32", "6 3", "square"),
               Stage.OUTER_LIMIT: ("#6a1b9a", "2 3", "triangle"), Stage.INFORMATION: ("#ef6c00", "9 3 2 3", "diamond"),
               Stage.OBJECTION: ("#5d4037", "1 3", "cross")}
NO_UNITS = "Tidak ada unit aktif dalam wilayah ini."


@dataclass(frozen=True)
class Compared:
    """A unit, or a province, in the comparison chart."""

    code: str
    name: str
    zone: Zone
    tally: Tally


def _labels(series: Sequence[MonthFigures]) -> list[str]:
    return [MONTH_LABELS[(m.period.month or 1) - 1] for m in series]


def received_chart(series: Sequence[MonthFigures], place: str, year: int) -> str:
    """Reports received per month, and how many of them are selesai now."""
    return svg.columns("received", f"Laporan diterima dan selesai per bulan - {place} {year}", _labels(series), [
        svg.Series("received", "Diterima", [m.reports_received for m in series], RECEIVED),
        svg.Series("selesai", "Selesai (laporan bulan itu, hingga kini)", [m.handling.selesai for m in series],
                   SELESAI),
    ])


def stages_chart(series: Sequence[MonthFigures], place: str, year: int) -> str:
    """Each stage's share kept on time per month; a stage never due in the year says so in the legend."""
    lines = []
    for stage in UNIT_STAGES:
        shares = [m.handling.stage(stage).on_time_share for m in series]
        colour, dash, marker = _STAGE_LOOK[stage]
        name = STAGE_NAMES[stage] + ("" if any(s is not None for s in shares) else ": tidak ada yang jatuh tempo")
        lines.append(svg.Series(stage.value.lower(), name, shares, colour, dash, marker))
    return svg.lines("stages", f"Tepat waktu per tahap per bulan - {place} {year}", _labels(series), lines,
                     percent)


def compared(units: Sequence[UnitZone], thresholds: ZoneThresholds, national: bool) -> list[Compared]:
    """What the comparison shows, worst on-time share first (where to act): a region's units, or for the whole
    country its provinces (and the national PUSAT nodes together), each zoned on its units' sums."""
    if national:
        shown = [Compared(r.region_code, region_name(r.region_code) or r.region_code if r.region_code else
                          "Pusat (nasional)", r.zone, r.tally) for r in by_province(units, thresholds)]
    else:
        shown = [Compared(u.node.code, u.node.name, u.zone, u.tally) for u in units]
    return sorted(shown, key=lambda c: (c.tally.on_time_share is None, c.tally.on_time_share or 0, c.code))


def units_chart(shown: Sequence[Compared], place: str, period: Period, national: bool) -> str:
    """Reports received and follow-ups on time side by side, each on-time bar in its zone's colour with the zone
    in words."""
    when = str(period.year) if period.month is None else f"{MONTHS[period.month - 1]} {period.year}"
    title = f"Perbandingan {'provinsi' if national else 'unit'} - {place}, {when}"
    rows = [svg.Row(f"{c.code or 'Pusat'} {c.name}", [
        svg.Cell(c.tally.reports_received, str(c.tally.reports_received), RECEIVED),
        svg.Cell(c.tally.on_time_share, f"{percent(c.tally.on_time_share)} ({ZONE_NAMES[c.zone]})",
                 ZONE_COLOURS[c.zone]),
    ]) for c in shown]
    return svg.bars("units", title, [svg.Measure("received", "Laporan diterima"),
                                     svg.Measure("on_time", "Tindak lanjut tepat waktu (zona kinerja)", full=1)],
                    rows, NO_UNITS)
