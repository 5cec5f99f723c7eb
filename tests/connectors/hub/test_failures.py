"""Failures of the child hub connector: each a clear ConnectorError or unhealthy health, never a crash."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from connectors.base import (
    Channel,
    ConnectorError,
    ForwardedReport,
    NodeIdentity,
    NodeLevel,
    Reporter,
    ReportFilter,
    ReportKind,
)
from connectors.hub import ChildHubClient, ChildHubConnector
from tests.connectors.hub.conftest import ChildHub
from tests.federation import graphql, run_cli

IDENTITY = NodeIdentity("64", "Hub Pemprov Kaltim", NodeLevel.PROVINSI, "64", "hub")
FORWARDED = ForwardedReport(
    source_id="hub:LPR-AAAA2222", tracking_number="LPR-AAAA2222", kind=ReportKind.PENGADUAN,
    title="Puskesmas tutup siang", body="Diteruskan dari hub nasional.", category="kesehatan",
    region_code="64.08", channel=Channel.WEB, reporter=Reporter(anonymous=True),
    received_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _connector(url: str, key: str = "adm_nope") -> ChildHubConnector:
    connector = ChildHubConnector(IDENTITY, ChildHubClient(url, key, 3), 0.5)
    await connector.start()
    return connector


async def test_an_unreachable_child_hub_is_a_clear_error_and_an_unhealthy_node() -> None:
    connector = await _connector(f"http://127.0.0.1:{_free_port()}")
    try:
        with pytest.raises(ConnectorError, match="child hub at http://127.0.0.1:\\d+ unreachable"):
            await connector.list_reports(ReportFilter(), None, 10)
        health = await connector.health()
        assert not health.ok and "unreachable" in health.detail
    finally:
        await connector.stop()


@pytest.fixture
async def garbage_hub() -> AsyncIterator[Callable[[str], None]]:
    """A real HTTP server in the child hub's place, answering /graphql with whatever a test sets."""
    answer = {"body": ""}

    async def graphql_endpoint(request: web.Request) -> web.Response:
        return web.Response(text=answer["body"], content_type="application/json")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/graphql", graphql_endpoint)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    connector = await _connector(f"http://127.0.0.1:{port}")

    def answering(body: str) -> None:
        answer["body"] = body

    answering.connector = connector  # type: ignore[attr-defined]
    try:
        yield answering
    finally:
        await connector.stop()
        await runner.cleanup()


@pytest.mark.parametrize(("body", "problem"), [
    ("<html>502 Bad Gateway</html>", "non-JSON"),
    (json.dumps({"data": {"reports": {"reports": [{"id": "64.08:1"}], "pageInfo": {}}}}), "wrong shape"),
    (json.dumps({"data": None, "errors": [{"message": "unknown or revoked API key"}]}),
     "failed: unknown or revoked API key"),
    (json.dumps([1, 2]), "non-object"),
])
async def test_malformed_answers_are_clear_errors(
    garbage_hub: Callable[[str], None], body: str, problem: str
) -> None:
    garbage_hub(body)
    connector: ChildHubConnector = garbage_hub.connector  # type: ignore[attr-defined]
    with pytest.raises(ConnectorError, match=problem):
        await connector.list_reports(ReportFilter(), None, 10)
    health = await connector.health()
    assert not health.ok and problem in health.detail


async def test_the_child_hub_refuses_a_wrong_key_and_parent_calls_without_an_admin_key(
    kaltim: ChildHub, session: aiohttp.ClientSession
) -> None:
    connector = await _connector(kaltim.hub.url, "adm_not-a-key")
    try:
        with pytest.raises(ConnectorError, match="unknown or revoked API key"):
            await connector.changes(None, 10)
        assert not (await connector.health()).ok
    finally:
        await connector.stop()

    body = await graphql(session, kaltim.hub.graphql_url, "{ ledgerChanges { cursor } }", headers={})
    assert body["data"] is None and "needs an API key or a session" in body["errors"][0]["message"]

    connector = await _connector(kaltim.hub.url, kaltim.admin_key)
    try:
        assert (await connector.health()).ok
        accepted = await connector.accept_report("delivery-LPR-AAAA2222", FORWARDED)
        assert accepted.created and accepted.tracking_number == "LPR-AAAA2222"
        # No unit under this child hub: it cannot place the report and says so to its parent.
        [change] = [c for c in await connector.changes(None, 10) if c.tracking_number == "LPR-AAAA2222"]
        assert change.status.value == "RETURNED" and "no unit left" in (change.note or "")
        other = ForwardedReport(**{**FORWARDED.__dict__, "tracking_number": "LPR-BBBB3333",
                                   "source_id": "hub:LPR-BBBB3333"})
        with pytest.raises(ConnectorError, match="was used for another report"):
            await connector.accept_report("delivery-LPR-AAAA2222", other)
    finally:
        await connector.stop()


@pytest.mark.parametrize(("config", "env", "message"), [
    ("admin_key_env = 'KALTIM_KEY'\n", {"KALTIM_KEY": "adm_x"}, "the connector configuration needs 'url'"),
    ("url = 'kaltim-hub:8000'\n", {}, "'url' must be the child hub's http(s) base URL"),
    ("url = 'http://kaltim-hub:8000'\nadmin_key_env = 'KALTIM_KEY'\n", {"KALTIM_KEY": ""},
     "environment variable KALTIM_KEY (admin_key_env) must hold an admin key"),
    ("url = 'http://kaltim-hub:8000'\ntimeout = 'soon'\n", {"SIMPUL_CHILD_HUB_ADMIN_KEY": "adm_x"},
     "'timeout' must be a number of seconds"),
])
def test_a_bad_config_is_a_one_line_error(tmp_path: Path, config: str, env: dict[str, str], message: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(config + "[node]\ncode = '64'\nname = 'Kaltim'\nlevel = 'PROVINSI'\nregion = '64'\n")
    result = run_cli("node", "hub", "--config", str(path), "--hub-url", "http://127.0.0.1:9",
                     "--data-dir", str(tmp_path), env={"SIMPUL_CHILD_HUB_ADMIN_KEY": "", **env})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr, result.stderr
