"""`simpul node sql` as a real process: enrolled with a real hub, its SIPP reports in the hub's answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.connectors.nodes import indexed, node_process
from tests.connectors.sql.agency import EXAMPLE, SIPP_CATEGORIES, SippApp
from tests.federation import Hub, create_token, eventually, graphql, run_cli

EVERYTHING = """
{
  reports(first: 50) { reports { id title status regionCode receivedAt category } coverage { asked answered failed } }
  stats(groupBy: [STATUS]) { total buckets { status count } }
}
"""
STALE = "{ reports(first: 1) { coverage { stale { node reason } } } }"
LIVE = "{ reports(first: 50, live: true) { reports { id } } stats(groupBy: [STATUS], live: true) { total } }"


def _node_args(hub_url: str, config: Path, data_dir: Path, *extra: str) -> list[str]:
    return ["node", "sql", "--config", str(config), "--code", "64.08.sipp", "--hub-url", hub_url,
            "--data-dir", str(data_dir), "--heartbeat", "0.5", "--port", "0", *extra]


async def test_a_sipp_database_joins_the_hub_and_its_reports_are_queryable(
    hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    app = SippApp(database)
    await app.create_schema()
    first = await app.enter("Jalan rusak di Sangatta", datetime(2026, 3, 2, 1, 0, tzinfo=UTC), wilayah="640804")
    await app.enter("Puskesmas tutup", datetime(2026, 3, 1, 1, 0, tzinfo=UTC), category="Kesehatan", status=3)
    config = tmp_path / "sipp.toml"  # the example, as the first node of this hub: no parent
    config.write_text(EXAMPLE.read_text().replace('parent = "64.08"\n', ""))
    token = create_token(database, "64.08", categories=SIPP_CATEGORIES)
    with node_process("64.08.sipp", _node_args(hub.url, config, tmp_path, "--token", token),
                      env={"SIPP_DATABASE_URL": database}) as node:
        body = await indexed(session, hub, EVERYTHING, 2)
        reports = body["data"]["reports"]["reports"]
        assert [(r["id"], r["status"], r["regionCode"], r["category"]) for r in reports][0] == (
            f"64.08.sipp:{first}", "RECEIVED", "64.08.04", "jalan")
        assert datetime.fromisoformat(reports[0]["receivedAt"]) == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        assert {b["status"]: b["count"] for b in body["data"]["stats"]["buckets"]} == {"RECEIVED": 1, "COMPLETED": 1}

        await app.execute("UPDATE sipp.pengaduan SET kd_status = 7 WHERE id = $1", int(first))
        body = await graphql(session, hub.graphql_url, LIVE)
        errors = [(e["extensions"].get("node"), e["message"]) for e in body.get("errors", [])]
        # Callers are told the class of the failure; the unit's own words stay in the node's log, for its operator.
        assert ("64.08.sipp", "node 64.08.sipp answered HTTP 200 with an error") in errors, body
        node.wait_for(r"status value '7'")

        async def stale() -> list[dict[str, Any]]:
            body = await graphql(session, hub.graphql_url, STALE)
            return [s for s in body["data"]["reports"]["coverage"]["stale"] if "with an error" in s["reason"]]

        [named] = await eventually(stale)  # the index keeps the reports as last read, and says why it is behind
        assert named["node"] == "64.08.sipp"
        body = await graphql(session, hub.graphql_url, EVERYTHING)
        assert "errors" not in body, body
        assert [r["status"] for r in body["data"]["reports"]["reports"]] == ["RECEIVED", "COMPLETED"]
        assert node.running


def test_a_bad_mapping_is_one_line_from_the_command(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(EXAMPLE.read_text().replace('table = "sipp.v_pengaduan"', 'table = "sipp.v_pengaduan; --"'))
    result = run_cli(*_node_args("http://127.0.0.1:9", config, tmp_path), env={"SIPP_DATABASE_URL": "postgresql:///x"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"simpul: error: {config}: reports.table must be a plain SQL identifier (letters, digits, _),"
        " not 'v_pengaduan; --'"]


async def test_a_mapping_that_does_not_fit_the_database_is_one_line_from_the_command(
    database: str, tmp_path: Path
) -> None:
    await SippApp(database).create_schema()
    config = tmp_path / "typo.toml"
    config.write_text(EXAMPLE.read_text().replace('title = "judul"', 'title = "judull"'))
    result = run_cli(*_node_args("http://127.0.0.1:9", config, tmp_path), env={"SIPP_DATABASE_URL": database})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "simpul: error: sipp.v_pengaduan has no column 'judull' (mapped as reports.title)"]
