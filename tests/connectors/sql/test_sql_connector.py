"""The sql connector over SIPP: local times, undotted regions, the mapped insert, and every way it can fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from connectors.base import (
    Channel,
    ConnectorError,
    Dimension,
    ForwardedReport,
    NodeIdentity,
    NodeLevel,
    Reporter,
    ReportFilter,
    ReportKind,
)
from connectors.numbering import FederationNumbers
from connectors.sql import SqlConnector, read_mapping
from simpul.errors import InvalidInput
from tests.connectors.sql.agency import SippApp, example_config

IDENTITY = NodeIdentity("64.08.sipp", "SIPP Kutai Timur", NodeLevel.UNIT, "64.08", "sql")
NUMBERS = FederationNumbers(IDENTITY.code, b"k" * 32)
NINE_WITA = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Samarinda

FORWARDED = ForwardedReport(
    source_id="65:9", tracking_number="65-000009", kind=ReportKind.ASPIRASI, title="Perbaiki drainase",
    body="Diteruskan dari meja Kaltara.", category="jalan", region_code="64.08.04", channel=Channel.SMS,
    reporter=Reporter(name="Siti", contact="0811111111"), received_at=NINE_WITA,
)


@pytest.fixture
async def app(database: str) -> SippApp:
    sipp = SippApp(database)
    await sipp.create_schema()
    return sipp


async def _started(database: str, **changes: Any) -> SqlConnector:
    connector = SqlConnector(IDENTITY, read_mapping(example_config(database, **changes)), NUMBERS)
    await connector.start()
    return connector


@pytest.fixture
async def sipp(app: SippApp, database: str) -> AsyncIterator[SqlConnector]:
    connector = await _started(database)
    try:
        yield connector
    finally:
        await connector.stop()


async def test_wita_wall_times_and_undotted_regions_read_as_simpul_values(app: SippApp, sipp: SqlConnector) -> None:
    local_id = await app.execute(
        "INSERT INTO sipp.pengaduan (judul, isi, kd_status, kategori_id, kd_wilayah, tgl_masuk)"
        " VALUES ('Jalan rusak', 'Berlubang.', 2, 1, '640804', '2026-03-02 09:00') RETURNING id::text")
    report = await sipp.get_report(local_id)
    assert report is not None
    assert report.received_at == NINE_WITA and report.region_code == "64.08.04"
    assert (report.category, report.status, report.kind) == ("jalan", "IN_PROCESS", ReportKind.PENGADUAN)
    assert report.tracking_number == NUMBERS.of(local_id), "derived under the node's key, not the id in sequence"
    assert report.reporter.anonymous
    assert [r.local_id for r in await sipp.list_reports(ReportFilter(region_prefix="64.08"), None, 10)] == [local_id]
    assert await sipp.list_reports(ReportFilter(region_prefix="64.01"), None, 10) == []
    window = ReportFilter(received_from=NINE_WITA, received_to=datetime(2026, 3, 2, 1, 1, tzinfo=UTC))
    assert len(await sipp.list_reports(window, None, 10)) == 1
    stats = await sipp.count_reports(ReportFilter(), (Dimension.REGION,), 3)
    assert [(b.region_code, b.count) for b in stats] == [("64.08.04", 1)]


async def test_a_forwarded_report_becomes_a_sipp_row_in_the_agencys_own_values(
    app: SippApp, sipp: SqlConnector
) -> None:
    accepted = await sipp.accept_report("delivery-65-9", FORWARDED)
    row = await app.execute(
        "SELECT row_to_json(p)::text FROM (SELECT judul, jenis, kd_status, kategori_id, kd_wilayah, tgl_masuk,"
        " nama_pelapor, sumber FROM sipp.pengaduan WHERE id = $1) p", int(accepted.local_id))
    assert row == ('{"judul":"Perbaiki drainase","jenis":"A","kd_status":1,"kategori_id":1,'
                   '"kd_wilayah":"640804       ","tgl_masuk":"2026-03-02T09:00:00","nama_pelapor":"Siti",'
                   '"sumber":"SIMPUL"}')
    report = await sipp.get_report(accepted.local_id)
    assert report is not None and report.tracking_number == "65-000009" and report.channel is Channel.SMS
    assert report.reporter.confidential and report.reporter.contact == "0811111111"
    again = await sipp.accept_report("another-key-same-report", FORWARDED)
    assert (again.local_id, again.created) == (accepted.local_id, False)
    assert await app.execute("SELECT count(*) FROM sipp.pengaduan") == 1


async def test_a_forwarded_report_in_a_category_sipp_lacks_is_refused_and_leaves_nothing(
    app: SippApp, sipp: SqlConnector
) -> None:
    with pytest.raises(InvalidInput, match="'Pariwisata' has no row in sipp.kategori.nama"):
        await sipp.accept_report("delivery-65-10", ForwardedReport(**{**FORWARDED.__dict__, "category": "Pariwisata"}))
    assert await app.execute("SELECT count(*) FROM sipp.pengaduan") == 0
    assert await app.execute("SELECT count(*) FROM simpul.simpul_accepted") == 0


async def test_an_unknown_status_code_is_named_not_guessed(app: SippApp, sipp: SqlConnector) -> None:
    local_id = await app.enter("Status aneh", NINE_WITA, status=7)
    with pytest.raises(ConnectorError, match=f"report {local_id}: status value '7' is not in \\[status_map\\]"):
        await sipp.list_reports(ReportFilter(), None, 10)
    with pytest.raises(ConnectorError, match="status value '7'"):
        await sipp.count_reports(ReportFilter(), (Dimension.STATUS,), 1)
    with pytest.raises(ConnectorError, match="status value '7'"):
        await sipp.changes(None, 10)


async def test_a_region_code_that_is_not_kemendagri_is_an_error(app: SippApp, sipp: SqlConnector) -> None:
    await app.enter("Wilayah salah", NINE_WITA, wilayah="KUTIM")
    with pytest.raises(ConnectorError, match="region code 'KUTIM' is not a Kemendagri code"):
        await sipp.list_reports(ReportFilter(), None, 10)


async def test_a_report_that_is_not_there_is_none_whatever_its_id(app: SippApp, sipp: SqlConnector) -> None:
    assert await sipp.get_report("999") is None
    assert await sipp.get_report("not-a-number") is None


async def test_a_forged_change_cursor_is_refused(app: SippApp, database: str) -> None:
    for feed in ("trigger", "updated_at"):
        connector = await _started(database, feed=feed, schema=f"simpul_{feed}")
        try:
            with pytest.raises(InvalidInput, match="invalid change cursor"):
                await connector.changes("kemarin|1", 10)
        finally:
            await connector.stop()


async def test_the_trigger_feed_backfills_reports_already_there(app: SippApp, database: str) -> None:
    first = await app.enter("Sebelum simpul", NINE_WITA)
    connector = await _started(database)
    try:
        await app.set_status(first, 3)
        changes = await connector.changes(None, 10)
        assert [(c.local_id, c.status) for c in changes] == [(first, "RECEIVED"), (first, "COMPLETED")]
        assert changes[0].at == NINE_WITA, "a report already there enters the feed at its own time, not simpul's"
    finally:
        await connector.stop()


async def test_a_report_completed_before_the_trigger_shows_its_receipt_then_its_completion(
    app: SippApp, database: str
) -> None:
    """Its one feed row is its last change; its timeline still starts when it came in, not with the completion."""
    done = await app.enter("Selesai tahun lalu", NINE_WITA - timedelta(days=300), status=3)
    await app.execute("UPDATE sipp.pengaduan SET tgl_update = tgl_masuk + interval '1 day' WHERE id = $1", int(done))
    connector = await _started(database)
    try:
        report = await connector.get_report(done)
    finally:
        await connector.stop()
    assert report is not None
    assert [(e.status, e.at) for e in report.timeline] == [
        ("RECEIVED", NINE_WITA - timedelta(days=300)), ("COMPLETED", NINE_WITA - timedelta(days=299))]


@pytest.mark.parametrize(("change", "message"), [
    ({"reports": {"table": "sipp.pengaduan_lama"}}, "no table or view sipp.pengaduan_lama"),
    ({"reports": {"title": "judul_lapor"}}, "sipp.v_pengaduan has no column 'judul_lapor' (mapped as reports.title)"),
    ({"reports": {"received_at": "kd_status"}}, "must be a timestamp column, not smallint"),
    ({"insert": {"columns": {"judul2": "title"}}}, "sipp.pengaduan has no column 'judul2'"),
    ({"trigger": {"table": "sipp.v_pengaduan"}}, "a trigger cannot watch a view"),
])
async def test_a_mapping_that_does_not_fit_the_database_stops_the_start(
    app: SippApp, database: str, change: dict[str, Any], message: str
) -> None:
    config = example_config(database)
    for table, values in change.items():
        config[table] = {**config[table], **values}
    connector = SqlConnector(IDENTITY, read_mapping(config), NUMBERS)
    with pytest.raises(ConnectorError) as raised:
        await connector.start()
    assert message in str(raised.value)


async def test_an_unreachable_database_is_a_clear_error_at_start(database: str) -> None:
    connector = SqlConnector(IDENTITY, read_mapping(example_config("postgresql://sipp:rahasia@127.0.0.1:1/sipp")),
                             NUMBERS)
    with pytest.raises(ConnectorError, match="agency database, connecting: ConnectionRefusedError") as raised:
        await connector.start()
    assert "rahasia" not in str(raised.value)


async def test_a_database_that_goes_away_makes_the_node_unhealthy_not_crash(
    app: SippApp, sipp: SqlConnector, database: str, pg_server: str
) -> None:
    await app.enter("Jalan rusak", NINE_WITA)
    assert len(await sipp.list_reports(ReportFilter(), None, 10)) == 1
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'DROP DATABASE "{urlsplit(database).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await admin.close()
    with pytest.raises(ConnectorError, match="agency database, listing reports"):
        await sipp.list_reports(ReportFilter(), None, 10)
    health = await sipp.health()
    assert not health.ok and "agency database" in health.detail


async def test_a_trigger_feed_restored_from_a_backup_says_the_hubs_cursor_is_past_its_end(
    app: SippApp, database: str
) -> None:
    connector = await _started(database)
    try:
        first = await app.enter("Jalan rusak", NINE_WITA)
        await app.enter("Lampu mati", NINE_WITA)
        await app.set_status(first, 3)
        read = await connector.changes(None, 10)
        assert len(read) == 3
        assert not await connector.cursor_past_end(read[0].cursor)
        assert not await connector.cursor_past_end(read[-1].cursor)

        # The agency restores last night's backup: only the first report, as it was entered.
        await app.execute("DELETE FROM sipp.pengaduan WHERE id <> $1", int(first))
        await app.execute("DELETE FROM simpul.simpul_feed WHERE seq > $1", int(read[0].cursor))

        assert await connector.changes(read[-1].cursor, 10) == []
        assert await connector.cursor_past_end(read[-1].cursor)
        assert not await connector.cursor_past_end(read[0].cursor)
    finally:
        await connector.stop()


async def test_an_updated_at_feed_that_went_back_says_the_hubs_cursor_is_past_its_end(
    app: SippApp, database: str
) -> None:
    connector = await _started(database, feed="updated_at", schema="simpul_updated_at")
    try:
        first = await app.enter("Jalan rusak", NINE_WITA)
        second = await app.enter("Lampu mati", NINE_WITA)
        await app.set_status(second, 3)
        read = await connector.changes(None, 10)
        assert [c.local_id for c in read] == [first, second]
        assert not await connector.cursor_past_end(read[0].cursor)
        assert not await connector.cursor_past_end(read[-1].cursor)

        # The agency restores last night's backup: only the first report, never touched since.
        await app.execute("DELETE FROM sipp.pengaduan WHERE id = $1", int(second))

        assert await connector.changes(read[-1].cursor, 10) == []
        assert await connector.cursor_past_end(read[-1].cursor)
        assert not await connector.cursor_past_end(read[0].cursor)
    finally:
        await connector.stop()
