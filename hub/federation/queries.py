"""Federated reads: prune to the nodes in scope, fan out, merge or sum."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hub.access.principal import Principal
from hub.federation.client import NodeCallError, NodeClient
from hub.federation.fanout import Outcome, fan_out
from hub.federation.merge import MergedPage, PageMerger
from hub.federation.nodewire import (
    COUNT_REPORTS,
    GET_REPORT,
    LIST_REPORTS,
    CountReportsData,
    GetReportData,
    NodeReport,
)
from hub.federation.pages import Unread, read_report, read_report_page
from hub.nodes.registry import NodeRecord, Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from simpul.cursor import Position
from simpul.errors import NotAllowed
from simpul.filters import ReportFilter
from simpul.report import NodeFailure, StatsBucket
from simpul.wire import Dimension, split_global_id

log = logging.getLogger("simpul.hub")


@dataclass(frozen=True)
class Answer:
    """What a federated read produced, and from how many of the nodes asked."""

    asked: int
    failures: list[NodeFailure]  # nodes asked that gave no usable answer, or (`via` set) below a child hub

    @property
    def answered(self) -> int:
        return self.asked - sum(1 for f in self.failures if f.via is None)


Partial = tuple[Any, list[NodeFailure]]


def _answer(outcomes: Sequence[Outcome[Partial]]) -> Answer:
    failures = [NodeFailure(node=o.node.code, code=o.error.code, message=str(o.error))
                for o in outcomes if o.error is not None]
    failures += [b for o in outcomes if o.value is not None for b in o.value[1]]
    for failure in failures:
        log.warning("node %s failed: %s %s", failure.node, failure.code, failure.message)
    return Answer(asked=len(outcomes), failures=failures)


@dataclass(frozen=True)
class ReportsResult:
    page: MergedPage
    answer: Answer


@dataclass(frozen=True)
class StatsResult:
    buckets: list[StatsBucket]
    answer: Answer


class Federation:
    """Reads across the nodes of the registry."""

    def __init__(
        self, registry: Registry, client: NodeClient, timeout: float, deadline: float
    ) -> None:
        self.registry = registry
        self.client = client
        self.timeout = timeout
        self.deadline = deadline

    async def nodes_in_scope(self, principal: Principal, selection: NodeSelection) -> list[NodeRecord]:
        """Active nodes the selection covers that the principal may see; no other node is ever called."""
        return await self.registry.select(replace(principal.narrow(selection), status=NodeStatus.ACTIVE))

    async def reports(
        self, principal: Principal, selection: NodeSelection, filter: ReportFilter, first: int,
        after: Position | None,
    ) -> ReportsResult:
        nodes = await self.nodes_in_scope(principal, selection)
        variables = {
            "filter": filter.variables(),
            "first": first,
            "after": {"receivedAt": after.received_at.isoformat(), "id": after.id}
            if after else None,
        }

        merger: PageMerger[Unread] = PageMerger(first)

        async def ask(node: NodeRecord) -> tuple[None, list[NodeFailure]]:
            page, below = await self.client.query_with(node, LIST_REPORTS, variables, read_report_page)
            prefix = f"{node.code}:"  # a node cannot speak for another
            owned = [(key, report) for key, report in page.reports if key[1].startswith(prefix)]
            merger.add(node.code, owned, page.has_more)  # no await: all or nothing
            return None, below

        outcomes = await fan_out(nodes, ask, self.timeout, self.deadline)
        refused: dict[str, NodeCallError] = {}

        def read(code: str, report: Unread) -> NodeReport | None:
            try:
                return read_report(code, report)
            except NodeCallError as exc:
                refused[code] = exc
                return None

        page = merger.page(read)
        outcomes = [Outcome(o.node, error=refused[o.node.code]) if o.node.code in refused else o for o in outcomes]
        return ReportsResult(page, _answer(outcomes))

    async def report(self, principal: Principal, report_id: str) -> tuple[NodeReport | None, Answer]:
        code, _ = split_global_id(report_id)
        nodes = await self.nodes_in_scope(principal, NodeSelection(codes=(code,)))
        if not nodes:
            node = await self.registry.get(code)
            if node is not None and node.status == NodeStatus.ACTIVE:
                raise NotAllowed(f"report {report_id} is at node {code}, outside your scope")
            return None, Answer(asked=0, failures=[])
        [node] = nodes

        async def ask(node: NodeRecord) -> tuple[GetReportData, list[NodeFailure]]:
            return await self.client.query_partial(node, GET_REPORT, {"id": report_id}, GetReportData)

        [outcome] = await fan_out([node], ask, self.timeout, self.deadline)
        found = outcome.value[0].report if outcome.value is not None else None
        if found is not None and not _owned(node, [found]):
            outcome = Outcome(node, error=NodeCallError(
                NodeCallError.BAD_RESPONSE, f"node {code} answered with another node's report"))
            found = None
        return found, _answer([outcome])

    async def stats(
        self,
        principal: Principal,
        selection: NodeSelection,
        filter: ReportFilter,
        group_by: Sequence[Dimension],
        region_level: int,
    ) -> StatsResult:
        nodes = await self.nodes_in_scope(principal, selection)
        variables = {"filter": filter.variables(), "groupBy": [d.value for d in group_by],
                     "regionLevel": region_level}

        async def ask(node: NodeRecord) -> tuple[CountReportsData, list[NodeFailure]]:
            return await self.client.query_partial(node, COUNT_REPORTS, variables, CountReportsData)

        outcomes = await fan_out(nodes, ask, self.timeout, self.deadline)
        totals: Counter[tuple[Any, ...]] = Counter()
        for outcome in outcomes:
            for b in outcome.value[0].stats if outcome.value is not None else ():
                if _in_region(outcome.node, b.region_code):
                    totals[(b.status, b.kind, b.category, b.region_code)] += b.count
        buckets = [StatsBucket(status=s, kind=k, category=c, region_code=r, count=n)
                   for (s, k, c, r), n in totals.items()]
        buckets.sort(key=lambda b: (-b.count, str(b.status), str(b.kind), str(b.category),
                                    str(b.region_code)))
        return StatsResult(buckets, _answer(outcomes))


def _in_region(node: NodeRecord, bucket_region: str | None) -> bool:
    """Whether a node may count reports in `bucket_region`: one within its own region, or above it at a coarser
    region level; a node cannot swell another region's figures."""
    mine = node.region_code
    if bucket_region is None or not mine or bucket_region == mine:
        return True
    if bucket_region.startswith(mine + ".") or mine.startswith(bucket_region + "."):
        return True
    log.warning("node %s counted reports in region %s, outside its region %s: ignored", node.code, bucket_region, mine)
    return False


def _owned(node: NodeRecord, reports: list[NodeReport]) -> list[NodeReport]:
    """Only reports whose id names the node that sent them; a node cannot speak for another."""
    prefix = f"{node.code}:"
    return [r for r in reports if r.id.startswith(prefix)]
