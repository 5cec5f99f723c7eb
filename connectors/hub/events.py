"""Poke the parent when the child hub's ledger moves: the child's live `events` subscription.

The child hub publishes a live event when it routes, delivers, returns a
report or records a status; each one pokes. The subscription runs over
graphql-transport-ws with the connector's admin key, and is opened again
after any failure, so a child hub that restarts delays pokes but never
stops the node.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import aiohttp

from connectors.background import Background
from connectors.base import ConnectorError

log = logging.getLogger("simpul.node")

PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = "subscription { events(types: [REPORT_FORWARDED, STATUS_CHANGED]) { type } }"
KEEPALIVE = 30.0  # seconds between WebSocket pings that prove a quiet connection is still there
RETRY_FIRST, RETRY_CAP = 0.5, 30.0  # seconds before subscribing again, doubling up to the cap


class LedgerEvents(Background):
    """Calls `on_change` for every live event of the child's ledger, and once each time the subscription
    starts (what happened while nobody listened is unknown)."""

    def __init__(self, url: str, admin_key: str, on_change: Callable[[], None]) -> None:
        super().__init__()
        self.ws_url = url.replace("http", "ws", 1) + "/graphql"
        self.admin_key = admin_key
        self.on_change = on_change

    async def _run(self) -> None:
        delay = RETRY_FIRST
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10)) as session:
            while True:
                try:
                    if await self._follow(session):
                        delay = RETRY_FIRST
                    log.info("the child hub ended its events subscription; subscribing again in %g s", delay)
                except Exception as exc:  # a watcher that stops would leave the parent to its rounds: never end
                    log.warning("not following the child hub's events at %s: %s: %s; trying again in %g s",
                                self.ws_url, exc.__class__.__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CAP)

    async def _follow(self, session: aiohttp.ClientSession) -> bool:
        """Follow one subscription until it ends; whether any event came through it."""
        heard = False
        async with session.ws_connect(self.ws_url, protocols=(PROTOCOL,), heartbeat=KEEPALIVE) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {self.admin_key}"}})
            ack = await ws.receive_json(timeout=KEEPALIVE)
            if ack.get("type") != "connection_ack":
                raise ConnectorError(f"the child hub refused the subscription: {str(ack)[:300]}")
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            self.on_change()
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                kind = data.get("type") if isinstance(data, dict) else None
                if kind == "ping":
                    await ws.send_json({"type": "pong"})
                elif kind == "next":
                    heard = True
                    self.on_change()
                elif kind in ("error", "complete"):
                    raise ConnectorError(f"the child hub ended the subscription: {str(data)[:300]}")
        return heard
