"""An idle node costs the hub its heartbeats, not a feed call per round: each heartbeat says whether the node's
feed has news after the hub's watermark (and the node pokes when it has), so the rounds leave it alone; a
change whose poke was lost still arrives, at the next heartbeat."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import asyncpg

from connectors.base import NodeIdentity, NodeLevel, ReportStatus
from connectors.desk import DeskConnector
from connectors.hublink import HEARTBEAT_PATH
from simpul.signing import TO_HUB, sign
from tests.federation import Hub, desk_credentials, eventually, graphql, scrape, start_desk, submit

CALLS = 'simpul_node_call_duration_seconds_count{{node="{}"}}'  # every call the hub made to the node
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { status } }"


async def _heartbeats_after(hub: Hub, code: str, count: int) -> None:
    """Return once the hub has recorded `count` more heartbeats of node `code`."""
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        seen = [await conn.fetchval("SELECT last_heartbeat FROM nodes WHERE code = $1", code)]

        async def beat() -> bool:
            at = await conn.fetchval("SELECT last_heartbeat FROM nodes WHERE code = $1", code)
            if at != seen[-1]:
                seen.append(at)
            return len(seen) > count

        await eventually(beat, timeout=30)
    finally:
        await conn.close()


async def test_an_idle_node_is_not_pulled_on_rounds_and_a_change_without_a_poke_arrives_at_its_heartbeat(
    hub: Hub, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    desk = start_desk(hub, tmp_path, "65", "65", "PROVINSI")
    try:
        report = await submit(session, desk, title="Lampu jalan mati di Tanjung Selor")

        async def indexed() -> bool:
            body = await graphql(session, hub.graphql_url, TRACK, {"t": report["trackingNumber"]})
            return body["data"]["trackReport"] is not None
        await eventually(indexed)
        await _heartbeats_after(hub, "65", 2)  # the node has checked its feed at a heartbeat: it is caught up

        # The hub's rounds come every 0.5 s (tests/federation.py); the desk beats every 0.5 s. Idle, no pulls.
        before = (await scrape(session, hub.url))[CALLS.format("65")]
        assert before >= 1  # the pulls that brought the report
        await _heartbeats_after(hub, "65", 6)
        assert (await scrape(session, hub.url)).get(CALLS.format("65"), 0.0) == before

        # A status change the hub was never poked about (made in the desk's own store, not through its
        # server): the next heartbeat's check finds it, the node pokes, the hub pulls.
        store = DeskConnector(NodeIdentity(code="65", name="Desk 65", level=NodeLevel.PROVINSI, region_code="65",
                                           kind="desk"),
                              hub.database_url, "desk_65")
        await store.start()
        try:
            await store.change_status(report["id"].split(":", 1)[1], ReportStatus.VERIFIED, "petugas")
        finally:
            await store.stop()

        async def verified() -> bool:
            body = await graphql(session, hub.graphql_url, TRACK, {"t": report["trackingNumber"]})
            return bool(body["data"]["trackReport"]["status"] == "VERIFIED")
        await eventually(verified, timeout=10)
        assert (await scrape(session, hub.url)).get(CALLS.format("65"), 0.0) > before
    finally:
        desk.process.stop()


async def test_a_heartbeat_with_a_malformed_feed_check_is_refused(hub: Hub, tmp_path: Path,
                                                                  session: aiohttp.ClientSession) -> None:
    desk = start_desk(hub, tmp_path, "65", "65", "PROVINSI")
    try:
        credentials = desk_credentials(desk)
        for feed in ({"cursor": 7, "news": False}, {"cursor": None}, {"cursor": "3", "news": "no"}, "3"):
            body = json.dumps({"endpoint": desk.url, "healthy": True, "feed": feed}).encode()
            headers = sign(credentials.key, TO_HUB, "65", "POST", HEARTBEAT_PATH, body)
            async with session.post(hub.url + HEARTBEAT_PATH, data=body, headers=headers) as response:
                assert response.status == 400, feed
                assert "feed?: {cursor: string or null, news: bool}" in await response.text()
    finally:
        desk.process.stop()

