"""Calendars for every year: the holidays package's Indonesian calendar behind admin-loaded years, and the
hub setting that says whether cuti bersama are days off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from hub.access.principal import Principal, Role
from hub.settings import HubSettings
from hub.sla.calendar import load_calendar, package_holidays
from hub.sla.clocks import SlaDays
from hub.sla.holidays import load_year
from tests.hub import ledger_rows

LOADER = Principal(role=Role.ADMIN, name="tests")


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64", "64.08")):
        yield hub_pool


async def test_a_2021_report_is_timed_with_the_packages_national_holidays(pool: asyncpg.Pool) -> None:
    calendar = await load_calendar(pool)
    assert not calendar.is_working_day(date(2021, 8, 17))  # Hari Kemerdekaan, a Tuesday
    assert calendar.add_working_days(date(2021, 8, 16), 1) == date(2021, 8, 18)
    # Idulfitri 1442 H: cuti bersama on the 12th, then the 13th and 14th; the next working day is Monday.
    assert calendar.add_working_days(date(2021, 5, 11), 1) == date(2021, 5, 17)
    for year in (2019, 2020, 2022):
        assert package_holidays(year), year


async def test_an_admin_loaded_year_overrides_the_package(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await load_year(conn, LOADER, 2021, [(date(2021, 1, 1), "Tahun Baru 2021 Masehi")], "file libur-2021.csv")
    calendar = await load_calendar(pool)
    assert not calendar.is_working_day(date(2021, 1, 1))
    assert calendar.is_working_day(date(2021, 8, 17))  # not in the loaded file: a working day for the clock


async def test_the_hub_setting_makes_cuti_bersama_working_days(pool: asyncpg.Pool) -> None:
    default = SlaDays.from_settings(HubSettings())
    assert default.cuti_bersama_days_off  # today's behaviour: cuti bersama are days off
    assert not (await load_calendar(pool, default.cuti_bersama_days_off)).is_working_day(date(2021, 5, 12))
    flipped = SlaDays.from_settings(HubSettings(cuti_bersama_days_off=False))
    calendar = await load_calendar(pool, flipped.cuti_bersama_days_off)
    assert calendar.is_working_day(date(2021, 5, 12))  # Cuti Bersama Hari Raya Idul Fitri
    assert not calendar.is_working_day(date(2021, 5, 13))  # Idulfitri itself stays a holiday
    assert (await load_calendar(pool, False)).is_working_day(date(2026, 3, 18))  # lokal-id's cuti bersama too
