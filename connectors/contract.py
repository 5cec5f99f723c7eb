"""The node contract (`schema/node.graphql`) as a strawberry schema over a Connector."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from connectors import base
from simpul.errors import InvalidInput
from simpul.filters import ReportFilter
from simpul.report import AcceptResult, Amendment, ForwardedReport, Reporter, ServedReport, StatsBucket
from simpul.wire import (
    Dimension,
    NodeLevel,
    ReportStatus,
    check_aware_time,
    check_idempotency_key,
    check_page_size,
    check_region_code,
    global_id,
)


@dataclass(frozen=True)
class NodeContext:
    connector: base.Connector


def _connector(info: Info[NodeContext, None]) -> base.Connector:
    return info.context.connector


def _code(info: Info[NodeContext, None]) -> str:
    return _connector(info).identity.code


@strawberry.type
class NodeInfo:
    code: str
    name: str
    level: NodeLevel
    region_code: str
    kind: str
    parent_code: str | None
    categories: list[str]


@strawberry.pydantic.type(name="Report")
class NodeReport(ServedReport):
    """A report as this node serves it; identity is never sent for anonymous or confidential reporters."""


def to_filter(value: ReportFilter | None) -> base.ReportFilter:
    """The connector's filter for a validated contract filter."""
    if value is None:
        return base.ReportFilter()
    value.validated()
    return base.ReportFilter(
        statuses=tuple(value.statuses or ()),
        kinds=tuple(value.kinds or ()),
        categories=tuple(value.categories or ()),
        region_prefix=value.region_prefix,
        received_from=value.received_from,
        received_to=value.received_to,
    )


@strawberry.input(description="A position in the federation-wide order: (receivedAt desc, id).")
class ReportKey:
    received_at: datetime
    id: strawberry.ID = strawberry.field(description="A global report id, of any node.")


def local_keyset(code: str, key: ReportKey) -> base.Keyset:
    """Translate a federation-wide position into this node's local keyset.

    Global ids sort as strings, and all of this node's ids share the prefix
    `<code>:`, so a foreign id at the same instant sorts wholly before or
    wholly after this node's reports.
    """
    check_aware_time(key.received_at, "receivedAt")
    prefix = f"{code}:"
    if key.id.startswith(prefix):
        return base.Keyset(key.received_at, key.id[len(prefix):])
    return base.Keyset(key.received_at, "" if key.id < prefix else None)


@strawberry.type
class ReportList:
    reports: list[NodeReport]
    has_more: bool


Snapshot = Callable[[], Awaitable[NodeReport | None]]


@strawberry.type
class Change:
    cursor: str
    report_id: strawberry.ID
    tracking_number: str
    at: datetime
    status: ReportStatus
    actor: str
    note: str | None
    snapshot: strawberry.Private[Snapshot]

    @strawberry.field(description="The report as it is now, with its timeline and without reporter identity, so "
                      "that a reader of the feed needs no second call for a report it has not seen before.")
    async def report(self) -> NodeReport | None:
        return await self.snapshot()


@strawberry.type
class ChangeList:
    changes: list[Change]
    has_more: bool
    behind: bool = strawberry.field(description=(
        "True when the page is empty because `after` lies past the end of this feed: the feed went backwards "
        "(the system was restored from a backup or reinstalled), so the reader must read it again from the start."))


def _snapshots(code: str, connector: base.Connector) -> Callable[[str], Snapshot]:
    """One fetch per report of a page, however many of its changes ask."""
    fetched: dict[str, asyncio.Task[base.Report | None]] = {}

    def snapshot(local_id: str) -> Snapshot:
        async def report() -> NodeReport | None:
            if local_id not in fetched:
                fetched[local_id] = asyncio.ensure_future(connector.get_report(local_id))
            found = await fetched[local_id]
            return NodeReport.of(code, found) if found else None
        return report
    return snapshot


@strawberry.type
class Health:
    ok: bool
    detail: str


@strawberry.pydantic.input
class ReporterInput(Reporter):
    """The reporter, carried in flight from the door that has it."""


@strawberry.pydantic.input
class AmendmentInput(Amendment):
    """An admin's verification edits, as the hub sends them."""


@strawberry.pydantic.input
class ForwardedReportInput(ForwardedReport):
    """A forwarded report, validated as the shared model on the way in."""

    source_id: strawberry.ID
    reporter: ReporterInput


@strawberry.type
class Query:
    @strawberry.field(description="Who this node is.")
    def node(self, info: Info[NodeContext, None]) -> NodeInfo:
        i = _connector(info).identity
        return NodeInfo(code=i.code, name=i.name, level=i.level, region_code=i.region_code,
                        kind=i.kind, parent_code=i.parent_code, categories=list(i.categories))

    @strawberry.field(description="Whether the system behind this node answers.")
    async def health(self, info: Info[NodeContext, None]) -> Health:
        h = await _connector(info).health()
        return Health(ok=h.ok, detail=h.detail)

    @strawberry.field(description="Reports by (receivedAt desc, id), resumed after a key.")
    async def reports(
        self,
        info: Info[NodeContext, None],
        filter: ReportFilter | None = None,
        first: int = 50,
        after: ReportKey | None = None,
    ) -> ReportList:
        code = _code(info)
        keyset = local_keyset(code, after) if after is not None else None
        rows = await _connector(info).list_reports(to_filter(filter), keyset, check_page_size(first) + 1)
        return ReportList(reports=[NodeReport.of(code, r) for r in rows[:first]],
                          has_more=len(rows) > first)

    @strawberry.field(description="One report with its timeline, by global or local id.")
    async def report(self, info: Info[NodeContext, None], id: strawberry.ID) -> NodeReport | None:
        code = _code(info)
        local = id.removeprefix(f"{code}:")
        found = await _connector(info).get_report(local)
        return NodeReport.of(code, found) if found else None

    @strawberry.field(
        description="A report received here, with the reporter's identity, for the hub to forward "
        "to the unit with authority; only the hub can call a node."
    )
    async def report_to_forward(self, info: Info[NodeContext, None], id: strawberry.ID) -> NodeReport | None:
        code = _code(info)
        found = await _connector(info).get_report(id.removeprefix(f"{code}:"))
        return NodeReport.of(code, found, mask=False) if found else None

    @strawberry.field(description="Counts of matching reports grouped by the given dimensions.")
    async def stats(
        self,
        info: Info[NodeContext, None],
        group_by: list[Dimension],
        filter: ReportFilter | None = None,
        region_level: int = 1,
    ) -> list[StatsBucket]:
        if not 1 <= region_level <= 4:
            raise InvalidInput("regionLevel must be between 1 and 4")
        return await _connector(info).count_reports(to_filter(filter), group_by, region_level)

    @strawberry.field(description="The append-only change feed, oldest first, after a cursor.")
    async def changes(
        self, info: Info[NodeContext, None], after: str | None = None, first: int = 100
    ) -> ChangeList:
        code, connector = _code(info), _connector(info)
        rows = await connector.changes(after, check_page_size(first) + 1)
        snapshot = _snapshots(code, connector)
        return ChangeList(
            changes=[Change(cursor=c.cursor, report_id=strawberry.ID(global_id(code, c.local_id)),
                            tracking_number=c.tracking_number, at=c.at, status=c.status,
                            actor=c.actor, note=c.note, snapshot=snapshot(c.local_id)) for c in rows[:first]],
            has_more=len(rows) > first,
            behind=not rows and after is not None and await connector.cursor_past_end(after),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a forwarded report; the same key twice creates one.")
    async def accept_report(
        self, info: Info[NodeContext, None], idempotency_key: str, report: ForwardedReportInput
    ) -> AcceptResult:
        check_idempotency_key(idempotency_key)
        check_region_code(report.region_code)
        accepted = await _connector(info).accept_report(idempotency_key, report)
        return AcceptResult(id=strawberry.ID(global_id(_code(info), accepted.local_id)),
                            tracking_number=accepted.tracking_number, created=accepted.created)

    @strawberry.mutation(description="Record that a report received here was forwarded; idempotent.")
    async def mark_forwarded(self, info: Info[NodeContext, None], id: strawberry.ID, to: str) -> bool:
        await _connector(info).mark_forwarded(id.removeprefix(f"{_code(info)}:"), to)
        return True

    @strawberry.mutation(description="A reporter's reply to the unit's answer (tanggapan), sent by the hub: an "
                         "answered report is open again (IN_PROCESS). The same key twice records one reply.")
    async def take_reply(self, info: Info[NodeContext, None], id: strawberry.ID, idempotency_key: str,
                         text: str) -> bool:
        check_idempotency_key(idempotency_key)
        text = text.strip()
        if not text or len(text) > base.REPLY_LIMIT:
            raise InvalidInput(f"a reply must be 1 to {base.REPLY_LIMIT} characters")
        connector = _connector(info)
        if not isinstance(connector, base.TakesReplies):
            raise InvalidInput(base.NO_REPLIES)
        await connector.take_reply(id.removeprefix(f"{_code(info)}:"), idempotency_key, text)
        return True

    @strawberry.mutation(description="An admin's verification edits, sent by the hub: the report's title, category, "
                         "kind and rahasia flag become these; anonymous erases the reporter's name and contact. The "
                         "same key twice applies them once.")
    async def amend_report(self, info: Info[NodeContext, None], id: strawberry.ID, idempotency_key: str,
                           amendment: AmendmentInput) -> bool:
        check_idempotency_key(idempotency_key)
        connector = _connector(info)
        if not isinstance(connector, base.TakesAmendments):
            raise InvalidInput(base.NO_AMENDMENTS)
        await connector.amend_report(id.removeprefix(f"{_code(info)}:"), idempotency_key, amendment)
        return True


class NodeFailures(SchemaExtension):
    """Failures of nodes below this one (`base.report_node_failure`) become GraphQL errors beside the data,
    with `extensions.node` (and `via`), as a hub reports its own nodes' failures."""

    def on_operation(self) -> Iterator[None]:
        with base.collect_node_failures() as failures:
            yield
        result = self.execution_context.result
        if failures and result is not None and hasattr(result, "errors"):
            result.errors = [*(result.errors or []), *(
                GraphQLError(f.message, extensions={"code": f.code, "node": f.node}
                             | ({"via": f.via} if f.via else {})) for f in failures)]


def node_schema(**kwargs: Any) -> strawberry.Schema:
    """The node contract every connector serves."""
    extensions = [*kwargs.pop("extensions", ()), NodeFailures]
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions, **kwargs)
