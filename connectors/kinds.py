"""Connector kinds: how `simpul node <kind>` finds and builds a connector.

Every kind — built in or third-party — is an entry point in the group
`simpul.connectors` naming a `ConnectorKind`. A kind turns the node's
identity and its configuration (the TOML file given with `--config`) into
a Connector and, if it has its own HTTP face, extra routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from starlette.routing import BaseRoute

from connectors.base import Connector, NodeIdentity

GROUP = "simpul.connectors"


class ConfigError(ValueError):
    """A connector configuration that cannot be used; the message names the key."""


@dataclass(frozen=True)
class BuildContext:
    """What a kind may use to build its connector."""

    identity: NodeIdentity
    config: Mapping[str, Any]  # the config file without its [node] table
    data_dir: Path  # this node's own folder for state
    database_url: str | None  # set for kinds that need_database (embedded when not configured)
    on_change: Callable[[], None] = lambda: None  # call after a change, so the hub pulls at once


@dataclass(frozen=True)
class Built:
    connector: Connector
    routes: Sequence[BaseRoute] = field(default_factory=tuple)


class ConnectorKind(Protocol):
    """What an entry point in `simpul.connectors` names."""

    summary: str  # one line for `simpul node --list`
    needs_database: bool  # whether the node process should provide a PostgreSQL (desk: yes)

    def build(self, context: BuildContext) -> Built: ...


def installed_kinds() -> dict[str, str]:
    """Kind name -> the entry point's target, for every installed kind."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def load_kind(name: str) -> ConnectorKind:
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            kind: ConnectorKind = ep.load()
            return kind
    raise ConfigError(f"no connector kind {name!r}; installed: {', '.join(sorted(installed_kinds()))}")


def require(config: Mapping[str, Any], key: str, kind: type = str) -> Any:
    """`config[key]` of the given type, or a ConfigError naming the key."""
    if key not in config:
        raise ConfigError(f"the connector configuration needs {key!r}")
    value = config[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{key!r} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def optional(config: Mapping[str, Any], key: str, default: Any, kind: type = str) -> Any:
    """`config[key]` of the given type when present, else `default`."""
    return require(config, key, kind) if key in config else default
