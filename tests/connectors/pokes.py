"""A kind's `on_change` as a test holds it: the node server's `poke_soon`, an event a test waits on."""

from __future__ import annotations

import asyncio


class Pokes:
    """Called by a connector kind when its feed has news, as the node server's `poke_soon` would be."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __call__(self) -> None:
        self.event.set()

    async def next(self) -> None:
        """Wait for the next poke (15 s at most), then be ready for the one after."""
        await asyncio.wait_for(self.event.wait(), 15)
        self.event.clear()
