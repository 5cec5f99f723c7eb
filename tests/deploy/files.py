"""The deployment files under deploy/, loaded, and what they are checked against: the real `simpul` CLI
and the environment variables the code reads."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import re
import tomllib
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from hub.settings import HubSettings
from simpul.cli.main import build_parser
from simpul.setting import settings_of

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"

PORT = 8000  # the hub's default port, fixed for every deployment
LIVENESS, READINESS, METRICS = "/healthz", "/readyz", "/metrics"

_ENV_READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["']([A-Z][A-Z0-9_]*)["']""")
PYTHON_ENV = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def kubernetes_objects(*folders: str) -> list[dict[str, Any]]:
    """Every object in deploy/kubernetes/namespace.yaml and the given folders, in apply order."""
    paths = [KUBERNETES / "namespace.yaml"] + [p for f in folders for p in sorted((KUBERNETES / f).glob("*.yaml"))]
    return [doc for path in paths for doc in load_yaml_documents(path)]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def project_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as f:
        version: str = tomllib.load(f)["project"]["version"]
    return version


@functools.cache
def _parser() -> argparse.ArgumentParser:
    return build_parser()


def simpul_usage_error(argv: list[str]) -> str | None:
    """None when `simpul <argv>` is a command line the real CLI accepts, else argparse's message."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            _parser().parse_args(argv)
    except SystemExit as exc:
        return stderr.getvalue().strip() or f"exit {exc.code}"
    return None


def simpul_args(argv: list[str]) -> argparse.Namespace:
    """`simpul <argv>` as the real CLI reads it (call simpul_usage_error first)."""
    return _parser().parse_args(argv)


@functools.cache
def environment_names_read() -> frozenset[str]:
    """Variables the code reads from the environment: simpul's own (named in its code, or one per hub setting),
    and uvicorn's (the server it runs on)."""
    sources = [p for package in ("hub", "connectors", "simpul") for p in (REPO / package).rglob("*.py")]
    sources.append(Path(uvicorn.__file__).parent / "config.py")
    named = {name for path in sources for name in _ENV_READ.findall(path.read_text(encoding="utf-8"))}
    return frozenset(named | {s.env for s in settings_of(HubSettings)})


def env_file(path: Path) -> dict[str, str]:
    """A systemd EnvironmentFile: KEY=value lines, # comments."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
