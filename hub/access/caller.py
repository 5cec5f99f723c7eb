"""The caller of one GraphQL request or WebSocket, as the guard works it out: what it presented, from where,
and (once worked out) who it is. The API's context extends this (hub/api/context.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hub.access.authn import Credentials
from hub.access.principal import Principal
from hub.access.sockets import Held, Socket


@dataclass(eq=False, kw_only=True)
class Caller:
    credentials: Credentials
    client: str  # the address public rate limits count
    websocket: bool = False
    connection_params: Any = None  # a WebSocket's connection_init payload (strawberry sets it)
    principal: Principal | None = None  # worked out once, by Guard.principal
    held: Held | None = None  # the credential the principal came from, to check it again on a WebSocket
    socket: Socket | None = None  # a WebSocket's place among the open sockets, once connection_init was accepted
    close_socket: Callable[..., Awaitable[None]] | None = field(default=None, repr=False)
