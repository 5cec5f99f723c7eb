"""The hub's live events heard straight from PostgreSQL, and a way to know that every one sent so far arrived.

PostgreSQL delivers notifications in the order their transactions committed: once
a marker sent now arrives, every event committed before it has arrived too. That
proves "nothing more was announced" without waiting and hoping.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from hub.events.publish import CHANNEL

MARKER = "TEST_MARKER"


class Heard:
    """Every live event published on one database since listening started, in commit order."""

    def __init__(self, listener: asyncpg.Connection) -> None:
        self.listener = listener
        self.events: list[dict[str, Any]] = []
        self._markers: dict[str, asyncio.Event] = {}

    def notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        event = json.loads(payload)
        if event.get("type") == MARKER:
            self._markers.setdefault(event["id"], asyncio.Event()).set()
        else:
            self.events.append(event)

    async def everything_sent(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The events committed before this call, all of them: a marker sent now has come back after them."""
        marker = secrets.token_hex(4)
        arrived = self._markers.setdefault(marker, asyncio.Event())
        await self.listener.execute("SELECT pg_notify($1, $2)", CHANNEL, json.dumps({"type": MARKER, "id": marker}))
        await asyncio.wait_for(arrived.wait(), timeout)
        return list(self.events)


@asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[Heard]:
    """Hear every live event published on the database at `database_url` from now on."""
    listener = await asyncpg.connect(database_url)
    heard = Heard(listener)
    await listener.add_listener(CHANNEL, heard.notified)
    try:
        yield heard
    finally:
        await listener.close()
