"""An agency's existing PostgreSQL or MySQL/MariaDB tables served as a Connector, through the mapping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg

from connectors.base import ConnectorError, Health, Keyset, NodeIdentity, ReportFilter
from connectors.numbering import FederationNumbers
from connectors.sql import mysql
from connectors.sql.accept import Acceptor
from connectors.sql.catalog import AgencySchema, inspect
from connectors.sql.install import feed_channel, install
from connectors.sql.mapping import SqlMapping
from connectors.sql.notify import FeedListener
from connectors.sql.queries import Query, ReportQueries
from connectors.sql.values import Values
from simpul.db.migrate import MigrationError
from simpul.errors import InvalidInput
from simpul.report import Accepted, Change, ForwardedReport, Report, Reporter, StatsBucket, TimelineEvent
from simpul.wire import Channel, Dimension, ReportStatus, check_aware_time, check_sequence_cursor

ACTOR = "agency-system"  # who moved a report, as far as the agency's tables tell

_DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, MigrationError,
                    *mysql.ERRORS)


@contextmanager
def _agency_database(doing: str) -> Iterator[None]:
    """Any failure of the agency database becomes a ConnectorError saying what we were doing."""
    try:
        yield
    except _DATABASE_ERRORS as exc:
        raise ConnectorError(f"agency database, {doing}: {exc.__class__.__name__}: {exc}") from exc


def _after_receipt(report: Report, events: list[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    """`events` from the agency's records, after the report's receipt unless their first entry is it: a report
    that was there before the trigger (its feed row is its last change), or one whose app writes a history row
    only when its status moves, still shows when it came in."""
    if events[0].status is not ReportStatus.RECEIVED and report.received_at <= events[0].at:
        events.insert(0, TimelineEvent(at=report.received_at, status=ReportStatus.RECEIVED, actor=ACTOR))
    return tuple(events)


class SqlConnector:
    """Reads the agency's reports where they are; writes only forwarded reports and its own schema."""

    def __init__(
        self, identity: NodeIdentity, mapping: SqlMapping, numbers: FederationNumbers,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.identity = identity
        self.mapping = mapping
        self.numbers = numbers
        self.values = Values(mapping)
        self.on_change = on_change
        self._pool: asyncpg.Pool | mysql.MysqlDatabase | None = None
        self._queries: ReportQueries | None = None
        self._acceptor: Acceptor | None = None
        self._listener: FeedListener | None = None
        # Forwarded reports: local id -> (tracking number, channel) of the first acceptance. simpul_accepted is
        # this node's own table and the node its only writer, so it is read once at start and kept here: a
        # lookup per row cost more than a page's own SQL. One node process per agency database (README).
        self.forwarded: dict[str, tuple[str, str]] = {}

    @property
    def pool(self) -> asyncpg.Pool | mysql.MysqlDatabase:
        if self._pool is None:
            raise ConnectorError("the sql connector is not started")
        return self._pool

    @property
    def queries(self) -> ReportQueries:
        if self._queries is None:
            raise ConnectorError("the sql connector is not started")
        return self._queries

    async def start(self) -> None:
        if self.mapping.dialect.mysql:
            await self._start_mysql()
            return
        application_name = f"simpul-sql-{self.identity.code}"
        with _agency_database("connecting"):
            pool = await asyncpg.create_pool(self.mapping.dsn, min_size=1, max_size=5, timeout=10,
                                             command_timeout=30, server_settings={"application_name": application_name})
        assert pool is not None
        try:
            async with pool.acquire() as conn:
                with _agency_database("checking the mapping"):
                    schema = await inspect(conn, self.mapping)
                with _agency_database(f"installing simpul's schema {self.mapping.schema!r}"):
                    await install(conn, self.mapping, schema)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        await self._prepare(schema)
        if self.mapping.trigger is not None:
            self._listener = FeedListener(self.mapping.dsn, feed_channel(self.mapping.schema), self.on_change,
                                          f"{application_name}-listen")
            self._listener.start()

    async def _start_mysql(self) -> None:
        with _agency_database("connecting"):
            db = await mysql.MysqlDatabase.connect(self.mapping.dsn)
        try:
            with _agency_database("checking the mapping"):
                schema = await mysql.inspect(db, self.mapping)
            with _agency_database(f"installing simpul's tables in {self.mapping.schema!r}"):
                await mysql.install(db, self.mapping)
        except BaseException:
            await db.close()
            raise
        self._pool = db
        await self._prepare(schema)

    async def _prepare(self, schema: AgencySchema) -> None:
        self._queries = ReportQueries(self.mapping, schema, self.values)
        with _agency_database("reading simpul_accepted"):
            for row in await self.pool.fetch(self.queries.accepted().sql):
                self._remember(row["local_id"], row["tracking_number"], row["channel"])
        if self.mapping.dialect.mysql and not schema.received_naive:
            self.values.zone_of_naive = UTC  # TIMESTAMP columns, read in the session's UTC
        if self.mapping.insert is not None:
            acceptor = mysql.MysqlAcceptor if self.mapping.dialect.mysql else Acceptor
            self._acceptor = acceptor(self.mapping, self.mapping.insert, schema, self.values)

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _fetch(self, query: Query, doing: str) -> list[Any]:
        """Rows as mappings of column name to value (asyncpg Records or dicts)."""
        with _agency_database(doing):
            rows: list[Any] = await self.pool.fetch(query.sql, *query.params)
        return rows

    async def health(self) -> Health:
        try:
            with _agency_database("health check"):
                await self.pool.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM {self.mapping.reports.sql} LIMIT 1) x",
                                         timeout=5)
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        return Health(ok=True, detail=f"agency table {self.mapping.reports} answers")

    def _tracking(self, row: Any) -> str:
        """A forwarded report keeps the number it came with; the agency's own get a derived one (its own number,
        mapped or not, is sequential: it stays the agency's reference and opens no public track)."""
        forwarded = self.forwarded.get(row["local_id"])
        return forwarded[0] if forwarded else self.numbers.of(row["local_id"])

    def _report(self, row: Any, timeline: tuple[TimelineEvent, ...] = ()) -> Report:
        local_id = row["local_id"]
        v = self.values
        title, body = (row["title"] or "").strip(), (row["body"] or "").strip()
        if not title or not body:
            raise ConnectorError(f"report {local_id} has no {'title' if not title else 'body'}")
        name, contact = row["reporter_name"], row["reporter_contact"]
        flagged = v.flag(row["anonymous"], "anonymous", local_id)
        anonymous = flagged if flagged is not None else not (name or contact)
        confidential = v.flag(row["confidential"], "confidential", local_id)
        if confidential is None:
            confidential = self.mapping.confidential_reporters and not anonymous
        forwarded = self.forwarded.get(local_id)
        return Report(
            local_id=local_id,
            tracking_number=self._tracking(row),
            kind=v.kind(row["kind"], local_id),
            title=title,
            body=body,
            category=v.category(row["category"], local_id),
            region_code=v.region(row["region"], local_id),
            channel=Channel(forwarded[1]) if forwarded else self.mapping.default_channel,
            status=v.status(row["status"], local_id),
            reporter=Reporter(anonymous=anonymous, confidential=confidential,
                              name=None if anonymous else name, contact=None if anonymous else contact),
            received_at=v.time(row["received_at"], "received", local_id),
            updated_at=v.time(row["updated_at"], "updated", local_id),
            location=row["location"],
            timeline=timeline,
        )

    async def list_reports(self, filter: ReportFilter, after: Keyset | None, limit: int) -> list[Report]:
        if self.mapping.dialect.mysql:
            rows = await self._mysql_page(filter, after, limit)
        else:
            rows = await self._fetch(self.queries.list(filter, after, limit), "listing reports")
        return [self._report(r) for r in rows]

    async def _mysql_page(self, filter: ReportFilter, after: Keyset | None, limit: int) -> list[Any]:
        """MySQL cannot sort ids in byte order from an index, and a sort of every row in range cost 40 ms a page
        at 50,000 rows. So the page is read in the index's own order (received, then the agency's id), one row
        more than asked, and put in byte order here; only when one received time runs past the page's end are
        all its rows read, the page's ties."""
        rows = await self._fetch(self.queries.list(filter, after, limit + 1), "listing reports")
        if len(rows) > limit and rows[limit]["received_at"] == rows[limit - 1]["received_at"]:
            at = rows[limit - 1]["received_at"]
            rows = [r for r in rows if r["received_at"] != at]
            rows += await self._fetch(self.queries.ties(filter, after, at), "listing reports")
        rows.sort(key=lambda r: str(r["local_id"]).encode())
        rows.sort(key=lambda r: r["received_at"], reverse=True)  # stable: ties stay in byte order
        return rows[:limit]

    async def get_report(self, local_id: str) -> Report | None:
        if self.mapping.dialect.mysql and not mysql.fits_id(self.queries.schema, local_id):
            return None
        try:
            rows = await self._fetch(self.queries.one(local_id), f"reading report {local_id}")
        except ConnectorError as exc:
            if isinstance(exc.__cause__, asyncpg.DataError):  # not an id of the agency's type: no such report
                return None
            raise
        if not rows:
            return None
        report = self._report(rows[0])
        return self._report(rows[0], await self._timeline(report))

    async def _timeline(self, report: Report) -> tuple[TimelineEvent, ...]:
        """From the agency's status history, or the trigger-fed table, when there is one; else what the row itself
        tells."""
        if self.mapping.history is not None:
            rows = await self._fetch(self.queries.history_timeline(report.local_id),
                                     f"reading report {report.local_id}")
            if rows:
                return _after_receipt(report, [
                    TimelineEvent(at=self.values.time(r["at"], "status", report.local_id),
                                  status=self.values.status(r["status"], report.local_id), actor=ACTOR, note=r["note"])
                    for r in rows])
        if self.mapping.trigger is not None:
            rows = await self._fetch(self.queries.timeline(report.local_id), f"reading report {report.local_id}")
            if rows:
                return _after_receipt(report, [
                    TimelineEvent(at=r["at"], status=self.values.status(r["status"], report.local_id), actor=ACTOR)
                    for r in rows])
        received = TimelineEvent(at=report.received_at, status=ReportStatus.RECEIVED, actor=ACTOR)
        if report.status is ReportStatus.RECEIVED:
            return (received,)
        return received, TimelineEvent(at=report.updated_at, status=report.status, actor=ACTOR)

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        dims = list(dict.fromkeys(group_by))
        rows = await self._fetch(self.queries.counts(filter, dims, region_level), "counting reports")
        counted: Counter[tuple[Any, ...]] = Counter()
        for row in rows:
            if row["n"] == 0:
                continue
            counted[tuple(self._ours(dim, row[f"g{i}"], row["example"]) for i, dim in enumerate(dims))] += row["n"]
        buckets = []
        for key, n in counted.items():
            values = dict(zip(dims, key, strict=True))
            buckets.append(StatsBucket(
                count=n, status=values.get(Dimension.STATUS), kind=values.get(Dimension.KIND),
                category=values.get(Dimension.CATEGORY), region_code=values.get(Dimension.REGION)))
        return buckets

    def _ours(self, dimension: Dimension, raw: Any, example: str) -> Any:
        """A grouped agency value as ours; `example` is one report holding it, for error messages."""
        if dimension is Dimension.STATUS:
            return self.values.status(raw, example)
        if dimension is Dimension.KIND:
            return self.values.kind(raw, example)
        if dimension is Dimension.CATEGORY:
            return self.values.category(raw, example)
        return self.values.region(raw, example)

    async def cursor_past_end(self, after: str) -> bool:
        """Whether no feed entry is at or after `after`: simpul_feed lost rows, or the agency's rows went back."""
        if self.mapping.history is not None:
            newest = await self._fetch(self.queries.newest_in_history(), "reading the change feed")
            return check_sequence_cursor(after) > int(newest[0]["seq"])
        if self.mapping.trigger is not None:
            newest = await self._fetch(self.queries.newest_in_feed(), "reading the change feed")
            return check_sequence_cursor(after) > int(newest[0]["seq"])
        reached = await self._fetch(self.queries.feed_reaches(self._time_cursor(after)), "reading the change feed")
        return not reached

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        if self.mapping.history is not None:
            return await self._changes_by_history(after, limit)
        if self.mapping.trigger is not None:
            return await self._changes_by_trigger(after, limit)
        return await self._changes_by_time(after, limit)

    async def _changes_by_trigger(self, after: str | None, limit: int) -> list[Change]:
        seq = check_sequence_cursor(after)
        rows = await self._fetch(self.queries.changes_by_trigger(seq, limit), "reading the change feed")
        return [Change(cursor=str(r["seq"]), local_id=r["local_id"], tracking_number=self._tracking(r), at=r["at"],
                       status=self.values.status(r["status"], r["local_id"]), actor=ACTOR) for r in rows]

    async def _changes_by_history(self, after: str | None, limit: int) -> list[Change]:
        seq = check_sequence_cursor(after)
        rows = await self._fetch(self.queries.changes_by_history(seq, limit), "reading the change feed")
        return [Change(cursor=str(r["seq"]), local_id=r["local_id"], tracking_number=self._tracking(r),
                       at=self.values.time(r["at"], "status", r["local_id"]),
                       status=self.values.status(r["status"], r["local_id"]), actor=ACTOR, note=r["note"])
                for r in rows]

    async def _changes_by_time(self, after: str | None, limit: int) -> list[Change]:
        position = self._time_cursor(after) if after is not None else None
        rows = await self._fetch(self.queries.changes_by_time(position, limit), "reading the change feed")
        changes = []
        for row in rows:
            report = self._report(row)
            changes.append(Change(cursor=f"{row['feed_at'].isoformat()}|{report.local_id}", local_id=report.local_id,
                                  tracking_number=report.tracking_number, at=report.updated_at, status=report.status,
                                  actor=ACTOR))
        return changes

    def _time_cursor(self, cursor: str) -> tuple[datetime, str]:
        """(updated_at as the column holds it, local id) from a cursor this connector gave out."""
        stamp, sep, local_id = cursor.partition("|")
        try:
            at = datetime.fromisoformat(stamp)
        except ValueError:
            at = None
        # MySQL hands out TIMESTAMP values without a zone too (UTC, the session's).
        naive = self.queries.schema.updated_naive or self.mapping.dialect.mysql
        if not sep or at is None or (at.tzinfo is None) != naive:
            raise InvalidInput(f"invalid change cursor {cursor!r}")
        if not naive:
            check_aware_time(at, "a change cursor's time")  # 0001-01-01T00:00+05:00 cannot be stated in UTC
        return at, local_id

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        if self._acceptor is None:
            raise ConnectorError("this node's sql mapping has no [insert]: it cannot accept forwarded reports")
        with _agency_database("accepting a forwarded report"):
            async with self.pool.acquire() as conn:
                accepted = await self._acceptor.accept(conn, idempotency_key, report)
        self._remember(accepted.local_id, accepted.tracking_number, report.channel.value)
        return accepted

    def _remember(self, local_id: str, tracking_number: str, channel: str) -> None:
        """A forwarded report keeps the number and channel of its first acceptance."""
        self.forwarded.setdefault(str(local_id), (str(tracking_number), str(channel)))

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """The disposisi is the agency's own business in its own system; the hub's ledger records it."""
        if await self.get_report(local_id) is None:
            raise InvalidInput(f"no report {local_id!r} in this unit's system")

