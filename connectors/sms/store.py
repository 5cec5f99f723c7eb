"""The SMS node's storage: the desk's proven report store, plus a log of gateway messages.

Reports live in a desk schema (`sms_<code>`), so lists, counts, the change
feed and forwarded reports behave exactly as at a desk. The messages the
gateway delivered live beside it (`sms_<code>_inbox`): they make a retried
delivery create nothing new and keep an undelivered reply until it goes out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from connectors.base import Health, NodeIdentity
from connectors.desk.store import DeskConnector
from simpul.db.migrate import migrate
from simpul.db.pool import create_pool


@dataclass(frozen=True)
class LoggedMessage:
    message_id: str
    local_id: str | None
    reply: str
    reply_to: str | None  # None once the reply was delivered


class MessageLog:
    """The gateway messages seen, inside one transaction that holds the message id's lock."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def find(self, message_id: str) -> LoggedMessage | None:
        row = await self.conn.fetchrow(
            "SELECT message_id, local_id, reply, reply_to FROM messages WHERE message_id = $1", message_id)
        return LoggedMessage(row["message_id"], row["local_id"], row["reply"], row["reply_to"]) if row else None

    async def add(self, message_id: str, received_at: datetime, local_id: str | None, reply: str,
                  reply_to: str) -> LoggedMessage:
        await self.conn.execute(
            "INSERT INTO messages (message_id, received_at, local_id, reply, reply_to) VALUES ($1, $2, $3, $4, $5)",
            message_id, received_at, local_id, reply, reply_to)
        return LoggedMessage(message_id, local_id, reply, reply_to)

    async def replied(self, message_id: str) -> None:
        """The reply went out: forget where it went."""
        await self.conn.execute(
            "UPDATE messages SET replied_at = now(), reply_to = NULL WHERE message_id = $1", message_id)


class SmsStore(DeskConnector):
    """A desk store whose door is the SMS gateway."""

    def __init__(self, identity: NodeIdentity, database_url: str, schema: str) -> None:
        super().__init__(identity, database_url, schema)
        self.inbox_schema = schema + "_inbox"
        self._inbox: asyncpg.Pool | None = None
        self.on_start: list[Callable[[], None]] = []  # e.g. the reply retries
        self.on_stop: list[Callable[[], Awaitable[None]]] = []  # e.g. the retries, the reply sender's HTTP session

    async def start(self) -> None:
        await super().start()
        conn = await asyncpg.connect(self.database_url)
        try:
            await migrate(conn, self.inbox_schema, "connectors.sms.migrations")
        finally:
            await conn.close()
        self._inbox = await create_pool(self.database_url, self.inbox_schema, max_size=4)
        for begin in self.on_start:
            begin()

    async def stop(self) -> None:
        for close in self.on_stop:
            await close()
        if self._inbox is not None:
            await self._inbox.close()
            self._inbox = None
        await super().stop()

    @asynccontextmanager
    async def message(self, message_id: str) -> AsyncIterator[MessageLog]:
        """The message log, with `message_id` locked until the block ends, so a retry waits for the first try."""
        if self._inbox is None:
            raise RuntimeError("sms store not started")
        async with self._inbox.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sms:' || $1))", message_id)
            yield MessageLog(conn)

    async def waiting_replies(self) -> list[str]:
        """The message ids whose reply the gateway has not taken yet, oldest first."""
        if self._inbox is None:
            raise RuntimeError("sms store not started")
        rows = await self._inbox.fetch(
            "SELECT message_id FROM messages WHERE replied_at IS NULL AND reply_to IS NOT NULL"
            " ORDER BY received_at, message_id LIMIT 1000")
        return [r["message_id"] for r in rows]

    async def health(self) -> Health:
        health = await super().health()
        if not health.ok or self._inbox is None:
            return health
        try:
            waiting = await self._inbox.fetchval("SELECT count(*) FROM messages WHERE replied_at IS NULL")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return Health(ok=False, detail=f"message log unavailable: {exc.__class__.__name__}")
        if waiting:
            return Health(ok=True, detail=f"desk database answers; {waiting} SMS replies not yet delivered")
        return health
