"""feed = "history": statuses kept in the app's own status-history table, on PostgreSQL and on MariaDB. Its latest
row is the report's status, its rows are the report's timeline (with the officer's note), and its own increasing
id is the change feed: a read-only role needs no trigger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import ConnectorError, Dimension, NodeIdentity, NodeLevel, ReportFilter, ReportStatus
from connectors.numbering import FederationNumbers
from connectors.sql import SqlConnector, read_mapping
from tests.connectors.nodes import started
from tests.connectors.sql.agency import SippApp, example_config
from tests.connectors.sql.laravel import LaravelApp, laravel_config

IDENTITY = NodeIdentity("64.08.lapor", "Pengaduan Kutai Timur", NodeLevel.UNIT, "64.08", "sql")
NUMBERS = FederationNumbers(IDENTITY.code, b"k" * 32)
NINE_WITA = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TEN_WITA = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOTE = "Petugas sudah meninjau lokasi."
Record = Callable[[str, str, datetime, str | None], Awaitable[None]]  # (report id, agency status, at, note)


async def _the_history_is_status_timeline_and_feed(connector: SqlConnector, answered: str, waiting: str,
                                                   record: Record, agency: dict[ReportStatus, str]) -> None:
    """`answered` has two history rows (received, then in process with a note); `waiting` has none yet."""
    feed = await connector.changes(None, 10)
    assert [(c.local_id, c.status, c.note) for c in feed] == [
        (answered, ReportStatus.RECEIVED, None), (answered, ReportStatus.IN_PROCESS, NOTE)]
    assert feed[1].at == TEN_WITA

    report = await connector.get_report(answered)
    assert report is not None and report.status is ReportStatus.IN_PROCESS, "the latest history row"
    assert [(e.at, e.status, e.note) for e in report.timeline] == [
        (NINE_WITA, ReportStatus.RECEIVED, None), (TEN_WITA, ReportStatus.IN_PROCESS, NOTE)]
    fresh = await connector.get_report(waiting)
    assert fresh is not None and fresh.status is ReportStatus.RECEIVED, "no status row yet: received"
    received = await connector.list_reports(ReportFilter(statuses=[ReportStatus.RECEIVED]), None, 10)
    assert [r.local_id for r in received] == [waiting]
    counted = await connector.count_reports(ReportFilter(), (Dimension.STATUS,), 1)
    assert {b.status: b.count for b in counted} == {ReportStatus.IN_PROCESS: 1, ReportStatus.RECEIVED: 1}

    await record(answered, agency[ReportStatus.COMPLETED], datetime(2026, 3, 3, 1, 0, tzinfo=UTC), "Sudah diperbaiki.")
    later = await connector.changes(feed[-1].cursor, 10)
    assert [(c.local_id, c.status, c.note) for c in later] == [(answered, ReportStatus.COMPLETED, "Sudah diperbaiki.")]
    assert not await connector.cursor_past_end(later[-1].cursor)
    assert await connector.cursor_past_end("999999"), "a cursor past the table's newest id: the feed went back"


async def test_a_status_history_table_on_mariadb(mariadb: str) -> None:
    app = LaravelApp(mariadb)
    await app.create_schema()
    await app.execute("CREATE TABLE status_pengaduans (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                      " pengaduan_id bigint unsigned NOT NULL, status varchar(20) NOT NULL, keterangan text NULL,"
                      " created_at timestamp(6) NULL, KEY status_pengaduans_pengaduan_id_index (pengaduan_id))")
    await app.execute("CREATE OR REPLACE VIEW v_simpul_pengaduan AS SELECT p.id, p.judul, p.isi, p.jenis,"
                      " k.nama AS kategori, p.kode_wilayah, p.lokasi, p.nama_pelapor, p.no_hp, p.created_at,"
                      " p.updated_at FROM pengaduans p LEFT JOIN kategoris k ON k.id = p.kategori_id")

    async def record(report: str, status: str, at: datetime, note: str | None) -> None:
        await app.execute("INSERT INTO status_pengaduans (pengaduan_id, status, keterangan, created_at)"
                          " VALUES (%s, %s, %s, %s)", int(report), status, note, at.replace(tzinfo=None))

    answered = await app.enter("Lampu jalan padam", NINE_WITA)
    waiting = await app.enter("Sampah menumpuk", NINE_WITA)
    await record(answered, "menunggu", NINE_WITA, None)
    await record(answered, "proses", TEN_WITA, NOTE)
    config = laravel_config(mariadb, feed="history", history={
        "table": "status_pengaduans", "report": "pengaduan_id", "note": "keterangan"})
    config["reports"] = {k: v for k, v in config["reports"].items() if k != "status"}
    config.pop("insert")
    misnamed = SqlConnector(IDENTITY, read_mapping({**config, "history": {**config["history"], "report": "id_aduan"}}),
                            NUMBERS)
    with pytest.raises(ConnectorError, match=r"has no column 'id_aduan' \(mapped as history.report\)"):
        await misnamed.start()
    async with started(SqlConnector(IDENTITY, read_mapping(config), NUMBERS)) as connector:
        await _the_history_is_status_timeline_and_feed(
            connector, answered, waiting, record,
            {ReportStatus.RECEIVED: "menunggu", ReportStatus.COMPLETED: "selesai"})


async def test_a_status_history_table_on_postgresql(database: str) -> None:
    app = SippApp(database)
    await app.create_schema()
    await app.execute("CREATE TABLE sipp.riwayat_status (id serial PRIMARY KEY, pengaduan_id integer NOT NULL"
                      " REFERENCES sipp.pengaduan (id), kd_status smallint NOT NULL, catatan text,"
                      " waktu timestamp without time zone NOT NULL)")

    async def record(report: str, status: str, at: datetime, note: str | None) -> None:
        local = at.astimezone(ZoneInfo("Asia/Makassar")).replace(tzinfo=None)
        await app.execute("INSERT INTO sipp.riwayat_status (pengaduan_id, kd_status, catatan, waktu)"
                          " VALUES ($1, $2, $3, $4)", int(report), int(status), note, local)

    answered = await app.enter("Lampu jalan padam", NINE_WITA)
    waiting = await app.enter("Sampah menumpuk", NINE_WITA)
    await record(answered, "1", NINE_WITA, None)
    await record(answered, "2", TEN_WITA, NOTE)
    config: dict[str, Any] = example_config(database, feed="history", history={
        "table": "sipp.riwayat_status", "report": "pengaduan_id", "status": "kd_status", "at": "waktu",
        "note": "catatan"})
    config["reports"] = {k: v for k, v in config["reports"].items() if k != "status"}
    config.pop("insert")
    async with started(SqlConnector(IDENTITY, read_mapping(config), NUMBERS)) as connector:
        await _the_history_is_status_timeline_and_feed(
            connector, answered, waiting, record, {ReportStatus.RECEIVED: "1", ReportStatus.COMPLETED: "3"})


async def test_the_latest_history_row_is_found_by_the_apps_index_not_a_scan(mariadb: str) -> None:
    """Each listed report's status is its latest history row, looked up by the index Laravel's foreign key makes
    (status_pengaduans.pengaduan_id); the feed reads the history by its primary key."""
    app = LaravelApp(mariadb)
    await app.create_schema()
    await app.execute("CREATE TABLE status_pengaduans (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                      " pengaduan_id bigint unsigned NOT NULL, status varchar(20) NOT NULL, keterangan text NULL,"
                      " created_at timestamp(6) NULL, CONSTRAINT status_pengaduans_pengaduan_id_foreign"
                      " FOREIGN KEY (pengaduan_id) REFERENCES pengaduans (id))")
    for i in range(30):
        local_id = await app.enter(f"Laporan {i}", NINE_WITA)
        await app.execute("INSERT INTO status_pengaduans (pengaduan_id, status, created_at) VALUES"
                          " (%s, 'menunggu', %s)", int(local_id), NINE_WITA.replace(tzinfo=None))
    config = laravel_config(mariadb, feed="history", history={"table": "status_pengaduans", "report": "pengaduan_id"})
    config["reports"] = {k: v for k, v in config["reports"].items() if k != "status"}
    async with started(SqlConnector(IDENTITY, read_mapping(config), NUMBERS)) as connector:
        plans = {}
        for name, query in (("page", connector.queries.list(ReportFilter(), None, 20)),
                            ("received", connector.queries.list(ReportFilter(statuses=[ReportStatus.RECEIVED]),
                                                                None, 20)),
                            ("feed", connector.queries.changes_by_history(5, 20))):
            plans[name] = await connector.pool.fetch("EXPLAIN " + query.sql, *query.params)
    for name in ("page", "received"):
        history = [row for row in plans[name] if row["table"] == "h"]
        assert history and all(row["type"] == "ref" for row in history), f"a scan of the history per report: {plans}"
    [feed] = [row for row in plans["feed"] if row["table"] == "h"]
    assert (feed["type"], feed["key"]) == ("range", "PRIMARY"), plans["feed"]
