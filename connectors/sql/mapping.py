"""The declarative mapping from an agency's tables to simpul's reports, read once from the TOML config.

Everything the connector later puts into SQL text is an identifier from this
mapping, checked against a strict pattern here and only ever used quoted;
values always travel as `$n` parameters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.kinds import ConfigError, optional, require
from connectors.sql.dialect import Dialect, dialect_of, mysql_database_name
from simpul.wire import Channel, ReportKind, ReportStatus

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

REQUIRED_COLUMNS = ("id", "title", "body", "status", "category", "region", "received_at", "updated_at")
OPTIONAL_COLUMNS = ("kind", "location", "tracking_number", "reporter_name", "reporter_contact", "anonymous",
                    "confidential")
# anonymous, confidential: flag columns (boolean, MySQL's tinyint(1), or 'Y'/'N' text); unmapped, a report without
# a name or contact is anonymous and the others are as `confidential_reporters` says.

# Our fields an insert may write into the agency's columns.
INSERT_FIELDS = frozenset({
    "title", "body", "category", "region_code", "received_at", "kind", "location", "tracking_number",
    "reporter_name", "reporter_contact", "channel", "source_id", "status", "anonymous", "confidential",
})

RegionFormat = Literal["dotted", "compact"]
FeedSource = Literal["updated_at", "trigger", "history"]


def identifier(name: Any, key: str) -> str:
    """`name` double-quoted for SQL, after checking it is a plain identifier."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ConfigError(f"{key} must be a plain SQL identifier (letters, digits, _), not {name!r}")
    return f'"{name}"'


@dataclass(frozen=True)
class Relation:
    """A table or view, always schema-qualified (when the config names none: `public` on PostgreSQL, the
    DSN's database on MySQL, where a schema is a database)."""

    schema: str
    name: str

    @classmethod
    def parse(cls, value: Any, key: str, default_schema: str = "public") -> Relation:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a table name like sipp.pengaduan")
        parts = value.split(".")
        if len(parts) > 2:
            raise ConfigError(f"{key} must be <schema>.<table> or <table>, not {value!r}")
        schema, name = parts if len(parts) == 2 else (default_schema, parts[0])
        identifier(schema, key)
        identifier(name, key)
        return cls(schema, name)

    @property
    def sql(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Lookup:
    """An insert column filled from another table: `pick` of the row whose `match` equals our value."""

    field: str
    table: Relation
    match: str
    pick: str


@dataclass(frozen=True)
class InsertMapping:
    """How a forwarded report becomes a row of the agency's table."""

    table: Relation
    id_column: str  # whose value, as text, is the new report's local id
    fields: Mapping[str, str]  # agency column -> our field
    lookups: Mapping[str, Lookup]  # agency column -> lookup of our field
    constants: Mapping[str, Any]  # agency column -> fixed value


@dataclass(frozen=True)
class TriggerFeed:
    """The base table a trigger watches, and its id and status columns."""

    table: Relation
    id_column: str
    status_column: str


@dataclass(frozen=True)
class HistoryFeed:
    """A status-history table the agency's app keeps (feed = "history"): each report's rows are its timeline, its
    latest row (by id) is its status, and the table's own increasing id is the change feed's cursor."""

    table: Relation
    id_column: str
    report_column: str  # the report's id
    status_column: str
    at_column: str
    note_column: str | None

    @property
    def mapped(self) -> dict[str, str]:
        """Each mapped column by its config key, for the start-up check."""
        return {f"history.{key}": column for key, column in (
            ("id", self.id_column), ("report", self.report_column), ("status", self.status_column),
            ("at", self.at_column), ("note", self.note_column)) if column is not None}


@dataclass(frozen=True)
class SqlMapping:
    dsn: str = field(repr=False)
    dialect: Dialect  # from the DSN's scheme
    schema: str  # the connector's own schema in the agency database
    timezone: ZoneInfo  # what `timestamp without time zone` columns mean
    region_format: RegionFormat
    reports: Relation
    columns: Mapping[str, str | None]  # our name -> agency column (None: not mapped)
    status_map: Mapping[str, ReportStatus]
    category_map: Mapping[str, str]
    kind_map: Mapping[str, ReportKind]
    default_kind: ReportKind
    default_channel: Channel
    confidential_reporters: bool
    feed: FeedSource
    insert: InsertMapping | None
    trigger: TriggerFeed | None
    history: HistoryFeed | None = None


def _table(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = optional(config, key, {}, dict)
    assert isinstance(value, dict)
    return value


def _dsn(config: Mapping[str, Any]) -> str:
    if "dsn" in config and "dsn_env" in config:
        raise ConfigError("give either 'dsn' or 'dsn_env', not both")
    if "dsn_env" in config:
        name = require(config, "dsn_env")
        value = os.environ.get(name)
        if not value:
            raise ConfigError(f"the environment variable {name} named by 'dsn_env' is not set")
        return value
    if "dsn" in config:
        return str(require(config, "dsn"))
    raise ConfigError("the connector configuration needs 'dsn' or 'dsn_env' (the agency database)")


def _enum_map(config: Mapping[str, Any], key: str, enum: type[ReportStatus] | type[ReportKind]) -> dict[str, Any]:
    mapped = {}
    for agency, ours in _table(config, key).items():
        try:
            mapped[str(agency)] = enum(ours)
        except ValueError:
            raise ConfigError(f"{key}.{agency} = {ours!r} is not one of {', '.join(enum)}") from None
    return mapped


def _choice(config: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> Any:
    value = optional(config, key, default)
    if value not in choices:
        raise ConfigError(f"{key!r} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _columns(reports: Mapping[str, Any], history: bool) -> dict[str, str | None]:
    """Our names -> the agency's columns; with a history table the status may come from it instead."""
    columns: dict[str, str | None] = {}
    for name in REQUIRED_COLUMNS:
        if name == "status" and history and name not in reports:
            columns[name] = None
            continue
        if name not in reports:
            raise ConfigError(f"[reports] needs {name!r}: the agency column holding it")
        identifier(reports[name], f"reports.{name}")
        columns[name] = reports[name]
    for name in OPTIONAL_COLUMNS:
        columns[name] = optional(reports, name, None)
        if columns[name] is not None:
            identifier(columns[name], f"reports.{name}")
    unknown = set(reports) - {"table", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS}
    if unknown:
        raise ConfigError(f"[reports] has unknown keys: {', '.join(sorted(unknown))}")
    return columns


def _insert(config: Mapping[str, Any], id_column: str, default_schema: str) -> InsertMapping | None:
    if "insert" not in config:
        return None
    insert = _table(config, "insert")
    if "table" not in insert:
        raise ConfigError("[insert] needs 'table': the agency table forwarded reports go into")
    table = Relation.parse(insert["table"], "insert.table", default_schema)
    fields: dict[str, str] = {}
    lookups: dict[str, Lookup] = {}
    for column, target in _table(insert, "columns").items():
        identifier(column, f"insert.columns.{column}")
        key = f"insert.columns.{column}"
        if isinstance(target, dict):
            lookup = Lookup(require(target, "field"),
                            Relation.parse(require(target, "lookup"), f"{key}.lookup", default_schema),
                            require(target, "match"), require(target, "pick"))
            identifier(lookup.match, f"{key}.match")
            identifier(lookup.pick, f"{key}.pick")
            target = lookup.field
            lookups[column] = lookup
        elif not isinstance(target, str):
            raise ConfigError(f"{key} must name one of our fields or be a lookup table")
        else:
            fields[column] = target
        if target not in INSERT_FIELDS:
            raise ConfigError(f"{key} = {target!r} is not one of our fields: {', '.join(sorted(INSERT_FIELDS))}")
    constants = dict(_table(insert, "constants"))
    for column in constants:
        identifier(column, f"insert.constants.{column}")
        if column in fields or column in lookups:
            raise ConfigError(f"insert column {column!r} is both mapped and constant")
    if not fields and not lookups:
        raise ConfigError("[insert.columns] must map at least one agency column to our fields")
    returned = optional(insert, "id", id_column)
    identifier(returned, "insert.id")
    return InsertMapping(table, returned, fields, lookups, constants)


def _trigger(config: Mapping[str, Any], feed: str, columns: Mapping[str, str | None],
             insert: InsertMapping | None, reports: Relation) -> TriggerFeed | None:
    if feed != "trigger":
        return None
    trigger = _table(config, "trigger")
    default_table = str(insert.table) if insert else str(reports)
    table = Relation.parse(optional(trigger, "table", default_table), "trigger.table", reports.schema)
    id_column = optional(trigger, "id", columns["id"])
    status_column = optional(trigger, "status", columns["status"])
    identifier(id_column, "trigger.id")
    identifier(status_column, "trigger.status")
    return TriggerFeed(table, id_column, status_column)


def _history(config: Mapping[str, Any], feed: str, default_schema: str) -> HistoryFeed | None:
    if feed != "history":
        if "history" in config:
            raise ConfigError('[history] is read only with feed = "history"')
        return None
    history = _table(config, "history")
    if "table" not in history:
        raise ConfigError('feed = "history" needs [history] table: the agency\'s status-history table')
    table = Relation.parse(history["table"], "history.table", default_schema)
    names = {key: optional(history, key, default) for key, default in
             (("id", "id"), ("report", None), ("status", "status"), ("at", "created_at"), ("note", None))}
    if names["report"] is None:
        raise ConfigError("[history] needs 'report': the column holding the report's id")
    for key, name in names.items():
        if name is not None:
            identifier(name, f"history.{key}")
    unknown = set(history) - {"table", *names}
    if unknown:
        raise ConfigError(f"[history] has unknown keys: {', '.join(sorted(unknown))}")
    return HistoryFeed(table, names["id"], names["report"], names["status"], names["at"], names["note"])


def read_mapping(config: Mapping[str, Any]) -> SqlMapping:
    """The mapping in a sql node's config; a ConfigError names the first bad key."""
    reports = _table(config, "reports")
    if "table" not in reports:
        raise ConfigError("[reports] needs 'table': the agency table or view holding reports")
    dsn = _dsn(config)
    dialect = dialect_of(dsn)
    default_schema = mysql_database_name(dsn) if dialect.mysql else "public"
    relation = Relation.parse(reports["table"], "reports.table", default_schema)
    feed = _choice(config, "feed", "updated_at", ("updated_at", "trigger", "history"))
    columns = _columns(reports, feed == "history")
    # On MySQL simpul's tables sit beside the agency's (their names start simpul_): no CREATE DATABASE needed.
    schema = optional(config, "schema", default_schema if dialect.mysql else "simpul")
    identifier(schema, "schema")
    zone = optional(config, "timezone", "UTC")
    try:
        timezone = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"'timezone' {zone!r} is not a known time zone, e.g. Asia/Makassar") from None
    status_map = _enum_map(config, "status_map", ReportStatus)
    if not status_map:
        raise ConfigError("[status_map] must map the agency's status values to ours, e.g. 1 = \"RECEIVED\"")
    kind_map = _enum_map(config, "kind_map", ReportKind)
    if columns["kind"] is not None and not kind_map:
        raise ConfigError("[kind_map] is needed when reports.kind is mapped")
    category_map = {str(k): str(v) for k, v in _table(config, "category_map").items()}
    if feed == "trigger" and dialect.mysql:
        raise ConfigError("feed = \"trigger\" is for PostgreSQL; on MySQL/MariaDB use feed = \"updated_at\""
                          " or \"history\"")
    insert = _insert(config, str(columns["id"]), default_schema)
    if insert and "status" in insert.fields.values() and ReportStatus.RECEIVED not in status_map.values():
        raise ConfigError("insert writes 'status' but [status_map] has no value for RECEIVED")
    try:
        default_kind = ReportKind(optional(config, "default_kind", "PENGADUAN"))
        default_channel = Channel(optional(config, "default_channel", "WEB"))
    except ValueError as exc:
        raise ConfigError(f"default_kind/default_channel: {exc}") from None
    return SqlMapping(
        dsn=dsn, dialect=dialect, schema=schema, timezone=timezone,
        region_format=_choice(config, "region_format", "dotted", ("dotted", "compact")),
        reports=relation, columns=columns, status_map=status_map, category_map=category_map,
        kind_map=kind_map, default_kind=default_kind, default_channel=default_channel,
        confidential_reporters=optional(config, "confidential_reporters", True, bool),
        feed=feed, insert=insert, trigger=_trigger(config, feed, columns, insert, relation),
        history=_history(config, feed, default_schema),
    )
