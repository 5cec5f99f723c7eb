"""The open311 kind's settings, read once from the TOML table and checked key by key."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import NodeIdentity
from connectors.kinds import ConfigError, optional, require
from simpul.errors import InvalidInput
from simpul.wire import Channel, ReportKind, ReportStatus, check_region_code

FORMATS = ("json", "xml")
UPDATES = ("auto", "on", "off")
DEFAULT_STATUSES = {"open": ReportStatus.RECEIVED, "closed": ReportStatus.COMPLETED}


@dataclass(frozen=True)
class Service:
    """What one Open311 service_code means here."""

    category: str
    kind: ReportKind


@dataclass(frozen=True)
class Open311Config:
    endpoint: str  # base URL; `services.json` etc. are appended
    format: str = "json"
    jurisdiction_id: str | None = None
    api_key: str | None = None
    timeout: float = 10.0
    since: datetime = datetime(2015, 1, 1, tzinfo=UTC)
    window_days: int = 90
    max_results: int = 1000
    channel: Channel = Channel.API
    kind: ReportKind = ReportKind.PENGADUAN
    region: str = ""
    region_attribute: str | None = None
    updates: str = "auto"
    poll_interval: float = 0.0
    statuses: Mapping[str, ReportStatus] = field(default_factory=lambda: dict(DEFAULT_STATUSES))
    services: Mapping[str, Service] = field(default_factory=dict)
    forward_codes: Mapping[str, str] = field(default_factory=dict)  # our category -> service_code
    default_service_code: str | None = None

    def service(self, code: str) -> Service:
        """An unmapped service_code keeps its own code as the category, so nothing is dropped."""
        return self.services.get(code) or Service(code, self.kind)

    def service_code_for(self, category: str, kind: ReportKind) -> str | None:
        """The service_code to post a forwarded report under (reverse category map, then the default)."""
        if category in self.forward_codes:
            return self.forward_codes[category]
        matches = [code for code, s in self.services.items() if s.category == category]
        exact = [code for code in matches if self.services[code].kind is kind]
        return (exact or matches)[0] if matches else self.default_service_code


def _enum(enum: Any, key: str, value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise ConfigError(f"{key!r} must be one of {', '.join(enum)}, not {value!r}") from None


def _choice(config: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value: str = optional(config, key, default)
    if value not in choices:
        raise ConfigError(f"{key!r} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _number(config: Mapping[str, Any], key: str, default: float, minimum: float) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{key!r} must be a number >= {minimum:g}, not {value!r}")
    return float(value)


def _since(config: Mapping[str, Any]) -> datetime:
    value = config.get("since", "2015-01-01T00:00:00Z")
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"'since' must be an ISO 8601 date-time, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _services(config: Mapping[str, Any], default_kind: ReportKind) -> dict[str, Service]:
    table = optional(config, "services", {}, dict)
    services = {}
    for code, value in table.items():
        if isinstance(value, str):
            services[code] = Service(value, default_kind)
        elif isinstance(value, dict) and isinstance(value.get("category"), str):
            kind = _enum(ReportKind, f"services.{code}.kind", value.get("kind", default_kind))
            services[code] = Service(value["category"], kind)
        else:
            raise ConfigError(f"'services.{code}' must be a category or {{ category = ..., kind = ... }}")
    return services


def _statuses(config: Mapping[str, Any]) -> dict[str, ReportStatus]:
    table = optional(config, "status", {}, dict)
    statuses = dict(DEFAULT_STATUSES)
    for name, value in table.items():
        statuses[name.lower()] = _enum(ReportStatus, f"status.{name}", value)
    return statuses


def _api_key(config: Mapping[str, Any]) -> str | None:
    variable = optional(config, "api_key_env", None)
    if variable is None:
        return None
    key = os.environ.get(variable)
    if not key:
        raise ConfigError(f"'api_key_env' names {variable}, but that environment variable is not set")
    return key


def _region(config: Mapping[str, Any], identity: NodeIdentity) -> str:
    region: str = optional(config, "region", identity.region_code)
    if not region:
        raise ConfigError("'region' is needed when the node has no region code")
    try:
        return check_region_code(region)
    except InvalidInput as exc:
        raise ConfigError(f"'region': {exc}") from None


WINDOWS_WARNED = 4  # windows per scan above which the start says what a scan costs


def scan_warning(config: Open311Config, now: datetime) -> str | None:
    """What each change-feed scan costs when `since` lies many windows back (every window is a GET of
    `requests`, at every scan), or None when it is cheap."""
    windows = max(1, math.ceil((now - config.since) / timedelta(days=config.window_days)))
    if windows <= WINDOWS_WARNED:
        return None
    return (f"since = {config.since.date().isoformat()} with window_days = {config.window_days} makes every "
            f"change-feed scan {windows} GETs of requests; set since to the oldest request this node must still "
            "serve (or window_days as wide as the server allows) to make scans cheaper")


def parse_config(config: Mapping[str, Any], identity: NodeIdentity) -> Open311Config:
    """The kind's table as a typed object, or a ConfigError naming the first bad key."""
    if "tracking_prefix" in config:
        raise ConfigError("'tracking_prefix' is no longer read: tracking numbers are <NODE CODE>-XXXX-XXXX-XXXX, "
                          "derived from each service_request_id (see the README); remove it")
    endpoint: str = require(config, "endpoint")
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"'endpoint' must be an http(s) URL, not {endpoint!r}")
    kind = _enum(ReportKind, "kind", optional(config, "kind", ReportKind.PENGADUAN.value))
    forward = optional(config, "forward", {}, dict)
    forward_codes = optional(forward, "service_codes", {}, dict)
    if not all(isinstance(v, str) for v in forward_codes.values()):
        raise ConfigError("'forward.service_codes' maps categories to service_code strings")
    return Open311Config(
        endpoint=endpoint.rstrip("/"),
        format=_choice(config, "format", FORMATS, "json"),
        jurisdiction_id=optional(config, "jurisdiction_id", None),
        api_key=_api_key(config),
        timeout=_number(config, "timeout", 10.0, 0.1),
        since=_since(config),
        window_days=int(_number(config, "window_days", 90, 1)),
        max_results=int(_number(config, "max_results", 1000, 2)),
        channel=_enum(Channel, "channel", optional(config, "channel", Channel.API.value)),
        kind=kind,
        region=_region(config, identity),
        region_attribute=optional(config, "region_attribute", None),
        updates=_choice(config, "service_request_updates", UPDATES, "auto"),
        poll_interval=_number(config, "poll_interval", 0.0, 0.0),
        statuses=_statuses(config),
        services=_services(config, kind),
        forward_codes=dict(forward_codes),
        default_service_code=optional(forward, "default_service_code", None),
    )
