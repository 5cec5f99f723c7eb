"""What the open311 node does when its endpoint is down, slow, wrong or strict."""

from __future__ import annotations

import socket
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.base import (
    Channel,
    ConnectorError,
    ForwardedReport,
    Keyset,
    Reporter,
    ReportFilter,
    ReportKind,
    ReportStatus,
)
from connectors.kinds import BuildContext, ConfigError
from connectors.open311 import Open311Connector, parse_config
from connectors.open311.config import scan_warning
from connectors.open311.kind import KIND
from tests.connectors.open311.conftest import FakeOpen311, connector_config
from tests.connectors.open311.test_open311_contract import IDENTITY
from tests.federation import run_cli

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
Start = Callable[..., Awaitable[Open311Connector]]
FORWARDED = ForwardedReport(
    source_id="65:9", tracking_number="65-000009", kind=ReportKind.PENGADUAN, title="Puskesmas tutup siang",
    body="Diteruskan dari meja Kaltara.", category="kesehatan", region_code="64.08.04", channel=Channel.SMS,
    reporter=Reporter(name="Warga", contact="0812-5555-0101"), received_at=T0,
)


@pytest.fixture
async def start(fake: FakeOpen311, tmp_path: Path) -> AsyncIterator[Start]:
    """Start connectors over the fake (or another URL) with extra config; all stopped afterwards."""
    started: list[Open311Connector] = []

    async def _start(url: str | None = None, data_dir: Path = tmp_path, **extra: Any) -> Open311Connector:
        connector = Open311Connector(IDENTITY, parse_config(connector_config(url or fake.url, **extra), IDENTITY),
                                     data_dir)
        await connector.start()
        started.append(connector)
        return connector

    yield _start
    for connector in started:
        await connector.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_endpoint_is_a_clear_error_and_an_unhealthy_node(start: Start) -> None:
    connector = await start(f"http://127.0.0.1:{_closed_port()}/open311/v2")
    with pytest.raises(ConnectorError, match="unreachable"):
        await connector.list_reports(ReportFilter(), None, 10)
    with pytest.raises(ConnectorError, match="unreachable"):
        await connector.changes(None, 10)
    health = await connector.health()
    assert not health.ok and "unreachable" in health.detail


@pytest.mark.parametrize("format", ["json", "xml"])
async def test_malformed_answers_and_server_errors_are_named(fake: FakeOpen311, start: Start, format: str) -> None:
    connector = await start(format=format)
    await fake.add("jalan", ReportKind.PENGADUAN, "Jalan rusak", "Berlubang.", T0, "64.08")
    await fake.fail("malformed")
    with pytest.raises(ConnectorError, match=f"malformed data: not {format.upper()}"):
        await connector.get_report("1001")
    assert "malformed" in (await connector.health()).detail
    await fake.fail("error")
    with pytest.raises(ConnectorError, match="answered 500: 500 database connection lost"):
        await connector.list_reports(ReportFilter(), None, 10)
    await fake.fail("bad_record")
    with pytest.raises(ConnectorError, match="'kemarin sore', which is not a W3C date-time"):
        await connector.list_reports(ReportFilter(), None, 10)


async def test_a_slow_endpoint_times_out_with_a_clear_error(fake: FakeOpen311, start: Start) -> None:
    connector = await start(timeout=0.3)
    await fake.fail("slow")
    with pytest.raises(ConnectorError, match="unreachable: TimeoutError"):
        await connector.list_reports(ReportFilter(), None, 10)


async def test_a_status_outside_the_map_is_refused_not_guessed(fake: FakeOpen311, start: Start) -> None:
    connector = await start()
    request_id = await fake.add("jalan", ReportKind.PENGADUAN, "Jalan rusak", "Berlubang.", T0, "64.08")
    await fake.change(request_id, "acknowledged", None)
    with pytest.raises(ConnectorError, match="status 'acknowledged' is not in the \\[status\\] map"):
        await connector.get_report(request_id)
    mapped = await start(data_dir=Path(str(connector.state_file.path.parent) + "-2"),
                         status={"open": "IN_PROCESS", "acknowledged": "VERIFIED"})
    report = await mapped.get_report(request_id)
    assert report is not None and report.status is ReportStatus.VERIFIED


async def test_full_windows_are_split_so_nothing_is_cut_off(fake: FakeOpen311, start: Start) -> None:
    await fake.reset(max_results=3)
    ids = {await fake.add("jalan", ReportKind.PENGADUAN, f"Laporan {i}", "Isi.", T0 - timedelta(hours=i), "64.08")
           for i in range(8)}
    connector = await start(max_results=3)
    listed = await connector.list_reports(ReportFilter(), None, 100)
    assert {r.local_id for r in listed} == ids
    assert [r.title for r in await connector.list_reports(ReportFilter(), Keyset(T0 - timedelta(hours=5), None),
                                                          2)] == ["Laporan 6", "Laporan 7"]


async def test_a_range_wider_than_the_server_allows_is_the_servers_error(start: Start) -> None:
    connector = await start(window_days=200)
    with pytest.raises(ConnectorError, match="may not span more than 90 days"):
        await connector.list_reports(ReportFilter(), None, 10)


async def test_a_forwarded_report_is_posted_once_even_across_restarts(
        fake: FakeOpen311, start: Start, tmp_path: Path) -> None:
    connector = await start()
    first = await connector.accept_report("delivery-65-9", FORWARDED)
    assert first.created and first.tracking_number == "65-000009"
    restarted = await start()
    again = await restarted.accept_report("delivery-65-9", FORWARDED)
    assert (again.local_id, again.created) == (first.local_id, False)
    assert await fake.posted() == 1
    report = await restarted.get_report(first.local_id)
    assert report is not None
    assert (report.title, report.category, report.region_code) == ("Puskesmas tutup siang", "kesehatan", "64.08.04")
    assert report.tracking_number == "65-000009"


async def test_a_wrong_api_key_is_refused_in_the_spec_error_format_and_nothing_is_kept(
        fake: FakeOpen311, start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUTIM_OPEN311_KEY", "kunci-salah")
    wrong = await start(format="xml")
    with pytest.raises(ConnectorError, match="403 Invalid api_key received"):
        await wrong.accept_report("delivery-65-9", FORWARDED)
    monkeypatch.setenv("KUTIM_OPEN311_KEY", "kunci-uji-open311")
    right = await start(format="xml")
    assert (await right.accept_report("delivery-65-9", FORWARDED)).created
    assert await fake.posted() == 1


async def test_a_token_is_remembered_until_the_server_assigns_an_id(fake: FakeOpen311, start: Start) -> None:
    await fake.reset(tokens=True, token_delay=1)
    connector = await start()
    with pytest.raises(ConnectorError, match="has not assigned a service_request_id yet"):
        await connector.accept_report("delivery-65-9", FORWARDED)
    accepted = await connector.accept_report("delivery-65-9", FORWARDED)
    assert accepted.created and accepted.local_id
    assert not (await connector.accept_report("delivery-65-9", FORWARDED)).created
    assert await fake.posted() == 1


async def test_a_category_with_no_service_code_is_not_posted(fake: FakeOpen311, start: Start) -> None:
    connector = await start()
    with pytest.raises(ConnectorError, match="no Open311 service_code for category 'pajak'"):
        await connector.accept_report("k", ForwardedReport(**{**FORWARDED.__dict__, "category": "pajak"}))
    assert await fake.posted() == 0


async def test_service_request_updates_bring_every_step_and_its_note(fake: FakeOpen311, start: Start) -> None:
    await fake.reset(updates=True)
    request_id = await fake.add("jalan", ReportKind.PENGADUAN, "Jalan rusak", "Berlubang.", T0, "64.08")
    connector = await start(status={"open": "IN_PROCESS"})
    first = await connector.changes(None, 50)
    assert [c.local_id for c in first] == [request_id]
    await fake.change(request_id, "open", "Tim sudah survei lokasi.")
    await fake.change(request_id, "closed", "Jalan sudah ditambal.")
    later = await connector.changes(first[-1].cursor, 50)
    assert [(c.status, c.note) for c in later] == [
        (ReportStatus.IN_PROCESS, "Tim sudah survei lokasi."), (ReportStatus.COMPLETED, "Jalan sudah ditambal.")]
    restarted = await start()
    assert await restarted.changes(later[-1].cursor, 50) == []


async def test_forwarding_away_is_recorded_once_in_the_feed(fake: FakeOpen311, start: Start) -> None:
    request_id = await fake.add("kesehatan", ReportKind.PENGADUAN, "Puskesmas", "Tutup.", T0, "64.08")
    connector = await start()
    seen = await connector.changes(None, 50)
    await connector.mark_forwarded(request_id, "64.08.dinkes")
    await connector.mark_forwarded(request_id, "64.08.dinkes")
    later = await connector.changes(seen[-1].cursor, 50)
    assert [(c.status, c.note) for c in later] == [(ReportStatus.FORWARDED, "diteruskan ke 64.08.dinkes")]
    with pytest.raises(ConnectorError, match="no Open311 request"):
        await connector.mark_forwarded("999999", "64")


async def test_a_state_file_lost_with_the_data_folder_says_the_hubs_cursor_is_past_the_feeds_end(
    fake: FakeOpen311, start: Start
) -> None:
    request_id = await fake.add("jalan", ReportKind.PENGADUAN, "Jalan rusak", "Berlubang.", T0, "64.08")
    connector = await start()
    read = await connector.changes(None, 50)
    await fake.change(request_id, "closed", "Jalan sudah ditambal.")
    read += await connector.changes(read[-1].cursor, 50)
    assert [c.cursor for c in read] == ["1", "2"]
    assert not await connector.cursor_past_end("1")
    assert not await connector.cursor_past_end("2")

    connector.state_file.path.unlink()  # the node reinstalled with an empty data folder
    reinstalled = await start()
    assert await reinstalled.changes("2", 50) == []
    assert await reinstalled.cursor_past_end("2")
    assert not await reinstalled.cursor_past_end("1")


@pytest.mark.parametrize(("setting", "error"), [
    ({"format": "csv"}, "'format' must be one of json, xml, not 'csv'"),
    ({"endpoint": "kutaitimurkab.go.id/open311"}, "'endpoint' must be an http(s) URL"),
    ({"api_key_env": "TIDAK_ADA_KEY"}, "names TIDAK_ADA_KEY, but that environment variable is not set"),
    ({"status": {"closed": "BERES"}}, "'status.closed' must be one of"),
    ({"services": {"JLN": 5}}, "'services.JLN' must be a category"),
])
def test_a_bad_config_is_named_before_anything_runs(
        setting: dict[str, Any], error: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUTIM_OPEN311_KEY", "kunci")
    with pytest.raises(ConfigError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_config({**connector_config("http://127.0.0.1:1/open311/v2"), **setting}, IDENTITY)


def test_simpul_node_open311_with_a_bad_config_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('endpoint = "http://127.0.0.1:1/open311/v2"\nformat = "csv"\n')
    result = run_cli("node", "open311", "--config", str(config), "--code", "64.08.dpupr", "--name", "DPUPR",
                     "--level", "UNIT", "--region", "64.08", "--hub-url", "http://127.0.0.1:1",
                     "--data-dir", str(tmp_path), timeout=30)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'format' must be one of json, xml, not 'csv'" in lines[0], result.stderr


def test_the_documented_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUTIM_OPEN311_KEY", "kunci")
    example = Path(__file__).resolve().parents[3] / "connectors" / "open311" / "example.toml"
    table = tomllib.loads(example.read_text())
    table.pop("node")
    config = parse_config(table, IDENTITY)
    assert config.format == "xml" and config.services["USL-01"].kind is ReportKind.ASPIRASI
    assert config.statuses["open"] is ReportStatus.RECEIVED, "an open request is not yet followed up"
    assert config.service_code_for("drainase", ReportKind.PENGADUAN) == "JLN-01"
    assert config.service_code_for("jalan", ReportKind.ASPIRASI) == "USL-01"


def test_a_since_many_windows_back_is_warned_of_at_start_with_what_each_scan_costs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Every scan of the change feed GETs `requests` once per window from `since` to now."""
    monkeypatch.setenv("KUTIM_OPEN311_KEY", "kunci")
    now = datetime(2026, 12, 5, tzinfo=UTC)
    early = parse_config({**connector_config("http://127.0.0.1:9/open311/v2"), "since": "2024-01-01T00:00:00Z"},
                         IDENTITY)
    assert scan_warning(early, now) == (
        "since = 2024-01-01 with window_days = 90 makes every change-feed scan 12 GETs of requests; set since to "
        "the oldest request this node must still serve (or window_days as wide as the server allows) to make "
        "scans cheaper")
    recent = parse_config({**connector_config("http://127.0.0.1:9/open311/v2"),
                           "since": (now - timedelta(days=200)).isoformat()}, IDENTITY)
    assert scan_warning(recent, now) is None

    with caplog.at_level("WARNING", logger="simpul.node"):
        KIND.build(BuildContext(IDENTITY, {**connector_config("http://127.0.0.1:9/open311/v2"),
                                           "since": "2015-01-01T00:00:00Z"}, tmp_path, None))
    assert [r.getMessage() for r in caplog.records if "change-feed scan" in r.getMessage()], caplog.text
