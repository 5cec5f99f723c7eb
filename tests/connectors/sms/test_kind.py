"""The documented example configuration builds a working node."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from connectors.base import NodeIdentity, NodeLevel
from connectors.kinds import BuildContext, ConfigError
from connectors.sms.kind import KIND
from connectors.sms.senders import HttpSender
from connectors.sms.store import SmsStore
from tests.federation import run_cli


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


def test_the_examples_keys_are_the_kinds_not_nodes() -> None:
    """TOML puts every key after a [table] header into that table: the kind's keys come before [node]."""
    config = tomllib.loads(resources.files("connectors.sms").joinpath("example.toml").read_text("utf-8"))
    assert set(config["node"]) <= {"code", "name", "level", "region", "parent", "categories", "hub_url"}
    assert {"schema", "category", "confidential", "number", "provinces", "outside_region"} <= set(config)
    example = resources.files("connectors.sms").joinpath("example.toml").read_text("utf-8")
    assert example in resources.files("connectors.sms").joinpath("README.md").read_text("utf-8"), (
        "the README shows example.toml as it is")


def test_an_unknown_key_is_refused_by_name(tmp_path: Path) -> None:
    identity = NodeIdentity("65.sms", "SMS 1708 Kalimantan Utara", NodeLevel.PROVINSI, "65", "sms")
    with pytest.raises(ConfigError, match="the sms config has unknown keys: kategori;"):
        KIND.build_door(BuildContext(identity, {"kategori": "umum"}, tmp_path, "postgresql://unused"))


def test_a_kinds_key_inside_node_is_one_line_from_the_command(tmp_path: Path) -> None:
    config = tmp_path / "sms.toml"
    config.write_text('[node]\ncode = "65.sms"\nname = "SMS"\nlevel = "PROVINSI"\nregion = "65"\n'
                      'hub_url = "http://127.0.0.1:1"\ncategory = "infrastruktur"\n')
    result = run_cli("node", "sms", "--config", str(config), "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "simpul: error: [node] has unknown keys: category; [node] takes code, name, level, region, parent, "
        "categories, hub_url, and the kind's own keys go above [node] in the file"), result.stderr
