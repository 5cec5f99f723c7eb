"""`simpul node rest` as a real process beside a real (fake) agency API, enrolled with a real hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.connectors.nodes import indexed, node_process
from tests.connectors.rest.conftest import EXAMPLE, TOKEN, TOKEN_ENV, FakeAgency
from tests.databases import connection
from tests.federation import Hub, create_token, eventually, graphql

QUERY = """
query($live: Boolean! = false) {
  reports(first: 10, scope: {nodeCodes: ["64.08.sipakar"]}, live: $live) {
    reports { id trackingNumber title status category receivedAt }
    coverage { asked answered failed stale { node reason } } }
  stats(groupBy: [STATUS], scope: {nodeCodes: ["64.08.sipakar"]}, live: $live) { total buckets { status count } } }
"""


GRANTED = ("jalan", "kesehatan", "kebersihan")  # what the example agency node claims; its token grants it


async def test_the_hub_lists_and_counts_what_the_agency_api_holds(
    agency: FakeAgency, hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    first = await agency.add(judul="Jalan berlubang", isi="Jalan poros Sangatta berlubang.",
                             kategori="infrastruktur-jalan", kode_wilayah="64.08",
                             dibuat_pada="2026-03-02T08:00:00+07:00")
    second = await agency.add(judul="Puskesmas tutup", isi="Puskesmas tutup jam sepuluh.",
                              kategori="kesehatan", kode_wilayah="64.08.04", dibuat_pada="2026-03-03T09:30:00+07:00")
    await agency.set_status(first, "selesai", "Sudah ditambal.")
    config = tmp_path / "sipakar.toml"
    config.write_text(EXAMPLE.read_text().replace('parent = "64.08"\n', "").replace(
        "https://sipakar.kutaitimurkab.go.id/api/v1", agency.api_url))

    args = ["node", "rest", "--config", str(config), "--hub-url", hub.url, "--data-dir", str(tmp_path),
            "--token", create_token(database, "64.08", categories=GRANTED), "--heartbeat", "0.5", "--port", "0"]
    with node_process("64.08.sipakar", args, env={TOKEN_ENV: TOKEN}) as node:
        body = await indexed(session, hub, QUERY, 2)
        reports = body["data"]["reports"]["reports"]
        assert [(r["id"], r["title"], r["status"], r["category"]) for r in reports] == [
            (f"64.08.sipakar:{second}", "Puskesmas tutup", "RECEIVED", "kesehatan"),
            (f"64.08.sipakar:{first}", "Jalan berlubang", "COMPLETED", "jalan"),
        ]
        assert body["data"]["stats"]["total"] == 2

        # The listing has no notes: the hub takes the officer's note from the report's own history (riwayat).
        await agency.set_status(second, "diproses", "Petugas dijadwalkan datang Senin.")

        async def noted() -> list[tuple[str, str | None]] | None:
            async with connection(database, "hub") as conn:
                rows = await conn.fetch("SELECT e.status, e.note FROM ledger_events e JOIN ledger l USING"
                                        " (tracking_number) WHERE l.origin_id = $1 AND e.type = 'STATUS'",
                                        f"64.08.sipakar:{second}")
            return [(r["status"], r["note"]) for r in rows] or None

        assert await eventually(noted) == [("IN_PROCESS", "Petugas dijadwalkan datang Senin.")]

        await agency.mode("error500")
        body = await graphql(session, hub.graphql_url, QUERY, {"live": True})
        assert {e["extensions"]["node"] for e in body.get("errors", [])} == {"64.08.sipakar"}, body
        # Callers are told the class of the failure; the agency's own words stay in the node's log.
        assert body["errors"][0]["message"] == "node 64.08.sipakar answered HTTP 200 with an error", body
        assert body["data"]["reports"]["coverage"]["failed"] == ["64.08.sipakar"]

        # The index keeps what it read, and names the node it can no longer read, with why.
        async def stale() -> dict[str, Any] | None:
            body = await graphql(session, hub.graphql_url, QUERY)
            assert "errors" not in body, body
            named = body["data"]["reports"]["coverage"]["stale"]  # once the hub's next pull meets the failure
            return body["data"] if any("with an error" in n["reason"] for n in named) else None

        kept = await eventually(stale)
        assert len(kept["reports"]["reports"]) == 2 and kept["stats"]["total"] == 2
        [named] = kept["reports"]["coverage"]["stale"]
        assert named["node"] == "64.08.sipakar" and "with an error" in named["reason"], named
        assert node.running
