"""The read queries over the agency's relation, built once from the mapping.

Identifiers come quoted from the checked mapping; filter values, keysets and
limits are `$n` parameters. Ids compare as text in byte order (`COLLATE "C"`)
as the Keyset contract requires; agency values compare as trimmed text, so a
smallint status or a char(13) region code needs no special case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import Keyset, ReportFilter
from connectors.sql.catalog import AgencySchema
from connectors.sql.dialect import Dialect
from connectors.sql.mapping import SqlMapping
from connectors.sql.values import Values
from simpul.wire import Dimension, ReportStatus, check_region_code

# Segment widths of a compact (undotted) Kemendagri code: 64 08 04 2001.
_COMPACT_WIDTH = {1: 2, 2: 4, 3: 6, 4: 10}
ZERO_DATE = "'0000-00-00 00:00:00'"


def _q(name: str) -> str:
    """A mapped identifier (checked when the mapping was read), quoted."""
    return f'"{name}"'


class Where:
    """A parameterised WHERE clause; values never enter the SQL text."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def add(self, template: str, *values: Any) -> None:
        self.clauses.append(template.format(*(self.param(v) for v in values)))

    def any(self, expr: str, values: list[str]) -> None:
        """`expr` is one of `values`."""
        placeholders = [self.param(v) for v in values] if self.dialect.mysql else [self.param(values)]
        self.clauses.append(self.dialect.any(expr, placeholders))

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


@dataclass(frozen=True)
class Query:
    sql: str
    params: list[Any]


class ReportQueries:
    def __init__(self, mapping: SqlMapping, schema: AgencySchema, values: Values) -> None:
        self.mapping = mapping
        self.schema = schema
        self.values = values
        d = self.dialect = mapping.dialect
        c = {name: f'r."{column}"' if column else None for name, column in mapping.columns.items()}
        self.id_column = str(c["id"])
        self.id = d.text(self.id_column)
        self.id_bytes = d.byte_order(self.id)
        self.received = str(c["received_at"])
        # A MySQL zero date ('0000-00-00 00:00:00') is no time: updated_at then falls back to received_at.
        self.updated = f"NULLIF({c['updated_at']}, {ZERO_DATE})" if d.mysql else str(c["updated_at"])
        history = mapping.history
        if c["status"] is None:  # the latest row of the status-history table, NULL before its first
            assert history is not None
            latest = (f'SELECT {d.trim(f"h.{_q(history.status_column)}")} FROM {history.table.sql} h'
                      f' WHERE h.{_q(history.report_column)} = {c["id"]}'
                      f" ORDER BY h.{_q(history.id_column)} DESC LIMIT 1")
            self.status = f"({latest})"
        else:
            self.status = d.trim(str(c["status"]))
        self.kind = d.trim(c["kind"]) if c["kind"] else d.null_text
        self.category = d.trim(str(c["category"]))
        self.region = d.trim(str(c["region"]))
        self.feed_at = f"coalesce({self.updated}, {self.received})"
        # What WHERE and GROUP BY compare. MySQL pads and compares CHAR values without trailing spaces and turns
        # a constant into the column's type, so the agency's own column is compared as it is and its indexes
        # serve; PostgreSQL compares the trimmed text (char(n) keeps its padding).
        def key(name: str, shown: str) -> str:
            return str(c[name]) if d.mysql and c[name] is not None else shown
        self.status_key = key("status", self.status)
        self.kind_key = key("kind", self.kind)
        self.category_key = key("category", self.category)
        self.region_key = key("region", self.region)

        def text(name: str) -> str:
            column = c[name]
            return d.text(column) if column else d.null_text

        self.source = f"{mapping.reports.sql} r"
        self.columns = (
            f"{self.id} AS local_id, {d.text(str(c['title']))} AS title, {d.text(str(c['body']))} AS body,"
            f" {self.status} AS status, {self.kind} AS kind, {self.category} AS category,"
            f" {self.region} AS region, {self.received} AS received_at, {self.feed_at} AS updated_at,"
            f" {text('location')} AS location, {text('tracking_number')} AS tracking_number,"
            f" {text('reporter_name')} AS reporter_name, {text('reporter_contact')} AS reporter_contact,"
            f" {text('anonymous')} AS anonymous, {text('confidential')} AS confidential"
        )

    def accepted(self) -> Query:
        """Every acceptance of a forwarded report, first first: the node keeps them in memory (see
        `SqlConnector.forwarded`)."""
        return Query(f'SELECT local_id, tracking_number, channel FROM "{self.mapping.schema}".simpul_accepted'
                     " ORDER BY accepted_at, idempotency_key", [])

    def _filtered(self, f: ReportFilter, outer: Where | None = None) -> Where:
        """The filter's clauses; inside `outer`'s statement (a subquery), with its parameters numbered on."""
        where = Where(self.dialect)
        if outer is not None:
            where.params = outer.params
        if f.statuses:
            where.any(self.status_key, self.values.statuses_for(f.statuses))
            if self.mapping.columns["status"] is None and ReportStatus.RECEIVED in f.statuses:
                where.clauses[-1] = f"({self.status} IS NULL OR {where.clauses[-1]})"  # no status row yet
        if f.kinds and self.mapping.columns["kind"]:
            where.any(self.kind_key, self.values.kinds_for(f.kinds))
        elif f.kinds and self.mapping.default_kind not in f.kinds:
            where.add("false")
        if f.categories:
            where.any(self.category_key, self.values.categories_for(f.categories))
        if f.region_prefix:
            prefix = self.values.region_for(check_region_code(f.region_prefix))
            region = self.region_key
            if self.mapping.region_format == "compact":
                where.add(f"{region} LIKE {{}}", prefix + "%")
            else:
                where.add(f"({region} = {{0}} OR {region} LIKE {{1}})", prefix, prefix + ".%")
        if f.received_from:
            where.add(f"{self.received} >= {{}}", self._received(f.received_from))
        if f.received_to:
            where.add(f"{self.received} < {{}}", self._received(f.received_to))
        return where

    def _received(self, value: datetime) -> datetime:
        return self.values.db_time(value, self.schema.received_naive)

    def list(self, f: ReportFilter, after: Keyset | None, limit: int) -> Query:
        """A page, newest first, then by id in byte order; on MySQL by the agency's own id instead, which its index
        on the received time holds in order (the connector puts ties in byte order, reading them with `ties`)."""
        where = self._page_where(f, after)
        then = f"{self.id_column} DESC" if self.dialect.mysql else self.id_bytes
        sql = (f"SELECT {self.columns} FROM {self.source}{where.sql()}"
               f" ORDER BY {self.received} DESC, {then} LIMIT {where.param(limit)}")
        return Query(sql, where.params)

    def ties(self, f: ReportFilter, after: Keyset | None, received_at: datetime) -> Query:
        """Every report of the page's scope received at `received_at` (a time a page's end falls on)."""
        where = self._page_where(f, after)
        where.add(f"{self.received} = {{}}", received_at)
        return Query(f"SELECT {self.columns} FROM {self.source}{where.sql()}", where.params)

    def _page_where(self, f: ReportFilter, after: Keyset | None) -> Where:
        where = self._filtered(f)
        if after is not None and after.after_id is None:
            where.add(f"{self.received} < {{}}", self._received(after.received_at))
        elif after is not None:
            where.add(f"({self.received} < {{0}} OR ({self.received} = {{0}} AND {self.id_bytes} > {{1}}))",
                      self._received(after.received_at), after.after_id)
        # Not NULL, and on MySQL not a zero date: a row with no received time is in no page.
        where.clauses.append(f"{self.received} > {ZERO_DATE}" if self.dialect.mysql else f"{self.received} IS NOT NULL")
        return where

    def one(self, local_id: str) -> Query:
        """By the id column's own type, so the agency's primary key index serves it."""
        column = f'r."{self.mapping.columns["id"]}"'
        if self.dialect.mysql:  # the catalog check made sure `local_id` fits the column's type
            return Query(f"SELECT {self.columns} FROM {self.source} WHERE {column} = $1", [local_id])
        where = f"{column} = CAST($1::text AS {self.schema.id_type})"
        return Query(f"SELECT {self.columns} FROM {self.source} WHERE {where}", [local_id])

    def counts(self, f: ReportFilter, group_by: Sequence[Dimension], region_level: int) -> Query:
        """Counts by the agency's raw values; the caller maps and re-sums them."""
        where = self._filtered(f)
        if self.dialect.mysql:
            where.clauses.append(f"{self.received} > {ZERO_DATE}")
        exprs = []
        for dimension in group_by:
            if dimension is Dimension.REGION and self.mapping.region_format == "compact":
                exprs.append(f"left({self.region}, {where.param(_COMPACT_WIDTH[region_level])})")
            elif dimension is Dimension.REGION:
                exprs.append(self.dialect.region_prefix(self.region, where.param(region_level)))
            else:
                exprs.append({Dimension.STATUS: self.status_key, Dimension.KIND: self.kind_key,
                              Dimension.CATEGORY: self.category_key}[dimension])
        mysql = self.dialect.mysql
        shown = [self.dialect.trim(e) if mysql else e for e in exprs]
        select = ", ".join([*(f"{e} AS g{i}" for i, e in enumerate(shown)), "count(*) AS n",
                            f"{self.dialect.text(f'min({self.id_column})')} AS example"])
        # MySQL groups by the agency's columns themselves, so an index on them serves the count
        keys = exprs if mysql else [f"g{i}" for i in range(len(exprs))]
        group = f" GROUP BY {', '.join(keys)}" if exprs else ""
        return Query(f"SELECT {select} FROM {self.mapping.reports.sql} r{where.sql()}{group}", where.params)

    def changes_by_time(self, after: tuple[datetime, str] | None, limit: int) -> Query:
        """The change feed from the updated_at column: cursor (updated_at, id)."""
        where = Where(self.dialect)
        if after is not None:
            where.add(f"({self.feed_at} > {{0}} OR ({self.feed_at} = {{0}} AND {self.id_bytes} > {{1}}))", *after)
        if self.dialect.mysql:  # as in the list: a report with a zero received date is not one yet
            where.clauses.append(f"{self.received} > {ZERO_DATE}")
        sql = (f"SELECT {self.columns}, {self.feed_at} AS feed_at FROM {self.source}{where.sql()}"
               f" ORDER BY {self.feed_at}, {self.id_bytes} LIMIT {where.param(limit)}")
        return Query(sql, where.params)

    def feed_reaches(self, position: tuple[datetime, str]) -> Query:
        """A row when some report is at or after `position` in the updated_at feed; none when the feed ends
        before it."""
        where = Where(self.dialect)
        where.add(f"({self.feed_at} > {{0}} OR ({self.feed_at} = {{0}} AND {self.id_bytes} >= {{1}}))", *position)
        return Query(f"SELECT 1 FROM {self.mapping.reports.sql} r{where.sql()} LIMIT 1", where.params)

    def newest_in_feed(self) -> Query:
        return Query(f'SELECT coalesce(max(seq), 0) AS seq FROM "{self.mapping.schema}".simpul_feed', [])

    def changes_by_trigger(self, after: int, limit: int) -> Query:
        """The change feed from the trigger-fed table: cursor = its sequence number."""
        schema = self.mapping.schema
        sql = ("SELECT f.seq, f.local_id, f.status, f.at"
               f' FROM "{schema}".simpul_feed f WHERE f.seq > $1 ORDER BY f.seq LIMIT $2')
        return Query(sql, [after, limit])

    def changes_by_history(self, after: int, limit: int) -> Query:
        """The change feed from the agency's status-history table: cursor = its own id."""
        h = self.mapping.history
        assert h is not None
        d = self.dialect
        local = d.text(f"h.{_q(h.report_column)}")
        note = d.text(f"h.{_q(h.note_column)}") if h.note_column else d.null_text
        sql = (f"SELECT h.{_q(h.id_column)} AS seq, {local} AS local_id,"
               f" {d.trim(f'h.{_q(h.status_column)}')} AS status, h.{_q(h.at_column)} AS at, {note} AS note"
               f" FROM {h.table.sql} h WHERE h.{_q(h.id_column)} > $1"
               f" ORDER BY h.{_q(h.id_column)} LIMIT $2")
        return Query(sql, [after, limit])

    def newest_in_history(self) -> Query:
        h = self.mapping.history
        assert h is not None
        return Query(f"SELECT coalesce(max(h.{_q(h.id_column)}), 0) AS seq FROM {h.table.sql} h", [])

    def history_timeline(self, local_id: str) -> Query:
        """One report's rows of the status-history table, by the report column's own type (its index serves)."""
        h = self.mapping.history
        assert h is not None
        d = self.dialect
        column = f"h.{_q(h.report_column)}"
        match = f"{column} = $1" if d.mysql else f"{column} = CAST($1::text AS {self.schema.history_report_type})"
        note = d.text(f"h.{_q(h.note_column)}") if h.note_column else d.null_text
        return Query(f"SELECT h.{_q(h.at_column)} AS at, {d.trim(f'h.{_q(h.status_column)}')} AS status,"
                     f" {note} AS note FROM {h.table.sql} h WHERE {match} ORDER BY h.{_q(h.id_column)}", [local_id])

    def timeline(self, local_id: str) -> Query:
        return Query(f'SELECT at, status FROM "{self.mapping.schema}".simpul_feed WHERE local_id = $1 ORDER BY seq',
                     [local_id])
