"""GraphQL for a parent hub's connector (admin only): forwarded reports in, ledger changes out."""

from __future__ import annotations

from datetime import datetime

import strawberry
from pydantic import Field
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.forwarding.ledger import Incoming
from hub.forwarding.parent import ledger_changes, take_from_parent
from hub.forwarding.submit import Forwarding
from simpul.report import AcceptResult, ForwardedReport, Reporter
from simpul.wire import PARENT_ORIGIN, ReportStatus


@strawberry.pydantic.input(description="The reporter, carried in flight from the parent hub's door.")
class ParentReporterInput(Reporter):
    pass


@strawberry.pydantic.input(description="A report a parent hub forwards to this hub, with the parent's tracking "
                           "number.")
class ParentReportInput(ForwardedReport):
    source_id: str = Field(min_length=1, description="Where the parent first received it.")
    reporter: ParentReporterInput


@strawberry.pydantic.type
class AcceptedForward(AcceptResult):
    id: strawberry.ID = Field(
        min_length=1, description="The global id of the copy at the unit holding it here; its origin id until "
        "delivered.")


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
        rows = await ledger_changes(info.context.pool, principal_of(info), after, first)
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
        forwarding: Forwarding = info.context.forwarding
        incoming = Incoming.at_door(PARENT_ORIGIN + report.source_id, report.tracking_number.strip(), report.content(),
                                    report.reporter, report.received_at, forwarding.seal)
        taken = await take_from_parent(info.context.pool, forwarding.ledger, admin, idempotency_key, incoming)
        return AcceptedForward.model_validate(taken, from_attributes=True)
