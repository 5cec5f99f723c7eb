"""GraphQL for a parent hub's connector (admin only): forwarded reports in, ledger changes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.forwarding.ledger import Incoming, check_reporter
from hub.forwarding.parent import PARENT_ORIGIN, ledger_changes, take_from_parent
from hub.forwarding.sealing import Identity
from hub.forwarding.submit import Forwarding
from simpul.wire import Channel, ReportKind, ReportStatus

Context = dict[str, Any]


@strawberry.input(description="A report a parent hub forwards to this hub, with the parent's tracking number.")
class ParentReportInput:
    source_id: str = strawberry.field(description="Where the parent first received it.")
    tracking_number: str
    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel
    received_at: datetime
    anonymous: bool = False
    confidential: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    location: str | None = None


@strawberry.type
class AcceptedForward:
    id: strawberry.ID = strawberry.field(
        description="The global id of the copy at the unit holding it here; its origin id until delivered.")
    tracking_number: str
    created: bool


@strawberry.type(description="One event of this hub's ledger, for a parent hub's change feed.")
class LedgerChange:
    cursor: str
    tracking_number: str
    at: datetime
    type: str = strawberry.field(description="RECEIVED, ROUTED, DELIVERED, STATUS, RETURNED, UNROUTABLE, ...")
    node: str | None
    status: ReportStatus | None
    note: str | None
    report_id: strawberry.ID | None = strawberry.field(
        description="The report's global id at a node of this hub, when it is at one now.")
    origin_id: str


@strawberry.type
class ParentQuery:
    @strawberry.field(description="Admin: the ledger's events in the admin's region, oldest first, after a cursor.")
    async def ledger_changes(
        self, info: Info[Context, None], after: str | None = None, first: int = 100
    ) -> list[LedgerChange]:
        rows = await ledger_changes(info.context["pool"], principal_of(info), after, first)
        return [LedgerChange(cursor=r.cursor, tracking_number=r.tracking_number, at=r.at, type=r.type, node=r.node,
                             status=ReportStatus(r.status) if r.status else None, note=r.note,
                             report_id=strawberry.ID(r.report_id) if r.report_id else None, origin_id=r.origin_id)
                for r in rows]


@strawberry.type
class ParentMutation:
    @strawberry.mutation(description="Admin (a parent hub's connector): take a report forwarded from above, keeping "
                         "its tracking number, and route it here; the same key twice records it once.")
    async def accept_forwarded_report(
        self, info: Info[Context, None], idempotency_key: str, report: ParentReportInput
    ) -> AcceptedForward:
        admin = principal_of(info)
        forwarding: Forwarding = info.context["forwarding"]
        check_reporter(report.anonymous, report.reporter_name, report.reporter_contact)
        tracking = report.tracking_number.strip()
        identity = None if report.anonymous else Identity.of(report.reporter_name, report.reporter_contact)
        taken = await take_from_parent(info.context["pool"], forwarding.ledger, admin, idempotency_key, Incoming(
            origin_id=PARENT_ORIGIN + report.source_id, origin_node=None,
            tracking_number=tracking, kind=report.kind,
            title=report.title.strip(), body=report.body.strip(), category=report.category.strip(),
            region_code=report.region_code, channel=report.channel, anonymous=report.anonymous,
            confidential=report.confidential, location=report.location, received_at=report.received_at,
            sealed_identity=forwarding.seal.seal(tracking, identity) if identity else None,
        ))
        return AcceptedForward(id=strawberry.ID(taken.id), tracking_number=taken.tracking_number,
                               created=taken.created)
