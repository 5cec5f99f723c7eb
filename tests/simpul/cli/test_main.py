"""The `simpul` command: help everywhere, one clear line for every bad invocation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.federation import run_cli

COMMANDS = [
    [], ["hub"], ["node"], ["node", "desk"], ["token"], ["token", "create"],
    ["key"], ["key", "create"], ["key", "revoke"], ["key", "list"], ["user"], ["user", "create"],
    ["holidays"], ["holidays", "load"], ["holidays", "list"],
    ["migrate"], ["demo"],
    ["schema"], ["schema", "export"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "simpul")
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: simpul" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hub", "--bogus"], "unrecognized arguments: --bogus"),
        (["hub", "--no-intro"], "unrecognized arguments: --no-intro"),  # flags are spelled out
        (["hub", "--port", "http"], "not a port number"),
        (["hub", "--node-timeout", "-1"], "must be positive"),
        (["token", "create"], "one of the arguments --region --node is required"),
        (["token", "create", "--region", "64", "--node", "64.08"], "not allowed with argument --region"),
        (["token", "create", "--region", "64", "--ttl", "forever"], "duration like 30m"),
        (["holidays", "list", "--year", "next"], "a year like 2025 expected"),
        (["node", "desk", "--level", "KOTA"], "invalid choice: 'KOTA'"),
        (["nonsense"], "invalid choice"),
        (["hub", "--rate-public", "lots"], "is not a rate like 30/minute"),
        (["key", "create", "--role", "node", "--name", "x", "--region", "64"], "invalid choice: 'node'"),
    ],
)
def test_a_bad_flag_prints_one_line_and_exits_non_zero(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "64", "--name", "Kaltim", "--level", "PROVINSI", "--region", "64"],
         "--hub-url is required (or `hub_url` in the config file's [node] table)"),
        (["--code", "64"], "--name is required (or `name` in the config file's [node] table)"),
        (["--config", "/nonexistent/desk.toml"], "no config file /nonexistent/desk.toml"),
    ],
)
def test_a_missing_setting_prints_one_line_and_exits_non_zero(args: list[str], message: str) -> None:
    result = run_cli("node", "desk", *args, env={"SIMPUL_HUB_URL": ""})
    assert result.returncode == 1
    assert result.stderr.strip() == f"simpul: error: {message}"


def test_a_config_file_that_is_not_toml_is_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "desk.toml"
    config.write_text("[node\ncode = 64\n")
    result = run_cli("node", "desk", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.startswith(f"simpul: error: {config} is not valid TOML") and result.stderr.count("\n") == 1


def test_node_list_shows_every_installed_connector_kind() -> None:
    result = run_cli("node", "--list")
    assert result.returncode == 0, result.stderr
    kinds = {line.split()[0] for line in result.stdout.splitlines()}
    assert "desk" in kinds
    assert "connectors.desk.kind:KIND" in result.stdout
    bare = run_cli("node")
    assert bare.returncode == 1 and "simpul node --list" in bare.stderr


def test_a_bad_region_code_is_refused_before_anything_starts() -> None:
    result = run_cli("node", "desk", "--code", "64", "--name", "Kaltim", "--level", "PROVINSI", "--region", "Kaltim",
                     "--hub-url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("simpul: error: invalid region code 'Kaltim'")
