"""A node speaks for its own reports only: its feed, its counts and its accepted ids are checked against its name.

A compromised node (the impostor, enrolled as Kalsel's `63`) tries to take
another node's reports through its change feed, to swell another region's
figures, and to accept a forwarded report under another node's id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.federation import Desk, Hub, eventually, graphql, start_desk, submit
from tests.impostor import Impostor, enrol_endpoint

TRACK = """
query Track($tn: String!) { trackReport(trackingNumber: $tn) { status routing holder timeline { event node } } }
"""
SUBMIT = """
mutation Submit($report: SubmitReportInput!) { submitReport(report: $report) { trackingNumber routing { target } } }
"""
HEALTH_REPORT = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang",
                 "body": "Puskesmas di Sangatta Utara tutup pukul 12 padahal jadwal sampai 14.",
                 "category": "kesehatan", "regionCode": "64.08"}
KALTARA_REPORT = {**HEALTH_REPORT, "title": "Jalan rusak di Tanjung Selor", "category": "infrastruktur",
                  "regionCode": "65"}


async def _hub_rows(hub: Hub, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _conflicts(hub: Hub, count: int) -> list[dict[str, Any]] | None:
    rows = await _hub_rows(hub, "SELECT actor, target, detail FROM audit_log WHERE action = 'TRACKING_CONFLICT'"
                                " ORDER BY id")
    found = [{"actor": r["actor"], "target": r["target"], **json.loads(r["detail"])} for r in rows]
    return found if len(found) >= count else None


async def test_a_node_listing_another_nodes_reports_in_its_feed_is_refused_and_the_real_report_is_routed(
    hub: Hub, tmp_path: Path, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    kaltara = start_desk(hub, tmp_path, "65", "65", "PROVINSI")
    try:
        await _claims_are_refused(hub, kaltara, session, impostor)
    finally:
        kaltara.process.stop()


async def _claims_are_refused(hub: Hub, kaltara: Desk, session: aiohttp.ClientSession, impostor: Impostor) -> None:
    impostor.mode = "scripted"
    # Before Kaltara's desk takes any report, 63 lists the id that report will have, and a number in 65's name.
    impostor.add_change("65:1", "65-0000-0000-0001", "palsu: id milik 65")
    impostor.add_change("63:1", "65-7K3M-9Q2D-4TFA", "palsu: nomor milik 65")
    await enrol_endpoint(session, hub, impostor.url, "63", "63")
    before = await eventually(lambda: _conflicts(hub, 2))
    assert [(c["reportId"], c["claimedBy"], c["owner"]) for c in before] == [("65:1", "63", "65"), ("63:1", "63", "65")]

    created = await submit(session, kaltara, **KALTARA_REPORT)
    assert created["id"] == "65:1", "the id 63 tried to take first"
    # And after: 63 lists the real report's number under its own id, and the real id itself.
    impostor.add_change("63:2", created["trackingNumber"], "palsu: nomor asli 65")
    impostor.add_change("65:1", created["trackingNumber"], "palsu: laporan asli 65")

    async def routed() -> dict[str, Any] | None:
        async with session.post(hub.graphql_url, json={"query": TRACK, "variables": {"tn": created["trackingNumber"]}},
                                headers={}) as response:
            track: dict[str, Any] | None = (await response.json())["data"]["trackReport"]
        return track if track is not None and track["routing"] == "HELD" else None

    track = await eventually(routed)
    assert track["holder"] == "65"
    assert [(e["event"], e["node"]) for e in track["timeline"]][:2] == [("RECEIVED", "65"), ("ROUTED", "65")]
    after = await eventually(lambda: _conflicts(hub, 4))
    assert [(c["reportId"], c["trackingNumber"]) for c in after[2:]] == [
        ("63:2", created["trackingNumber"]), ("65:1", created["trackingNumber"])]
    assert all(c["actor"] == "node 63" and set(c) == {"actor", "target", "claimedBy", "owner", "reportId",
                                                      "trackingNumber"} for c in after), after
    assert await _hub_rows(hub, "SELECT 1 FROM ledger WHERE origin_node = '63'") == [], "nothing of 63's claims"
    assert await eventually(routed) == track, "tracked as 65's own, still"


async def test_a_nodes_counts_outside_its_region_and_an_id_in_another_nodes_name_are_refused(
    hub: Hub, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    impostor.mode = "scripted"
    impostor.stats = [{"count": 2, "regionCode": "63"}, {"count": 1000, "regionCode": "65"}]
    impostor.accept_id = "65:1"
    await enrol_endpoint(session, hub, impostor.url, "63", "63")

    stats = await graphql(session, hub.graphql_url, "{ stats(groupBy: [REGION], live: true) { total buckets {"
                                                    " regionCode count } } }")
    assert stats["data"]["stats"] == {"total": 2, "buckets": [{"regionCode": "63", "count": 2}]}, stats

    submitted = await graphql(session, hub.graphql_url, SUBMIT, {"report": {**HEALTH_REPORT, "regionCode": "63.03"}})
    assert submitted["data"]["submitReport"]["routing"]["target"] == "63", submitted
    tn = submitted["data"]["submitReport"]["trackingNumber"]

    async def refused() -> str | None:
        rows = await _hub_rows(hub, "SELECT last_error FROM deliveries WHERE tracking_number = $1", tn)
        error: str | None = rows[0]["last_error"] if rows else None
        return error if error and "another node's id" in error else None

    assert (await eventually(refused)).startswith("NODE_BAD_RESPONSE")
    assert await _hub_rows(hub, "SELECT 1 FROM ledger WHERE holder_id = '65:1'") == []

    impostor.accept_id = "63:9"  # its own id: the delivery's next attempt goes through

    async def held() -> list[asyncpg.Record] | None:
        rows = await _hub_rows(hub, "SELECT holder_id FROM ledger WHERE tracking_number = $1 AND routing = 'HELD'", tn)
        return rows or None

    assert [r["holder_id"] for r in await eventually(held)] == ["63:9"]
