"""Types of the hub's public GraphQL API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from hub.federation.nodewire import NodeBucket, NodeReport
from hub.federation.queries import Answer
from hub.regions import region_name
from hub.registry import NodeRecord, NodeSelection
from simpul.wire import (
    Channel,
    InvalidInput,
    NodeLevel,
    ReportKind,
    ReportStatus,
    check_node_code,
    check_region_code,
)

MAX_SCOPE_CODES = 1000


@strawberry.enum
class NodeStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


@strawberry.federation.type(keys=["code"], description="A complaint-handling unit connected to the federation.")
class Node:
    code: str
    name: str
    level: NodeLevel
    region_code: str
    region_name: str | None
    parent_code: str | None
    categories: list[str]
    endpoint: str
    kind: str
    status: NodeStatus
    enrolled_at: datetime
    last_heartbeat: datetime | None
    reachable: bool = strawberry.field(description="Heard from within the heartbeat grace.")
    healthy: bool | None = strawberry.field(description="The node's own view of its system.")

    @classmethod
    def of(cls, record: NodeRecord, now: datetime, grace: float) -> Node:
        return cls(
            code=record.code, name=record.name, level=record.level,
            region_code=record.region_code, region_name=region_name(record.region_code),
            parent_code=record.parent_code, categories=list(record.categories),
            endpoint=record.endpoint, kind=record.kind, status=NodeStatus(record.status),
            enrolled_at=record.enrolled_at, last_heartbeat=record.last_heartbeat,
            reachable=record.reachable(now, grace), healthy=record.healthy,
        )


@strawberry.type(description="Who reported; identity is not served by the hub.")
class Reporter:
    anonymous: bool
    confidential: bool


@strawberry.type
class TimelineEvent:
    at: datetime
    status: ReportStatus
    actor: str
    note: str | None


@strawberry.federation.type(keys=["id"], description="A report as held by the node that has it.")
class Report:
    id: strawberry.ID = strawberry.field(description="Global id: <node code>:<local id>.")
    node: str
    tracking_number: str
    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel
    status: ReportStatus
    reporter: Reporter
    received_at: datetime
    updated_at: datetime
    location: str | None
    timeline: list[TimelineEvent] = strawberry.field(
        description="Filled by `report(id)`; empty in lists."
    )

    @classmethod
    def of(cls, r: NodeReport) -> Report:
        return cls(
            id=strawberry.ID(r.id), node=r.id.partition(":")[0],
            tracking_number=r.tracking_number, kind=r.kind, title=r.title, body=r.body,
            category=r.category, region_code=r.region_code, channel=r.channel, status=r.status,
            reporter=Reporter(anonymous=r.reporter.anonymous, confidential=r.reporter.confidential),
            received_at=r.received_at, updated_at=r.updated_at, location=r.location,
            timeline=[TimelineEvent(at=e.at, status=e.status, actor=e.actor, note=e.note)
                      for e in r.timeline],
        )


@strawberry.type(description="How complete a federated answer is.")
class Coverage:
    asked: int = strawberry.field(description="Nodes in scope that were asked.")
    answered: int = strawberry.field(description="Nodes whose answer is included.")
    failed: list[str] = strawberry.field(
        description="Codes of nodes that did not answer, with those below a child hub that did.")

    @classmethod
    def of(cls, answer: Answer) -> Coverage:
        return cls(asked=answer.asked, answered=answer.answered,
                   failed=[f.node for f in answer.failures])


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ReportPage:
    reports: list[Report]
    page_info: PageInfo
    coverage: Coverage


@strawberry.type
class StatsBucket:
    count: int
    status: ReportStatus | None
    kind: ReportKind | None
    category: str | None
    region_code: str | None

    @classmethod
    def of(cls, b: NodeBucket) -> StatsBucket:
        return cls(count=b.count, status=b.status, kind=b.kind, category=b.category,
                   region_code=b.region_code)


@strawberry.type
class Stats:
    total: int
    buckets: list[StatsBucket]
    coverage: Coverage


@strawberry.input(description="Which nodes a federated query asks; every field narrows.")
class Scope:
    region_prefix: str | None = strawberry.field(
        default=None, description="Nodes whose region lies in this subtree, e.g. 64."
    )
    node_codes: list[str] | None = None
    level: NodeLevel | None = None

    def selection(self) -> NodeSelection:
        if self.region_prefix is not None:
            check_region_code(self.region_prefix)
        codes = None
        if self.node_codes is not None:
            if len(self.node_codes) > MAX_SCOPE_CODES:
                raise InvalidInput(f"a scope may name at most {MAX_SCOPE_CODES} nodes")
            codes = tuple(check_node_code(c) for c in self.node_codes)
        return NodeSelection(region_prefix=self.region_prefix, codes=codes, level=self.level)


@strawberry.input
class NodeFilter:
    region_prefix: str | None = None
    level: NodeLevel | None = None
    status: NodeStatus | None = None

    def selection(self) -> NodeSelection:
        if self.region_prefix is not None:
            check_region_code(self.region_prefix)
        return NodeSelection(region_prefix=self.region_prefix, level=self.level,
                             status=self.status.value if self.status else None)
