"""The sql connector on MariaDB: real-world schemas (Laravel, the SMK pattern), forwarded reports through the
mapped INSERT, the start-up check on information_schema, and the keyset page on the agency's index."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import (
    Channel,
    ConnectorError,
    ForwardedReport,
    Keyset,
    NodeIdentity,
    NodeLevel,
    Reporter,
    ReportFilter,
    ReportKind,
    ReportStatus,
)
from connectors.numbering import FederationNumbers
from connectors.sql import SqlConnector, read_mapping
from simpul.errors import InvalidInput
from tests.connectors.nodes import started
from tests.connectors.sql.agency import EXAMPLE as SIPP_EXAMPLE
from tests.connectors.sql.agency import SCHEMA as SIPP_SCHEMA
from tests.connectors.sql.laravel import EXAMPLE, LaravelApp, laravel_config
from tests.connectors.sql.laravel import SCHEMA as LARAVEL_SCHEMA
from tests.connectors.sql.smk import EXAMPLE as SMK_EXAMPLE
from tests.connectors.sql.smk import SCHEMA as SMK_SCHEMA
from tests.connectors.sql.smk import VIEW as SMK_VIEW
from tests.connectors.sql.smk import smk_config
from tests.databases import mariadb_connection, mariadb_execute, with_database

IDENTITY = NodeIdentity("64.08.lapor", "Pengaduan Kutai Timur", NodeLevel.UNIT, "64.08", "sql")
NUMBERS = FederationNumbers(IDENTITY.code, b"k" * 32)
NINE_WITA = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Sangatta

FORWARDED = ForwardedReport(
    source_id="65:9", tracking_number="65-000009", kind=ReportKind.ASPIRASI, title="Perbaiki drainase",
    body="Diteruskan dari meja Kaltara.", category="jalan", region_code="64.08.04", channel=Channel.SMS,
    reporter=Reporter(name="Siti", contact="0811111111"), received_at=NINE_WITA,
)


def _connector(config: dict[str, Any]) -> SqlConnector:
    return SqlConnector(IDENTITY, read_mapping(config), NUMBERS)


@pytest.fixture
async def laravel(mariadb: str) -> LaravelApp:
    app = LaravelApp(mariadb)
    await app.create_schema()
    return app


async def test_a_forwarded_report_lands_in_pengaduans_once_per_key(laravel: LaravelApp, mariadb: str) -> None:
    async with started(_connector(laravel_config(mariadb))) as connector:
        accepted = await connector.accept_report("delivery-65-9", FORWARDED)
        again = await connector.accept_report("delivery-65-9", FORWARDED)
        other_key = await connector.accept_report("another-key-same-report", FORWARDED)
        row = await laravel.execute(
            "SELECT CONCAT_WS('|', judul, jenis, status, kategori_id, kode_wilayah, nama_pelapor, sumber, created_at)"
            " FROM pengaduans WHERE id = %s", int(accepted.local_id))
        report = await connector.get_report(accepted.local_id)
        keys = await laravel.execute("SELECT count(*) FROM simpul_accepted WHERE local_id = %s", accepted.local_id)
        listed = await connector.list_reports(ReportFilter(), None, 20)
    async with started(_connector(laravel_config(mariadb))) as restarted:  # reads simpul_accepted at start
        listed_again = await restarted.list_reports(ReportFilter(), None, 20)
    assert keys == 2, "each key the hub used is kept"
    for page in (listed, listed_again):
        assert [(r.local_id, r.tracking_number, r.channel) for r in page] == [
            (accepted.local_id, "65-000009", Channel.SMS)], "the number and channel it came with, once"
    assert accepted.created and (again.local_id, again.created) == (accepted.local_id, False)
    assert (other_key.local_id, other_key.created) == (accepted.local_id, False)
    assert row == "Perbaiki drainase|aspirasi|menunggu|1|640804|Siti|simpul|2026-03-02 01:00:00.000000"
    assert await laravel.execute("SELECT count(*) FROM pengaduans") == 1
    assert report is not None and report.tracking_number == "65-000009" and report.channel is Channel.SMS
    assert report.received_at == NINE_WITA, "created_at is a TIMESTAMP: an instant, whatever the unit's zone"


async def test_a_forwarded_report_in_a_category_the_app_lacks_is_refused_and_leaves_nothing(
    laravel: LaravelApp, mariadb: str
) -> None:
    async with started(_connector(laravel_config(mariadb))) as connector:
        with pytest.raises(InvalidInput, match="'Pariwisata' has no row in .*kategoris.nama"):
            await connector.accept_report("delivery-65-10",
                                          ForwardedReport(**{**FORWARDED.__dict__, "category": "Pariwisata"}))
    assert await laravel.execute("SELECT count(*) FROM pengaduans") == 0
    assert await laravel.execute("SELECT count(*) FROM simpul_accepted") == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"reports": {"table": "pengaduan_lama"}}, "no table or view {db}.pengaduan_lama"),
    ({"reports": {"title": "judul_lapor"}}, "{db}.v_simpul_pengaduan has no column 'judul_lapor' (mapped as"
                                            " reports.title)"),
    ({"reports": {"received_at": "status"}}, "must be a DATETIME or TIMESTAMP column, not enum"),
    ({"insert": {"columns": {"judul2": "title"}}}, "{db}.pengaduans has no column 'judul2'"),
    ({"insert": {"id": "kode_wilayah"}}, "must be the AUTO_INCREMENT column"),
])
async def test_a_mapping_that_does_not_fit_the_database_stops_the_start_with_one_line(
    laravel: LaravelApp, mariadb: str, change: dict[str, Any], message: str
) -> None:
    config = laravel_config(mariadb)
    for table, values in change.items():
        config[table] = {**config[table], **values}
    with pytest.raises(ConnectorError) as raised:
        await _connector(config).start()
    assert message.format(db=mariadb.rsplit("/", 1)[1]) in str(raised.value)
    assert "\n" not in str(raised.value)


async def test_an_unreachable_database_is_a_clear_error_at_start() -> None:
    connector = _connector(laravel_config("mysql://simpul:rahasia@127.0.0.1:1/pengaduan"))
    with pytest.raises(ConnectorError, match="agency database, connecting: ") as raised:
        await connector.start()
    assert "rahasia" not in str(raised.value)


async def test_the_keyset_page_uses_the_agencys_index_in_byte_order(laravel: LaravelApp, mariadb: str) -> None:
    for i in range(30):
        await laravel.enter(f"Laporan {i}", NINE_WITA)
    async with started(_connector(laravel_config(mariadb))) as connector:
        first = await connector.list_reports(ReportFilter(), None, 20)
        query = connector.queries.list(ReportFilter(), None, 20)
        plan = await connector.pool.fetch("EXPLAIN " + query.sql, *query.params)
    ids = [r.local_id for r in first]
    assert ids == sorted(ids, key=str.encode), "'10' before '2': ids compare as bytes, not numbers"
    table = next(row for row in plan if row["table"] == "p")
    assert table["type"] != "ALL", f"the keyset page scans the whole table: {plan}"


@pytest.fixture
async def smk(mariadb: str) -> str:
    await mariadb_execute(
        mariadb, *SMK_SCHEMA, SMK_VIEW,
        "INSERT INTO masyarakat VALUES ('6408010101900001', 'Budi Santoso', 'budi', 'x', '081234567890')")
    return mariadb


async def _smk_report(url: str, text: str, at: str, status: str = "0") -> str:
    async with mariadb_connection(url) as conn, conn.cursor() as cursor:
        await cursor.execute("INSERT INTO pengaduan (tgl_pengaduan, nik, isi_laporan, status) VALUES"
                             " (%s, '6408010101900001', %s, %s)", (at, text, status))
        return str(cursor.lastrowid)


async def test_the_smk_app_reads_through_its_view_with_wita_times_and_zero_dates(smk: str) -> None:
    first = await _smk_report(smk, "Jalan di depan sekolah berlubang, café tutup", "2026-03-02 09:00:00")
    answered = await _smk_report(smk, "Lampu jalan mati", "2026-03-02 10:00:00", "proses")
    await _smk_report(smk, "Tanpa tanggal", "0000-00-00 00:00:00")
    await mariadb_execute(
        smk, f"INSERT INTO tanggapan (id_pengaduan, tgl_tanggapan, tanggapan, id_petugas) VALUES"
             f" ({answered}, '2026-03-03 08:30:00', 'Sedang diperbaiki', 1),"
             f" ({first}, '0000-00-00 00:00:00', 'Tanggal lupa diisi', 1)")
    async with started(_connector(smk_config(smk))) as connector:
        listed = await connector.list_reports(ReportFilter(), None, 10)
        report = await connector.get_report(first)
        changes = await connector.changes(None, 10)
        assert await connector.get_report("abc") is None
    assert [r.local_id for r in listed] == [answered, first], "a zero-date report is in no page"
    assert report is not None and report.received_at == NINE_WITA and report.status is ReportStatus.RECEIVED
    assert report.updated_at == NINE_WITA, "a zero-date tanggapan is no update"
    assert report.body == "Jalan di depan sekolah berlubang, café tutup", "latin1 text reads as itself"
    assert (report.category, report.region_code, report.reporter.name) == ("umum", "64.08", "Budi Santoso")
    assert [(c.local_id, c.status) for c in changes] == [(first, "RECEIVED"), (answered, "IN_PROCESS")]
    assert changes[-1].at == datetime(2026, 3, 3, 0, 30, tzinfo=UTC)


async def test_a_read_only_user_without_trigger_privilege_runs_the_smk_node(smk: str) -> None:
    database = smk.rsplit("/", 1)[1]
    await mariadb_execute(
        smk, "CREATE USER simpul_ro@'127.0.0.1' IDENTIFIED BY 'baca-saja'",
        f"GRANT SELECT ON `{database}`.* TO simpul_ro@'127.0.0.1'",
        f"GRANT CREATE, SELECT, INSERT ON `{database}`.simpul_accepted TO simpul_ro@'127.0.0.1'")
    try:
        first = await _smk_report(smk, "Jalan berlubang", "2026-03-02 09:00:00")
        user_url = with_database(smk.replace("mysql://root@", "mysql://simpul_ro:baca-saja@"), database)
        read_only = smk_config(user_url)
        read_only.pop("insert")
        async with started(_connector(read_only)) as connector:
            assert [c.local_id for c in await connector.changes(None, 10)] == [first]
        with pytest.raises(ConnectorError, match="INSERT command denied|no privilege"):
            async with started(_connector(smk_config(user_url))) as writer:
                await writer.accept_report("k", FORWARDED)
    finally:
        await mariadb_execute(smk, "DROP USER simpul_ro@'127.0.0.1'")


async def test_a_forwarded_report_becomes_an_smk_pengaduan_row_in_wita(smk: str) -> None:
    async with started(_connector(smk_config(smk))) as connector:
        accepted = await connector.accept_report("delivery-1", ForwardedReport(
            **{**FORWARDED.__dict__, "category": "umum", "region_code": "64.08"}))
    async with mariadb_connection(smk) as conn, conn.cursor() as cursor:
        await cursor.execute("SELECT tgl_pengaduan, status, nik FROM pengaduan WHERE id_pengaduan = %s",
                             (int(accepted.local_id),))
        row = await cursor.fetchone()
    assert row == (datetime(2026, 3, 2, 9, 0), "0", "0000000000000000")


@pytest.mark.parametrize("document", ["connectors/sql/README.md", "docs/connectors.md"])
def test_the_worked_examples_in_the_docs_are_the_ones_these_tests_run(document: str) -> None:
    text = (EXAMPLE.parents[3] / document).read_text()
    for example in (EXAMPLE, SMK_EXAMPLE):
        assert example.read_text() in text, f"{document} must show {example.name} as it is"
    if document == "connectors/sql/README.md":  # the SIPP example, on PostgreSQL: its schema and its file
        assert SIPP_EXAMPLE.read_text() in text, f"{document} must show example.toml as it is"
        for statement in SIPP_SCHEMA.split(";"):
            assert statement.strip() in text, f"{document} must give the DDL the tests create: {statement[:60]}"
    for statement in (*LARAVEL_SCHEMA, *SMK_SCHEMA, SMK_VIEW):
        assert statement in text, f"{document} must give the DDL the tests create: {statement[:60]}"


async def test_tinyint_flags_say_which_reports_are_anonim_or_rahasia_both_ways(laravel: LaravelApp,
                                                                               mariadb: str) -> None:
    await laravel.execute("ALTER TABLE pengaduans ADD COLUMN is_anonim tinyint(1) NOT NULL DEFAULT 0,"
                          " ADD COLUMN rahasia tinyint(1) NOT NULL DEFAULT 0")
    await laravel.execute("CREATE OR REPLACE VIEW v_simpul_pengaduan AS SELECT p.*, k.nama AS kategori"
                          " FROM pengaduans p LEFT JOIN kategoris k ON k.id = p.kategori_id")
    plain = await laravel.enter("Jalan berlubang", NINE_WITA)
    hidden = await laravel.enter("Pungli di loket", NINE_WITA)  # the app kept a name, but the reporter asked anonim
    await laravel.execute("UPDATE pengaduans SET is_anonim = 1, rahasia = 1 WHERE id = %s", int(hidden))
    config = laravel_config(mariadb)
    config["reports"] = {**config["reports"], "anonymous": "is_anonim", "confidential": "rahasia"}
    config["insert"]["columns"] = {**config["insert"]["columns"], "is_anonim": "anonymous", "rahasia": "confidential"}
    config["confidential_reporters"] = False
    async with started(_connector(config)) as connector:
        shown = {r.local_id: r.reporter for r in await connector.list_reports(ReportFilter(), None, 10)}
        anonymous = ForwardedReport(**{**FORWARDED.model_dump(), "reporter": Reporter(anonymous=True)})
        accepted = await connector.accept_report("delivery-anonim-1", anonymous)
        flags = await laravel.execute("SELECT CONCAT_WS('|', is_anonim, rahasia, coalesce(nama_pelapor, '-'))"
                                      " FROM pengaduans WHERE id = %s", int(accepted.local_id))
    assert shown[hidden] == Reporter(anonymous=True, confidential=True), "anonim: the name the app kept is not served"
    assert (shown[plain].anonymous, shown[plain].confidential, shown[plain].name) == (False, False, "Budi Santoso")
    assert flags == "1|0|-"


async def test_a_restarted_node_creates_nothing_and_logs_no_server_notes(
    laravel: LaravelApp, mariadb: str, caplog: pytest.LogCaptureFixture
) -> None:
    """simpul_accepted is made at the first start; later starts find it (the user then needs no CREATE), so the
    node's log holds no "Table 'simpul_accepted' already exists" line at every start."""
    async with started(_connector(laravel_config(mariadb))):
        pass
    caplog.clear()
    async with started(_connector(laravel_config(mariadb))) as connector:
        await connector.list_reports(ReportFilter(), None, 5)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_pages_through_ties_in_byte_order_lose_and_repeat_nothing(laravel: LaravelApp, mariadb: str) -> None:
    """Ids 1 to 40, four to a received time: a page's end falls inside a time again and again. Keyset pages of 7
    give every report once, newest first and, within a time, ids in byte order ('10' before '9')."""
    for i in range(40):
        await laravel.enter(f"Laporan {i + 1}", NINE_WITA + timedelta(minutes=i // 4))
    async with started(_connector(laravel_config(mariadb))) as connector:
        everything = await connector.list_reports(ReportFilter(), None, 100)
        paged: list[str] = []
        after = None
        while page := await connector.list_reports(ReportFilter(), after, 7):
            paged += [r.local_id for r in page]
            after = Keyset(received_at=page[-1].received_at, after_id=page[-1].local_id)
    expected = sorted(everything, key=lambda r: r.local_id.encode())
    expected.sort(key=lambda r: r.received_at, reverse=True)
    assert [r.local_id for r in everything] == [r.local_id for r in expected]
    assert [r.local_id for r in everything][:4] == ["37", "38", "39", "40"]
    assert paged == [r.local_id for r in everything] and len(set(paged)) == 40
