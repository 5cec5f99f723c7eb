"""Live events over graphql-transport-ws: reports forwarded, statuses changed, nodes down or up, deadlines passed.

Events come from every hub replica through PostgreSQL NOTIFY (hub/events/broadcast.py);
a subscription sees those in its region subtree, of the types it names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.events.broadcast import MAX_QUEUED, Broadcaster
from hub.events.publish import EventType, HubEvent
from hub.regions import region_name
from simpul.errors import InvalidInput

strawberry.enum(EventType, description="What happened: a report forwarded, a status changed, a node down or up, "
                "a deadline passed.")


@strawberry.type(name="HubEvent", description="Something that just happened in the federation.")
class LiveEvent:
    type: EventType
    at: datetime
    region_code: str | None = strawberry.field(description="Region of the report, or of the node.")
    region_name: str | None
    tracking_number: str | None = strawberry.field(description="The report's tracking number (report events).")
    node: str | None = strawberry.field(
        description="The unit the report went to or that changed it; for NODE_DOWN/NODE_UP, the node.")
    status: str | None = strawberry.field(description="The report's status after the change.")
    detail: str | None = strawberry.field(
        description="For report events the ledger entry (ROUTED, REASSIGNED, DELIVERED, STATUS, RETURNED); "
        "for node events, what the heartbeat says.")

    @classmethod
    def of(cls, event: HubEvent) -> LiveEvent:
        return cls(type=event.type, at=event.at, region_code=event.region_code,
                   region_name=region_name(event.region_code) if event.region_code else None,
                   tracking_number=event.tracking_number, node=event.node, status=event.status,
                   detail=event.detail)


def in_scope(region_prefix: str | None, types: list[EventType] | None) -> Callable[[HubEvent], bool]:
    """Whether an event is in the region subtree and of the types asked for; None asks for all."""
    wanted = frozenset(types) if types is not None else None

    def wants(event: HubEvent) -> bool:
        if wanted is not None and event.type not in wanted:
            return False
        if region_prefix is None:
            return True
        code = event.region_code
        return code is not None and (code == region_prefix or code.startswith(region_prefix + "."))

    return wants


async def _relay(events: AsyncIterator[HubEvent]) -> AsyncIterator[LiveEvent]:
    async for event in events:
        yield LiveEvent.of(event)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Live events from every hub replica, in a region subtree (regionPrefix, "
                             "default the caller's scope) "
                             "and of the given types; omit either for all. A client that falls more than "
                             f"{MAX_QUEUED} events behind is cut off with an error and subscribes again.")
    async def events(
        self, info: Info[Context, None], region_prefix: str | None = None, types: list[EventType] | None = None
    ) -> AsyncIterator[LiveEvent]:
        region = principal_of(info).region_asked(region_prefix, "follow events")
        if types is not None and not types:
            raise InvalidInput("types must name at least one event type; omit it for every type")
        broadcaster: Broadcaster = info.context.events
        return _relay(await broadcaster.subscribe(in_scope(region or None, types)))
