"""Live events from every hub replica to this process's subscribers.

One connection per process LISTENs on the events channel and hands each event
to the subscribers that want it, each through its own bounded queue: a client
that reads too slowly is cut off with `SubscriberTooSlow` instead of holding up
the others. If the LISTEN connection is lost, events committed meanwhile are
gone, so every open subscription ends with `EventsInterrupted` and the client
subscribes again; new subscriptions wait for the connection to come back.

A subscription is registered when its first event could reach it: `subscribers`
counts those, `counted` reports each change (the `simpul_event_subscribers`
gauge), and `registered(n)` waits for the count, so a client, a test or an
operator knows when events start to flow instead of guessing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from hub.events.publish import CHANNEL, HubEvent
from simpul.db.pool import DATABASE_ERRORS
from simpul.errors import PublicError

log = logging.getLogger("simpul.broadcast")

MAX_QUEUED = 1000  # events a subscriber may fall behind before it is cut off
RECONNECT_DELAY = 2.0  # seconds between attempts to LISTEN again
CHECK_INTERVAL = 5.0  # seconds between checks that the LISTEN connection still answers
LISTEN_WAIT = 5.0  # seconds a new subscription waits for the LISTEN connection

INTERRUPTED = ("subscription ended: this hub lost its connection to the event feed and may have missed events; "
               "subscribe again")
UNAVAILABLE = "live events are unavailable: this hub cannot reach its event feed; try again shortly"


class SubscriberTooSlow(PublicError):
    """The client fell too far behind; its subscription was ended so the others keep going."""


class EventsInterrupted(PublicError):
    """This hub lost its event feed from PostgreSQL; events may have been missed."""


class _Subscriber:
    def __init__(self, wants: Callable[[HubEvent], bool], max_queued: int) -> None:
        self.wants = wants
        self.max_queued = max_queued
        self.queue: asyncio.Queue[HubEvent | None] = asyncio.Queue()  # None: look at `ended`
        self.ended: PublicError | None = None

    def offer(self, event: HubEvent) -> None:
        if self.ended is not None or not self.wants(event):
            return
        if self.queue.qsize() >= self.max_queued:
            self.end(SubscriberTooSlow(
                f"subscription ended: more than {self.max_queued} events were waiting for this client; "
                "read faster or narrow regionPrefix/types, then subscribe again"))
            return
        self.queue.put_nowait(event)

    def end(self, reason: PublicError) -> None:
        if self.ended is None:
            self.ended = reason
            self.queue.put_nowait(None)


class Broadcaster:
    """Fans events out from this process's LISTEN connection to its subscribers."""

    def __init__(self, max_queued: int = MAX_QUEUED, counted: Callable[[int], None] | None = None) -> None:
        self.max_queued = max_queued
        self._counted = counted
        self._subscribers: set[_Subscriber] = set()
        self._listening = asyncio.Event()
        self._count_changed = asyncio.Event()

    @property
    def subscribers(self) -> int:
        """Subscriptions registered now: each gets every event it wants from here on."""
        return len(self._subscribers)

    async def registered(self, count: int) -> None:
        """Return once exactly `count` subscriptions are registered."""
        while self.subscribers != count:
            await self._count_changed.wait()

    def _recount(self) -> None:
        if self._counted is not None:
            self._counted(self.subscribers)
        changed, self._count_changed = self._count_changed, asyncio.Event()
        changed.set()

    def deliver(self, event: HubEvent) -> None:
        """Hand `event` to every subscriber that wants it; never waits."""
        for subscriber in list(self._subscribers):
            subscriber.offer(event)

    def interrupt(self) -> None:
        """End every open subscription: events may be missed from now on."""
        for subscriber in list(self._subscribers):
            subscriber.end(EventsInterrupted(INTERRUPTED))

    async def subscribe(self, wants: Callable[[HubEvent], bool]) -> AsyncIterator[HubEvent]:
        """Events that `wants` accepts, from now until the caller stops or falls behind."""
        try:
            await asyncio.wait_for(self._listening.wait(), LISTEN_WAIT)
        except TimeoutError:
            raise EventsInterrupted(UNAVAILABLE) from None
        return self._events(_Subscriber(wants, self.max_queued))

    async def _events(self, subscriber: _Subscriber) -> AsyncIterator[HubEvent]:
        self._subscribers.add(subscriber)
        self._recount()
        if not self._listening.is_set():  # lost since subscribe() looked
            subscriber.end(EventsInterrupted(INTERRUPTED))
        try:
            while True:
                event = await subscriber.queue.get()
                if subscriber.ended is not None:
                    raise subscriber.ended
                assert event is not None
                yield event
        finally:
            self._subscribers.discard(subscriber)
            self._recount()

    async def run(self, database_url: str) -> None:
        """LISTEN until cancelled, reconnecting whenever the connection is lost."""
        while True:
            try:
                await self._listen(database_url)
                log.warning("live events interrupted: connection closed; reconnecting")
            except DATABASE_ERRORS as exc:
                log.warning("live events interrupted, reconnecting: %s", exc)
            await asyncio.sleep(RECONNECT_DELAY)

    async def _listen(self, database_url: str) -> None:
        """Deliver notifications until the connection is lost (return) or stops answering (raise)."""
        conn = await asyncpg.connect(database_url)
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _: lost.set())
            await conn.add_listener(CHANNEL, self._notified)
            self._listening.set()
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), CHECK_INTERVAL)
                if lost.is_set():
                    return
                await asyncio.wait_for(conn.execute("SELECT 1"), CHECK_INTERVAL)
        finally:
            self._listening.clear()
            self.interrupt()
            conn.terminate()

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            event = HubEvent.from_json(payload)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("ignored a malformed event on %s: %s", channel, exc)
            return
        self.deliver(event)
