"""Accept a forwarded report into the agency's own table through the mapped insert, once per key.

The agency row and the `simpul_accepted` row are written in one
transaction, so a report is in the agency table exactly when its key is
recorded: a retried delivery finds the key and gets the first answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from connectors.sql.catalog import AgencySchema
from connectors.sql.mapping import InsertMapping, Lookup, SqlMapping
from connectors.sql.values import Values
from simpul.errors import InvalidInput
from simpul.report import Accepted, ForwardedReport
from simpul.wire import ReportStatus, check_region_code, check_report_text


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, datetime) else str(value)


def check_forwarded(report: ForwardedReport) -> None:
    """What any agency table needs of a forwarded report before it is written."""
    check_region_code(report.region_code)
    check_report_text(report.title, report.body, report.category)
    if report.reporter.anonymous and (report.reporter.name or report.reporter.contact):
        raise InvalidInput("an anonymous report keeps no name or contact")


class Acceptor:
    def __init__(self, mapping: SqlMapping, insert: InsertMapping, schema: AgencySchema, values: Values) -> None:
        self.mapping = mapping
        self.insert = insert
        self.types = schema.insert_types
        self.values = values
        self.accepted = f'"{mapping.schema}".simpul_accepted'

    def _naive(self, column: str) -> bool:
        """Whether the insert column holds local wall time."""
        return not self.types[column].endswith(" with time zone")

    def _field(self, name: str, column: str, report: ForwardedReport) -> Any:
        reporter = report.reporter
        if name == "received_at":
            return self.values.db_time(report.received_at, self._naive(column))
        fields: dict[str, Any] = {
            "title": report.title.strip(),
            "body": report.body.strip(),
            "category": lambda: self.values.agency_category(report.category.strip()),
            "region_code": lambda: self.values.region_for(report.region_code),
            "kind": lambda: self.values.agency_kind(report.kind),
            "status": lambda: self.values.agency_status(ReportStatus.RECEIVED),
            "location": report.location,
            "tracking_number": report.tracking_number,
            "source_id": report.source_id,
            "channel": report.channel.value,
            "reporter_name": None if reporter.anonymous else reporter.name,
            "reporter_contact": None if reporter.anonymous else reporter.contact,
            "anonymous": int(reporter.anonymous),  # 1/0: a boolean and a tinyint(1) take it alike
            "confidential": int(reporter.confidential),
        }
        value = fields[name]
        return value() if callable(value) else value

    async def _look_up(self, conn: asyncpg.Connection, lookup: Lookup, value: Any) -> Any:
        found = await conn.fetch(
            f'SELECT "{lookup.pick}"::text AS pick FROM {lookup.table.sql} WHERE btrim("{lookup.match}"::text) = $1'
            " LIMIT 2", _text(value))
        if len(found) != 1:
            how = "no row" if not found else "more than one row"
            raise InvalidInput(f"{lookup.field} {value!r} has {how} in {lookup.table}.{lookup.match}")
        return found[0]["pick"]

    async def _row(self, conn: Any, report: ForwardedReport) -> dict[str, Any]:
        """The agency row for `report`: mapped fields, looked-up columns and constants."""
        row: dict[str, Any] = {column: self._field(name, column, report) for column, name in self.insert.fields.items()}
        for column, lookup in self.insert.lookups.items():
            row[column] = await self._look_up(conn, lookup, self._field(lookup.field, column, report))
        row.update(self.insert.constants)
        return row

    async def _insert(self, conn: asyncpg.Connection, report: ForwardedReport) -> str:
        row = await self._row(conn, report)
        columns = list(row)
        casts = ", ".join(f"CAST(${i}::text AS {self.types[c]})" for i, c in enumerate(columns, 1))
        names = ", ".join(f'"{c}"' for c in columns)
        local_id = await conn.fetchval(
            f'INSERT INTO {self.insert.table.sql} ({names}) VALUES ({casts}) RETURNING "{self.insert.id_column}"::text',
            *(_text(row[c]) for c in columns))
        return str(local_id)

    async def accept(self, conn: asyncpg.Connection, key: str, report: ForwardedReport) -> Accepted:
        check_forwarded(report)
        async with conn.transaction():
            for lock in (f"key:{key}", f"tracking:{report.tracking_number}"):
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"simpul:{self.mapping.schema}:{lock}")
            seen = await conn.fetchrow(
                f"SELECT local_id, tracking_number FROM {self.accepted} WHERE idempotency_key = $1", key)
            if seen is not None:
                return Accepted(local_id=seen["local_id"], tracking_number=seen["tracking_number"], created=False)
            held = await conn.fetchval(
                f"SELECT local_id FROM {self.accepted} WHERE tracking_number = $1 LIMIT 1", report.tracking_number)
            created = held is None
            local_id = await self._insert(conn, report) if held is None else held
            await conn.execute(
                f"INSERT INTO {self.accepted} (idempotency_key, local_id, tracking_number, source_id, channel)"
                " VALUES ($1, $2, $3, $4, $5)",
                key, local_id, report.tracking_number, report.source_id, report.channel.value)
        return Accepted(local_id=local_id, tracking_number=report.tracking_number, created=created)
