"""Federated reads: the registry's nodes, and reports and stats of the whole federation, from the index or live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.node_errors import report_failures
from hub.api.types import (
    Coverage,
    Node,
    NodeFilter,
    PageInfo,
    Report,
    ReportPage,
    Scope,
    Stats,
)
from hub.nodes.registry import NodeRecord
from hub.nodes.selection import NodeSelection
from simpul.cursor import Position
from simpul.errors import InvalidInput
from simpul.filters import ReportFilter
from simpul.wire import Dimension, check_page_size

LIVE = ("Ask the nodes in scope now (fan-out; partial when a node fails, with one error per failed node) instead "
        "of the federation index.")


def node_of(info: Info[Context, None], record: NodeRecord) -> Node:
    """A node as the API shows it, reachable or not as of now."""
    return Node.of(record, datetime.now(UTC), info.context.settings.heartbeat_grace)


def _selection(scope: Scope | None) -> NodeSelection:
    return scope.selection() if scope is not None else NodeSelection()


def _filter(filter: ReportFilter | None) -> ReportFilter:
    return (filter or ReportFilter()).validated()


def check_stats(group_by: list[Dimension], region_level: int) -> None:
    """Refuse arguments `stats` cannot count by."""
    if not 1 <= region_level <= 4:
        raise InvalidInput("regionLevel must be between 1 and 4")
    if len(group_by) > len(Dimension):
        raise InvalidInput("groupBy names each dimension at most once")


async def counted_stats(info: Info[Context, None], group_by: list[Dimension], scope: Scope | None,
                        filter: ReportFilter | None, region_level: int, since: float | None = None) -> Stats:
    """`stats` from the federation index, for the query and for the subscription that keeps it up to date (which
    shares any count of its scope begun `since`)."""
    check_stats(group_by, region_level)
    counted = await info.context.index.stats(principal_of(info), _selection(scope), _filter(filter), group_by,
                                             region_level, since)
    return Stats(total=sum(b.count for b in counted.buckets), buckets=counted.buckets,
                 selesai=counted.selesai, coverage=Coverage.indexed(counted.freshness))


@strawberry.type
class FederationQuery:
    @strawberry.field(description="Nodes of the federation, by region subtree, level, status.")
    async def nodes(self, info: Info[Context, None], filter: NodeFilter | None = None) -> list[Node]:
        selection = filter.selection() if filter else NodeSelection()
        records = await info.context.federation.registry.select(principal_of(info).narrow(selection))
        return [node_of(info, r) for r in records]

    @strawberry.field(description="One node by code.")
    async def node(self, info: Info[Context, None], code: str) -> Node | None:
        found = await info.context.federation.registry.select(principal_of(info).narrow(NodeSelection(codes=(code,))))
        if not found:
            return None
        [record] = found
        return node_of(info, record)

    @strawberry.field(
        description="Reports of every node in scope, newest first (receivedAt desc, id), paginated with "
        "first/after. By default from the federation index: each report once, at its holder, as of each node's last "
        "pull (coverage says how fresh); `live: true` asks the nodes now."
    )
    async def reports(
        self,
        info: Info[Context, None],
        scope: Scope | None = None,
        filter: ReportFilter | None = None,
        first: int = 20,
        after: str | None = None,
        live: Annotated[bool, strawberry.argument(description=LIVE)] = False,
    ) -> ReportPage:
        check_page_size(first)
        position = Position.decode(after) if after is not None else None
        if not live:
            page = await info.context.index.reports(principal_of(info), _selection(scope), _filter(filter), first,
                                                    position)
            return ReportPage(reports=[Report.indexed(principal_of(info), r) for r in page.rows],
                              page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
                              coverage=Coverage.indexed(page.freshness))
        result = await info.context.federation.reports(principal_of(info), _selection(scope), _filter(filter), first,
                                                 position)
        report_failures(info, result.answer)
        return ReportPage(
            reports=[Report.of(principal_of(info), r) for r in result.page.reports],
            page_info=PageInfo(has_next_page=result.page.has_next_page,
                               end_cursor=result.page.end_cursor),
            coverage=Coverage.of(result.answer),
        )

    @strawberry.field(description="One report with its timeline, by global id <node>:<local id>, asked of its "
                      "node now; when the node does not answer, as the federation index holds it (source INDEX).")
    async def report(self, info: Info[Context, None], id: strawberry.ID) -> Report | None:
        found, answer = await info.context.federation.report(principal_of(info), id)
        report_failures(info, answer)
        if found is not None:
            return Report.of(principal_of(info), found)
        if answer.asked and not answer.failures:
            return None  # the node answered: it has no such report
        indexed = await info.context.index.report(principal_of(info), id)
        return Report.indexed(principal_of(info), *indexed) if indexed is not None else None

    @strawberry.field(description="Counts of reports in scope, each report once. By default from the federation "
                      "index (coverage says how fresh); `live: true` has each node count and sums.")
    async def stats(
        self,
        info: Info[Context, None],
        group_by: list[Dimension],
        scope: Scope | None = None,
        filter: ReportFilter | None = None,
        region_level: int = 1,
        live: Annotated[bool, strawberry.argument(description=LIVE)] = False,
    ) -> Stats:
        if not live:
            return await counted_stats(info, group_by, scope, filter, region_level)
        check_stats(group_by, region_level)
        result = await info.context.federation.stats(principal_of(info), _selection(scope), _filter(filter), group_by,
                                               region_level)
        report_failures(info, result.answer)
        return Stats(total=sum(b.count for b in result.buckets),
                     buckets=result.buckets,
                     coverage=Coverage.of(result.answer))
