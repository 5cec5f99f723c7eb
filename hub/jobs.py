"""The hub process's background jobs (delivery, feeds, events, ...), started by name so /readyz can tell one that died.

A job is a loop that survives its own errors; one that ends anyway is a bug or a
lost dependency. Its end is logged with the exception at once, not when the hub stops,
and `ended` is set: the hub then stops with a non-zero exit, so that systemd,
Kubernetes or the other `--workers` restart it instead of leaving it unready for good.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

log = logging.getLogger("simpul.hub")


class Jobs:
    """Named background tasks: several may share a name (four delivery workers are `delivery`)."""

    def __init__(self) -> None:
        self._tasks: list[tuple[str, asyncio.Task[None]]] = []
        self.ended = asyncio.Event()  # set when a job ends by itself (not cancelled)
        self.ended_name: str | None = None

    def start(self, jobs: Iterable[tuple[str, Coroutine[Any, Any, None]]]) -> None:
        for name, job in jobs:
            task = asyncio.create_task(job, name=f"simpul {name}")
            task.add_done_callback(functools.partial(self._ended, name))
            self._tasks.append((name, task))

    def running(self) -> dict[str, tuple[int, int]]:
        """Per name: (tasks still running, tasks started)."""
        counts: dict[str, tuple[int, int]] = {}
        for name, task in self._tasks:
            running, started = counts.get(name, (0, 0))
            counts[name] = (running + (not task.done()), started + 1)
        return counts

    async def stop(self) -> None:
        """Cancel every job and wait for all; a job that had already failed was logged then, not raised here."""
        for _, task in self._tasks:
            task.cancel()
        await asyncio.gather(*(task for _, task in self._tasks), return_exceptions=True)

    def _ended(self, name: str, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        log.error("background job %s ended%s", name, f": {exc!r}" if exc else "", exc_info=exc)
        if self.ended_name is None:
            self.ended_name = name
        self.ended.set()
