"""A year month by month, for the dashboard's charts and the monitoring report's: reports received, what
became of them (selesai), and each stage's deadline kept.

Each month counts the reports its region's clock received in it (as the monthly report does), so
`selesai` is how many of that month's reports are selesai now, not how many became selesai in it.
The months come from one read of the ledger for the year (compliance.YearOfLedger), which a caller may
also draw the year's or a month's per-unit figures from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

import asyncpg

from hub.nodes.registry import NodeRecord
from hub.sla.clocks import SlaDays
from hub.sla.compliance import Handling, Untimed, YearOfLedger
from hub.sla.period import Period


@dataclass(frozen=True)
class MonthFigures:
    """One month of a series, summed over the units asked."""

    period: Period  # a month
    reports_received: int
    handling: Handling


async def year_series(
    pool: asyncpg.Pool, days: SlaDays, nodes: Sequence[NodeRecord], now: datetime, year: int,
    last_month: int = 12,
) -> tuple[list[MonthFigures], Untimed]:
    """The months of `year` up to `last_month` that have begun by `now` (a month not begun has nothing to show,
    not zero), each summed over `nodes`."""
    return series_of(await YearOfLedger.read(pool, days, nodes, year), now, last_month)


def series_of(read: YearOfLedger, now: datetime, last_month: int = 12) -> tuple[list[MonthFigures], Untimed]:
    """year_series from a year already read."""
    untimed = Untimed()
    months = read.monthly(now, untimed)
    series = []
    for number, figures in enumerate(months[:last_month], start=1):
        period = Period(read.year, number)
        if period.window()[0] > now:
            break
        series.append(MonthFigures(period, sum(f.reports_held for f in figures),
                                   reduce(lambda a, b: a + b, (f.handling for f in figures), Handling())))
    return series, untimed
