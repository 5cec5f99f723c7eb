"""A monitoring period: a year, or one month of it, counted on each region's own clock (WIB, WITA, WIT).

Monitors report per month and per year (laporan bulanan, laporan tahunan). A report
belongs to the period in which its region's local calendar received it, so a report
that reached Jayapura at 01:00 WIT on 1 March is March's, though it was still
February in Jakarta.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hub.sla.calendar import local_zone
from simpul.errors import InvalidInput

FIRST_YEAR = 2000
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
# Indonesia's clocks run from WIB (+7) to WIT (+9): a period starts first in WIT and ends last in WIB.
_FIRST, _LAST = timezone(timedelta(hours=9)), timezone(timedelta(hours=7))
ZONE_NAMES = {7: "WIB", 8: "WITA", 9: "WIT"}


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None  # None: the whole year

    @classmethod
    def asked(cls, year: int, month: int | None, now: datetime) -> Period:
        """A period a caller asked for; InvalidInput names what is wrong with it."""
        if not FIRST_YEAR <= year <= now.year + 1:
            raise InvalidInput(f"year must be between {FIRST_YEAR} and {now.year + 1}, not {year}")
        if month is not None and not 1 <= month <= 12:
            raise InvalidInput(f"month must be between 1 and 12, not {month}")
        return cls(year, month)

    def _start(self, zone: timezone) -> datetime:
        return datetime(self.year, self.month or 1, 1, tzinfo=zone)

    def _end(self, zone: timezone) -> datetime:
        if self.month is None or self.month == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=zone)
        return datetime(self.year, self.month + 1, 1, tzinfo=zone)

    def window(self) -> tuple[datetime, datetime]:
        """The instants around the period in every region: what to ask the database for before `contains`."""
        return self._start(_FIRST), self._end(_LAST)

    def end(self, region_code: str) -> datetime:
        """The first instant after the period on `region_code`'s clock."""
        return self._end(local_zone(region_code))

    def contains(self, moment: datetime, region_code: str) -> bool:
        """Whether `moment` falls in the period on `region_code`'s local calendar."""
        zone = local_zone(region_code)
        return self._start(zone) <= moment < self._end(zone)

    @property
    def label(self) -> str:
        """2026, or 2026-03: the period in file names and the CSV."""
        return str(self.year) if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def title(self) -> str:
        """Tahunan 2026, or Bulanan Maret 2026: the period as the report's title says it."""
        return f"Tahunan {self.year}" if self.month is None else f"Bulanan {MONTHS[self.month - 1]} {self.year}"

    @property
    def file_stem(self) -> str:
        """laporan-tahunan or laporan-bulanan."""
        return "laporan-tahunan" if self.month is None else "laporan-bulanan"


def period_asked(year: int | None, month: int | None, now: datetime) -> Period | None:
    """The period a caller asked for: a year, a month of one, or None (every report held) when neither."""
    if year is None:
        if month is not None:
            raise InvalidInput("month needs a year, e.g. year: 2026, month: 3")
        return None
    return Period.asked(year, month, now)


def local_time(moment: datetime, region_code: str) -> str:
    """`moment` as the region reads its clocks: 2026-12-04 09:30 WITA."""
    zone = local_zone(region_code)
    offset = zone.utcoffset(None) // timedelta(hours=1)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {ZONE_NAMES[offset]}"
