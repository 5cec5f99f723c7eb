"""A loop a connector keeps running beside serving (a LISTEN connection, a subscription): started with the
connector, cancelled with it."""

from __future__ import annotations

import asyncio
import contextlib


class Background:
    """Runs `_run` as one task from `start` until `stop`; `_run` itself must survive its own failures."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError
