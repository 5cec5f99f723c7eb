"""The rest kind's TOML mapping, read once and checked: endpoints, paging, field paths, value maps."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.kinds import ConfigError
from simpul.wire import Channel, ReportKind, ReportStatus

STYLES = ("page", "offset", "cursor")
REQUIRED_FIELDS = ("id", "title", "body", "status", "category", "region", "received_at", "updated_at")
OPTIONAL_FIELDS = ("tracking_number", "kind", "channel", "location", "reporter_name", "reporter_contact",
                   "anonymous", "confidential", "timeline")
TIMELINE_FIELDS = ("at", "status", "actor", "note")
TOP_LEVEL = ("base_url", "timeout", "timezone", "auth", "endpoints", "pagination", "answers", "fields",
             "timeline", "status_map", "category_map", "kind_map", "channel_map", "defaults", "changes", "create")


@dataclass(frozen=True)
class Auth:
    """A header whose value is read from the environment, never from the file."""

    header: str
    value: str


@dataclass(frozen=True)
class Paging:
    style: str
    size: int
    page_param: str
    size_param: str
    first_page: int
    offset_param: str
    cursor_param: str


@dataclass(frozen=True)
class Answers:
    """Where things sit in the agency's answers (dotted paths; "" is the whole answer)."""

    items: str
    report: str
    created: str
    total: str | None
    next_cursor: str | None


@dataclass(frozen=True)
class RestConfig:
    base_url: str
    timeout: float
    timezone: ZoneInfo
    auth: Auth | None
    list_endpoint: str
    report_endpoint: str
    create_endpoint: str | None
    changes_endpoint: str | None
    since_param: str
    change_actor: str
    idempotency_header: str
    paging: Paging
    answers: Answers
    fields: Mapping[str, str]
    timeline: Mapping[str, str]
    status_map: Mapping[str, ReportStatus]
    category_map: Mapping[str, str]
    kind_map: Mapping[str, ReportKind]
    channel_map: Mapping[str, Channel]
    default_kind: ReportKind
    default_channel: Channel


def _table(config: Mapping[str, Any], name: str, known: tuple[str, ...], needed: bool = False) -> dict[str, Any]:
    if name not in config:
        if needed:
            raise ConfigError(f"the rest connector needs a [{name}] table")
        return {}
    table = config[name]
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table")
    _no_unknown(table, known, f"[{name}]")
    return table


def _no_unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{where} has unknown key {unknown[0]!r}; known keys: {', '.join(known)}")


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise ConfigError(f"{where} needs {key!r}")
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string, not {type(value).__name__}")
    return value


def _maybe_text(table: Mapping[str, Any], key: str, where: str) -> str | None:
    return _text(table, key, where) if key in table else None


def _whole(table: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}.{key} must be a whole number >= 0")
    return value


def _value_map(config: Mapping[str, Any], name: str, enum: type[Any] | None) -> dict[str, Any]:
    table = config.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table of agency value = canonical value")
    mapped: dict[str, Any] = {}
    for agency, canonical in table.items():
        if not isinstance(canonical, str):
            raise ConfigError(f"[{name}] {agency!r} must map to a string")
        if enum is None:
            mapped[agency] = canonical
            continue
        try:
            mapped[agency] = enum(canonical)
        except ValueError:
            raise ConfigError(f"[{name}] {agency!r} maps to {canonical!r}, which is not one of "
                              f"{', '.join(member.value for member in enum)}") from None
    return mapped


def _auth(config: Mapping[str, Any]) -> Auth | None:
    table = _table(config, "auth", ("header", "env", "scheme", "value", "token"))
    if not table:
        return None
    if "value" in table or "token" in table:
        raise ConfigError("[auth] must not hold the secret itself: name an environment variable in auth.env")
    env = _text(table, "env", "[auth]")
    secret = os.environ.get(env)
    if not secret:
        raise ConfigError(f"auth.env names {env}, which is not set in the environment")
    scheme = _text(table, "scheme", "[auth]", "Bearer")
    return Auth(_text(table, "header", "[auth]", "Authorization"), f"{scheme} {secret}" if scheme else secret)


def _paging(config: Mapping[str, Any]) -> Paging:
    table = _table(config, "pagination", ("style", "size", "page_param", "size_param", "first_page",
                                          "offset_param", "cursor_param"))
    style = _text(table, "style", "[pagination]", "page")
    if style not in STYLES:
        raise ConfigError(f"pagination.style must be one of {', '.join(STYLES)}, not {style!r}")
    size = _whole(table, "size", "[pagination]", 100)
    if size < 1:
        raise ConfigError("pagination.size must be at least 1")
    default_size_param = {"page": "per_page", "offset": "limit", "cursor": "limit"}[style]
    return Paging(style, size, _text(table, "page_param", "[pagination]", "page"),
                  _text(table, "size_param", "[pagination]", default_size_param),
                  _whole(table, "first_page", "[pagination]", 1),
                  _text(table, "offset_param", "[pagination]", "offset"),
                  _text(table, "cursor_param", "[pagination]", "cursor"))


def _fields(config: Mapping[str, Any]) -> dict[str, str]:
    table = _table(config, "fields", REQUIRED_FIELDS + OPTIONAL_FIELDS, needed=True)
    fields = {key: _text(table, key, "[fields]") for key in REQUIRED_FIELDS}
    fields.update({key: _text(table, key, "[fields]") for key in OPTIONAL_FIELDS if key in table})
    return fields


def parse(config: Mapping[str, Any]) -> RestConfig:
    """Check `config` (the TOML without [node]) and return it typed; ConfigError names a wrong key."""
    _no_unknown(config, TOP_LEVEL, "the rest configuration")
    base_url = _text(config, "base_url", "the rest configuration").rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise ConfigError(f"base_url must be an http(s) URL, not {base_url!r}")
    timeout = config.get("timeout", 10)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError("timeout must be a number of seconds > 0")
    try:
        zone = ZoneInfo(_text(config, "timezone", "the rest configuration", "Asia/Jakarta"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone {config.get('timezone')!r} is not a known IANA zone") from None

    endpoints = _table(config, "endpoints", ("list", "report", "create", "changes"), needed=True)
    report_endpoint = _text(endpoints, "report", "[endpoints]")
    if "{id}" not in report_endpoint:
        raise ConfigError("endpoints.report must contain {id}, e.g. \"/laporan/{id}\"")
    changes = _table(config, "changes", ("since_param", "actor"))
    changes_endpoint = _maybe_text(endpoints, "changes", "[endpoints]")
    if changes_endpoint is not None and "since_param" not in changes:
        raise ConfigError("endpoints.changes needs changes.since_param, the query parameter for 'updated since'")

    paging = _paging(config)
    answers_table = _table(config, "answers", ("items", "report", "created", "total", "next_cursor"))
    answers = Answers(_text(answers_table, "items", "[answers]", "data"),
                      _text(answers_table, "report", "[answers]", "data"),
                      _text(answers_table, "created", "[answers]", "data"),
                      _maybe_text(answers_table, "total", "[answers]"),
                      _maybe_text(answers_table, "next_cursor", "[answers]"))
    if paging.style == "cursor" and answers.next_cursor is None:
        raise ConfigError("pagination.style = \"cursor\" needs answers.next_cursor, the path of the next cursor")

    fields = _fields(config)
    timeline: dict[str, str] = {}
    if "timeline" in fields:
        table = _table(config, "timeline", TIMELINE_FIELDS, needed=True)
        timeline = {key: _text(table, key, "[timeline]") for key in ("at", "status")}
        timeline.update({key: _text(table, key, "[timeline]") for key in ("actor", "note") if key in table})

    status_map = _value_map(config, "status_map", ReportStatus)
    if not status_map:
        raise ConfigError("the rest connector needs a [status_map] of agency status = canonical status")
    defaults = _table(config, "defaults", ("kind", "channel"))
    try:
        default_kind = ReportKind(_text(defaults, "kind", "[defaults]", "PENGADUAN"))
        default_channel = Channel(_text(defaults, "channel", "[defaults]", "WEB"))
    except ValueError as exc:
        raise ConfigError(f"[defaults]: {exc}") from None
    create = _table(config, "create", ("idempotency_header",))
    return RestConfig(
        base_url=base_url, timeout=float(timeout), timezone=zone, auth=_auth(config),
        list_endpoint=_text(endpoints, "list", "[endpoints]"), report_endpoint=report_endpoint,
        create_endpoint=_maybe_text(endpoints, "create", "[endpoints]"), changes_endpoint=changes_endpoint,
        since_param=_text(changes, "since_param", "[changes]", ""),
        change_actor=_text(changes, "actor", "[changes]", "agency"),
        idempotency_header=_text(create, "idempotency_header", "[create]", "Idempotency-Key"),
        paging=paging, answers=answers, fields=fields, timeline=timeline, status_map=status_map,
        category_map=_value_map(config, "category_map", None),
        kind_map=_value_map(config, "kind_map", ReportKind),
        channel_map=_value_map(config, "channel_map", Channel),
        default_kind=default_kind, default_channel=default_channel,
    )
