"""What goes wrong around the SMS door: bad configuration, an unreachable database or gateway, other provinces."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import pytest

from connectors.base import NodeIdentity, NodeLevel
from connectors.kinds import BuildContext
from connectors.sms.door import Inbound, SmsDoor
from connectors.sms.kind import KIND
from connectors.sms.senders import HttpSender, SendError
from simpul.processes import ChildProcess
from tests.connectors.sms.conftest import GATEWAY_TOKEN, SECRET, sms_config
from tests.federation import create_token, run_cli, start_hub

ENV = {"SMS_TEST_SECRET": SECRET, "SMS_TEST_GATEWAY_TOKEN": GATEWAY_TOKEN}


@pytest.mark.parametrize(("extra", "env", "message"), [
    ({}, {"SMS_TEST_SECRET": ""}, "environment variable SMS_TEST_SECRET (the gateway's shared secret"),
    ({}, {"SMS_TEST_GATEWAY_TOKEN": ""}, "environment variable SMS_TEST_GATEWAY_TOKEN (named in [sender])"),
    ({"outside_region": '"tolak"'}, {}, "'outside_region' must be 'route' or 'refuse', not 'tolak'"),
    ({"provinces": '["65", "99"]'}, {}, "'provinces' must list province codes such as '65', not ['99']"),
    ({"max_length": '"banyak"'}, {}, "'max_length' must be a int, not str"),
])
def test_a_bad_configuration_is_a_one_line_error(
    pg_server: str, tmp_path: Path, extra: dict[str, str], env: dict[str, str], message: str
) -> None:
    config = tmp_path / "sms.toml"
    config.write_text(sms_config("http://127.0.0.1:9", **extra))
    result = run_cli("node", "sms", "--config", str(config), "--code", "65.sms", "--name", "SMS", "--level",
                     "PROVINSI", "--region", "65", "--hub-url", "http://127.0.0.1:9", "--database-url", pg_server,
                     "--data-dir", str(tmp_path), env={**ENV, **env})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"simpul: error: {config}: ") and message in lines[0]


def test_a_clashing_keyword_is_a_configuration_error(pg_server: str, tmp_path: Path) -> None:
    config = tmp_path / "sms.toml"
    config.write_text('[keywords]\nKALTIM = "65"\n' + sms_config("http://127.0.0.1:9"))
    result = run_cli("node", "sms", "--config", str(config), "--code", "65.sms", "--name", "SMS", "--level",
                     "PROVINSI", "--region", "65", "--hub-url", "http://127.0.0.1:9", "--database-url", pg_server,
                     "--data-dir", str(tmp_path), env=ENV)
    assert result.returncode == 1
    assert "[keywords]: keyword 'KALTIM' already names Kalimantan Timur" in result.stderr


async def test_a_lost_database_answers_the_gateway_503_and_the_node_reports_itself_unhealthy(
    database: str, pg_server: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    name = f"simpul_sms_lost_{secrets.token_hex(4)}"
    node_database = urlunsplit(urlsplit(pg_server)._replace(path="/" + name))
    admin = await asyncpg.connect(pg_server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    hub = start_hub(database, tmp_path)
    node = None
    try:
        config = tmp_path / "sms.toml"
        config.write_text(sms_config("http://127.0.0.1:9"))
        node = ChildProcess(["node", "sms", "--config", str(config), "--code", "65.sms", "--name", "SMS",
                             "--level", "PROVINSI", "--region", "65", "--hub-url", hub.url, "--database-url",
                             node_database, "--data-dir", str(tmp_path), "--port", "0",
                             "--token", create_token(database, "65")], env=ENV)
        url = node.wait_for(r"node \S+ serving on (http://\S+)")[1]
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

        async with session.post(url + "/sms/inbound", headers={"X-Gateway-Secret": SECRET},
                                data={"id": "m1", "from": "081234500001", "text": "LAPORKALTARA Jalan rusak"}) as r:
            assert r.status == 503
            assert (await r.json())["error"] == "database unavailable; deliver the message again later"
        async with session.get(url + "/healthz") as r:
            assert r.status == 503 and (await r.json())["detail"].startswith("database unavailable")
        assert node.running
    finally:
        if node is not None:
            node.stop()
        hub.process.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_an_unreachable_gateway_is_a_send_error() -> None:
    sender = HttpSender("http://127.0.0.1:9/api/sendsms", "form", "to", "message", {}, {}, 2.0)
    try:
        with pytest.raises(SendError, match="SMS gateway unreachable at http://127.0.0.1:9/api/sendsms"):
            await sender.send("081234500001", "Laporan diterima")
    finally:
        await sender.close()


@pytest.fixture
async def refusing_door(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SmsDoor]:
    """A Kaltara node that refuses other provinces' keywords and only logs its replies."""
    monkeypatch.setenv("SIMPUL_SMS_SECRET", SECRET)
    identity = NodeIdentity("65.sms", "SMS 1708 Kaltara", NodeLevel.PROVINSI, "65", "sms")
    door = KIND.build_door(BuildContext(identity, {"outside_region": "refuse", "keywords": {"BULUNGAN": "65.01"}},
                                        tmp_path, database))
    await door.store.start()
    try:
        yield door
    finally:
        await door.store.stop()


def _sms(text: str, sender: str = "081234500001") -> Inbound:
    return Inbound(secrets.token_hex(4), sender, text, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


async def test_a_refusing_node_points_other_provinces_to_their_keyword(
    refusing_door: SmsDoor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "simpul.sms")
    outside = await refusing_door.receive(_sms("LAPORJABAR Jalan rusak di Bandung"))
    assert outside.tracking_number is None
    assert outside.reply == ("Nomor ini melayani LAPORKALTARA. Untuk Jawa Barat kirim LAPORJABAR (spasi) isi laporan"
                             " ke 1708 atau lewat lapor.go.id.")
    inside = await refusing_door.receive(_sms("LAPORBULUNGAN Jalan rusak di Tanjung Selor"))
    assert inside.tracking_number and inside.tracking_number in inside.reply
    report = await refusing_door.store.find_by_tracking_number(inside.tracking_number)
    assert report is not None and report.region_code == "65.01"

    logged = [r.getMessage() for r in caplog.records]
    assert any(inside.tracking_number in line and "***001" in line for line in logged), logged
    assert not any("81234500001" in line for line in logged), "the log sender masks the number"
