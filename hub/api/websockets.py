"""The GraphQL WebSocket door: graphql-transport-ws with the access rules of open sockets (hub/access/sockets.py)
and the document byte limit HTTP has."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from hub.access.parse import check_document_size
from hub.access.sockets import CLOSE_TOO_MANY, CLOSE_TRY_AGAIN, TooManySockets
from hub.api.persisted import TrustedDocumentsWSHandler
from simpul.db.outage import UNAVAILABLE
from simpul.errors import PublicError


class SocketUnavailable(Exception):
    """connection_init could not be answered because the database is away: the client should retry."""


class GuardedWSHandler(TrustedDocumentsWSHandler):
    """graphql-transport-ws whose sockets are counted from connection_init (refused 4429 over the limit; closed
    1013 "try again later" during a database outage, which graphql-ws clients retry) until they close, can be
    closed from outside (CLOSE) when their credential ends, and whose documents are refused over the byte limit
    before anything reads them (as on HTTP)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context.close_socket = self.websocket.close

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManySockets as exc:
            await self.websocket.close(code=CLOSE_TOO_MANY, reason=str(exc))
        except SocketUnavailable:
            await self.websocket.close(code=CLOSE_TRY_AGAIN, reason=f"UNAVAILABLE: {UNAVAILABLE}")

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        query = payload.get("query") if isinstance(payload, dict) else None
        try:
            check_document_size(query if isinstance(query, str) else None,
                                self.context.settings.max_document_bytes)
        except PublicError as exc:
            error = GraphQLError(str(exc), extensions=exc.extensions)
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            socket = self.context.socket
            sockets = self.context.guard.sockets
            if socket is not None and sockets is not None:
                sockets.release(socket)
