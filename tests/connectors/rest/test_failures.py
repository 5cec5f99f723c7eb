"""When the agency API is away, refuses us or answers nonsense: one ConnectorError that says what and where."""

from __future__ import annotations

import socket
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from connectors.base import ConnectorError, ReportFilter, ReportStatus
from connectors.contract import NodeContext, node_schema
from connectors.rest import RestConnector, parse
from tests.connectors.nodes import started
from tests.connectors.rest.conftest import IDENTITY, TOKEN_ENV, FakeAgency, example_config

REPORT = dict(judul="Jalan berlubang", isi="Jalan poros Sangatta berlubang.", kategori="infrastruktur-jalan",
              kode_wilayah="64.08", dibuat_pada="2026-03-02T08:00:00+07:00")


def _started(config: dict[str, object], data_dir: Path) -> AbstractAsyncContextManager[RestConnector]:
    return started(RestConnector(IDENTITY, parse(config), data_dir))


async def _fails(connector: RestConnector, *expected: str) -> str:
    """Every read fails with the same kind of message, and health says so."""
    for call in (connector.list_reports(ReportFilter(), None, 10), connector.changes(None, 10)):
        with pytest.raises(ConnectorError) as raised:
            await call
        assert all(part in str(raised.value) for part in expected), str(raised.value)
    health = await connector.health()
    assert not health.ok and all(part in health.detail for part in expected), health.detail
    return str(raised.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_api_is_named_with_its_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "x")
    url = f"http://127.0.0.1:{_closed_port()}/api/v1"
    async with _started(example_config(url), tmp_path) as connector:
        await _fails(connector, "unreachable", url)
        with pytest.raises(ConnectorError, match="unreachable"):
            await connector.get_report("1")


async def test_an_html_error_page_is_not_mistaken_for_data(agency: FakeAgency, connector: RestConnector) -> None:
    await agency.mode("html")
    await _fails(connector, "not JSON", "text/html", "GET /laporan")


async def test_a_server_error_is_passed_on_with_the_agencys_own_message(
    agency: FakeAgency, connector: RestConnector
) -> None:
    await agency.mode("error500")
    await _fails(connector, "HTTP 500", "terjadi kesalahan pada server")


async def test_a_wrong_key_is_reported_as_refused_credentials(
    agency: FakeAgency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "kunci-lama")
    async with _started(example_config(agency.api_url), tmp_path) as connector:
        await _fails(connector, "refused our credentials", "HTTP 401", "token akses tidak valid")


async def test_a_slow_api_times_out_after_the_configured_seconds(agency: FakeAgency, tmp_path: Path) -> None:
    await agency.mode("lambat")
    async with _started(example_config(agency.api_url, timeout=0.3), tmp_path) as connector:
        with pytest.raises(ConnectorError, match=r"did not answer GET /laporan within 0.3 s"):
            await connector.list_reports(ReportFilter(), None, 10)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("judul", None, "GET /laporan page 1: data.items.1.judul is missing"),
    ("judul", 42, "data.items.1.judul must be a string, not int"),
    ("status", "dibatalkan", "data.items.1.status has the unknown status 'dibatalkan'; [status_map] knows baru"),
    ("dibuat_pada", "kemarin sore", "data.items.1.dibuat_pada is not an ISO 8601 time"),
    ("kode_wilayah", "Kutai Timur", "data.items.1.kode_wilayah is not a dotted Kemendagri region code"),
    ("pelapor", {"anonim": "ya"}, "data.items.1.pelapor.anonim must be true or false"),
])
async def test_a_malformed_report_is_named_by_its_field_path(
    agency: FakeAgency, connector: RestConnector, field: str, value: object, message: str
) -> None:
    await agency.add(**REPORT)
    broken = await agency.add(**REPORT)
    await agency.corrupt(broken, field, *(() if value is None else (value,)))
    with pytest.raises(ConnectorError) as raised:
        await connector.list_reports(ReportFilter(), None, 10)
    assert message in str(raised.value)
    health = await connector.health()
    assert not health.ok and message in health.detail
    with pytest.raises(ConnectorError, match=f"data.{field}"):
        await connector.get_report(broken)


async def test_a_list_answer_without_a_list_says_where_it_looked(agency: FakeAgency, connector: RestConnector) -> None:
    await agency.mode("bukan-daftar")
    await _fails(connector, "data.items", "must be a list, not str")


async def test_the_node_contract_shows_the_agencys_failure_as_a_graphql_error(
    agency: FakeAgency, connector: RestConnector
) -> None:
    await agency.mode("error500")
    result = await node_schema().execute("{ reports(first: 5) { reports { id } } health { ok detail } }",
                                         context_value=NodeContext(connector=connector))
    assert result.errors and "HTTP 500" in result.errors[0].message


async def test_a_change_missed_while_the_api_failed_arrives_once_it_answers_again(
    agency: FakeAgency, connector: RestConnector
) -> None:
    local_id = await agency.add(**REPORT)
    first = await connector.changes(None, 50)
    await agency.set_status(local_id, "diproses")
    await agency.mode("error500")
    with pytest.raises(ConnectorError):
        await connector.changes(first[-1].cursor, 50)
    await agency.mode("normal")
    later = await connector.changes(first[-1].cursor, 50)
    assert [(c.local_id, c.status) for c in later] == [(local_id, ReportStatus.IN_PROCESS)]


async def test_paging_that_never_advances_is_stopped_with_a_hint(agency: FakeAgency, tmp_path: Path) -> None:
    for _ in range(3):
        await agency.add(**REPORT)
    config = example_config(agency.api_url, pagination={"size": 2, "page_param": "halaman"})  # the API wants "page"
    async with _started(config, tmp_path) as connector:
        with pytest.raises(ConnectorError, match=r"paging GET /laporan does not advance: page 2 .*\[pagination\]"):
            await connector.list_reports(ReportFilter(), None, 10)
