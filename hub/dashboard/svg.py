"""Plain SVG charts drawn on the server, so the page and the PDF show the same picture.

Three shapes: columns (counts per month, side by side), lines (shares per month) and
bars (one row per unit, a bar per measure). Each reads without colour: columns and bars
have their values written beside them, lines differ in dash and marker as their legend
shows. Every mark carries data-series, data-label and data-value for programs and tests.
Only what fpdf2's SVG reader draws is used: rect, line, polyline, polygon, circle and
text, with attributes (no <title>, CSS or patterns).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
PLOT_HEIGHT = 200  # of columns and lines, under the title and legend
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 64, 36  # room for the y labels, the title and one legend row, the x labels
_LEGEND_ROW = 18
_LEGEND_Y = 42.0  # the baseline of the legend's first row
_INK, _MUTED, _GRID = "#1a1a1a", "#555555", "#dddddd"
MARKERS = ("circle", "square", "triangle", "diamond", "cross")


@dataclass(frozen=True)
class Series:
    """One measure over the chart's labels (None: nothing to measure there), and how it is told apart."""

    key: str  # data-series
    name: str  # the legend's words
    values: Sequence[float | None]
    colour: str
    dash: str = ""  # a line's stroke-dasharray
    marker: str = "circle"  # a line's point: one of MARKERS


@dataclass(frozen=True)
class Cell:
    """One bar of a row: its value, the text written after it, and its fill."""

    value: float | None
    text: str
    colour: str


@dataclass(frozen=True)
class Measure:
    """A column of a bar chart: its heading, and the value a full bar stands for (None: the largest row's)."""

    key: str
    name: str
    full: float | None = None


@dataclass(frozen=True)
class Row:
    label: str
    cells: Sequence[Cell]  # one per measure


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.4f}"


def _attributes(**values: str | float) -> str:
    return "".join(f" {name.replace('_', '-')}={quoteattr(v if isinstance(v, str) else _number(v))}"
                   for name, v in values.items() if v != "")


class _Drawing:
    """An SVG document, element by element; `top` is where the plot starts, under the title and legend."""

    def __init__(self, chart: str, title: str, height: float, top: float = _TOP) -> None:
        self.height = height
        self.top = top
        self.parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_number(height)}" '
                      f'viewBox="0 0 {WIDTH} {_number(height)}" role="img" aria-label={quoteattr(title)} '
                      f'data-chart={quoteattr(chart)} font-family="Helvetica, Arial, sans-serif" font-size="12">',
                      f'<rect x="0" y="0" width="{WIDTH}" height="{_number(height)}" fill="#ffffff"/>']
        self.text(8, 20, title, font_size=14, font_weight="bold")

    def add(self, tag: str, **values: str | float) -> None:
        self.parts.append(f"<{tag}{_attributes(**values)}/>")

    def text(self, x: float, y: float, words: str, **values: str | float) -> None:
        attributes = {"x": x, "y": y, "fill": _INK, **values}
        self.parts.append(f"<text{_attributes(**attributes)}>{escape(words)}</text>")

    def marker(self, shape: str, x: float, y: float, colour: str, **data: str | float) -> None:
        """A point drawn in its series' shape, so lines are told apart without colour."""
        if shape == "circle":
            self.add("circle", cx=x, cy=y, r=3.5, fill=colour, **data)
        elif shape == "square":
            self.add("rect", x=x - 3.5, y=y - 3.5, width=7, height=7, fill=colour, **data)
        elif shape == "cross":
            self.add("polyline", points=f"{x - 4},{y - 4} {x + 4},{y + 4} {x},{y} {x - 4},{y + 4} {x + 4},{y - 4}",
                     fill="none", stroke=colour, stroke_width=2, **data)
        else:
            corners = ((0, -4.5), (4.5, 3.5), (-4.5, 3.5)) if shape == "triangle" else (
                (0, -4.5), (4.5, 0), (0, 4.5), (-4.5, 0))
            self.add("polygon", points=" ".join(f"{x + dx},{y + dy}" for dx, dy in corners), fill=colour, **data)

    def legend(self, series: Sequence[Series], line: bool) -> None:
        """Under the title: each series' swatch (or line and marker) and name, in as many rows as they need."""
        for s, (x, y) in zip(series, _legend_places(series), strict=True):
            if line:
                self.add("line", x1=x, y1=y - 4, x2=x + 24, y2=y - 4, stroke=s.colour, stroke_width=2,
                         stroke_dasharray=s.dash)
                self.marker(s.marker, x + 12, y - 4, s.colour)
            else:
                self.add("rect", x=x + 6, y=y - 10, width=12, height=12, fill=s.colour, stroke=_INK, stroke_width=0.5)
            self.text(x + 30, y, s.name)

    def document(self) -> str:
        return "\n".join([*self.parts, "</svg>"]) + "\n"


def _legend_width(s: Series) -> float:
    return 30 + 6.5 * len(s.name) + 18  # the swatch, the name (about 6.5 per letter at 12) and a gap


def _legend_places(series: Sequence[Series]) -> list[tuple[float, float]]:
    """Where each series' legend entry starts: left to right under the title, on a new row at the right edge."""
    places: list[tuple[float, float]] = []
    x, y = 8.0, _LEGEND_Y
    for s in series:
        if x > 8 and x + _legend_width(s) > WIDTH:
            x, y = 8.0, y + _LEGEND_ROW
        places.append((x, y))
        x += _legend_width(s)
    return places


def _plotted(chart: str, title: str, series: Sequence[Series]) -> _Drawing:
    """A drawing for columns or lines, tall enough for its legend's rows."""
    top = _TOP + max((y for _, y in _legend_places(series)), default=_LEGEND_Y) - _LEGEND_Y
    return _Drawing(chart, title, top + PLOT_HEIGHT + _BOTTOM, top)


def nice_top(largest: float) -> tuple[float, float]:
    """An axis's top and step: 1, 2 or 5 times a power of ten, in at most five steps above `largest`."""
    if largest <= 0:
        return 1, 1
    power = 10 ** math.floor(math.log10(largest / 5)) if largest >= 5 else 1
    for factor in (1, 2, 5, 10):
        step = factor * power
        if largest <= 5 * step:
            return step * math.ceil(largest / step), step
    raise AssertionError("unreachable: 10 * power covers any value")


def _axis(drawing: _Drawing, top: float, step: float, label: Callable[[float], str]) -> Callable[[float], float]:
    """Horizontal grid lines with their values on the left; returns value -> y."""
    bottom, height = drawing.height - _BOTTOM, drawing.height - _BOTTOM - drawing.top

    def y(value: float) -> float:
        return round(bottom - height * value / top, 2)

    tick = 0.0
    while tick <= top + step / 2:
        drawing.add("line", x1=_LEFT, y1=y(tick), x2=WIDTH - _RIGHT, y2=y(tick), stroke=_GRID, stroke_width=1)
        drawing.text(_LEFT - 6, y(tick) + 4, label(tick), text_anchor="end", font_size=10, fill=_MUTED)
        tick += step
    return y


def _x_labels(drawing: _Drawing, labels: Sequence[str]) -> Callable[[int], float]:
    """Each label under the middle of its slot; returns index -> the slot's middle x."""
    slot = (WIDTH - _LEFT - _RIGHT) / max(len(labels), 1)

    def x(index: int) -> float:
        return round(_LEFT + slot * (index + 0.5), 2)

    for i, label in enumerate(labels):
        drawing.text(x(i), drawing.height - _BOTTOM + 16, label, text_anchor="middle")
    return x


def columns(chart: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Counts per label, the series side by side, each count written above its column."""
    drawing = _plotted(chart, title, series)
    drawing.legend(series, line=False)
    top, step = nice_top(max((v for s in series for v in s.values if v is not None), default=0))
    y = _axis(drawing, top, step, lambda v: f"{v:g}")
    x = _x_labels(drawing, labels)
    slot = (WIDTH - _LEFT - _RIGHT) / max(len(labels), 1)
    width = slot * 0.8 / max(len(series), 1)
    for i, label in enumerate(labels):
        for j, s in enumerate(series):
            value = s.values[i]
            left = round(x(i) - slot * 0.4 + j * width, 2)
            if value is None:
                continue
            drawing.add("rect", x=left, y=y(value), width=round(width - 1, 2), height=round(y(0) - y(value), 2),
                        fill=s.colour, stroke=_INK, stroke_width=0.5, data_series=s.key, data_label=label,
                        data_value=value)
            drawing.text(left + width / 2, y(value) - 3, f"{value:g}", text_anchor="middle", font_size=10)
    return drawing.document()


def lines(chart: str, title: str, labels: Sequence[str], series: Sequence[Series],
          value_text: Callable[[float], str]) -> str:
    """Shares from 0 to 1 per label, one line per series; a line breaks where there is nothing to measure."""
    drawing = _plotted(chart, title, series)
    drawing.legend(series, line=True)
    y = _axis(drawing, 1, 0.25, value_text)
    x = _x_labels(drawing, labels)
    for s in series:
        points = [(i, v) for i, v in enumerate(s.values) if v is not None]
        runs: list[list[tuple[int, float]]] = []
        for i, v in points:
            if runs and runs[-1][-1][0] == i - 1:
                runs[-1].append((i, v))
            else:
                runs.append([(i, v)])
        for run in (r for r in runs if len(r) > 1):
            drawing.add("polyline", points=" ".join(f"{x(i)},{y(v)}" for i, v in run), fill="none",
                        stroke=s.colour, stroke_width=2, stroke_dasharray=s.dash)
        for i, v in points:
            drawing.marker(s.marker, x(i), y(v), s.colour, data_series=s.key, data_label=labels[i], data_value=v)
    return drawing.document()


_LABEL_WIDTH, _ROW = 220, 22


def bars(chart: str, title: str, measures: Sequence[Measure], rows: Sequence[Row], empty: str) -> str:
    """One row per label, a bar per measure in its own column with its text after it; `empty` when no rows."""
    height = _TOP + _ROW * max(len(rows), 1) + 12
    drawing = _Drawing(chart, title, height)
    panel = (WIDTH - _LABEL_WIDTH - _RIGHT) / max(len(measures), 1)
    for m, measure in enumerate(measures):
        drawing.text(_LABEL_WIDTH + m * panel, _TOP - 10, measure.name, font_weight="bold")
    if not rows:
        drawing.text(8, _TOP + 14, empty, fill=_MUTED)
    fulls = [m.full or max((r.cells[i].value or 0 for r in rows), default=0) or 1 for i, m in enumerate(measures)]
    for r, row in enumerate(rows):
        top = _TOP + r * _ROW
        label = row.label if len(row.label) <= 34 else row.label[:32] + "..."
        drawing.text(8, top + 15, label)
        for m, (measure, cell) in enumerate(zip(measures, row.cells, strict=True)):
            left = _LABEL_WIDTH + m * panel
            length = round((panel - 110) * (cell.value or 0) / fulls[m], 2)
            if cell.value is not None:
                drawing.add("rect", x=left, y=top + 4, width=max(length, 1), height=_ROW - 8, fill=cell.colour,
                            stroke=_INK, stroke_width=0.5, data_series=measure.key, data_label=row.label,
                            data_value=cell.value)
            drawing.text(left + length + 6, top + 15, cell.text, font_size=11)
    return drawing.document()
