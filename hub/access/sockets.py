"""Open WebSockets: capped per principal and client address, and closed within a second of their credential being
revoked.

A WebSocket authenticates once, at connection_init, and may then run operations for hours. Each operation on
it re-checks the credential first (one indexed query, as an HTTP request costs), and one loop per process
re-checks every open socket's credential in at most three queries every half second, closing those revoked
with 4403, which ends their idle subscriptions. The loop looks at the rows themselves, so every way a
credential ends is seen (logout, password change or reset, key revocation, a user disabled in the database,
session expiry, node suspension) without each of them having to announce it.

The cap counts a principal's sockets from each address apart: a key published on a portal's page is one principal
for every visitor, and each visitor's page holds a socket. One caller still holds at most the cap from where it is,
as the public does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from hub.access.keys import digest
from hub.access.principal import Principal, Role
from simpul.db.pool import DATABASE_ERRORS
from simpul.errors import PublicError

log = logging.getLogger("simpul.sockets")

CHECK_INTERVAL = 0.5  # seconds between checks of every open socket's credential
CLOSE_REVOKED = 4403  # graphql-transport-ws: Forbidden
CLOSE_TOO_MANY = 4429  # graphql-transport-ws: too many
CLOSE_TRY_AGAIN = 1013  # RFC 6455 "Try Again Later": graphql-ws clients retry it, unlike the 44xx codes
REVOKED = "the key, session or node this WebSocket was opened with is revoked, ended or expired"
TOO_MANY = "too many open WebSockets {whose}: the limit is {limit}; close one first"

_LIVE_KEYS = "SELECT id FROM api_keys WHERE id = ANY($1::bigint[]) AND revoked_at IS NULL"
_LIVE_SESSIONS = ("SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id"
                  " WHERE s.token_hash = ANY($1::bytea[]) AND s.ended_at IS NULL AND s.expires_at > now()"
                  " AND u.disabled_at IS NULL")
_LIVE_NODES = "SELECT code FROM nodes WHERE code = ANY($1::text[]) AND status = 'ACTIVE'"


class TooManySockets(PublicError):
    code = "RATE_LIMITED"


@dataclass(frozen=True)
class Held:
    """The credential a socket was opened with, as it can be looked up again: a key, a session (by its
    digest, never the token), a node; nothing for the public."""

    key_id: int | None = None
    session: bytes | None = None
    node: str | None = None

    @classmethod
    def of(cls, principal: Principal, bearer: str | None) -> Held:
        if principal.key_id is not None:
            return cls(key_id=principal.key_id)
        if principal.user_id is not None and bearer:
            return cls(session=digest(bearer))
        if principal.role is Role.NODE and principal.node_code:
            return cls(node=principal.node_code)
        return cls()


@dataclass(eq=False)
class Socket:
    held: Held
    owner: str  # whose sockets are counted together: a principal from an address, or an address for the public
    close: Callable[[int, str], Awaitable[None]] = field(repr=False)


class OpenSockets:
    """This process's open WebSockets by owner, each closed when its credential no longer holds."""

    def __init__(self, pool: asyncpg.Pool, max_per_owner: int) -> None:
        self.pool = pool
        self.max_per_owner = max_per_owner
        self._open: dict[str, set[Socket]] = {}

    def open(self, principal: Principal, held: Held, address: str,
             close: Callable[[int, str], Awaitable[None]]) -> Socket:
        """Count a new socket for its owner; TooManySockets when the owner already has its limit open."""
        public = principal.role is Role.PUBLIC
        owner = f"address:{address}" if public else f"{principal.rate_key}@{address}"
        sockets = self._open.setdefault(owner, set())
        if len(sockets) >= self.max_per_owner:
            whose = "from this address" if public else "for this caller from this address"
            raise TooManySockets(TOO_MANY.format(whose=whose, limit=self.max_per_owner))
        socket = Socket(held, owner, close)
        sockets.add(socket)
        return socket

    def release(self, socket: Socket) -> None:
        sockets = self._open.get(socket.owner)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._open[socket.owner]

    async def valid(self, held: Held) -> bool:
        """Whether one credential still holds, checked in the database now (the public's always does)."""
        if held == Held():
            return True
        live = await self._live([held])
        return held in live

    async def run(self, interval: float = CHECK_INTERVAL) -> None:
        """Close, every `interval`, the sockets whose credential ended; until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except DATABASE_ERRORS as exc:
                log.warning("could not check open WebSockets' credentials: %s", exc)

    async def sweep(self) -> None:
        sockets = [s for owned in self._open.values() for s in owned if s.held != Held()]
        if not sockets:
            return
        live = await self._live([s.held for s in sockets])
        for socket in sockets:
            if socket.held not in live:
                self.release(socket)
                with contextlib.suppress(RuntimeError, OSError):  # it was closing anyway
                    await socket.close(CLOSE_REVOKED, "credential revoked")

    async def _live(self, held: list[Held]) -> set[Held]:
        keys = sorted({h.key_id for h in held if h.key_id is not None})
        sessions = sorted({h.session for h in held if h.session is not None})
        nodes = sorted({h.node for h in held if h.node is not None})
        live = {Held()}
        async with self.pool.acquire() as conn:
            if keys:
                live |= {Held(key_id=r["id"]) for r in await conn.fetch(_LIVE_KEYS, keys)}
            if sessions:
                live |= {Held(session=bytes(r["token_hash"])) for r in await conn.fetch(_LIVE_SESSIONS, sessions)}
            if nodes:
                live |= {Held(node=r["code"]) for r in await conn.fetch(_LIVE_NODES, nodes)}
        return live
