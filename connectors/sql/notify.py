"""Poke the hub when the feed trigger writes: LISTEN on the channel its function NOTIFYs.

The listener holds a connection of its own (a pooled one is reset with
UNLISTEN), checks it every `KEEPALIVE` seconds and opens it again after any
failure, so a dropped connection delays pokes but never stops the node.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from connectors.background import Background

log = logging.getLogger("simpul.sql")

KEEPALIVE = 30.0  # seconds between checks that a quiet connection is still there
RETRY_FIRST, RETRY_CAP = 0.5, 30.0  # seconds before connecting again, doubling up to the cap


class FeedListener(Background):
    """Calls `on_change` for every committed feed write, and once after each reconnection (writes may have
    been missed while nobody listened)."""

    def __init__(self, dsn: str, channel: str, on_change: Callable[[], None], application_name: str) -> None:
        super().__init__()
        self.dsn = dsn
        self.channel = channel
        self.on_change = on_change
        self.application_name = application_name

    async def _run(self) -> None:
        delay, missed = RETRY_FIRST, False
        while True:
            try:
                conn: asyncpg.Connection = await asyncpg.connect(
                    self.dsn, timeout=10, server_settings={"application_name": self.application_name})
                try:
                    lost = asyncio.Event()
                    conn.add_termination_listener(lambda _: lost.set())
                    await conn.add_listener(self.channel, lambda *_: self.on_change())
                    if missed:
                        self.on_change()
                    missed, delay = True, RETRY_FIRST
                    while not lost.is_set():
                        try:
                            await asyncio.wait_for(lost.wait(), KEEPALIVE)
                        except TimeoutError:
                            await conn.execute("SELECT 1", timeout=KEEPALIVE)
                finally:
                    conn.terminate()
                log.warning("lost the connection listening for feed changes on %s", self.channel)
            except Exception as exc:  # a listener that stops would leave the hub to its rounds: never end
                log.warning("not listening for feed changes on %s: %s: %s; trying again in %g s",
                            self.channel, exc.__class__.__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP)
