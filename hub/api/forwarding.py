"""GraphQL for no wrong door: submit and track (public), routing and disposisi (admins)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.forwarding.ppid import Designation, designate, designations
from hub.forwarding.routing import Decision, Routable, Rule
from hub.forwarding.submit import Track
from simpul.report import ReportContent, Reporter
from simpul.wire import Channel, NodeLevel, ReportKind, ReportStatus, check_region_code


@strawberry.type(description="Where a report goes and why.")
class RoutingDecision:
    target: str | None = strawberry.field(description="Code of the node with authority; null: no unit left.")
    rule: int | None = strawberry.field(description="The routing rule that matched, if any.")
    reason: str
    passed_over: list[str] = strawberry.field(description="Candidates skipped before the target, and why.")

    @classmethod
    def of(cls, decision: Decision) -> RoutingDecision:
        return cls(target=decision.target.code if decision.target else None,
                   rule=decision.rule.id if decision.rule else None, reason=decision.reason,
                   passed_over=list(decision.tried))


@strawberry.pydantic.type
class RoutingRule(Rule):
    pass


@strawberry.type(description="The PPID (Pejabat Pengelola Informasi dan Dokumentasi) of a regional government: the "
                 "node that answers its information requests.")
class Ppid:
    region_code: str
    node: str
    designated_by: str
    designated_at: datetime

    @classmethod
    def of(cls, d: Designation) -> Ppid:
        return cls(region_code=d.region_code, node=d.node_code, designated_by=d.designated_by,
                   designated_at=d.designated_at)


@strawberry.input(description="A rule: reports in this region (and category, kind, level) go to targetNode, or "
                  "with targetPpid to the PPID of the report's region (its kab/kota's, else its province's).")
class RoutingRuleInput:
    region_prefix: str = strawberry.field(description="Region subtree, e.g. 64.08; empty for the whole country.")
    target_node: str | None = None
    target_ppid: bool = strawberry.field(default=False, description=(
        "Route to the PPID designated for the report's region (designatePpid) instead of one node."))
    category: str | None = None
    kind: ReportKind | None = None
    level: NodeLevel | None = strawberry.field(
        default=None, description="PROVINSI or KABKOTA: the level of the report's region.")


@strawberry.input
class RouteInput:
    region_code: str
    category: str
    kind: ReportKind = ReportKind.PENGADUAN


@strawberry.input
class SubmitReportInput:
    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel = Channel.WEB
    anonymous: bool = False
    confidential: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    location: str | None = None

    def content(self) -> ReportContent:
        return ReportContent(kind=self.kind, title=self.title, body=self.body, category=self.category,
                             region_code=self.region_code, channel=self.channel, location=self.location)


@strawberry.type
class Submitted:
    tracking_number: str
    routing: RoutingDecision | None = strawberry.field(
        description="Null when this idempotency key was submitted before.")


@strawberry.type
class TrackEvent:
    at: datetime
    event: str = strawberry.field(description="RECEIVED, ROUTED, DELIVERED, STATUS, REASSIGNED, ...")
    node: str | None
    status: ReportStatus | None
    note: str | None


@strawberry.type(description="What a report's tracking number tells.")
class TrackedReport:
    tracking_number: str
    kind: ReportKind
    status: ReportStatus
    routing: str = strawberry.field(description="HELD, FORWARDING, UNROUTABLE or DEAD.")
    received_at: datetime
    holder: str | None = strawberry.field(description="Code of the unit holding it now.")
    timeline: list[TrackEvent]
    settled_at: datetime | None = strawberry.field(
        default=None, description="When it became selesai: its answer (tanggapan) stood the reporter's window "
        "(10 working days) with no reply. Null while open, or answered and waiting for a reply.")

    @classmethod
    def of(cls, track: Track) -> TrackedReport:
        return cls(
            tracking_number=track.tracking_number, kind=ReportKind(track.kind), status=ReportStatus(track.status),
            routing=track.routing, received_at=track.received_at, holder=track.holder,
            timeline=[TrackEvent(at=e.at, event=e.type, node=e.node, note=e.note,
                                 status=ReportStatus(e.status) if e.status else None) for e in track.events],
            settled_at=track.settled_at,
        )


@strawberry.type
class DeadLetter:
    delivery_id: int
    tracking_number: str
    purpose: str
    target_node: str
    attempts: int
    last_error: str | None
    created_at: datetime


@strawberry.type
class ForwardingQuery:
    @strawberry.field(description="Public: status and timeline of a report by its federation tracking number, "
                      "from any door (an agency's own number opens nothing). No internal notes, no reporter "
                      "identity; of a confidential (rahasia) report, where it stands only: no notes, no units.")
    async def track_report(self, info: Info[Context, None], tracking_number: str) -> TrackedReport | None:
        track = await info.context.forwarding.track(tracking_number.strip(), public=True)
        return TrackedReport.of(track) if track else None

    @strawberry.field(description="Admin: the whole chain of a report, with internal notes (routing, returns).")
    async def report_chain(self, info: Info[Context, None], tracking_number: str) -> TrackedReport | None:
        admin = principal_of(info)
        track = await info.context.forwarding.track(tracking_number.strip(), public=False)
        if track is None:
            return None
        admin.require(track.region_code, "read report chains")
        return TrackedReport.of(track)

    @strawberry.field(description="Dry run: where a report in the caller's region would go, and which rule or "
                      "fallback decides.")
    async def route_report(self, info: Info[Context, None], report: RouteInput) -> RoutingDecision:
        check_region_code(report.region_code)
        principal_of(info).require(report.region_code, "dry-run routing")
        decision = await info.context.router.decide(Routable(report.region_code, report.category, report.kind))
        return RoutingDecision.of(decision)

    @strawberry.field(description="The routing table of the caller's region subtree (all of it, for national "
                      "callers), or of a subtree within it.")
    async def routing_rules(self, info: Info[Context, None], region_prefix: str | None = None) -> list[RoutingRule]:
        region = principal_of(info).region_asked(region_prefix, "read routing rules")
        return [RoutingRule.model_validate(r, from_attributes=True)
                for r in await info.context.router.rules(region or None)]

    @strawberry.field(description="The PPIDs designated in the caller's region subtree (or a subtree within it).")
    async def ppids(self, info: Info[Context, None], region_prefix: str | None = None) -> list[Ppid]:
        region = principal_of(info).region_asked(region_prefix, "read the PPIDs")
        return [Ppid.of(d) for d in await designations(info.context.pool, region or None)]

    @strawberry.field(description="Admin: deliveries that gave up, in the admin's region.")
    async def dead_letters(self, info: Info[Context, None]) -> list[DeadLetter]:
        dead = await info.context.forwarding.dead_letters(principal_of(info))
        return [DeadLetter(delivery_id=d.id, tracking_number=d.tracking_number, purpose=d.purpose.value,
                           target_node=d.target_node, attempts=d.attempts, last_error=d.last_error,
                           created_at=d.created_at) for d in dead]


@strawberry.type
class ForwardingMutation:
    @strawberry.mutation(description="Public: submit a report at the hub; it is routed to the unit with authority. "
                         "Repeat a submission with the same idempotencyKey to get the same tracking number.")
    async def submit_report(
        self, info: Info[Context, None], report: SubmitReportInput, idempotency_key: str | None = None
    ) -> Submitted:
        reporter = Reporter.at_door(report.anonymous, report.confidential, report.reporter_name,
                                    report.reporter_contact)
        tracking, decision = await info.context.forwarding.submit(principal_of(info), report.content(), reporter,
                                                            idempotency_key)
        return Submitted(tracking_number=tracking, routing=RoutingDecision.of(decision) if decision else None)

    @strawberry.mutation(description="Public: the reporter answers the unit's tanggapan, by tracking number. The "
                         "report is open again (IN_PROCESS) and the reply goes to the unit holding it. Possible "
                         "once the unit has answered (COMPLETED) and until the report is selesai.")
    async def reply_to_report(self, info: Info[Context, None], tracking_number: str, text: str) -> TrackedReport:
        forwarding = info.context.forwarding
        number = tracking_number.strip()
        settings = info.context.settings
        await forwarding.reply(principal_of(info), number, text, settings.sla_response_days,
                               settings.cuti_bersama_days_off)
        track = await forwarding.track(number, public=True)
        assert track is not None  # the reply was just recorded
        return TrackedReport.of(track)

    @strawberry.mutation(description="Admin: add a routing rule in the admin's region.")
    async def add_routing_rule(self, info: Info[Context, None], rule: RoutingRuleInput) -> RoutingRule:
        added = await info.context.router.add_rule(principal_of(info), rule.region_prefix.strip(), rule.category,
                                             rule.kind, rule.level, rule.target_node, rule.target_ppid)
        return RoutingRule.model_validate(added, from_attributes=True)

    @strawberry.mutation(description="Admin: designate the PPID of a province's or kabupaten/kota's government in the "
                         "admin's region: the node its information requests (INFORMASI) are routed to first "
                         "(UU 14/2008 art. 13). Replaces any PPID before; audited.")
    async def designate_ppid(self, info: Info[Context, None], region_code: str, node: str) -> Ppid:
        return Ppid.of(await designate(info.context.pool, principal_of(info), region_code, node))

    @strawberry.mutation(description="Admin: remove a routing rule in the admin's region.")
    async def remove_routing_rule(self, info: Info[Context, None], id: int) -> RoutingRule:
        removed = await info.context.router.remove_rule(principal_of(info), id)
        return RoutingRule.model_validate(removed, from_attributes=True)

    @strawberry.mutation(description="Admin (disposisi): send a report to a unit by hand.")
    async def reassign_report(self, info: Info[Context, None], tracking_number: str, node: str, note: str) -> bool:
        await info.context.forwarding.reassign(principal_of(info), tracking_number, node, note)
        return True

    @strawberry.mutation(description="Admin: retry a dead delivery from scratch.")
    async def retry_delivery(self, info: Info[Context, None], delivery_id: int) -> bool:
        await info.context.forwarding.retry(principal_of(info), delivery_id)
        return True

    @strawberry.mutation(description="Admin: route a DEAD or UNROUTABLE report again, past the unit that failed.")
    async def reroute_report(self, info: Info[Context, None], tracking_number: str) -> bool:
        await info.context.forwarding.reroute(principal_of(info), tracking_number)
        return True
