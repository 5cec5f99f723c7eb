"""Live events over graphql-transport-ws: reports forwarded, statuses changed, nodes down or up, deadlines passed;
and counts kept up to date.

Events come from every hub replica through PostgreSQL NOTIFY (hub/events/broadcast.py);
a subscription sees those in its region subtree, of the types it names. The `stats` subscription
counts again from the federation index when a report in its scope changes: counts only, never a report, so
a public portal may show them live with a key that can read nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.federation import check_stats, counted_stats
from hub.api.types import Scope, Stats
from hub.events.broadcast import MAX_QUEUED, Broadcaster
from hub.events.publish import EventType, HubEvent
from hub.nodes.selection import NodeSelection
from hub.regions import region_name
from simpul.errors import InvalidInput
from simpul.filters import ReportFilter
from simpul.wire import Dimension

STATS_EVERY = 2.0  # seconds: counts are sent again at most this often, however busy the region
STATS_SETTLE = 0.25  # seconds a change's burst is let settle: routed, then delivered to the unit a scope sees
STATS_AT_LEAST = 60.0  # seconds: and counted again this often without an event (a unit's history comes in silently)
REPORT_EVENTS = (EventType.REPORT_FORWARDED, EventType.STATUS_CHANGED)

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

    @strawberry.subscription(description="The counts of the `stats` query from the federation index, sent at once "
                             f"and again whenever a report in scope changes ({STATS_SETTLE:g} s after, at most every "
                             f"{STATS_EVERY:g} s; counted again each {STATS_AT_LEAST:g} s without a change). Counts "
                             "only, never a report: a public portal may show them with a key allowed nothing else.")
    async def stats(
        self, info: Info[Context, None], group_by: list[Dimension], scope: Scope | None = None,
        filter: ReportFilter | None = None, region_level: int = 1,
    ) -> AsyncIterator[Stats]:
        check_stats(group_by, region_level)  # bad arguments are refused before anything is sent

        async def count(since: float) -> Stats:
            return await counted_stats(info, group_by, scope, filter, region_level, since)

        region = principal_of(info).narrow(scope.selection() if scope else NodeSelection()).region_prefix
        events = await info.context.events.subscribe(in_scope(region or None, list(REPORT_EVENTS)))
        return _recounted(count, events)


async def _recounted(count: Callable[[float], Awaitable[Stats]], events: AsyncIterator[HubEvent]
                     ) -> AsyncIterator[Stats]:
    """The counts now, then again after each change (once its burst settled, and at most every STATS_EVERY
    seconds), when they differ. Each count is one begun after the last change heard, shared with the other
    subscriptions of the scope."""
    changed = asyncio.Event()
    ended: list[BaseException] = []
    heard = 0.0  # when the last change was heard: a count begun since then includes it

    async def listen() -> None:
        nonlocal heard
        try:
            async for _ in events:
                heard = time.monotonic()
                changed.set()
        except Exception as exc:  # the feed was interrupted: the subscription ends with its reason
            ended.append(exc)
            changed.set()

    listening = asyncio.create_task(listen())
    await asyncio.sleep(0)  # the task's first step registers it with the broadcaster: no change is missed from here
    sent: tuple[object, ...] | None = None
    try:
        counted_at = time.monotonic()
        stats = await count(counted_at)
        while True:
            key = (stats.total, stats.selesai, tuple(stats.buckets))
            if key != sent:
                sent = key
                yield stats
            try:
                await asyncio.wait_for(changed.wait(), STATS_AT_LEAST)
            except TimeoutError:
                heard = time.monotonic()  # nothing heard: count again anyway, for what came in silently
            if ended:
                raise ended[0]
            await asyncio.sleep(max(STATS_SETTLE, counted_at + STATS_EVERY - time.monotonic()))  # a busy region's pace
            changed.clear()
            counted_at = time.monotonic()
            stats = await count(heard)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
