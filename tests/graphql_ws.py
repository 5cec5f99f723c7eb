"""A graphql-transport-ws client for tests, over aiohttp's WebSocket client.

The protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md): the client sends
`connection_init` and waits for `connection_ack`, then `subscribe` with an id;
the server answers with `next` messages, and `error` or `complete` at the end.
The protocol has no "subscribed" message: the hub's /metrics counts the live-event
subscriptions it registered (`simpul_event_subscribers`), and `registered` waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from tests.federation import national_admin

PROTOCOL = "graphql-transport-ws"

T = TypeVar("T")


class Subscription:
    """One subscription on its own WebSocket; every message after the handshake is kept in `messages`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, graphql_url: str, query: str, variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None, upgrade_headers: dict[str, str] | None = None,
    ) -> Subscription:
        """Subscribe as the hub's national admin, or with `headers` ({} for the public), sent in connection_init;
        `upgrade_headers` go with the HTTP upgrade request (a node signs that)."""
        if headers is None:
            headers = await national_admin(graphql_url)
        ws = await session.ws_connect(graphql_url.replace("http", "ws", 1), protocols=(PROTOCOL,),
                                      headers=upgrade_headers)
        assert ws.protocol == PROTOCOL, ws.protocol
        await ws.send_json({"type": "connection_init", "payload": headers})
        ack = await ws.receive_json(timeout=5)
        assert ack["type"] == "connection_ack", ack
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        return cls(ws)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if data["type"] == "ping":
                await self.ws.send_json({"type": "pong"})
                continue
            self.messages.append(data)
        self.closed_with = self.ws.close_code

    @property
    def data(self) -> list[dict[str, Any]]:
        """The `data` of every `next` message so far."""
        return [m["payload"]["data"] for m in self.messages if m["type"] == "next" and m["payload"].get("data")]

    @property
    def ended(self) -> bool:
        return any(m["type"] in ("error", "complete") for m in self.messages) or self.closed_with is not None

    async def wait_for(self, check: Callable[[Subscription], T | None], timeout: float = 10.0) -> T:
        """Wait until `check` finds what it looks for in what arrived; fail with everything that did."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = check(self)
            if found:
                return found
            if self.ended:
                break
            await asyncio.sleep(0.05)
        found = check(self)
        if found:
            return found
        raise AssertionError(f"not within {timeout:g} s; received: {self.messages} (closed: {self.closed_with})")

    async def ask(self, operation_id: str, query: str) -> dict[str, Any] | None:
        """Run one more operation on this socket: its first answer, or None when the socket closed first."""
        with contextlib.suppress(aiohttp.ClientError, OSError, ConnectionResetError):
            await self.ws.send_json({"id": operation_id, "type": "subscribe", "payload": {"query": query}})
        end = time.monotonic() + 10
        while time.monotonic() < end:
            answer = next((m for m in self.messages if m.get("id") == operation_id), None)
            if answer is not None or self.closed_with is not None:
                return answer
            await asyncio.sleep(0.02)
        raise AssertionError(f"no answer to {operation_id} within 10 s; received: {self.messages}")

    async def close(self) -> None:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            await self.ws.send_json({"id": "1", "type": "complete"})
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def event_subscribers(session: aiohttp.ClientSession, hub_url: str, headers: dict[str, str] | None = None) -> int:
    """Live-event subscriptions the hub at `hub_url` has registered, as its /metrics says."""
    async with session.get(hub_url + "/metrics", headers=headers or {}) as response:
        assert response.status == 200, await response.text()
        text = await response.text()
    return next(int(float(line.split()[1])) for line in text.splitlines()
                if line.startswith("simpul_event_subscribers "))


async def registered(session: aiohttp.ClientSession, hub_url: str, count: int, or_ended: Subscription | None = None,
                     timeout: float = 10.0) -> None:
    """Wait until the hub at `hub_url` says exactly `count` live-event subscriptions are registered, so events
    from now on reach them; or until `or_ended` ended (refused) first."""
    end = time.monotonic() + timeout
    now = -1
    while time.monotonic() < end:
        now = await event_subscribers(session, hub_url)
        if now == count or (or_ended is not None and or_ended.ended):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the hub counts {now} live-event subscriptions after {timeout:g} s, not {count}")
