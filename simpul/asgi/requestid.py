"""One id per request, in the response and in every log line written while handling it.

A caller (the hub, a proxy) may send its own `x-request-id` so one id
follows a request across processes; anything that does not look like an id
is replaced, so a header cannot inject text into our logs.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
NO_REQUEST = "-"

_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[str | None] = ContextVar("simpul_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, or None outside a request."""
    return _current.get()


class RequestIds:
    """ASGI middleware: an id for each HTTP request and WebSocket, kept while it is handled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER)
        request_id = given if given is not None and _VALID.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                headers[HEADER] = request_id
                message = {**message, "headers": headers.raw}
            await send(message)

        token = _current.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute ("-" outside a request) for the log format.

    A record that already has one (set where it was made, e.g. before a QueueHandler) keeps it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or NO_REQUEST
        return True
