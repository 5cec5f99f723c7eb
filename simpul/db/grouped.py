"""Group commit: the rows of many concurrent callers written by one statement, each caller answered once it
has committed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import asyncpg


class _Batch:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.rows: dict[Hashable, Sequence[Any]] = {}
        self.done: asyncio.Future[dict[Hashable, asyncpg.Record]] = loop.create_future()


class Grouped:
    """Writes the rows given within `window` seconds by one statement: a thousand nodes heartbeating are then a
    few statements a second rather than a thousand, and each caller still acknowledges only what has committed.
    Only while busy (`busy` calls or more in the last second): below that, a row is written at once, with the
    rows given in the same turn of the event loop, and waits for no window.

    The statement takes one array per column of the rows, in order (`unnest($1::text[], $2::bool[])`), and returns
    rows that `key` maps back to their caller. A key given twice in one window is written once, with its latest
    row; both callers get the returned row. A failed statement fails every caller of its window."""

    def __init__(self, pool: asyncpg.Pool, statement: str, key: Callable[[asyncpg.Record], Hashable],
                 window: float = 0.1, busy: int = 25, most: int = 1000) -> None:
        self.pool = pool
        self.statement = statement
        self.key = key
        self.window = window
        self.busy = busy
        self.most = most  # rows a statement carries at most: a full window is written at once
        self._batch: _Batch | None = None
        self._writing: set[asyncio.Task[None]] = set()
        self._second = (0.0, 0, False)  # this second's start, its calls so far, whether the last one was busy

    async def __call__(self, key: Hashable, *row: Any) -> asyncpg.Record | None:
        """Write `row` with the others of its window; the statement's row for `key`, or None when it returned
        none."""
        batch = self._batch
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._batch = _Batch(loop)
            loop.call_later(self.window if self._busy(loop.time()) else 0, self._write_soon, batch)
        else:
            self._busy(asyncio.get_running_loop().time())
        batch.rows[key] = row
        if len(batch.rows) >= self.most:
            self._write_soon(batch)
        written = await asyncio.shield(batch.done)  # one caller cancelled does not cancel the others' write
        return written.get(key)

    def _busy(self, now: float) -> bool:
        """Count a call; whether the last whole second had `busy` calls or more."""
        started, calls, busy = self._second
        if now - started >= 1.0:
            last_second = calls if now - started < 2.0 else 0  # a second with no call at all has no start
            started, calls, busy = now, 0, last_second >= self.busy
        self._second = (started, calls + 1, busy)
        return busy

    def _write_soon(self, batch: _Batch) -> None:
        if self._batch is not batch:
            return  # already being written (it filled up before its window ended)
        self._batch = None
        task = asyncio.create_task(self._write(batch))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def _write(self, batch: _Batch) -> None:
        columns = [list(column) for column in zip(*batch.rows.values(), strict=True)]
        try:
            records = await self.pool.fetch(self.statement, *columns)
        except BaseException as exc:
            batch.done.set_exception(exc)
            batch.done.exception()  # retrieved: callers that are gone do not leave an unretrieved-exception warning
            if not isinstance(exc, Exception):
                raise
            return
        batch.done.set_result({self.key(record): record for record in records})
