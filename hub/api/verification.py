"""GraphQL for verifikasi: an admin of the report's region retitles, reclassifies, sets anonim or rahasia."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.forwarding import RoutingDecision
from hub.forwarding.verification import Edits, Verification
from simpul.wire import ReportKind


@strawberry.input(description="Verification edits; a field left out (null) stays as it is.")
class VerificationEdits:
    title: str | None = None
    category: str | None = strawberry.field(
        default=None, description="A category a routing rule, an enrolled unit or a report already names.")
    kind: ReportKind | None = None
    anonymous: bool | None = strawberry.field(
        default=None, description="true (anonim): the reporter's name and contact are erased at every node keeping "
        "the report, for good; false is refused once it is set.")
    confidential: bool | None = strawberry.field(
        default=None, description="true (rahasia): the report is not published anywhere; false publishes it.")

    def edits(self) -> Edits:
        return Edits(title=self.title, category=self.category, kind=self.kind, anonymous=self.anonymous,
                     confidential=self.confidential)


@strawberry.type(description="A report as verification left it.")
class VerifiedReport:
    tracking_number: str
    title: str
    category: str
    kind: ReportKind
    anonymous: bool
    confidential: bool
    changed: list[str] = strawberry.field(description="The fields the edits changed.")
    routing: RoutingDecision | None = strawberry.field(
        description="Where the routing rules send the report after a new category or kind; null when neither "
        "changed.")
    rerouted: bool = strawberry.field(description="Whether the report goes to another unit, as a disposisi would.")


@strawberry.type
class VerificationMutation:
    @strawberry.mutation(description="Admin of the report's region (verifikasi): retitle, reclassify (category, kind) "
                         "and set anonim or rahasia, before the report is finished (selesai, closed, archived, "
                         "rejected); audited. Every node keeping the report applies the edits; after a new category "
                         "or kind the routing rules decide again and another unit they name takes the report.")
    async def verify_report(self, info: Info[Context, None], tracking_number: str, edits: VerificationEdits,
                            note: str | None = None) -> VerifiedReport:
        verification = Verification(info.context.pool, info.context.forwarding.ledger)
        done = await verification.verify(principal_of(info), tracking_number.strip(), edits.edits(), note)
        c = done.classification
        return VerifiedReport(tracking_number=done.tracking_number, title=c.title, category=c.category, kind=c.kind,
                              anonymous=c.anonymous, confidential=c.confidential, changed=done.changed,
                              routing=RoutingDecision.of(done.routing) if done.routing else None,
                              rerouted=done.rerouted)
