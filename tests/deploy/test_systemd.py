"""deploy/systemd/: the units are valid for systemd, hardened, and start real `simpul` command lines with
the environment and configuration files the examples beside them describe."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from connectors.base import NodeIdentity
from connectors.kinds import BuildContext, installed_kinds, load_kind
from simpul.cli.node_command import IDENTITY
from simpul.wire import NodeLevel, check_node_code, check_region_code
from tests.deploy.files import PYTHON_ENV, SYSTEMD, env_file, environment_names_read, simpul_usage_error

HUB, NODE = SYSTEMD / "simpul-hub.service", SYSTEMD / "simpul-node@.service"
INSTANCE = "64.08"  # the node the examples describe
SIMPUL = "/opt/simpul/bin/simpul"
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
             "DynamicUser": "yes", "CapabilityBoundingSet": "", "Restart": "on-failure"}


def unit_settings(text: str) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file (every section), each key with all its values in order."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def _expand(command: str, instance: str, environment: dict[str, str]) -> list[str]:
    """ExecStart as systemd runs it: %i, ${VAR} as one word, $VAR split on white space."""
    words = []
    for word in shlex.split(command.replace("%i", instance)):
        if re.fullmatch(r"\$[A-Z_]+", word):
            words += environment.get(word[1:], "").split()
        else:
            words.append(re.sub(r"\$\{([A-Z_]+)\}", lambda m: environment.get(m[1], ""), word))
    return words


def unit_problems(text: str, instance: str, environment: dict[str, str]) -> list[str]:
    """Why the unit would not run simpul as a hardened service with this environment file."""
    settings = unit_settings(text)
    problems = [f"{key}={value} is not set" for key, value in HARDENING.items() if value not in settings.get(key, [])]
    (command,) = settings["ExecStart"]
    argv = _expand(command, instance, environment)
    if argv[0] != SIMPUL:
        problems.append(f"ExecStart runs {argv[0]}, not {SIMPUL}")
    elif error := simpul_usage_error(argv[1:]):
        problems.append(f"ExecStart `{' '.join(argv)}`: {error}")
    read = environment_names_read() | PYTHON_ENV
    for name in environment:
        if name not in read and f"${name}" not in command and f"${{{name}}}" not in command:
            problems.append(f"the environment file sets {name}, which neither simpul nor the unit reads")
    return problems


class _ReadKeys(Mapping[str, Any]):
    """A connector configuration that remembers which keys the kind looked at."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values, self.read = values, set[str]()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return key in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def _example(name: str) -> Path:
    return SYSTEMD / f"{name}.example"


def test_the_hub_unit_runs_the_hub_hardened_with_its_environment_file() -> None:
    text = HUB.read_text(encoding="utf-8")
    assert unit_settings(text)["EnvironmentFile"] == ["/etc/simpul/hub.env"]
    assert unit_problems(text, "", env_file(_example("hub.env"))) == []
    assert unit_settings(text)["ExecStart"][0].split()[1] == "hub"


def test_the_node_unit_runs_a_connector_from_its_config_and_environment_files() -> None:
    text = NODE.read_text(encoding="utf-8")
    settings = unit_settings(text)
    assert settings["EnvironmentFile"] == ["/etc/simpul/node-%i.env"]
    environment = env_file(_example("node.env"))
    assert unit_problems(text, INSTANCE, environment) == []
    argv = _expand(settings["ExecStart"][0], INSTANCE, environment)
    assert argv[1:4] == ["node", environment["NODE_KIND"], "--config"]
    assert argv[4] == f"/etc/simpul/node-{INSTANCE}.toml"


def test_the_node_config_example_is_one_its_connector_kind_accepts(tmp_path: Path) -> None:
    kind_name = env_file(_example("node.env"))["NODE_KIND"]
    assert kind_name in installed_kinds()
    with _example("node.toml").open("rb") as f:
        config = tomllib.load(f)
    node = config.pop("node")
    assert set(node) <= set(IDENTITY), f"unknown [node] keys: {set(node) - set(IDENTITY)}"
    assert check_node_code(node["code"]) == INSTANCE
    identity = NodeIdentity(code=node["code"], name=node["name"], level=NodeLevel(node["level"]),
                            region_code=check_region_code(node["region"]), kind=kind_name,
                            parent_code=node["parent"], categories=tuple(node["categories"]))
    options = _ReadKeys(config)
    built = load_kind(kind_name).build(BuildContext(identity, options, tmp_path, "postgresql://localhost/unused"))
    assert built.connector.identity == identity
    assert set(config) <= options.read, f"options the {kind_name} kind does not know: {set(config) - options.read}"


@pytest.mark.parametrize("unit, change, broken, problem", [
    (HUB, "--port 8000", "--prot 8000", "unrecognized arguments: --prot"),
    (HUB, "ProtectSystem=strict", "ProtectSystem=full", "ProtectSystem=strict is not set"),
    (HUB, "NoNewPrivileges=yes\n", "", "NoNewPrivileges=yes is not set"),
    (NODE, "node ${NODE_KIND}", "nodes ${NODE_KIND}", "invalid choice: 'nodes'"),
    (NODE, "--config /etc", "--cfg /etc", "unrecognized arguments: --cfg"),
    (NODE, " $NODE_ARGS", "", "neither simpul nor the unit reads"),
])
def test_a_broken_unit_is_caught(unit: Path, change: str, broken: str, problem: str) -> None:
    text = unit.read_text(encoding="utf-8")
    assert change in text
    environment = env_file(_example("hub.env" if unit is HUB else "node.env"))
    problems = unit_problems(text.replace(change, broken), INSTANCE, environment)
    assert any(problem in p for p in problems), problems


def _verify(units: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on the units, with ExecStart pointing at this venv's simpul
    (verify refuses a unit whose program does not exist)."""
    paths = []
    for name, text in units.items():
        path = folder / name
        path.write_text(text.replace(SIMPUL, str(Path(sys.executable).parent / "simpul")), encoding="utf-8")
        paths.append(str(path))
    return subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no", *paths],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units_and_refuses_a_bad_setting(tmp_path: Path) -> None:
    units = {HUB.name: HUB.read_text(encoding="utf-8"),
             f"simpul-node@{INSTANCE}.service": NODE.read_text(encoding="utf-8")}
    result = _verify(units, tmp_path)
    # verify prints a setting it could not parse and goes on: any output is a problem.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")

    broken = {HUB.name: units[HUB.name].replace("ProtectSystem=strict", "ProtectSystem=strickt")}
    result = _verify(broken, tmp_path)
    assert "strickt" in result.stdout + result.stderr
