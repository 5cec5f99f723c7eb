"""The holiday calendar admins keep: whole national years loaded from a file, and single days added by hand.

lokal-id ships the national calendar (libur nasional and cuti bersama) for a
few years, and the `holidays` package computes it for the others (1946-2100).
An admin loads a year from a CSV of `date,name` lines to replace either (an
isbat moved a holiday, a cuti bersama was decreed late), or to give a year
neither covers.
National days are changed by national admins only; a regional admin adds
local holidays (a kabupaten's anniversary) for its own region subtree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import asyncpg
import lokal

from hub.access.principal import Principal
from hub.audit import record
from hub.regions import region_name
from hub.sla.calendar import SlaCalendarMissing, lokal_holidays, package_holidays
from simpul.errors import InvalidInput
from simpul.wire import check_region_code, in_region

LOKAL_SOURCE = "lokal-id"
PACKAGE_SOURCE = "holidays package"
FIRST_YEAR, LAST_YEAR = 1900, 2200  # as holiday_years allows


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    region_prefix: str  # '' national
    source: str  # lokal-id, or who added or loaded it


def parse_holiday_csv(text: str, year: int, source: str) -> list[tuple[date, str]]:
    """`date,name` lines (an optional `date,name` header, blank lines allowed) of one year.

    Raises InvalidInput naming the first bad line. Two names on one day are joined.
    """
    names: dict[date, str] = {}
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        where = f"{source} line {number}"
        if not fields or not "".join(fields).strip():
            continue
        if number == 1 and [f.strip().lower() for f in fields] == ["date", "name"]:
            continue
        if len(fields) != 2:
            raise InvalidInput(f"{where}: expected 'date,name', found {len(fields)} fields")
        raw_day, name = fields[0].strip(), fields[1].strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise InvalidInput(f"{where}: {raw_day!r} is not a date (YYYY-MM-DD)") from None
        if len(raw_day) != 10:
            raise InvalidInput(f"{where}: {raw_day!r} is not a date (YYYY-MM-DD)")
        if day.year != year:
            raise InvalidInput(f"{where}: {raw_day} is not in {year}")
        _check_name(name, where)
        names[day] = f"{names[day]}; {name}" if day in names else name
    if not names:
        raise InvalidInput(f"{source} lists no holidays for {year}")
    return sorted(names.items())


def _check_name(name: str, where: str) -> None:
    if not name or len(name) > 200 or "\x00" in name:
        raise InvalidInput(f"{where}: a holiday's name must be 1 to 200 characters")


async def load_year(
    conn: asyncpg.Connection, loader: Principal, year: int, holidays: list[tuple[date, str]], source: str
) -> None:
    """Make `holidays` the whole national calendar of `year`, in one transaction."""
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM holidays WHERE region_prefix = '' AND day BETWEEN $1 AND $2",
            date(year, 1, 1), date(year, 12, 31))
        await conn.executemany(
            "INSERT INTO holidays (region_prefix, day, name, created_by) VALUES ('', $1, $2, $3)",
            [(day, name, source) for day, name in holidays])
        await conn.execute(
            "INSERT INTO holiday_years (year, source) VALUES ($1, $2)"
            " ON CONFLICT (year) DO UPDATE SET source = excluded.source, loaded_at = now()", year, source)
        await record(conn, loader, "HOLIDAY_YEAR_LOADED", f"holidays {year}", "",
                     {"source": source, "days": len(holidays)})


def shipped_holidays(year: int) -> tuple[str, list[tuple[date, str]]] | None:
    """The national calendar simpul ships for `year` and where it is from: lokal-id's, else the holidays
    package's; None for a year neither covers."""
    if year in lokal.HOLIDAY_YEARS:
        return LOKAL_SOURCE, lokal_holidays(year)
    found = package_holidays(year)
    return None if found is None else (PACKAGE_SOURCE, found)


async def _national_known(conn: asyncpg.Connection | asyncpg.Pool, year: int) -> tuple[bool, bool]:
    """(whether `year` has a national calendar, whether an admin loaded it)."""
    loaded = bool(await conn.fetchval("SELECT true FROM holiday_years WHERE year = $1", year))
    return loaded or shipped_holidays(year) is not None, loaded


async def year_holidays(
    conn: asyncpg.Connection | asyncpg.Pool, year: int, region: str | None = None
) -> list[Holiday]:
    """Days off in `year`: national ones, then local ones in, above or below `region` (all without one).

    Raises SlaCalendarMissing when the year has no national calendar.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year must be between {FIRST_YEAR} and {LAST_YEAR}")
    known, loaded = await _national_known(conn, year)
    if not known:
        raise SlaCalendarMissing(year)
    shipped = None if loaded else shipped_holidays(year)
    found = [Holiday(day, name, "", shipped[0]) for day, name in shipped[1]] if shipped else []
    rows = await conn.fetch(
        "SELECT region_prefix, day, name, created_by FROM holidays WHERE day BETWEEN $1 AND $2",
        date(year, 1, 1), date(year, 12, 31))
    for row in rows:
        prefix = row["region_prefix"]
        if not prefix or region is None or in_region(region, prefix) or in_region(prefix, region):
            found.append(Holiday(row["day"], row["name"], prefix, row["created_by"]))
    return sorted(found, key=lambda h: (h.region_prefix != "", h.day, h.region_prefix))


def _scope(region_prefix: str) -> str:
    return f"region {region_prefix}" if region_prefix else "the national calendar"


def _check_prefix(admin: Principal, region_prefix: str, action: str) -> None:
    if region_prefix:
        check_region_code(region_prefix)
        if region_name(region_prefix) is None:
            raise InvalidInput(f"region {region_prefix} is not in the Kemendagri region tree")
    admin.require(region_prefix, action)


async def add_holiday(pool: asyncpg.Pool, admin: Principal, day: date, name: str, region_prefix: str) -> Holiday:
    """A day off for a region subtree, or ('') for the whole country by a national admin."""
    _check_prefix(admin, region_prefix, "add holidays")
    name = name.strip()
    _check_name(name, "name")
    if not region_prefix:
        known, loaded = await _national_known(pool, day.year)
        if not known:
            raise InvalidInput(f"{day.year} has no national calendar yet: load the whole year with "
                               f"`simpul holidays load --year {day.year} --file <csv>`")
        shipped = None if loaded else shipped_holidays(day.year)
        already = [n for d, n in shipped[1] if d == day] if shipped else []
        if shipped and already:
            raise InvalidInput(f"{day} is already a national holiday ({already[0]}, from the {shipped[0]})")
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO holidays (region_prefix, day, name, created_by) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING RETURNING created_by", region_prefix, day, name, admin.name)
        if row is None:
            raise InvalidInput(f"{day} is already a holiday in {_scope(region_prefix)}")
        await record(conn, admin, "HOLIDAY_ADDED", f"holiday {day.isoformat()}", region_prefix, {"name": name})
    return Holiday(day, name, region_prefix, row["created_by"])


async def remove_holiday(pool: asyncpg.Pool, admin: Principal, day: date, region_prefix: str) -> Holiday:
    """Make a day a working day again where an admin had made it a holiday."""
    _check_prefix(admin, region_prefix, "remove holidays")
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "DELETE FROM holidays WHERE region_prefix = $1 AND day = $2 RETURNING name, created_by",
            region_prefix, day)
        if row is not None:
            await record(conn, admin, "HOLIDAY_REMOVED", f"holiday {day.isoformat()}", region_prefix,
                         {"name": row["name"]})
    if row is not None:
        return Holiday(day, row["name"], region_prefix, row["created_by"])
    shipped = shipped_holidays(day.year) if not region_prefix else None
    if shipped and day in dict(shipped[1]):
        _, loaded = await _national_known(pool, day.year)
        if not loaded:
            raise InvalidInput(f"{day} comes from the {shipped[0]}'s calendar; to change it, load the whole year "
                               f"with `simpul holidays load --year {day.year} --file <csv>`")
    raise InvalidInput(f"{day} is not a holiday added to {_scope(region_prefix)}")
