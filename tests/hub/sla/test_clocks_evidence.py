"""Whose clock and whose time: a follow-up is a tanggapan, a new holder starts afresh, the holder's calendar counts,
a permintaan informasi runs on the KIP clock, and every complaint on the 60-day outer limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import asyncpg
import lokal
import pytest

from hub.sla.calendar import Calendar, lokal_holidays
from hub.sla.clocks import CLOCKS, ReportClock, SlaDays, Stage, StageClock, stage_clocks
from simpul.wire import ReportKind, ReportStatus
from tests.hub import ledger_rows

WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))
RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=WITA)  # a Monday


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64", "64.08")):
        yield hub_pool


def lokal_calendar() -> Calendar:
    return Calendar({y: [d for d, _ in lokal_holidays(y)] for y in lokal.HOLIDAY_YEARS}, {})


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=WITA)


async def _event(pool: asyncpg.Pool, tracking_number: str, type: str, at: datetime, node: str,
                 status: str | None = None, note: str | None = None) -> None:
    await pool.execute("INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)"
                       " VALUES ($1, $2, $3, $4, $5, $6, true)", tracking_number, at, type, node, status, note)


async def _clocks(pool: asyncpg.Pool, tracking_number: str) -> dict[Stage, StageClock]:
    report = ReportClock.from_row(await pool.fetchrow(CLOCKS + " WHERE l.tracking_number = $1", tracking_number))
    return {c.stage: c for c in stage_clocks(report, lokal_calendar(), SlaDays())}


async def test_in_process_without_a_note_leaves_the_follow_up_overdue(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-CLICK", _at(2), status="IN_PROCESS", followed_up_at=_at(3))
    await _event(pool, "LPR-CLICK", "STATUS", _at(3), "64.08", "IN_PROCESS")

    follow_up = (await _clocks(pool, "LPR-CLICK"))[Stage.FOLLOW_UP]

    assert follow_up.done_at is None
    assert follow_up.passed(_at(12))

    await _event(pool, "LPR-CLICK", "STATUS", _at(4), "64.08", "IN_PROCESS", note="Petugas sudah ke lokasi")
    assert (await _clocks(pool, "LPR-CLICK"))[Stage.FOLLOW_UP].done_at == _at(4)


async def test_a_reassigned_report_restarts_its_follow_up_clock_at_the_new_unit(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-MOVED", _at(2), holder="64", status="IN_PROCESS", followed_up_at=_at(3))
    await _event(pool, "LPR-MOVED", "STATUS", _at(3), "64.08", "IN_PROCESS", note="Ditangani")
    await _event(pool, "LPR-MOVED", "REASSIGNED", _at(9), "64")
    await _event(pool, "LPR-MOVED", "DELIVERED", _at(10), "64")

    follow_up = (await _clocks(pool, "LPR-MOVED"))[Stage.FOLLOW_UP]

    assert follow_up.started_at == _at(10)  # the old unit's tanggapan is not the new unit's
    assert follow_up.done_at is None
    assert follow_up.deadline == datetime(2026, 11, 18, tzinfo=WITA)  # Tue 10 + 5 working days


async def test_the_clock_runs_in_the_holding_units_zone_not_the_reports_region(pool: asyncpg.Pool) -> None:
    # A Papua (WIT) report held by Kutai Timur (WITA): Kutai Timur's midnight ends its days.
    await ledger_rows.add_report(pool, "LPR-PAPUA", _at(2), region="91.01")
    clocks = await _clocks(pool, "LPR-PAPUA")
    assert clocks[Stage.FOLLOW_UP].deadline == datetime(2026, 11, 10, tzinfo=WITA)
    assert clocks[Stage.FOLLOW_UP].deadline != datetime(2026, 11, 10, tzinfo=WIT)


def _request(**fields: object) -> ReportClock:
    base: dict[str, object] = dict(
        tracking_number="LPR-INFO0001", region_code="64.08", holder="64.08", status=ReportStatus.IN_PROCESS,
        received_at=RECEIVED, verified_at=None, follow_up_from=RECEIVED, followed_up_at=None, completed_at=None,
        kind=ReportKind.INFORMASI, file_complete_at=RECEIVED)
    return ReportClock(**{**base, **fields})  # type: ignore[arg-type]


def _on_working_day(n: int) -> datetime:
    return datetime.combine(lokal.add_working_days(RECEIVED.date(), n), RECEIVED.time(), WITA).replace(hour=15)


def _answer(request: ReportClock) -> StageClock:
    clocks = stage_clocks(request, lokal_calendar(), SlaDays())
    assert [c.stage for c in clocks] == [Stage.INFORMATION]  # the KIP clock alone, not the complaint stages
    return clocks[0]


def test_an_information_request_answered_on_working_day_9_is_on_time() -> None:
    assert _answer(_request(information_answered_at=_on_working_day(9))).on_time


def test_an_information_request_extended_by_7_with_a_reason_is_on_time_on_working_day_16() -> None:
    assert _answer(_request(information_extension_days=7, information_answered_at=_on_working_day(16))).on_time


def test_an_information_request_answered_on_working_day_11_without_extension_is_late() -> None:
    answer = _answer(_request(information_answered_at=_on_working_day(11)))
    assert answer.on_time is False
    assert answer.deadline == datetime.combine(lokal.add_working_days(RECEIVED.date(), 11), datetime.min.time(), WITA)


def test_an_objection_gives_the_ppids_superior_30_working_days_to_answer() -> None:
    refused = _on_working_day(5)
    objected = _on_working_day(8)
    clocks = stage_clocks(_request(information_answered_at=refused, objected_at=objected), lokal_calendar(),
                          SlaDays())
    objection = {c.stage: c for c in clocks}[Stage.OBJECTION]
    last_day = lokal.add_working_days(objected.date(), 30)
    assert objection.deadline == datetime.combine(last_day + timedelta(days=1), datetime.min.time(), WITA)
    assert objection.passed(objection.deadline)
    assert not objection.passed(objection.deadline - timedelta(minutes=1))


def test_a_complaint_not_settled_within_60_days_of_its_complete_file_is_overdue() -> None:
    complaint = _request(kind=ReportKind.PENGADUAN, followed_up_at=_at(3))
    outer = {c.stage: c for c in stage_clocks(complaint, lokal_calendar(), SlaDays())}[Stage.OUTER_LIMIT]
    assert outer.deadline == datetime(2027, 1, 2, tzinfo=WITA)  # 60 calendar days after 2 November
    assert not outer.passed(datetime(2027, 1, 1, 23, tzinfo=WITA))
    assert outer.passed(datetime(2027, 1, 2, 0, 1, tzinfo=WITA))
    settled = stage_clocks(complaint.__class__(**{**complaint.__dict__, "settled_at": _at(30)}), lokal_calendar(),
                           SlaDays())
    assert {c.stage: c for c in settled}[Stage.OUTER_LIMIT].on_time


async def test_the_outer_limit_runs_from_the_end_of_the_last_tunda(pool: asyncpg.Pool) -> None:
    await ledger_rows.add_report(pool, "LPR-TUNDA", _at(2), status="ON_HOLD")
    await _event(pool, "LPR-TUNDA", "STATUS", _at(3), "64.08", "ON_HOLD", note="Lengkapi alamat")
    assert Stage.OUTER_LIMIT not in await _clocks(pool, "LPR-TUNDA")  # the file is not complete yet
    await _event(pool, "LPR-TUNDA", "STATUS", _at(9), "64.08", "VERIFIED")
    await pool.execute("UPDATE ledger SET status = 'VERIFIED' WHERE tracking_number = 'LPR-TUNDA'")
    outer = (await _clocks(pool, "LPR-TUNDA"))[Stage.OUTER_LIMIT]
    assert outer.started_at == _at(9)
    assert outer.deadline == datetime(2027, 1, 9, tzinfo=WITA)


def test_the_outer_limit_ends_at_selesai_not_at_the_answer() -> None:
    # Answered on day 55: selesai comes only after the reporter's 10 working days, past the 60 days.
    answered = RECEIVED + timedelta(days=55)
    complaint = _request(kind=ReportKind.PENGADUAN, status=ReportStatus.COMPLETED, followed_up_at=answered,
                         completed_at=answered)
    outer = {c.stage: c for c in stage_clocks(complaint, lokal_calendar(), SlaDays())}[Stage.OUTER_LIMIT]
    assert outer.done_at == datetime.combine(lokal.add_working_days(answered.date(), 10) + timedelta(days=1),
                                             datetime.min.time(), WITA)
    assert outer.on_time is False
    assert outer.passed(datetime(2027, 1, 3, tzinfo=WITA))
