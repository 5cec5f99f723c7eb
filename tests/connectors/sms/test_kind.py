"""The documented example configuration builds a working node."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from connectors.base import NodeIdentity, NodeLevel
from connectors.kinds import BuildContext
from connectors.sms.kind import KIND
from connectors.sms.senders import HttpSender
from connectors.sms.store import SmsStore


def test_the_example_config_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPUL_SMS_SECRET", "s")
    monkeypatch.setenv("SIMPUL_SMS_GATEWAY_KEY", "k")
    config = tomllib.loads(resources.files("connectors.sms").joinpath("example.toml").read_text("utf-8"))
    config.pop("node")
    identity = NodeIdentity("65.sms", "SMS 1708 Kalimantan Utara", NodeLevel.PROVINSI, "65", "sms")
    built = KIND.build(BuildContext(identity, config, tmp_path, "postgresql://unused"))
    assert isinstance(built.connector, SmsStore) and built.connector.schema == "sms_65_sms"
    assert [route.path for route in built.routes] == ["/sms/inbound"]  # type: ignore[attr-defined]
    door = KIND.build_door(BuildContext(identity, config, tmp_path, "postgresql://unused"))
    assert isinstance(door.sender, HttpSender) and door.sender.extra == {"sender_id": "LAPOR1708"}
    assert door.keywords.get("MALINAU") is not None and door.settings.provinces == {"65"}
