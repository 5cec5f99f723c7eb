"""A report a child hub has placed stays where the child placed it: the national hub indexes it once and
routes it nowhere, even when a unit of the national hub could take it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg

from simpul.processes import ChildProcess
from tests.connectors.hub.conftest import ChildHub
from tests.connectors.hub.test_two_level import _config
from tests.federation import create_token, eventually, graphql, node_graphql, start_desk, start_hub, submit

TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { holder routing } }"


async def test_a_report_entered_below_a_child_hub_is_handled_by_one_unit_only(
    database: str, kaltim: ChildHub, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    national = start_hub(database, tmp_path / "national")
    started: list[ChildProcess] = [national.process]
    try:
        kutim = start_desk(kaltim.hub, tmp_path / "kaltim", "64.08", "64.08", "KABKOTA", name="Kutai Timur")
        started.append(kutim.process)
        # Kutai Timur's own complaint application, enrolled straight with the national hub: the national
        # routing would pick it for a report of 64.08.
        sipakar = start_desk(national, tmp_path / "national", "64.08.sipakar", "64.08", "KABKOTA", name="SIPAKAR")
        started.append(sipakar.process)
        node = ChildProcess(["node", "hub", "--config", str(_config(tmp_path / "kaltim-hub.toml", kaltim.hub.url)),
                             "--hub-url", national.url, "--token", create_token(database, "64"),
                             "--data-dir", str(tmp_path / "national"), "--heartbeat", "0.5", "--port", "0"],
                            env={"KALTIM_HUB_ADMIN_KEY": kaltim.admin_key})
        started.append(node)
        node.wait_for(r"node 64 serving on")

        entered = await submit(session, kutim, title="Puskesmas tutup siang", category="kesehatan",
                               regionCode="64.08.04")
        tn = entered["trackingNumber"]

        async def indexed_nationally() -> dict[str, str] | None:
            body = await graphql(session, national.graphql_url, TRACK, {"t": tn}, headers={})
            track: dict[str, str] | None = body["data"]["trackReport"]
            return track

        track = await eventually(indexed_nationally)
        assert (track["holder"], track["routing"]) == ("64", "HELD")
        conn = await asyncpg.connect(database)
        try:  # the routing decision is made in the transaction that indexed it: nothing was sent, ever
            sent = await conn.fetch("SELECT target_node FROM hub.deliveries WHERE tracking_number = $1", tn)
        finally:
            await conn.close()
        assert sent == []
        listed = await node_graphql(session, sipakar, "{ reports(first: 50) { reports { trackingNumber } } }")
        assert listed["data"]["reports"]["reports"] == []
    finally:
        for process in reversed(started):
            process.stop()
