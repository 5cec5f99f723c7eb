"""Selesai as the rule says, over real processes: a reporter's reply reopens a report; an answer that stands
10 working days with no reply makes it selesai, once, whichever hub replica sees it first."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from hub.settings import SCHEMA
from simpul.db.pool import create_pool
from tests.federation import (
    Desk,
    Federation,
    Hub,
    eventually,
    graphql,
    node_graphql,
    start_desk,
    start_hub,
    submit,
)

TRACK = "query T($t: String!) { trackReport(trackingNumber: $t) { status settledAt timeline { event status note } } }"
REPLY = """
mutation R($t: String!, $text: String!) {
  replyToReport(trackingNumber: $t, text: $text) { status settledAt timeline { event status note } } }
"""
SUBMIT = "mutation S($r: SubmitReportInput!) { submitReport(report: $r) { trackingNumber } }"
ANSWER = "Jalan sudah ditambal pada 3 Desember."


@pytest.fixture
def kaltim(database: str, tmp_path: Path) -> Iterator[Federation]:
    """Two replicas of one hub on one database, settling every 0.2 s, and the Kaltim desk."""
    running = Federation(start_hub(database, tmp_path, "--deadline-interval", "0.2"))
    replica: Hub | None = None
    try:
        replica = start_hub(database, tmp_path, "--deadline-interval", "0.2")
        running.desks["64"] = start_desk(running.hub, tmp_path, "64", "64", "PROVINSI")
        yield running
    finally:
        running.stop()
        if replica is not None:
            replica.process.stop()


async def public(session: aiohttp.ClientSession, hub: Hub, query: str, **variables: Any) -> dict[str, Any]:
    return await graphql(session, hub.graphql_url, query, variables, headers={})


async def set_status(session: aiohttp.ClientSession, desk: Desk, report_id: str, status: str,
                     note: str | None = None) -> None:
    async with session.post(f"{desk.url}/reports/{report_id.split(':')[1]}/status",
                            json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def hub_status(session: aiohttp.ClientSession, hub: Hub, number: str, status: str) -> dict[str, Any]:
    """The report as trackReport tells it, once the hub has learnt it is `status`."""
    async def reached() -> dict[str, Any] | None:
        report: dict[str, Any] | None = (await public(session, hub, TRACK, t=number))["data"]["trackReport"]
        return report if report and report["status"] == status else None
    found: dict[str, Any] = await eventually(reached)
    return found


DESK_REPORT = "query One($id: ID!) { report(id: $id) { status timeline { status actor note } } }"


async def answered_report(session: aiohttp.ClientSession, fed: Federation) -> dict[str, Any]:
    """A report entered at the Kaltim desk and answered there (its tanggapan posted), as the hub knows it."""
    desk = fed.desks["64"]
    created = await submit(session, desk, region_code="64.08")
    await set_status(session, desk, created["id"], "VERIFIED")
    await set_status(session, desk, created["id"], "IN_PROCESS")
    await hub_status(session, fed.hub, created["trackingNumber"], "IN_PROCESS")
    await set_status(session, desk, created["id"], "COMPLETED", ANSWER)
    await hub_status(session, fed.hub, created["trackingNumber"], "COMPLETED")
    return created


STATS = """
query Selesai($scope: Scope) {
  national: stats(groupBy: [STATUS]) { total selesai }
  node: stats(groupBy: [], scope: $scope) { total selesai }
  live: stats(groupBy: [], scope: $scope, live: true) { selesai }
}
"""


async def selesai_counts(session: aiohttp.ClientSession, hub: Hub) -> tuple[int, int]:
    """stats' selesai, national (index_counts) and for the Kaltim desk alone (a ledger count); null when live."""
    body = await graphql(session, hub.graphql_url, STATS, {"scope": {"nodeCodes": ["64"]}})
    assert "errors" not in body, body
    assert body["data"]["live"]["selesai"] is None, "a node does not know the hub's selesai"
    return body["data"]["national"]["selesai"], body["data"]["node"]["selesai"]


def errors(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


async def test_a_reporters_reply_reopens_the_report(kaltim: Federation) -> None:
    async with aiohttp.ClientSession() as session:
        desk = kaltim.desks["64"]
        waiting = await submit(session, desk, region_code="64.08")
        await hub_status(session, kaltim.hub, waiting["trackingNumber"], "RECEIVED")
        early = await public(session, kaltim.hub, REPLY, t=waiting["trackingNumber"], text="Kapan diperbaiki?")
        assert errors(early) == [f"report {waiting['trackingNumber']} has no answer (tanggapan) to reply to: it is "
                                 "RECEIVED; a reply is possible once the unit has posted its answer"]

        created = await answered_report(session, kaltim)
        number = created["trackingNumber"]
        assert errors(await public(session, kaltim.hub, REPLY, t="LPR-NOSUCHNO", text="Halo")) == [
            "no report with tracking number 'LPR-NOSUCHNO'"]
        for bad in ("   ", "x" * 5001):
            assert errors(await public(session, kaltim.hub, REPLY, t=number, text=bad)) == [
                "a reply must be 1 to 5000 characters"]

        body = await public(session, kaltim.hub, REPLY, t=f" {number} ", text="Belum, lubangnya masih ada.")

        assert "errors" not in body, body
        reopened = body["data"]["replyToReport"]
        assert reopened["status"] == "IN_PROCESS" and reopened["settledAt"] is None
        # The reporter sees the reply in the timeline, not its words (a timeline shows only the unit's answers).
        assert reopened["timeline"][-1] == {"event": "REPLIED", "status": "IN_PROCESS", "note": None}
        assert (await public(session, kaltim.hub, TRACK, t=number))["data"]["trackReport"]["status"] == "IN_PROCESS"
        # The reply reaches the unit holding the report (the outbox's REPLY delivery): open there too, with the text.
        async def reopened_at_desk() -> dict[str, Any] | None:
            found: dict[str, Any] = (await node_graphql(session, desk, DESK_REPORT, {"id": created["id"]}))["data"]
            return found["report"] if found["report"]["status"] == "IN_PROCESS" else None
        at_desk = await eventually(reopened_at_desk)
        assert at_desk["timeline"][-1] == {"status": "IN_PROCESS", "actor": "pelapor",
                                           "note": "Belum, lubangnya masih ada."}
        again = await public(session, kaltim.hub, REPLY, t=number, text="Halo?")
        assert errors(again) == [f"report {number} has no answer (tanggapan) to reply to: it is IN_PROCESS; "
                                 "a reply is possible once the unit has posted its answer"]


async def test_ten_working_days_of_silence_close_once_across_two_hub_replicas(
    kaltim: Federation, database: str
) -> None:
    async with aiohttp.ClientSession() as session:
        number = (await answered_report(session, kaltim))["trackingNumber"]
        answered = await selesai_counts(session, kaltim.hub)
        pool: asyncpg.Pool = await create_pool(database, SCHEMA, max_size=2)
        try:
            # The answer was posted a month ago: both replicas' closing jobs find its window passed.
            await pool.execute("UPDATE ledger SET completed_at = completed_at - interval '30 days'"
                               " WHERE tracking_number = $1", number)

            settled = await eventually(lambda: pool.fetchval(
                "SELECT settled_at FROM ledger WHERE tracking_number = $1", number))

            tracked = (await public(session, kaltim.hub, TRACK, t=number))["data"]["trackReport"]
            assert tracked["status"] == "COMPLETED" and tracked["settledAt"] is not None
            assert [e["event"] for e in tracked["timeline"]].count("SETTLED") == 1
            # stats counts it selesai: nationally from the index's kept counts, for one node from the ledger itself
            assert await selesai_counts(session, kaltim.hub) == tuple(n + 1 for n in answered)
            late = await public(session, kaltim.hub, REPLY, t=number, text="Masih rusak.")
            assert errors(late) == [f"report {number} is selesai since {settled.isoformat()}: it went 10 working "
                                    "days after the answer without a reply; a new matter needs a new report"]
            # Each replica has looked again several times since (every 0.2 s): still one settlement, one audit entry.
            await asyncio.sleep(1)
            assert await pool.fetchval("SELECT count(*) FROM ledger_events WHERE tracking_number = $1"
                                       " AND type = 'SETTLED'", number) == 1
            assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'REPORT_SETTLED'"
                                       " AND target = $1", f"report {number}") == 1
        finally:
            await pool.close()


async def test_a_reply_at_the_desks_track_page_reopens_the_report_at_the_hub(kaltim: Federation) -> None:
    async with aiohttp.ClientSession() as session:
        desk = kaltim.desks["64"]
        created = await answered_report(session, kaltim)
        number = created["trackingNumber"]

        async with session.post(f"{desk.url}/track/{number}/reply", data={"text": "Masih berlubang."}) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["status"] == "IN_PROCESS"

        # The desk's feed tells the hub: the report is open again there, and no closing job will settle it.
        tracked = await hub_status(session, kaltim.hub, number, "IN_PROCESS")
        assert tracked["settledAt"] is None
        async with session.post(f"{desk.url}/track/{number}/reply", data={"text": "Halo?"}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == (
                "this report has no answer (tanggapan) to reply to: it is IN_PROCESS; a reply is possible once "
                "the unit has posted its answer")


async def test_a_reply_at_the_hub_reaches_the_unit_a_hub_door_report_was_delivered_to(kaltim: Federation) -> None:
    async with aiohttp.ClientSession() as session:
        desk = kaltim.desks["64"]
        submitted = await public(session, kaltim.hub, SUBMIT, r={
            "kind": "PENGADUAN", "title": "Lampu jalan mati", "body": "Lampu di Jl. Pahlawan mati.",
            "category": "infrastruktur", "regionCode": "64.72", "reporterContact": "081234500099"})
        number = submitted["data"]["submitReport"]["trackingNumber"]
        await hub_status(session, kaltim.hub, number, "RECEIVED")

        async def delivered() -> bool:
            async with session.post(f"{desk.url}/reports/{number}/status", json={"status": "VERIFIED"},
                                    headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
                return response.status == 200
        await eventually(delivered)
        await set_status(session, desk, f"64:{number}", "IN_PROCESS")
        await set_status(session, desk, f"64:{number}", "COMPLETED", ANSWER)
        await hub_status(session, kaltim.hub, number, "COMPLETED")

        body = await public(session, kaltim.hub, REPLY, t=number, text="Lampu masih mati.")

        assert body["data"]["replyToReport"]["status"] == "IN_PROCESS", body
        async def reopened_at_desk() -> bool:
            async with session.get(f"{desk.url}/track/{number}") as response:
                return bool((await response.json())["status"] == "IN_PROCESS")
        await eventually(reopened_at_desk)
