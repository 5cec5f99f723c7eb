"""An agency's existing system joins with its history: the federation index takes each report as the agency has
it (status and times), never as new work, and two agencies' equal numbers stay two reports, each tracked by the
federation's number for it (an agency's own number opens no public track)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from simpul.processes import ChildProcess
from simpul.tracking import is_federation_number
from tests.connectors.sql.agency import EXAMPLE, SCHEMA, SIPP_CATEGORIES, WITA, SippApp
from tests.federation import Hub, create_token, eventually, graphql, run_cli

INDEXED = """
{ reports(first: 100) { reports { id node trackingNumber status } }
  stats(groupBy: [STATUS]) { total buckets { status count } } }
"""
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { status holder timeline { event status } } }"
OVERDUE = '{ overdueReports(regionPrefix: "64") { trackingNumber stage } }'
COMPLIANCE = '{ compliance(regionPrefix: "64.08") { node followUpsDue followUpsOnTime overdue outerLimitOverdue } }'


def _start_node(hub: Hub, database: str, tmp_path: Path, schema: str, code: str, tickets: bool) -> ChildProcess:
    """`simpul node sql` over the SIPP tables in `schema`, the README's mapping, as the first unit of 64.08."""
    mapping = EXAMPLE.read_text().replace('parent = "64.08"\n', "").replace("sipp.", f"{schema}.")
    mapping = mapping.replace('schema = "simpul"', f'schema = "simpul_{schema}"')
    if tickets:
        mapping = mapping.replace('# tracking_number = "no_tiket"', 'tracking_number = "no_tiket"')
    config = tmp_path / f"{schema}.toml"
    config.write_text(mapping)
    node = ChildProcess(["node", "sql", "--config", str(config), "--code", code, "--hub-url", hub.url,
                         "--data-dir", str(tmp_path / schema), "--heartbeat", "0.5", "--port", "0",
                         "--token", create_token(database, "64.08", categories=SIPP_CATEGORIES)],
                        env={"SIPP_DATABASE_URL": database})
    node.wait_for(r"node \S+ serving on")
    return node


async def _with_tickets(database: str, schema: str) -> None:
    """SIPP in `schema`, with its own ticket numbers: a column, and the view showing it."""
    conn = await asyncpg.connect(database)
    try:
        await conn.execute(SCHEMA.replace("sipp.", f"{schema}.").replace("SCHEMA sipp;", f"SCHEMA {schema};"))
        await conn.execute(f"ALTER TABLE {schema}.pengaduan ADD COLUMN no_tiket text")
        await conn.execute(
            f"CREATE OR REPLACE VIEW {schema}.v_pengaduan AS SELECT p.id, p.judul, p.isi, p.jenis, p.kd_status,"
            f" k.nama AS kategori, p.kd_wilayah, p.lokasi, p.tgl_masuk, p.tgl_update, p.nama_pelapor, p.no_hp,"
            f" p.no_tiket FROM {schema}.pengaduan p LEFT JOIN {schema}.kategori k ON k.id = p.kategori_id")
    finally:
        await conn.close()


async def _indexed(session: aiohttp.ClientSession, hub: Hub, count: int) -> dict[str, Any] | None:
    body = await graphql(session, hub.graphql_url, INDEXED)
    assert "errors" not in body, body
    data = body["data"]  # the list and the count are read side by side: a report may arrive between them
    return data if data["stats"]["total"] == len(data["reports"]["reports"]) == count else None


async def test_a_system_connected_with_its_history_shows_each_reports_real_status_and_adds_nothing_overdue(
    hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    app = SippApp(database)
    await app.create_schema()
    months_ago = datetime.now(UTC) - timedelta(days=120)
    completed, in_process = [], []
    for n in range(50):
        received = months_ago + timedelta(days=n, hours=2)
        local_id = await app.enter(f"Laporan lama {n}", received, wilayah="640804", status=3 if n % 5 else 2)
        # Handled the next day, as the agency's application recorded it (WITA wall time).
        await app.execute("UPDATE sipp.pengaduan SET tgl_update = tgl_masuk + interval '1 day' WHERE id = $1",
                          int(local_id))
        (completed if n % 5 else in_process).append(local_id)

    node = _start_node(hub, database, tmp_path, "sipp", "64.08.sipp", tickets=False)
    try:
        data = await eventually(lambda: _indexed(session, hub, 50), timeout=30)
        assert {b["status"]: b["count"] for b in data["stats"]["buckets"]} == {"COMPLETED": 40, "IN_PROCESS": 10}
        by_id = {r["id"]: r for r in data["reports"]["reports"]}
        assert by_id[f"64.08.sipp:{completed[0]}"]["status"] == "COMPLETED"
        assert by_id[f"64.08.sipp:{in_process[0]}"]["status"] == "IN_PROCESS"

        tracked = await graphql(session, hub.graphql_url, TRACK,
                                {"t": by_id[f"64.08.sipp:{completed[0]}"]["trackingNumber"]}, headers={})
        track = tracked["data"]["trackReport"]
        # SIPP's reporters are confidential (the mapping's default), so the public track tells the status only.
        assert track["status"] == "COMPLETED" and track["holder"] is None, track

        overdue = await graphql(session, hub.graphql_url, OVERDUE)
        assert "errors" not in overdue, overdue
        # The connection makes no follow-up overdue; the ten still in process after 120 days are past the outer
        # limit of Perpres 76/2013 (60 days of a complete file), whenever their unit connected.
        late = overdue["data"]["overdueReports"]
        assert sorted(r["trackingNumber"] for r in late) == sorted(
            by_id[f"64.08.sipp:{n}"]["trackingNumber"] for n in in_process)
        assert {r["stage"] for r in late} == {"OUTER_LIMIT"}
        [unit] = (await graphql(session, hub.graphql_url, COMPLIANCE))["data"]["compliance"]
        assert unit["followUpsDue"] == 50 and unit["followUpsOnTime"] == 50 and unit["outerLimitOverdue"] == 10, unit
    finally:
        node.stop()


async def test_two_agencies_whose_systems_issue_the_same_number_keep_two_reports_tracked_by_federation_numbers(
    hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    app = SippApp(database)
    received = datetime.now(UTC) - timedelta(hours=3)
    local_ids = {}
    for schema in ("sipp_a", "sipp_b"):
        await _with_tickets(database, schema)
        local_ids[schema] = await app.execute(
            f"INSERT INTO {schema}.pengaduan (judul, isi, kd_wilayah, tgl_masuk, no_tiket, kd_status, kategori_id)"
            f" VALUES ($1, 'Isi laporan.', '6408', $2, '2024-0001', 2,"  # in process: each unit handles its own
            f" (SELECT id FROM {schema}.kategori WHERE nama = 'Kesehatan')) RETURNING id::text",
            f"Laporan {schema}", received.astimezone(WITA).replace(tzinfo=None))

    nodes = [_start_node(hub, database, tmp_path, "sipp_a", "64.08.a", tickets=True),
             _start_node(hub, database, tmp_path, "sipp_b", "64.08.b", tickets=True)]
    try:
        data = await eventually(lambda: _indexed(session, hub, 2), timeout=30)
        reports = {r["node"]: r["trackingNumber"] for r in data["reports"]["reports"]}
        assert sorted(reports) == ["64.08.a", "64.08.b"]
        for code, schema in (("64.08.a", "sipp_a"), ("64.08.b", "sipp_b")):
            assert is_federation_number(reports[code], code), reports
            tracked = await graphql(session, hub.graphql_url, TRACK, {"t": reports[code]}, headers={})
            assert tracked["data"]["trackReport"]["status"] == "IN_PROCESS", "each is its own report, handled"
            # The agency tells its reporter the number with the node's own command.
            told = run_cli("node", "sql", "--code", code, "--data-dir", str(tmp_path / schema),
                           "--tracking-number", local_ids[schema])
            assert told.stdout.split() == [local_ids[schema], reports[code]], told.stderr
            # The agency's own numbers, and the sequential form the connector once derived, open nothing.
            local = int(local_ids[schema])
            for guess in ("2024-0001", f"{code.upper()}-{local}", f"{code.upper()}-{local + 1}"):
                tracked = await graphql(session, hub.graphql_url, TRACK, {"t": guess}, headers={})
                assert tracked["data"]["trackReport"] is None, guess
    finally:
        for node in nodes:
            node.stop()
