"""Body sizes: refuse request bodies over a size before they are read into memory, declared or streamed, and
read a response body whole up to a cap.

A handler that calls `request.body()` holds the whole body; this middleware
stops a large one at the door (413), and a body sent chunked without a
Content-Length as soon as it grows past the limit.
"""

from __future__ import annotations

import re

import aiohttp
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simpul.asgi.http import HttpMiddleware

TOO_LARGE = "request body is larger than {max_bytes} bytes"
BAD_LENGTH = "Content-Length must be one whole number of bytes"

_DIGITS = re.compile(r"[0-9]+")


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` when the streamed body passes the limit."""


def _error(status: int, message: str, code: str) -> JSONResponse:
    # A refused body may still be on its way: the connection must not be reused for another request.
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers={"connection": "close"})


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length the client declared; ValueError when it is not one plain number."""
    values = set(Headers(scope=scope).getlist("content-length"))
    if not values:
        return None
    if len(values) > 1 or not _DIGITS.fullmatch(value := values.pop()):
        raise ValueError(BAD_LENGTH)
    return int(value)


class BodyLimit(HttpMiddleware):
    """ASGI middleware: HTTP request bodies of at most `max_bytes`; other scopes pass through."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must not be negative, not {max_bytes}")
        super().__init__(app)
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _error(413, TOO_LARGE.format(max_bytes=self.max_bytes), "BODY_TOO_LARGE")(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            declared = _declared_length(scope)
        except ValueError as exc:
            await _error(400, str(exc), "BAD_REQUEST")(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:  # the app caught _BodyTooLarge and answered anyway: ours goes out instead
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            pass
        if exceeded and not response_started:
            await self._too_large(scope, receive, send)


async def read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """A response's whole body, or its first `cap` bytes when it is longer. `StreamReader.read(n)` returns what
    has arrived so far, so a large answer read that way was cut wherever the first chunk ended."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap:
            break
    return b"".join(chunks)[:cap]
