"""The sql connector on MySQL/MariaDB (asyncmy): connections, the catalog check, simpul's tables, the insert.

The read queries are shared with PostgreSQL (queries.py, through the dialect);
what lives here is what MySQL does its own way: `information_schema` instead
of pg_catalog, `CREATE TABLE IF NOT EXISTS` beside the agency's tables instead
of a schema of our own, AUTO_INCREMENT ids read with LAST_INSERT_ID() instead
of RETURNING, and named locks (GET_LOCK) instead of advisory locks.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncmy

from connectors.base import ConnectorError
from connectors.sql.accept import Acceptor, check_forwarded
from connectors.sql.catalog import AgencySchema
from connectors.sql.dialect import MYSQL_SESSION, format_params, mysql_params
from connectors.sql.mapping import Lookup, Relation, SqlMapping
from simpul.errors import InvalidInput
from simpul.report import Accepted, ForwardedReport

ERRORS = (asyncmy.errors.Error,)

_INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})

_TABLES = (
    """CREATE TABLE IF NOT EXISTS "{schema}".simpul_accepted (
        idempotency_key varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        local_id varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        tracking_number varchar(100) NOT NULL,
        source_id varchar(200) NOT NULL,
        channel varchar(20) NOT NULL,
        accepted_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        KEY simpul_accepted_local_id (local_id, accepted_at),
        KEY simpul_accepted_tracking_number (tracking_number)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
)


def _value(value: Any) -> Any:
    """A parameter as MySQL takes it: aware times as naive UTC (the session's time zone)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class MysqlDatabase:
    """A pool of asyncmy connections, with asyncpg's `fetch`/`fetchval` shape for the shared queries."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, dsn: str) -> MysqlDatabase:
        pool = await asyncmy.create_pool(minsize=1, maxsize=5, connect_timeout=10, autocommit=True,
                                         init_command=MYSQL_SESSION, **mysql_params(dsn))
        return cls(pool)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        async with self._pool.acquire() as conn:
            yield conn

    async def fetch(self, sql: str, *params: Any, timeout: float | None = None) -> list[dict[str, Any]]:
        async with self.acquire() as conn:
            return await fetch(conn, sql, *params)

    async def fetchval(self, sql: str, *params: Any, timeout: float | None = None) -> Any:
        rows = await self.fetch(sql, *params)
        return next(iter(rows[0].values())) if rows else None

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


async def fetch(conn: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of `sql` (with `$n` parameters) on one asyncmy connection, as dicts (read as tuples and named
    once per statement: cheaper than the driver's dict rows)."""
    text, ordered = format_params(sql, [_value(p) for p in params])
    async with conn.cursor() as cursor:
        await cursor.execute(text, ordered or None)
        rows = await cursor.fetchall()
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in rows]


async def _columns(db: MysqlDatabase, relation: Relation) -> dict[str, dict[str, Any]]:
    rows = await db.fetch(
        "SELECT COLUMN_NAME AS name, DATA_TYPE AS type, EXTRA AS extra FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = $1 AND TABLE_NAME = $2", relation.schema, relation.name)
    if not rows:  # information_schema shows only what the connector's user may use
        raise ConnectorError(f"the agency database has no table or view {relation} (or the connector's user"
                             " has no privilege on it; grant SELECT)")
    return {r["name"]: r for r in rows}


def _need(columns: dict[str, dict[str, Any]], relation: Relation, column: str, role: str) -> dict[str, Any]:
    if column not in columns:
        raise ConnectorError(f"{relation} has no column {column!r} (mapped as {role})")
    return columns[column]


def _naive(column: dict[str, Any], where: str) -> bool:
    """DATETIME holds the unit's wall time; TIMESTAMP is an instant (read in the session's UTC)."""
    if column["type"] == "datetime":
        return True
    if column["type"] == "timestamp":
        return False
    raise ConnectorError(f"{where} must be a DATETIME or TIMESTAMP column, not {column['type']}")


async def inspect(db: MysqlDatabase, mapping: SqlMapping) -> AgencySchema:
    """Check every table and column the mapping names against information_schema, as catalog.inspect does
    on PostgreSQL, with the same one-line errors."""
    reports = await _columns(db, mapping.reports)
    for role, column in mapping.columns.items():
        if column is not None:
            _need(reports, mapping.reports, column, f"reports.{role}")
    received, updated = (str(mapping.columns[c]) for c in ("received_at", "updated_at"))
    schema = AgencySchema(
        id_type=str(reports[str(mapping.columns["id"])]["type"]),
        received_naive=_naive(reports[received], f"{mapping.reports}.{received} (received_at)"),
        updated_naive=_naive(reports[updated], f"{mapping.reports}.{updated} (updated_at)"),
        insert_types={},
    )
    if schema.received_naive != schema.updated_naive:
        raise ConnectorError(f"{mapping.reports}: {received} and {updated} must both be DATETIME or both TIMESTAMP")
    insert = mapping.insert
    if insert is not None:
        table = await _columns(db, insert.table)
        for column in [*insert.fields, *insert.lookups, *insert.constants]:
            schema.insert_types[column] = str(_need(table, insert.table, column, "an insert column")["type"])
        returned = _need(table, insert.table, insert.id_column, "insert.id")
        if "auto_increment" not in str(returned["extra"]).lower():
            raise ConnectorError(f"insert.id {insert.table}.{insert.id_column} must be the AUTO_INCREMENT column:"
                                 " its LAST_INSERT_ID() is the new report's local id")
        for column, lookup in insert.lookups.items():
            looked = await _columns(db, lookup.table)
            _need(looked, lookup.table, lookup.match, f"insert.columns.{column}.match")
            _need(looked, lookup.table, lookup.pick, f"insert.columns.{column}.pick")
    history = mapping.history
    if history is not None:
        kept = await _columns(db, history.table)
        for role, column in history.mapped.items():
            _need(kept, history.table, column, role)
        at = f"{history.table}.{history.at_column} (history.at)"
        if _naive(kept[history.at_column], at) != schema.received_naive:
            raise ConnectorError(f"{at} and {mapping.reports}.{received}"
                                 " must both be DATETIME or both TIMESTAMP")
    return schema


def fits_id(schema: AgencySchema, local_id: str) -> bool:
    """Whether `local_id` can be a value of the id column (MySQL would compare 'abc' to an int as 0)."""
    return schema.id_type not in _INTEGER_TYPES or local_id.lstrip("-").isdigit()


async def install(db: MysqlDatabase, mapping: SqlMapping) -> None:
    """simpul's bookkeeping table beside the agency's; needs CREATE on that database the first time only (once it
    is there nothing is created, and the server has no "already exists" note for the node's log at each start)."""
    present = await db.fetch("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = $1"
                             " AND TABLE_NAME = 'simpul_accepted'", mapping.schema)
    if present:
        return
    async with db.acquire() as conn:
        for statement in _TABLES:
            try:
                await fetch(conn, statement.format(schema=mapping.schema))
            except asyncmy.errors.OperationalError as exc:
                raise ConnectorError(f"cannot create simpul's tables in {mapping.schema!r}: {exc}; grant CREATE"
                                     f" on {mapping.schema}.simpul_accepted or the database") from None


def _lock_name(schema: str, what: str) -> str:
    """A GET_LOCK name (at most 64 characters) for `what` in `schema`."""
    return "simpul:" + hashlib.sha256(f"{schema}:{what}".encode()).hexdigest()[:48]


class MysqlAcceptor(Acceptor):
    """The mapped INSERT on MySQL: values typed by the driver, the new id from LAST_INSERT_ID()."""

    def _naive(self, column: str) -> bool:
        return self.types[column] != "timestamp"

    async def _look_up(self, conn: Any, lookup: Lookup, value: Any) -> Any:
        found = await fetch(
            conn, f'SELECT "{lookup.pick}" AS pick FROM {lookup.table.sql} WHERE TRIM("{lookup.match}") = $1 LIMIT 2',
            value)
        if len(found) != 1:
            how = "no row" if not found else "more than one row"
            raise InvalidInput(f"{lookup.field} {value!r} has {how} in {lookup.table}.{lookup.match}")
        return found[0]["pick"]

    async def _insert(self, conn: Any, report: ForwardedReport) -> str:
        row = await self._row(conn, report)
        names = ", ".join(f'"{c}"' for c in row)
        places = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        await fetch(conn, f"INSERT INTO {self.insert.table.sql} ({names}) VALUES ({places})", *row.values())
        found = await fetch(conn, "SELECT LAST_INSERT_ID() AS id")
        return str(found[0]["id"])

    async def accept(self, conn: Any, key: str, report: ForwardedReport) -> Accepted:
        check_forwarded(report)
        locks = [_lock_name(self.mapping.schema, f"key:{key}"),
                 _lock_name(self.mapping.schema, f"tracking:{report.tracking_number}")]
        for lock in locks:
            taken = await fetch(conn, "SELECT GET_LOCK($1, 30) AS taken", lock)
            if taken[0]["taken"] != 1:
                raise ConnectorError(f"agency database: another delivery of {key} holds its lock")
        try:
            await conn.begin()
            try:
                accepted = await self._once(conn, key, report)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
            return accepted
        finally:
            for lock in reversed(locks):
                await fetch(conn, "SELECT RELEASE_LOCK($1)", lock)

    async def _once(self, conn: Any, key: str, report: ForwardedReport) -> Accepted:
        seen = await fetch(conn, f"SELECT local_id, tracking_number FROM {self.accepted} WHERE idempotency_key = $1",
                           key)
        if seen:
            return Accepted(local_id=seen[0]["local_id"], tracking_number=seen[0]["tracking_number"], created=False)
        held = await fetch(conn, f"SELECT local_id FROM {self.accepted} WHERE tracking_number = $1 LIMIT 1",
                           report.tracking_number)
        local_id = str(held[0]["local_id"]) if held else await self._insert(conn, report)
        await fetch(conn, f"INSERT INTO {self.accepted} (idempotency_key, local_id, tracking_number, source_id,"
                          " channel) VALUES ($1, $2, $3, $4, $5)",
                    key, local_id, report.tracking_number, report.source_id, report.channel.value)
        return Accepted(local_id=local_id, tracking_number=report.tracking_number, created=not held)
