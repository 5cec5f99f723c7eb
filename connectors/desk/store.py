"""The desk's reports in its own PostgreSQL schema, served as a Connector."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from connectors.base import Health, Keyset, NodeIdentity, ReportFilter
from connectors.desk.lifecycle import NEXT, check_transition
from simpul.db.migrate import migrate
from simpul.db.pool import create_pool
from simpul.errors import InvalidInput
from simpul.report import (
    Accepted,
    Amendment,
    Change,
    ForwardedReport,
    Report,
    ReportContent,
    Reporter,
    StatsBucket,
    TimelineEvent,
)
from simpul.tracking import new_tracking_number
from simpul.wire import (
    Dimension,
    ReportKind,
    ReportStatus,
    check_region_code,
    check_report_text,
    check_sequence_cursor,
)

REPLY_ACTOR = "pelapor"  # who the timeline says wrote a reply: the reporter

_COLUMNS = (
    "local_id, tracking_number, kind, title, body, category, region_code, channel, status,"
    " anonymous, confidential, reporter_name, reporter_contact, location, received_at, updated_at"
)

_GROUP_EXPR = {
    Dimension.STATUS: "status",
    Dimension.KIND: "kind",
    Dimension.CATEGORY: "category",
    Dimension.REGION: "array_to_string((string_to_array(region_code, '.'))[1:{level}], '.')",
}


class NewReport(ReportContent):
    """A report as a citizen or a desk officer enters it."""

    reporter: Reporter
    received_at: datetime | None = None  # None: now


class _Where:
    """Builds a parameterised WHERE clause; values never enter the SQL text."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, template: str, *values: Any) -> None:
        names = []
        for value in values:
            self.params.append(value)
            names.append(f"${len(self.params)}")
        self.clauses.append(template.format(*names))

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def _filtered(f: ReportFilter) -> _Where:
    where = _Where()
    if f.statuses:
        where.add("status = ANY({})", [s.value for s in f.statuses])
    if f.kinds:
        where.add("kind = ANY({})", [k.value for k in f.kinds])
    if f.categories:
        where.add("category = ANY({})", list(f.categories))
    if f.region_prefix:
        where.add("(region_code = {0} OR region_code LIKE {0} || '.%')", f.region_prefix)
    if f.received_from:
        where.add("received_at >= {}", f.received_from)
    if f.received_to:
        where.add("received_at < {}", f.received_to)
    return where


def _report(row: asyncpg.Record, timeline: tuple[TimelineEvent, ...] = ()) -> Report:
    """The report a row of `_COLUMNS` holds: its columns are named as the report's fields, the reporter's apart."""
    reporter = Reporter(anonymous=row["anonymous"], confidential=row["confidential"],
                        name=row["reporter_name"], contact=row["reporter_contact"])
    return Report.model_validate({**row, "reporter": reporter, "timeline": timeline})


def _check_new(report: ReportContent) -> None:
    check_region_code(report.region_code)
    check_report_text(report.title, report.body, report.category)


class DeskConnector:
    """A complete small complaint desk: reports, statuses with a timeline, tracking numbers."""

    def __init__(self, identity: NodeIdentity, database_url: str, schema: str) -> None:
        self.identity = identity
        self.database_url = database_url
        self.schema = schema
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("desk not started")
        return self._pool

    async def start(self) -> None:
        conn = await asyncpg.connect(self.database_url)
        try:
            await migrate(conn, self.schema, "connectors.desk.migrations")
        finally:
            await conn.close()
        self._pool = await create_pool(self.database_url, self.schema)

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def health(self) -> Health:
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, RuntimeError) as exc:
            return Health(ok=False, detail=f"database unavailable: {exc.__class__.__name__}")
        return Health(ok=True, detail="desk database answers")

    async def list_reports(
        self, filter: ReportFilter, after: Keyset | None, limit: int
    ) -> list[Report]:
        where = _filtered(filter)
        if after is not None and after.after_id is None:
            where.add("received_at < {}", after.received_at)
        elif after is not None:
            where.add("(received_at < {0} OR (received_at = {0} AND local_id > {1}))",
                      after.received_at, after.after_id)
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM reports{where.sql()}"
            f" ORDER BY received_at DESC, local_id LIMIT {int(limit)}",
            *where.params,
        )
        return [_report(r) for r in rows]

    async def get_report(self, local_id: str) -> Report | None:
        # One snapshot for the row and its timeline: a status change committing between the two reads would
        # give a report whose status lags its own timeline, and the hub would index the older status.
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reports WHERE local_id = $1",
                                      local_id)
            if row is None:
                return None
            events = await conn.fetch(
                "SELECT at, status, actor, note FROM events WHERE local_id = $1 ORDER BY seq",
                local_id,
            )
        timeline = tuple(TimelineEvent(at=e["at"], status=ReportStatus(e["status"]),
                                       actor=e["actor"], note=e["note"]) for e in events)
        return _report(row, timeline)

    async def find_by_tracking_number(self, tracking_number: str) -> Report | None:
        local_id = await self.pool.fetchval(
            "SELECT local_id FROM reports WHERE tracking_number = $1", tracking_number
        )
        return await self.get_report(local_id) if local_id is not None else None

    async def local_id_of(self, ref: str) -> str:
        """The local id a desk officer means by `ref`: a local id or a tracking number."""
        local_id = await self.pool.fetchval(
            "SELECT local_id FROM reports WHERE local_id = $1 OR tracking_number = $1", ref)
        if local_id is None:
            raise InvalidInput(f"no report {ref!r} at this desk")
        return str(local_id)

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        dims = list(dict.fromkeys(group_by))
        exprs = [_GROUP_EXPR[d].format(level=int(region_level)) for d in dims]
        where = _filtered(filter)
        select = ", ".join([*(f"{e} AS g{i}" for i, e in enumerate(exprs)), "count(*) AS n"])
        group = f" GROUP BY {', '.join(f'g{i}' for i in range(len(exprs)))}" if exprs else ""
        rows = await self.pool.fetch(f"SELECT {select} FROM reports{where.sql()}{group}",
                                     *where.params)
        buckets = []
        for row in rows:
            values = {d: row[f"g{i}"] for i, d in enumerate(dims)}
            if not dims and row["n"] == 0:
                continue
            status, kind = values.get(Dimension.STATUS), values.get(Dimension.KIND)
            buckets.append(StatsBucket(
                count=row["n"],
                status=ReportStatus(status) if status else None,
                kind=ReportKind(kind) if kind else None,
                category=values.get(Dimension.CATEGORY),
                region_code=values.get(Dimension.REGION),
            ))
        return buckets

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        seq = check_sequence_cursor(after)
        rows = await self.pool.fetch(
            "SELECT e.seq, e.local_id, r.tracking_number, e.at, e.status, e.actor, e.note"
            " FROM events e JOIN reports r USING (local_id)"
            " WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
            seq, limit,
        )
        return [Change(cursor=str(r["seq"]), local_id=r["local_id"],
                       tracking_number=r["tracking_number"], at=r["at"],
                       status=ReportStatus(r["status"]), actor=r["actor"], note=r["note"])
                for r in rows]

    async def cursor_past_end(self, after: str) -> bool:
        newest = await self.pool.fetchval("SELECT coalesce(max(seq), 0) FROM events")
        return bool(check_sequence_cursor(after) > newest)

    async def create_report(self, report: NewReport, actor: str) -> Report:
        """Record a report entered at this desk and give it a random tracking number: the local id counts, so
        anyone could guess its neighbours, and the number opens the report's public track."""
        _check_new(report)
        async with self.pool.acquire() as conn, conn.transaction():
            local_id = str(await conn.fetchval("SELECT nextval('report_numbers')"))
            tracking = new_tracking_number(self.identity.code)
            await self._insert(conn, local_id, tracking, report, None, report.received_at, actor)
        found = await self.get_report(local_id)
        assert found is not None
        return found

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        _check_new(report)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", idempotency_key)
            seen = await conn.fetchrow(
                "SELECT k.local_id, r.tracking_number FROM accepted_keys k"
                " JOIN reports r USING (local_id) WHERE k.idempotency_key = $1",
                idempotency_key,
            )
            if seen is not None:
                return Accepted(local_id=seen["local_id"], tracking_number=seen["tracking_number"], created=False)
            held = await conn.fetchval(
                "SELECT local_id FROM reports WHERE tracking_number = $1", report.tracking_number)
            if held is not None:  # sent here before under another key: one report, both keys
                await conn.execute("INSERT INTO accepted_keys (idempotency_key, local_id) VALUES ($1, $2)",
                                   idempotency_key, held)
                return Accepted(local_id=held, tracking_number=report.tracking_number, created=False)
            local_id = str(await conn.fetchval("SELECT nextval('report_numbers')"))
            await self._insert(conn, local_id, report.tracking_number, report, report.source_id,
                               report.received_at, "hub")
            await conn.execute(
                "INSERT INTO accepted_keys (idempotency_key, local_id) VALUES ($1, $2)",
                idempotency_key, local_id,
            )
        return Accepted(local_id=local_id, tracking_number=report.tracking_number, created=True)

    async def _insert(
        self,
        conn: asyncpg.Connection,
        local_id: str,
        tracking: str,
        report: NewReport | ForwardedReport,
        source_id: str | None,
        received_at: datetime | None,
        actor: str,
    ) -> None:
        r = report.reporter
        at = await conn.fetchval(
            "INSERT INTO reports (local_id, tracking_number, kind, title, body, category,"
            " region_code, channel, status, anonymous, confidential, reporter_name,"
            " reporter_contact, location, source_id, received_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'RECEIVED', $9, $10, $11, $12, $13, $14,"
            " coalesce($15, now()), now()) RETURNING received_at",
            local_id, tracking, report.kind.value, report.title.strip(), report.body.strip(),
            report.category.strip(), report.region_code, report.channel.value, r.anonymous,
            r.confidential, r.name, r.contact, report.location, source_id, received_at,
        )
        await conn.execute(
            "INSERT INTO events (local_id, at, status, actor, note) VALUES ($1, $2, 'RECEIVED', $3,"
            " $4)",
            local_id, at, actor, f"forwarded from {source_id}" if source_id else None,
        )

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """The hub forwarded a report received here: record the disposisi once."""
        status = await self.pool.fetchval("SELECT status FROM reports WHERE local_id = $1", local_id)
        if status is None:
            raise InvalidInput(f"no report {local_id!r} at this desk")
        if ReportStatus.FORWARDED in NEXT[ReportStatus(status)]:
            await self.change_status(local_id, ReportStatus.FORWARDED, "hub", f"diteruskan ke {target}")

    async def take_reply(self, local_id: str, idempotency_key: str, text: str) -> bool:
        """A reporter's reply to the unit's answer, once per key: an answered (COMPLETED) report opens again
        (IN_PROCESS); any other keeps its status, the reply joining its timeline. False for a repeated key."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval("SELECT status FROM reports WHERE local_id = $1 FOR UPDATE", local_id)
            if status is None:
                raise InvalidInput(f"no report {local_id!r} at this desk")
            taken = await conn.fetchval(
                "INSERT INTO replies (idempotency_key, local_id, text) VALUES ($1, $2, $3)"
                " ON CONFLICT (idempotency_key) DO NOTHING RETURNING at", idempotency_key, local_id, text)
            if taken is None:
                return False
            now = ReportStatus.IN_PROCESS if status == ReportStatus.COMPLETED else ReportStatus(status)
            await conn.execute("UPDATE reports SET status = $2, updated_at = $3 WHERE local_id = $1",
                               local_id, now.value, taken)
            await conn.execute(
                "INSERT INTO events (local_id, at, status, actor, note) VALUES ($1, $2, $3, $4, $5)",
                local_id, taken, now.value, REPLY_ACTOR, text)
        return True

    async def amend_report(self, local_id: str, idempotency_key: str, amendment: Amendment) -> bool:
        """An admin's verification edits, once per key: the title, category, kind and rahasia flag as given; an
        anonymous report's reporter name and contact erased (anonim is never undone here either). False for a
        repeated key."""
        async with self.pool.acquire() as conn, conn.transaction():
            found = await conn.fetchval("SELECT true FROM reports WHERE local_id = $1 FOR UPDATE", local_id)
            if found is None:
                raise InvalidInput(f"no report {local_id!r} at this desk")
            taken = await conn.fetchval(
                "INSERT INTO amendments (idempotency_key, local_id, title, category, kind, anonymous, confidential)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING at",
                idempotency_key, local_id, amendment.title.strip(), amendment.category.strip(), amendment.kind.value,
                amendment.anonymous, amendment.confidential)
            if taken is None:
                return False
            await conn.execute(
                "UPDATE reports SET title = $2, category = $3, kind = $4, confidential = $5,"
                " anonymous = anonymous OR $6,"
                " reporter_name = CASE WHEN anonymous OR $6 THEN NULL ELSE reporter_name END,"
                " reporter_contact = CASE WHEN anonymous OR $6 THEN NULL ELSE reporter_contact END,"
                " updated_at = $7 WHERE local_id = $1",
                local_id, amendment.title.strip(), amendment.category.strip(), amendment.kind.value,
                amendment.confidential, amendment.anonymous, taken)
        return True

    async def change_status(
        self,
        local_id: str,
        status: ReportStatus,
        actor: str,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Report:
        """Move a report along its lifecycle, appending the event to its timeline."""
        async with self.pool.acquire() as conn, conn.transaction():
            current = await conn.fetchval(
                "SELECT status FROM reports WHERE local_id = $1 FOR UPDATE", local_id
            )
            if current is None:
                raise InvalidInput(f"no report {local_id!r} at this desk")
            check_transition(ReportStatus(current), status, note)
            when = await conn.fetchval("SELECT coalesce($1::timestamptz, now())", at)
            await conn.execute(
                "UPDATE reports SET status = $2, updated_at = $3 WHERE local_id = $1",
                local_id, status.value, when,
            )
            await conn.execute(
                "INSERT INTO events (local_id, at, status, actor, note) VALUES ($1, $2, $3, $4, $5)",
                local_id, when, status.value, actor, note,
            )
        found = await self.get_report(local_id)
        assert found is not None
        return found
