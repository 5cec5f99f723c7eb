"""The federation index: national reads answered from every node's feed, each report once, complete while nodes
are down, rebuildable, and right about a system's history from the first sight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.federation import (
    Desk,
    Federation,
    eventually,
    graphql,
    hub_key_file,
    hub_ok,
    restart_desk,
    run_cli,
    start_desk,
    start_hub,
    submit,
)

REPORTS = """
query Reports($first: Int!, $after: String, $filter: ReportFilter) {
  reports(first: $first, after: $after, filter: $filter) {
    reports { id node trackingNumber status source }
    pageInfo { hasNextPage endCursor }
    coverage { asked answered failed source asOf stale { node asOf lagSeconds reason } }
  }
}
"""
STATS = """
query Stats($live: Boolean! = false) {
  stats(groupBy: [STATUS], live: $live) {
    total buckets { status count }
    coverage { asked answered source asOf stale { node lagSeconds reason } }
  }
}
"""
HEALTH_REPORT = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang",
                 "body": "Puskesmas di Sangatta Utara tutup pukul 12 padahal jadwal sampai 14.",
                 "category": "kesehatan", "regionCode": "64.08"}
# The index's rows as a test compares them: what a national reader sees of each report.
INDEX_ROWS = """
SELECT origin_id, tracking_number, status, shown_node, holder_id, kind, category, region_code, received_at, chain
FROM hub.ledger ORDER BY origin_id
"""


async def _set_status(session: aiohttp.ClientSession, desk: Desk, local_id: str, status: str) -> None:
    note = "Sudah ditangani." if status in ("COMPLETED", "RETURNED") else None  # the desk asks a reason of these
    async with session.post(f"{desk.url}/reports/{local_id}/status", json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def _indexed(session: aiohttp.ClientSession, fed: Federation, tn: str) -> list[dict[str, Any]]:
    """Every row of the national index with tracking number `tn`."""
    data = await hub_ok(session, fed, REPORTS, {"first": 100})
    return [r for r in data["reports"]["reports"] if r["trackingNumber"] == tn]


async def test_a_forwarded_report_is_one_report_shown_at_its_holder_through_a_return_and_a_reroute(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kaltara, kutim, kaltim = federation.desks["65"], federation.desks["64.08"], federation.desks["64"]
    local = await submit(session, kaltara, title="Lampu jalan mati", regionCode="65.01")
    wrong_door = await submit(session, kaltara, **HEALTH_REPORT, reporterName="Siti Rahayu",
                              reporterContact="0812-5555-0199")
    tn = wrong_door["trackingNumber"]

    async def held_by(node: str) -> list[dict[str, Any]] | None:
        rows = await _indexed(session, federation, tn)
        return rows if [r["node"] for r in rows] == [node] else None

    [row] = await eventually(lambda: held_by("64.08"))
    assert row["id"].startswith("64.08:") and row["source"] == "INDEX"
    stats = (await hub_ok(session, federation, STATS))["stats"]
    assert stats["total"] == 2, stats  # the door's FORWARDED copy is the same report, not a second one
    live = (await hub_ok(session, federation, STATS, {"live": True}))["stats"]
    assert live["total"] == 3 and live["coverage"]["source"] == "LIVE", "live counts every node's copy"

    await _set_status(session, kutim, row["id"].split(":")[1], "RETURNED")  # bukan wewenang kabupaten
    [row] = await eventually(lambda: held_by("64"))
    assert row["id"].startswith("64:")
    for status in ("VERIFIED", "IN_PROCESS"):
        await _set_status(session, kaltim, row["id"].split(":")[1], status)

    async def in_process() -> dict[str, Any] | None:
        data = (await hub_ok(session, federation, STATS))["stats"]
        return data if {b["status"]: b["count"] for b in data["buckets"]}.get("IN_PROCESS") == 1 else None

    stats = await eventually(in_process)
    assert stats["total"] == 2 and {b["status"]: b["count"] for b in stats["buckets"]} == {
        "RECEIVED": 1, "IN_PROCESS": 1}
    everything = (await hub_ok(session, federation, REPORTS, {"first": 100}))["reports"]["reports"]
    assert sorted(r["trackingNumber"] for r in everything) == sorted([local["trackingNumber"], tn])
    conn = await asyncpg.connect(federation.hub.database_url)
    try:
        chain = await conn.fetchval("SELECT chain FROM hub.ledger WHERE tracking_number = $1", tn)
        identity = await conn.fetch("SELECT reporter_name, reporter_contact FROM hub.ledger")
        # Every unit that held it was given the reporter, carried in flight from the door that keeps it.
        given = {await conn.fetchval(f"SELECT reporter_contact FROM {schema}.reports WHERE tracking_number = $1",
                                     tn) for schema in ("desk_64_08", "desk_64")}
    finally:
        await conn.close()
    assert chain == ["65", "64.08", "64"]
    assert given == {"0812-5555-0199"}
    assert all(r["reporter_name"] is None and r["reporter_contact"] is None for r in identity), "none at the hub"


@pytest.mark.hub_flags("--stale-after", "2")
async def test_a_node_that_is_down_keeps_its_reports_in_national_answers_and_is_named_stale(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    fed, hub = bare_federation, bare_federation.hub
    fed.desks["65"] = start_desk(hub, tmp_path, "65", "65", "PROVINSI")
    fed.desks["64"] = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
    for desk in fed.desks.values():
        await submit(session, desk, title=f"Jalan rusak di {desk.code}", regionCode=desk.region)

    async def fresh(total: int) -> dict[str, Any] | None:
        stats = (await hub_ok(session, fed, STATS))["stats"]
        return stats if stats["total"] == total and not stats["coverage"]["stale"] else None

    stats = await eventually(lambda: fresh(2))
    assert stats["coverage"]["source"] == "INDEX" and stats["coverage"]["asked"] == 2
    assert datetime.fromisoformat(stats["coverage"]["asOf"]) > datetime.now(UTC) - timedelta(seconds=5)

    fed.desks["64"].process.kill()

    async def stale() -> dict[str, Any] | None:  # named once a pull meets the dead desk
        stats = (await hub_ok(session, fed, STATS))["stats"]
        named = stats["coverage"]["stale"]
        return stats if any(n["reason"].startswith("NODE_UNAVAILABLE") for n in named) else None

    stats = await eventually(stale)
    assert stats["total"] == 2, "the node that is down keeps its reports as of its last pull"
    [named] = stats["coverage"]["stale"]
    assert named["node"] == "64" and named["reason"].startswith("NODE_UNAVAILABLE"), named
    assert named["lagSeconds"] >= 0
    assert stats["coverage"]["answered"] == 2, "named stale, not failed"
    nodes = await hub_ok(session, fed, '{ node(code: "64") { reachable } }')
    assert nodes["node"]["reachable"] is False
    # report(id) asks the node; when it does not answer, the index's row stands in, marked as such.
    body = await graphql(session, hub.graphql_url, '{ report(id: "64:1") { id status source } }')
    assert body["data"]["report"] == {"id": "64:1", "status": "RECEIVED", "source": "INDEX"}, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NODE_UNAVAILABLE"]

    fed.desks["64"] = restart_desk(hub, fed.desks["64"])
    await eventually(lambda: fresh(2))


async def test_a_node_whose_endpoint_cannot_be_called_is_not_reachable_though_its_heartbeats_arrive(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    fed, hub = bare_federation, bare_federation.hub
    fed.desks["65"] = start_desk(hub, tmp_path, "65", "65", "PROVINSI",
                                 extra=("--public-url", "http://127.0.0.1:9"))

    async def found_out() -> dict[str, Any] | None:
        data = await hub_ok(session, fed, '{ node(code: "65") { reachable lastHeartbeat } '
                            '  stats(groupBy: [STATUS]) { coverage { stale { node reason } } } }')
        named = data["stats"]["coverage"]["stale"]  # never read, then named with the failed call
        return data if any(n["reason"].startswith("NODE_UNAVAILABLE") for n in named) else None

    data = await eventually(found_out)
    # Asked again: the node field of the same request may have been read just before the failed call.
    node = (await hub_ok(session, fed, '{ node(code: "65") { reachable lastHeartbeat } }'))["node"]
    assert node["lastHeartbeat"] is not None and node["reachable"] is False, \
        "heartbeats arrive, but the hub cannot call it"
    [stale] = data["stats"]["coverage"]["stale"]
    assert stale["node"] == "65" and stale["reason"].startswith("NODE_UNAVAILABLE"), stale


async def test_paging_the_index_while_reports_arrive_has_no_duplicates_nor_gaps_across_two_replicas(
    federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    kaltara = federation.desks["65"]
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    first = [await submit(session, kaltara, title=f"Laporan {n}", regionCode="65.01",
                          receivedAt=(start + timedelta(minutes=n // 2)).isoformat()) for n in range(12)]

    async def all_indexed() -> bool:
        page = (await hub_ok(session, federation, REPORTS, {"first": 100}))["reports"]
        return len(page["reports"]) == 12

    await eventually(all_indexed)
    replica = start_hub(federation.hub.database_url, tmp_path / "replica")
    try:
        seen: list[str] = []
        after = None
        for page_number, url in enumerate([federation.hub.graphql_url, replica.graphql_url] * 4):
            body = await graphql(session, url, REPORTS, {"first": 5, "after": after})
            assert "errors" not in body, body
            page = body["data"]["reports"]
            seen += [r["trackingNumber"] for r in page["reports"]]
            if page_number == 0:  # newer reports arrive while the reader pages: they sort before the cursor
                for n in range(3):
                    await submit(session, kaltara, title=f"Baru {n}", regionCode="65.01")
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)), "no report twice"
        assert sorted(seen) == sorted(r["trackingNumber"] for r in first), "every report once, none missing"
    finally:
        replica.process.stop()


async def test_rebuild_equals_incremental_ingest_and_a_feed_that_went_back_is_read_again(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kaltara, kutim = federation.desks["65"], federation.desks["64.08"]
    done = await submit(session, kaltara, title="Lampu jalan mati", regionCode="65.01")
    for status in ("VERIFIED", "IN_PROCESS", "COMPLETED"):
        await _set_status(session, kaltara, done["id"].split(":")[1], status)
    wrong_door = await submit(session, kaltara, **HEALTH_REPORT)
    [held] = await eventually(lambda: _indexed_at(session, federation, wrong_door["trackingNumber"], "64.08"))
    for status in ("VERIFIED", "IN_PROCESS", "COMPLETED"):
        await _set_status(session, kutim, held["id"].split(":")[1], status)

    conn = await asyncpg.connect(federation.hub.database_url)
    try:
        async def settled() -> list[asyncpg.Record] | None:
            rows = await conn.fetch(INDEX_ROWS)
            return rows if [r["status"] for r in rows] == ["COMPLETED", "COMPLETED"] else None

        incremental = await eventually(settled)
        # The index drifts (a bad restore of the hub's database, say): a rebuild makes it what the feeds say.
        await conn.execute("UPDATE hub.ledger SET status = 'RECEIVED' WHERE origin_id = $1", done["id"])
        key = ("--hub-key-file", str(hub_key_file(federation.hub)))  # it calls the nodes as the hub
        result = run_cli("index", "rebuild", "--node", "65", "--database-url", federation.hub.database_url, *key)
        assert result.returncode == 0, result.stderr
        assert "65: 0 added, 1 corrected" in result.stdout, result.stdout
        assert await conn.fetch(INDEX_ROWS) == incremental
        result = run_cli("index", "rebuild", "--database-url", federation.hub.database_url, *key)
        assert result.returncode == 0, result.stderr
        assert await conn.fetch(INDEX_ROWS) == incremental

        # Kutai Timur's desk is restored from a backup taken before the report was completed: its feed now ends
        # before the hub's watermark. The hub notices on its next pull and reads the feed again.
        schema = "desk_64_08"
        local = held["id"].split(":")[1]
        last = await conn.fetchval(f"SELECT max(seq) FROM {schema}.events WHERE local_id = $1", local)
        await conn.execute(f"DELETE FROM {schema}.events WHERE seq = $1", last)
        await conn.execute(f"UPDATE {schema}.reports SET status = 'IN_PROCESS' WHERE local_id = $1", local)
        await conn.execute(f"SELECT setval('{schema}.events_seq_seq', $1)", last - 1)

        async def read_again() -> str | None:
            status = await conn.fetchval("SELECT status FROM hub.ledger WHERE tracking_number = $1",
                                         wrong_door["trackingNumber"])
            return status if status == "IN_PROCESS" else None

        await eventually(read_again)
    finally:
        await conn.close()


async def _indexed_at(session: aiohttp.ClientSession, fed: Federation, tn: str, node: str) -> list[dict[str, Any]]:
    return [r for r in await _indexed(session, fed, tn) if r["node"] == node]


async def test_a_report_returned_at_its_door_while_the_hub_was_away_goes_on_to_a_unit_with_authority(
    federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    kaltara = federation.desks["65"]
    federation.hub.process.stop()  # the desk keeps taking reports while the hub is away
    wrong_door = await submit(session, kaltara, **HEALTH_REPORT)
    await _set_status(session, kaltara, wrong_door["id"].split(":")[1], "RETURNED")  # bukan wewenang
    federation.hub = start_hub(federation.hub.database_url, tmp_path / "again")

    async def held_by_kutim() -> list[dict[str, Any]]:
        return await _indexed_at(session, federation, wrong_door["trackingNumber"], "64.08")

    [row] = await eventually(held_by_kutim)
    assert row["status"] == "RECEIVED", "as its new holder has it"


async def test_a_feed_page_of_long_reports_is_read_whole(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kaltara = federation.desks["65"]
    body = "Jalan berlubang di depan sekolah, air menggenang setiap hujan. " * 300  # ~19,000 characters
    entered = [await submit(session, kaltara, title=f"Laporan panjang {n}", body=body, regionCode="65.01")
               for n in range(12)]  # one feed page of the snapshots is ~250 KB, many TCP reads

    async def all_indexed() -> bool:
        page = (await hub_ok(session, federation, REPORTS, {"first": 100}))["reports"]
        return {r["trackingNumber"] for r in page["reports"]} == {e["trackingNumber"] for e in entered}

    await eventually(all_indexed)
