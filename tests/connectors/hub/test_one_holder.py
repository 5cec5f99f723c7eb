"""A report a child hub has placed stays where the child placed it: the national hub indexes it once and
routes it nowhere, even when a unit of the national hub could take it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import asyncpg

from tests.connectors.hub.conftest import TwoLevels
from tests.federation import eventually, graphql, node_graphql, start_desk, submit

TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { holder routing } }"


async def test_a_report_entered_below_a_child_hub_is_handled_by_one_unit_only(
    two_levels: TwoLevels, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    national = two_levels.national
    # Kutai Timur's own complaint application, enrolled straight with the national hub: the national routing
    # would pick it for a report of 64.08.
    sipakar = start_desk(national, tmp_path / "national", "64.08.sipakar", "64.08", "KABKOTA", name="SIPAKAR")
    try:
        entered = await submit(session, two_levels.kutim, title="Puskesmas tutup siang", category="kesehatan",
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
        sipakar.process.stop()
