"""hub/settings.py: each hub setting is stated once, and `simpul hub` makes its flag and variable from it."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import pickle
from datetime import timedelta
from pathlib import Path

import pytest

import hub.settings
from hub.access.limits import Limits, QueryLimits
from hub.settings import HubSettings
from hub.sla.clocks import SlaDays
from simpul.cli.args import settings_from_args
from simpul.cli.main import build_parser
from simpul.setting import settings_of
from tests.federation import run_cli

SETTINGS = settings_of(HubSettings)


def _hub(argv: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> HubSettings:
    """The settings `simpul hub <argv>` would run with in environment `env`."""
    for s in SETTINGS:
        monkeypatch.delenv(s.env, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_from_args(HubSettings, build_parser().parse_args(["hub", *argv]))


def _hub_flags() -> dict[str, argparse.Action]:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {flag: action for action in commands.choices["hub"]._actions for flag in action.option_strings}


def test_every_setting_has_a_flag_a_help_with_its_default_and_a_variable() -> None:
    flags = _hub_flags()
    for s in SETTINGS:
        action = flags[s.flag]
        assert action.dest == s.name
        assert action.help and action.help.startswith(s.help), s.name
        assert f"(default {s.shown}; env {s.env}" in action.help, s.name
        assert s.env == "DATABASE_URL" or s.env == f"SIMPUL_{s.name.upper()}"


def test_flags_keep_the_names_the_docs_and_deployments_use() -> None:
    flags = _hub_flags()
    for flag in ("--node-timeout", "--deadline", "--rate-public", "--max-depth", "--session-ttl", "--workers",
                 "--no-introspection", "--trusted-documents-only", "--metrics-loopback-only",
                 "--allow-insecure-nodes", "--node-ca-file", "--identity-key-file", "--otlp-endpoint"):
        assert flag in flags


def test_without_flags_or_variables_the_hub_runs_on_the_declared_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _hub([], monkeypatch, {}) == HubSettings()
    assert HubSettings().node_timeout == 5.0 and HubSettings().session_ttl == timedelta(hours=8)


def test_every_setting_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _hub([], monkeypatch, {
        "SIMPUL_NODE_TIMEOUT": "2.5", "SIMPUL_PORT": "0", "SIMPUL_SESSION_TTL": "30m",
        "SIMPUL_RATE_PUBLIC": "5/minute", "SIMPUL_INTROSPECTION": "false", "SIMPUL_METRICS_LOOPBACK_ONLY": "1",
        "SIMPUL_TRUSTED_DOCUMENTS": "/etc/simpul/documents.json", "DATABASE_URL": "postgresql://db/simpul",
    })
    assert (settings.node_timeout, settings.port, settings.session_ttl, settings.rate_public) == (
        2.5, 0, timedelta(minutes=30), "5/minute")
    assert settings.introspection is False and settings.metrics_loopback_only is True
    assert settings.trusted_documents == Path("/etc/simpul/documents.json")
    assert settings.database_url == "postgresql://db/simpul"
    assert pickle.loads(pickle.dumps(settings)) == settings  # as `--workers` hands them to each process


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _hub([], monkeypatch, {"SIMPUL_METRICS_TOKEN": "", "SIMPUL_NODE_TIMEOUT": ""}) == HubSettings()


def test_a_flag_beats_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _hub(["--node-timeout", "3", "--no-introspection", "--max-depth", "7"], monkeypatch,
                    {"SIMPUL_NODE_TIMEOUT": "9", "SIMPUL_INTROSPECTION": "true", "SIMPUL_MAX_DEPTH": "bad"})
    assert (settings.node_timeout, settings.introspection, settings.max_depth) == (3.0, False, 7)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SIMPUL_NODE_TIMEOUT", "-1", "argument --node-timeout: SIMPUL_NODE_TIMEOUT: must be positive: '-1'"),
        ("SIMPUL_PORT", "http", "argument --port: SIMPUL_PORT: not a port number: 'http'"),
        ("SIMPUL_RATE_PUBLIC", "lots", "SIMPUL_RATE_PUBLIC: 'lots' is not a rate like 30/minute"),
        ("SIMPUL_INTROSPECTION", "maybe", "SIMPUL_INTROSPECTION: true or false"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it_as_a_bad_flag_is(variable: str, value: str, message: str) -> None:
    result = run_cli("hub", env={variable: value})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("simpul hub: error: ") and message in result.stderr


def test_a_bad_hub_variable_does_not_stop_other_commands() -> None:
    result = run_cli("schema", "export", "--check", env={"SIMPUL_NODE_TIMEOUT": "-1"})
    assert result.returncode == 0, result.stderr


def test_hub_help_lists_every_flag_with_its_variable() -> None:
    result = run_cli("hub", "--help", env={"COLUMNS": "400"})
    assert result.returncode == 0, result.stderr
    for s in SETTINGS:
        assert s.flag in result.stdout and s.env in result.stdout, s.name


def test_the_parts_built_from_settings_have_the_same_defaults() -> None:
    assert Limits.from_settings(HubSettings()) == Limits()
    assert QueryLimits.from_settings(HubSettings()) == QueryLimits()
    assert SlaDays.from_settings(HubSettings()) == SlaDays()


def test_settings_are_values_only_and_import_nothing_from_the_hub() -> None:
    tree = ast.parse(Path(hub.settings.__file__).read_text(encoding="utf-8"))
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name and name.split(".")[0] == "hub"]
    assert all(f.type in {"str", "str | None", "Path", "Path | None", "int", "float", "bool", "timedelta",
                          "tuple[str, ...]"}
               for f in dataclasses.fields(HubSettings))
