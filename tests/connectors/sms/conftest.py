"""A running SMS channel: a hub, a fake SMS gateway process, and `simpul node sms` enrolled with the hub."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import NodeIdentity, NodeLevel, ReportStatus
from connectors.desk import DeskConnector
from simpul.processes import ChildProcess
from tests.federation import Desk, Hub, create_token, start_desk, start_hub

SECRET = "rahasia-gateway-1708"
GATEWAY_TOKEN = "token-gateway-kaltara"


@dataclass
class FakeGateway:
    popen: subprocess.Popen[str]
    url: str

    async def outbox(self, session: aiohttp.ClientSession) -> list[dict[str, str]]:
        async with session.get(self.url + "/outbox") as response:
            sent: list[dict[str, str]] = await response.json()
            return sent

    async def fail_next(self, session: aiohttp.ClientSession, requests: int, mode: str = "down") -> None:
        async with session.post(self.url + "/outage", json={"requests": requests, "mode": mode}) as response:
            assert response.status == 200

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(10)
        assert self.popen.stdout is not None
        self.popen.stdout.close()


def start_gateway() -> FakeGateway:
    popen = subprocess.Popen([sys.executable, "-m", "tests.connectors.sms.fake_gateway", "--token", GATEWAY_TOKEN],
                             stdout=subprocess.PIPE, text=True)
    assert popen.stdout is not None
    line = popen.stdout.readline()
    assert line.startswith("fake gateway listening on "), line
    return FakeGateway(popen, line.split()[-1])


# The words the module's SMS node reads as categories; a report naming none or two gets "umum".
CATEGORIES = '[categories]\nGURU = "pendidikan"\nSEKOLAH = "pendidikan"\nPUSKESMAS = "kesehatan"\n'


def sms_config(gateway_url: str, **extra: str) -> str:
    lines = [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join([
        'category = "umum"', *lines,
        "[webhook]", 'secret_env = "SMS_TEST_SECRET"', 'received_at_field = "received_at"',
        "[sender]", 'type = "http"', f'url = "{gateway_url}/api/sendsms"', 'format = "form"',
        'text_field = "message"', 'auth_header = "Authorization"', 'auth_prefix = "Bearer "',
        'auth_env = "SMS_TEST_GATEWAY_TOKEN"', 'success_field = "status"', 'success_value = "1"', "",
    ])


@dataclass
class SmsChannel:
    hub: Hub
    gateway: FakeGateway
    node: Desk  # what tests.federation.node_graphql needs to call the node as the hub does
    database_url: str
    desk: Desk  # Kaltara's province desk, which handles the door's reports

    @property
    def webhook(self) -> str:
        return self.node.url + "/sms/inbound"

    async def deliver(self, session: aiohttp.ClientSession, sender: str, text: str, message_id: str | None = None,
                      as_json: bool = False, secret: str = SECRET) -> tuple[int, dict[str, Any]]:
        """The gateway delivering one SMS to the webhook; returns the HTTP status and the answer."""
        fields = {"id": message_id or secrets.token_hex(6), "from": sender, "text": text,
                  "received_at": "2026-03-02 09:15:00"}
        body: dict[str, Any] = {"json": fields} if as_json else {"data": fields}
        async with session.post(self.webhook, headers={"X-Gateway-Secret": secret}, **body) as response:
            answer: dict[str, Any] = await response.json()
            return response.status, answer

    async def answer(self, tracking_number: str, unit: str, tanggapan: str) -> str:
        """The handling unit, working in the same store, verifies the report and posts its answer; returns the
        report's local id."""
        store = DeskConnector(NodeIdentity("65.sms", "SMS", NodeLevel.PROVINSI, "65", "sms"), self.database_url,
                              "sms_65_sms")
        await store.start()
        try:
            local_id = await store.local_id_of(tracking_number)
            for status in (ReportStatus.VERIFIED, ReportStatus.IN_PROCESS):
                await store.change_status(local_id, status, unit)
            await store.change_status(local_id, ReportStatus.COMPLETED, unit, tanggapan)
        finally:
            await store.stop()
        return local_id


@pytest.fixture(scope="module")
def sms_channel(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsChannel]:
    data_dir: Path = tmp_path_factory.mktemp("sms")
    hub = start_hub(module_database, data_dir)
    gateway = start_gateway()
    node = None
    # Kaltara's desk handles what the SMS door takes in (nobody at the door can): verifies, follows up, answers.
    desk = start_desk(hub, data_dir, "65", "65", "PROVINSI", extra=["--categories", "kesehatan,pendidikan"],
                      token=create_token(module_database, "65", categories=("kesehatan", "pendidikan"),
                                         level="PROVINSI"))
    try:
        config = data_dir / "sms.toml"
        config.write_text(sms_config(gateway.url, reply_retry_seconds="0.5") + CATEGORIES)
        args = ["node", "sms", "--config", str(config), "--code", "65.sms", "--name", "SMS 1708 Kaltara",
                "--level", "PROVINSI", "--region", "65", "--hub-url", hub.url, "--database-url", module_database,
                "--data-dir", str(data_dir), "--heartbeat", "0.5", "--port", "0",
                "--token", create_token(module_database, "65")]
        process = ChildProcess(args, env={"SMS_TEST_SECRET": SECRET, "SMS_TEST_GATEWAY_TOKEN": GATEWAY_TOKEN})
        url = process.wait_for(r"node \S+ serving on (http://\S+)")[1]
        node = Desk(process, url, "65.sms", "65", "", data_dir, "PROVINSI")
        yield SmsChannel(hub, gateway, node, module_database, desk)
    finally:
        if node is not None:
            node.process.stop()
        desk.process.stop()
        gateway.stop()
        hub.process.stop()
