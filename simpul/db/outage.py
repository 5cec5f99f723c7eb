"""A database outage, told apart from a defect: callers get a retryable "unavailable", the log gets one line
when the outage starts and one when it ends.

While PostgreSQL is away every request and every background round fails the same way; a traceback per
failure (ours, strawberry's, asyncpg's pool) buries the one fact an operator needs. `DatabaseOutage` keeps
that fact: the first failure logs "database unavailable", a probe then waits for the database and logs
"database available again"; `OutageLogFilter` folds every other log record about the same outage into it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import asyncpg

log = logging.getLogger("simpul.db")

# Seconds a caller is asked to wait (Retry-After) before trying again.
RETRY_AFTER = 5
UNAVAILABLE = "the database is unavailable; retry in a few seconds"

# The server is away, shutting down, starting up or full: conditions that pass, unlike a failing statement.
_OUTAGE_ERRORS = (
    OSError,  # refused, reset, timed out, no socket file
    asyncpg.PostgresConnectionError,  # class 08, and a connection closed mid-query
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # a server shutting down while a connection is mid-statement leaves asyncpg's protocol consuming the error;
    # the connection's next use raises "cannot switch to state N" (MagicStack/asyncpg#784): the outage again
    asyncpg.InternalClientError,
)


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` says the database is away rather than that a statement or our code is wrong."""
    return isinstance(error, _OUTAGE_ERRORS) and not isinstance(error, aiohttp.ClientError)


class DatabaseOutage:
    """This process's view of its database: up, or away since a moment, with a probe waiting for it."""

    def __init__(self, pool: asyncpg.Pool, probe_interval: float = 0.5) -> None:
        self.pool = pool
        self.probe_interval = probe_interval
        self._since: float | None = None
        self._probe: asyncio.Task[None] | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def noted(self, error: BaseException) -> None:
        """A failure `is_outage` recognised: the first one of an outage is logged and starts the probe."""
        if self._since is not None:
            return
        self._since = time.monotonic()
        log.warning("database unavailable (%s); answering UNAVAILABLE until it is back", _describe(error))
        self._probe = asyncio.get_running_loop().create_task(self._wait_for_database())

    async def _wait_for_database(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            try:
                async with self.pool.acquire(timeout=5) as conn:
                    await conn.fetchval("SELECT 1")
            except Exception as exc:  # noqa: BLE001 -- the probe must outlive whatever the outage raises
                if not is_outage(exc):
                    log.warning("database probe failed: %s", _describe(exc))
                continue
            since, self._since = self._since or time.monotonic(), None
            log.warning("database available again after %.1f s", time.monotonic() - since)
            return

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class OutageLogFilter(logging.Filter):
    """Fold log records about a database outage (a background round skipped, asyncpg's pool failing to
    reconnect) into the outage's one line: install it on the handlers for as long as the process serves."""

    def __init__(self, outage: DatabaseOutage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == log.name:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        args = record.args if isinstance(record.args, tuple) else ()
        errors = [e for e in (exc, *args) if isinstance(e, BaseException) and is_outage(e)]
        if not errors:
            return True
        try:
            self.outage.noted(errors[0])
        except RuntimeError:  # logged outside the event loop: keep the record, there is no probe to start
            return True
        return False
