"""The hub's GraphQL schema: federated queries over the registry, forwarding, live events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.types import Info

from hub.access.guard import Enforce, principal_of
from hub.access.limits import QueryLimits
from hub.access.parse import BoundedParse, TextCache
from hub.api.access import AccessMutation, AccessQuery
from hub.api.context import Context
from hub.api.forwarding import ForwardingMutation, ForwardingQuery
from hub.api.node_errors import NodeErrors, report_failures
from hub.api.nul import RefuseNul
from hub.api.parent import ParentMutation, ParentQuery
from hub.api.sla import SlaMutation, SlaQuery
from hub.api.subgraph import EntityQuery, RefuseServiceSdl
from hub.api.subscriptions import Subscription
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
from hub.api.zones import ZonesQuery
from hub.federation.queries import Federation
from hub.index.reads import FederationIndex
from hub.metrics.graphql import CountOperations
from hub.nodes.registry import NodeRecord
from hub.nodes.selection import NodeSelection
from hub.nodes.suspension import reactivate_node, suspend_node
from hub.settings import HubSettings
from simpul.cursor import Position
from simpul.errors import InvalidInput, MaskInternalErrors
from simpul.filters import ReportFilter
from simpul.wire import Dimension, check_page_size

LIVE = ("Ask the nodes in scope now (fan-out; partial when a node fails, with one error per failed node) instead "
        "of the federation index.")


def _federation(info: Info[Context, None]) -> Federation:
    federation: Federation = info.context.federation
    return federation


def _index(info: Info[Context, None]) -> FederationIndex:
    index: FederationIndex = info.context.index
    return index


def _settings(info: Info[Context, None]) -> HubSettings:
    settings: HubSettings = info.context.settings
    return settings


def _pool(info: Info[Context, None]) -> asyncpg.Pool:
    pool: asyncpg.Pool = info.context.pool
    return pool


def _node(info: Info[Context, None], record: NodeRecord) -> Node:
    return Node.of(record, datetime.now(UTC), _settings(info).heartbeat_grace)


def _selection(scope: Scope | None) -> NodeSelection:
    return scope.selection() if scope is not None else NodeSelection()


def _filter(filter: ReportFilter | None) -> ReportFilter:
    return (filter or ReportFilter()).validated()


@strawberry.type
class FederationQuery:
    @strawberry.field(description="Nodes of the federation, by region subtree, level, status.")
    async def nodes(self, info: Info[Context, None], filter: NodeFilter | None = None) -> list[Node]:
        selection = filter.selection() if filter else NodeSelection()
        records = await _federation(info).registry.select(principal_of(info).narrow(selection))
        return [_node(info, r) for r in records]

    @strawberry.field(description="One node by code.")
    async def node(self, info: Info[Context, None], code: str) -> Node | None:
        found = await _federation(info).registry.select(principal_of(info).narrow(NodeSelection(codes=(code,))))
        if not found:
            return None
        [record] = found
        return _node(info, record)

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
            page = await _index(info).reports(principal_of(info), _selection(scope), _filter(filter), first, position)
            return ReportPage(reports=[Report.indexed(principal_of(info), r) for r in page.rows],
                              page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
                              coverage=Coverage.indexed(page.freshness))
        result = await _federation(info).reports(principal_of(info), _selection(scope), _filter(filter), first,
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
        found, answer = await _federation(info).report(principal_of(info), id)
        report_failures(info, answer)
        if found is not None:
            return Report.of(principal_of(info), found)
        if answer.asked and not answer.failures:
            return None  # the node answered: it has no such report
        indexed = await _index(info).report(principal_of(info), id)
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
        if not 1 <= region_level <= 4:
            raise InvalidInput("regionLevel must be between 1 and 4")
        if len(group_by) > len(Dimension):
            raise InvalidInput("groupBy names each dimension at most once")
        if not live:
            buckets, freshness = await _index(info).stats(principal_of(info), _selection(scope), _filter(filter),
                                                          group_by, region_level)
            return Stats(total=sum(b.count for b in buckets), buckets=buckets,
                         coverage=Coverage.indexed(freshness))
        result = await _federation(info).stats(principal_of(info), _selection(scope), _filter(filter), group_by,
                                               region_level)
        report_failures(info, result.answer)
        return Stats(total=sum(b.count for b in result.buckets),
                     buckets=result.buckets,
                     coverage=Coverage.of(result.answer))


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(description="Admin: suspend a node in the admin's subtree, saying why. Until it is "
                         "reactivated the hub does not ask it, route or deliver to it, and refuses its signed "
                         "requests; it keeps its secret.")
    async def suspend_node(self, info: Info[Context, None], code: str, reason: str) -> Node:
        async with _pool(info).acquire() as conn:
            return _node(info, await suspend_node(conn, principal_of(info), code, reason))

    @strawberry.mutation(description="Admin: let a suspended node in the admin's subtree back in, with its "
                         "secret; the hub asks it and routes to it again.")
    async def reactivate_node(self, info: Info[Context, None], code: str) -> Node:
        async with _pool(info).acquire() as conn:
            return _node(info, await reactivate_node(conn, principal_of(info), code))


@strawberry.type
class Query(ForwardingQuery, FederationQuery, SlaQuery, ParentQuery, AccessQuery, ZonesQuery, EntityQuery):
    pass


@strawberry.type
class Mutation(ForwardingMutation, SlaMutation, ParentMutation, AccessMutation, RegistryMutation):
    pass


def hub_schema(limits: QueryLimits = QueryLimits()) -> strawberry.Schema:
    """The public API served at /graphql; every operation passes Enforce (hub/access/guard.py).
    It is an Apollo Federation 2 subgraph too (hub/api/subgraph.py): its SDL is `_service.sdl`."""
    parsed: TextCache[object] = TextCache()
    extensions: list[Any] = [
        CountOperations,  # first: it counts the result every other extension has shaped
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: BoundedParse(parsed, limits.max_document_bytes),
    ]
    if not limits.introspection:
        extensions += [DisableIntrospection, lambda: AddValidationRules([RefuseServiceSdl])]
    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, federation_version="2.3",
        extensions=[*extensions, Enforce, RefuseNul, MaskInternalErrors, NodeErrors])
