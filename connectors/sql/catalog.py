"""Check the mapping against the agency database's catalog at start, and learn the column types.

A mapping that names a missing table or column, or a time column that is not
a timestamp, stops the node at start with a message naming it, rather than
failing on the first query the hub sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import asyncpg

from connectors.base import ConnectorError
from connectors.sql.mapping import Relation, SqlMapping

# format_type() output we are willing to put in a CAST: names, sizes, `without time zone`, arrays.
_TYPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ,().]*(\[\])?$")

_COLUMNS = (
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type"
    " FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
)


@dataclass(frozen=True)
class AgencySchema:
    """What the catalog told us about the mapped relations."""

    id_type: str  # of the reports id column, to compare ids with the column's own index
    received_naive: bool  # `timestamp without time zone`: local wall time in the mapping's timezone
    updated_naive: bool
    insert_types: dict[str, str]  # insert column -> its type
    history_report_type: str | None = None  # of the history table's report column, to use its index


def _sql_type(type_name: str, where: str) -> str:
    if not _TYPE.match(type_name):
        raise ConnectorError(f"{where} has a type simpul cannot cast to: {type_name}")
    return type_name


def _naive(type_name: str, where: str) -> bool:
    if type_name.startswith("timestamp") and type_name.endswith("without time zone"):
        return True
    if type_name.startswith("timestamp") and type_name.endswith("with time zone"):
        return False
    raise ConnectorError(f"{where} must be a timestamp column, not {type_name}")


async def _columns(conn: asyncpg.Connection, relation: Relation, privilege: str) -> dict[str, str]:
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", relation.sql):
        raise ConnectorError(f"the agency database has no table or view {relation}")
    if not await conn.fetchval("SELECT has_table_privilege(to_regclass($1), $2)", relation.sql, privilege):
        raise ConnectorError(f"the connector's database role may not {privilege} on {relation}; grant it")
    return {r["attname"]: r["type"] for r in await conn.fetch(_COLUMNS, relation.sql)}


def _need(columns: dict[str, str], relation: Relation, column: str, role: str) -> str:
    if column not in columns:
        raise ConnectorError(f"{relation} has no column {column!r} (mapped as {role})")
    return columns[column]


async def inspect(conn: asyncpg.Connection, mapping: SqlMapping) -> AgencySchema:
    """Check every relation and column the mapping names; ConnectorError names the first missing one."""
    reports = await _columns(conn, mapping.reports, "SELECT")
    for role, column in mapping.columns.items():
        if column is not None:
            _need(reports, mapping.reports, column, f"reports.{role}")
    received, updated = (str(mapping.columns[c]) for c in ("received_at", "updated_at"))
    schema = AgencySchema(
        id_type=_sql_type(reports[str(mapping.columns["id"])], f"{mapping.reports} id"),
        received_naive=_naive(reports[received], f"{mapping.reports}.{received} (received_at)"),
        updated_naive=_naive(reports[updated], f"{mapping.reports}.{updated} (updated_at)"),
        insert_types={},
    )
    if schema.received_naive != schema.updated_naive:
        raise ConnectorError(f"{mapping.reports}: {received} and {updated} must both have a time zone or neither")
    insert = mapping.insert
    if insert is not None:
        table = await _columns(conn, insert.table, "INSERT")
        for column in [*insert.fields, *insert.lookups, *insert.constants]:
            where = f"insert column {insert.table}.{column}"
            schema.insert_types[column] = _sql_type(_need(table, insert.table, column, "an insert column"), where)
        _need(table, insert.table, insert.id_column, "insert.id")
        for column, lookup in insert.lookups.items():
            looked = await _columns(conn, lookup.table, "SELECT")
            _need(looked, lookup.table, lookup.match, f"insert.columns.{column}.match")
            _need(looked, lookup.table, lookup.pick, f"insert.columns.{column}.pick")
    history = mapping.history
    if history is not None:
        kept = await _columns(conn, history.table, "SELECT")
        for role, column in history.mapped.items():
            _need(kept, history.table, column, role)
        at = f"{history.table}.{history.at_column} (history.at)"
        if _naive(kept[history.at_column], at) != schema.received_naive:
            raise ConnectorError(f"{at} and {mapping.reports}.{received}"
                                 " must both have a time zone or neither")
        schema = replace(schema, history_report_type=_sql_type(kept[history.report_column],
                                                               f"{history.table} report column"))
    trigger = mapping.trigger
    if trigger is not None:
        watched = await _columns(conn, trigger.table, "TRIGGER")
        _need(watched, trigger.table, trigger.id_column, "trigger.id")
        _need(watched, trigger.table, trigger.status_column, "trigger.status")
        kind = await conn.fetchval("SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", trigger.table.sql)
        if kind not in ("r", "p"):
            raise ConnectorError(f"trigger.table {trigger.table} must be a table (a trigger cannot watch a view)")
    return schema
