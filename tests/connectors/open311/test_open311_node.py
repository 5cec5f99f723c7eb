"""End to end: `simpul node open311` as a real process, enrolled with a real hub, over the fake Open311 server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from connectors.base import ReportKind
from connectors.numbering import FederationNumbers
from tests.connectors.nodes import indexed, node_process
from tests.connectors.open311.conftest import API_KEY, SERVICE_CODES, FakeOpen311
from tests.federation import Hub, create_token, eventually, graphql

CODE = "64.08.dpupr"
REPORTS = "{ reports(first: 20) { reports { id trackingNumber title status regionCode category } } }"
STATS = "{ stats(groupBy: [STATUS]) { total buckets { status count } } }"
LIVE = "{ reports(first: 20, live: true) { reports { id } } }"
STALE = "{ reports(first: 20) { reports { id } coverage { stale { node reason } } } }"


def _toml(fake: FakeOpen311) -> str:
    services = "\n".join(
        f'"{code}" = "{category}"' if kind is ReportKind.PENGADUAN
        else f'"{code}" = {{ category = "{category}", kind = "{kind.value}" }}'
        for (category, kind), code in SERVICE_CODES.items())
    return f"""
endpoint = "{fake.url}"
format = "xml"
jurisdiction_id = "kutaitimurkab.go.id"
api_key_env = "KUTIM_OPEN311_KEY"
since = 2026-01-01T00:00:00Z
region_attribute = "kode_wilayah"
timeout = 1.5

[status]
open = "IN_PROCESS"
closed = "COMPLETED"

[services]
{services}
"""


async def test_an_open311_system_joins_the_hub_and_its_requests_are_federated(
        fake: FakeOpen311, hub: Hub, session: aiohttp.ClientSession, tmp_path: Path) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    lamp = await fake.add("penerangan", ReportKind.PENGADUAN, "Lampu jalan mati", "Di Jl. Yos Sudarso.", t0,
                          "64.08.01")
    await fake.add("jalan", ReportKind.PENGADUAN, "Jalan berlubang", "Depan SDN 1.", t0 - timedelta(hours=1),
                   "64.08")
    await fake.change(lamp, "closed", "Lampu sudah diganti.")
    config = tmp_path / "open311.toml"
    config.write_text(_toml(fake))
    args = ["node", "open311", "--config", str(config), "--code", CODE, "--name", "DPUPR Kutai Timur",
            "--level", "UNIT", "--region", "64.08", "--hub-url", hub.url,
            "--token", create_token(hub.database_url, "64.08"), "--data-dir", str(tmp_path / "node"),
            "--heartbeat", "0.5", "--port", "0"]
    with node_process(CODE, args, env={"KUTIM_OPEN311_KEY": API_KEY}) as node:
        body = await indexed(session, hub, REPORTS, 2)
        numbers = FederationNumbers.load(CODE, tmp_path / "node" / "nodes" / CODE)  # the key the node made
        reports = {r["title"]: r for r in body["data"]["reports"]["reports"]}
        assert reports["Lampu jalan mati"] == {
            "id": f"{CODE}:{lamp}", "trackingNumber": numbers.of(lamp), "title": "Lampu jalan mati",
            "status": "COMPLETED", "regionCode": "64.08.01", "category": "penerangan"}
        assert reports["Jalan berlubang"]["status"] == "IN_PROCESS"
        stats = (await graphql(session, hub.graphql_url, STATS))["data"]["stats"]
        assert stats["total"] == 2
        assert {b["status"]: b["count"] for b in stats["buckets"]} == {"COMPLETED": 1, "IN_PROCESS": 1}

        await fake.fail("error")
        failed = await graphql(session, hub.graphql_url, LIVE)
        assert [e["extensions"]["node"] for e in failed.get("errors", [])] == [CODE], failed
        # Other callers are told the class of the failure, never the node's own words (its log has them).
        assert failed["errors"][0]["message"] == f"node {CODE} answered HTTP 200 with an error", failed

        async def stale() -> dict[str, Any] | None:  # named once the hub's next pull meets the failure
            body = await graphql(session, hub.graphql_url, STALE)
            assert "errors" not in body, body
            named = body["data"]["reports"]["coverage"]["stale"]
            return body["data"]["reports"] if any("with an error" in s["reason"] for s in named) else None

        # The index keeps the requests as last read, and names the node whose system fails, with why.
        kept = await eventually(stale)
        assert len(kept["reports"]) == 2
        [named] = kept["coverage"]["stale"]
        assert named == {"node": CODE, "reason": f"NODE_ERROR: node {CODE} answered HTTP 200 with an error"} | {
            k: v for k, v in named.items() if k not in ("node", "reason")}, named
        assert node.running
