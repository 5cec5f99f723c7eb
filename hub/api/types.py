"""Types of the hub's public GraphQL API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import asyncpg
import strawberry
from pydantic import BaseModel, Field, create_model
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.unset import UNSET

from hub.access.principal import Principal
from hub.access.rahasia import HIDDEN, shows_content
from hub.federation.nodewire import NodeReport
from hub.federation.queries import Answer
from hub.index.reads import Freshness
from hub.nodes.registry import NodeRecord
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from simpul.report import ReportContent, StatsBucket, TimelineEvent
from simpul.wire import NodeLevel, ReportStatus, check_region_code

strawberry.enum(NodeStatus)  # the registry's, as the API shows it


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
    reachable: bool = strawberry.field(description="Heard from within the heartbeat grace, and callable at its "
                                       "endpoint when the hub last called it.")
    healthy: bool | None = strawberry.field(description="The node's own view of its system.")
    index_as_of: datetime | None = strawberry.field(
        description="When the hub last read this node's change feed to its end: its reports in indexed answers "
        "are as of then. Null: not read yet.")
    call_error: str | None = strawberry.field(description="Why the hub's last call to it failed; null when it "
                                              "answered.")

    @classmethod
    def of(cls, record: NodeRecord, now: datetime, grace: float) -> Node:
        return cls(
            code=record.code, name=record.name, level=record.level,
            region_code=record.region_code, region_name=region_name(record.region_code),
            parent_code=record.parent_code, categories=list(record.categories),
            endpoint=record.endpoint, kind=record.kind, status=record.status,
            enrolled_at=record.enrolled_at, last_heartbeat=record.last_heartbeat,
            reachable=record.reachable(now, grace), healthy=record.healthy, index_as_of=record.synced_at,
            call_error=record.call_error,
        )


@strawberry.enum(description="Where an answer comes from.")
class ReadSource(StrEnum):
    INDEX = "INDEX"  # the federation index: every node's reports as of its last pull
    LIVE = "LIVE"  # the nodes themselves, asked now


@strawberry.pydantic.type(name="Reporter", description="Who reported; identity is not served by the hub.")
class PublicReporter(BaseModel):
    anonymous: bool
    confidential: bool


# What a report's counts show of it, rahasia or not: what kind it is and where; the rest of what the reporter wrote
# is published only to callers who may read it (hub/access/rahasia.py).
CLASSIFICATION = frozenset({"kind", "category", "region_code", "channel"})


def published_content(content: type[BaseModel] = ReportContent) -> type[BaseModel]:
    """The report's content (simpul/report.py) as the hub's API serves it: the classification as it is, every
    other field nullable, null when not published to the caller. A field the content gains is served, and hidden
    from callers who may not read the report, without a line here."""
    fields: dict[str, Any] = {}
    for name, field in content.model_fields.items():
        if name in CLASSIFICATION:
            fields[name] = (field.annotation, ...)
        else:
            unknown = "" if field.is_required() else " Null too when the report has none."
            fields[name] = (cast(Any, field.annotation) | None,
                            Field(None, description=f"Null when {HIDDEN} to this caller (docs/security.md).{unknown}"))
    return create_model("PublishedContent", **fields)


PublishedContent = published_content()


@strawberry.pydantic.type(directives=[Key(fields=FieldSet("id"), resolvable=UNSET)],
                          description="A report as held by the node that has it.")
class Report(PublishedContent):  # type: ignore[valid-type, misc]  # a model made from ReportContent's fields
    id: strawberry.ID = Field(description="Global id: <node code>:<local id>.")
    node: str
    tracking_number: str
    status: ReportStatus
    reporter: PublicReporter
    received_at: datetime
    updated_at: datetime
    timeline: list[TimelineEvent] = Field(
        description=f"Filled by `report(id)`; empty in lists. Notes are null when {HIDDEN} to this caller.")
    source: ReadSource = Field(
        default=ReadSource.LIVE,
        description="LIVE: as the node answered now; INDEX: as the federation index holds it (lists by default, "
        "or `report(id)` when its node did not answer).")

    @classmethod
    def indexed(cls, reader: Principal, row: asyncpg.Record, timeline: Sequence[asyncpg.Record] = ()) -> Report:
        """A report as the federation index holds it: one row however often it was forwarded, shown at its holder;
        its content only if `reader` may read it (hub/access/rahasia.py)."""
        served = NodeReport.model_validate({
            **row, "local_id": row["id"].partition(":")[2] or row["id"],
            "reporter": {"anonymous": row["anonymous"], "confidential": row["confidential"]},
            "timeline": [dict(e) for e in timeline]})
        return cls.of(reader, served, node=row["node"], source=ReadSource.INDEX)

    @classmethod
    def of(cls, reader: Principal, r: NodeReport, node: str | None = None,
           source: ReadSource = ReadSource.LIVE) -> Report:
        """A report as its node answered now (or as the index holds it, at `node`); its content only if `reader`
        may read it (hub/access/rahasia.py)."""
        node = node or r.id.partition(":")[0]
        shown = shows_content(reader, r.region_code, r.reporter.confidential, node)
        content = {name: getattr(r, name) if shown or name in CLASSIFICATION else None
                   for name in PublishedContent.model_fields}
        report: Report = cls.model_construct(
            **content, id=r.id, node=node, tracking_number=r.tracking_number, status=r.status,
            reporter=PublicReporter.model_construct(anonymous=r.reporter.anonymous,
                                                    confidential=r.reporter.confidential),
            received_at=r.received_at, updated_at=r.updated_at,
            timeline=[e if shown else e.model_copy(update={"note": None}) for e in r.timeline], source=source,
        )
        return report


@strawberry.type(description="A node whose part of an indexed answer may be behind what the node holds now.")
class StaleNode:
    node: str
    as_of: datetime | None = strawberry.field(description="When its feed was last read to its end; null: never.")
    lag_seconds: float | None = strawberry.field(description="Seconds since then.")
    reason: str = strawberry.field(description="Why: the hub's last call failed (with the error), the feed was "
                                   "not read within the threshold, or it was never read.")


@strawberry.type(description="How complete and how fresh a federated answer is.")
class Coverage:
    asked: int = strawberry.field(description="Active nodes in scope (asked, for a live answer).")
    answered: int = strawberry.field(description="Nodes whose reports are included: all of them for an indexed "
                                     "answer (a node that is down counts as of its last pull).")
    failed: list[str] = strawberry.field(
        description="Live: codes of nodes that did not answer, with those below a child hub that did.")
    source: ReadSource = ReadSource.LIVE
    as_of: datetime | None = strawberry.field(
        default=None, description="Indexed: the oldest time any node's feed in scope was read to its end (null when "
        "one never was, or for a live answer): everything up to then is in the answer.")
    stale: list[StaleNode] = strawberry.field(
        default_factory=list, description="Indexed: nodes whose part of the answer is older than the hub's "
        "--stale-after, or that the hub cannot call, with their lag.")

    @classmethod
    def of(cls, answer: Answer) -> Coverage:
        return cls(asked=answer.asked, answered=answer.answered,
                   failed=[f.node for f in answer.failures])

    @classmethod
    def indexed(cls, freshness: Freshness) -> Coverage:
        return cls(asked=freshness.asked, answered=freshness.asked, failed=[], source=ReadSource.INDEX,
                   as_of=freshness.as_of,
                   stale=[StaleNode(node=s.node, as_of=s.as_of, lag_seconds=s.lag_seconds, reason=s.reason)
                          for s in freshness.stale])


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
class Stats:
    total: int
    buckets: list[StatsBucket]
    coverage: Coverage
    selesai: int | None = strawberry.field(default=None, description=(
        "Of total, the reports that are selesai as the rule says: an answer that stood the reporter's 10 working "
        "days without a reply, or closed (docs/figures.md). The hub keeps it, so a live answer has null."))


@strawberry.input(description="Which nodes a federated query asks; every field narrows.")
class Scope:
    region_prefix: str | None = strawberry.field(
        default=None, description="Nodes whose region lies in this subtree, e.g. 64."
    )
    node_codes: list[str] | None = None
    level: NodeLevel | None = None

    def selection(self) -> NodeSelection:
        return NodeSelection.asked(self.region_prefix, self.node_codes, self.level)


@strawberry.input
class NodeFilter:
    region_prefix: str | None = None
    level: NodeLevel | None = None
    status: NodeStatus | None = None

    def selection(self) -> NodeSelection:
        if self.region_prefix is not None:
            check_region_code(self.region_prefix)
        return NodeSelection(region_prefix=self.region_prefix, level=self.level,
                             status=self.status)
