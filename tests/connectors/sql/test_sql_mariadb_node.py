"""`simpul node sql` on MariaDB as a real process, configured as connectors/sql/README.md's Laravel example says:
the app joins a running hub, its reports are in the hub's answers, and a report submitted at the hub for its unit
lands in `pengaduans` once, however often the portal sends it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.connectors.nodes import indexed, node_process
from tests.connectors.sql.laravel import EXAMPLE, LaravelApp
from tests.federation import Hub, create_token, eventually, graphql, run_cli

EVERYTHING = "{ reports(first: 50) { reports { id title status regionCode category } } }"
SUBMIT = """
mutation Submit($r: SubmitReportInput!, $key: String!) { submitReport(report: $r, idempotencyKey: $key) {
  trackingNumber } }
"""
TRACK = "query T($t: String!) { trackReport(trackingNumber: $t) { status holder } }"
CATEGORIES = ["jalan", "penerangan", "kesehatan", "kebersihan", "air", "kependudukan"]


def _args(hub: Hub, config: Path, data_dir: Path, *extra: str) -> list[str]:
    return ["node", "sql", "--config", str(config), "--hub-url", hub.url, "--data-dir", str(data_dir),
            "--heartbeat", "0.5", "--port", "0", *extra]


async def test_a_laravel_app_on_mariadb_joins_the_hub_and_takes_a_report_from_it_once(
    hub: Hub, database: str, mariadb: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    app = LaravelApp(mariadb)
    await app.create_schema()
    entered = await app.enter("Lampu jalan padam di Jl. Yos Sudarso", datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
                              category="Penerangan Jalan Umum", wilayah="640804", status="proses")
    config = tmp_path / "laravel.toml"  # the README's example, as the first node of this hub: no parent
    config.write_text(EXAMPLE.read_text().replace('parent = "64.08"\n', ""))
    token = create_token(database, "64.08", categories=CATEGORIES)
    with node_process("64.08.lapor", _args(hub, config, tmp_path, "--token", token),
                      env={"PENGADUAN_DATABASE_URL": mariadb}):
        body = await indexed(session, hub, EVERYTHING, 1)
        [shown] = body["data"]["reports"]["reports"]
        assert (shown["id"], shown["status"], shown["regionCode"], shown["category"]) == (
            f"64.08.lapor:{entered}", "IN_PROCESS", "64.08.04", "penerangan")

        report = {"kind": "PENGADUAN", "title": "Jalan berlubang di depan SDN 3 Sangatta",
                  "body": "Lubang sedalam 30 cm, sudah dua motor jatuh.", "category": "jalan",
                  "regionCode": "64.08.04", "reporterName": "Siti Aminah", "reporterContact": "081298765432"}
        numbers = {(await graphql(session, hub.graphql_url, SUBMIT, {"r": report, "key": "portal-kutim-0001"},
                                  headers={}))["data"]["submitReport"]["trackingNumber"] for _ in range(2)}
        [number] = numbers  # the portal sent it twice with one key: one report

        async def held() -> dict[str, Any] | None:
            found = (await graphql(session, hub.graphql_url, TRACK, {"t": number}))["data"]["trackReport"]
            return found if found["holder"] == "64.08.lapor" else None

        assert (await eventually(held))["holder"] == "64.08.lapor"
        rows = await app.execute("SELECT CONCAT_WS('|', count(*), max(judul), max(status), max(sumber))"
                                 " FROM pengaduans WHERE sumber = 'simpul'")
        assert rows == "1|Jalan berlubang di depan SDN 3 Sangatta|menunggu|simpul"


def test_an_unreachable_database_or_a_mapping_that_does_not_fit_is_one_line_at_start(
    hub: Hub, database: str, mariadb: str, tmp_path: Path
) -> None:
    config = tmp_path / "laravel.toml"
    config.write_text(EXAMPLE.read_text().replace('parent = "64.08"\n', ""))
    token = create_token(database, "64.08", categories=CATEGORIES)
    for url, said in (("mysql://simpul@127.0.0.1:1/pengaduan", "agency database, connecting"),
                      (mariadb, "v_simpul_pengaduan")):  # an empty database: the agency's view is missing
        result = run_cli(*_args(hub, config, tmp_path, "--token", token), env={"PENGADUAN_DATABASE_URL": url})
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("simpul: error:") and said in lines[0], result.stderr
        assert "Traceback" not in result.stderr
