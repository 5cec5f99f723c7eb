"""simpul/asgi/http.py: an HTTP middleware leaves other scopes alone, and a response's status is noted as sent."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from simpul.asgi.http import HttpMiddleware, ResponseStatus


class _Marks(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["handled"] = True
        await self.app(scope, receive, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def test_only_http_reaches_handle() -> None:
    reached: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope)

    middleware = _Marks(app)
    for kind in ("http", "websocket", "lifespan"):
        await middleware({"type": kind}, _nothing, _record([]))
    assert [(s["type"], s.get("handled", False)) for s in reached] == [
        ("http", True), ("websocket", False), ("lifespan", False)]


def _record(sent: list[Message]) -> Send:
    async def send(message: Message) -> None:
        sent.append(message)
    return send


async def test_the_status_is_500_until_a_response_starts_then_the_one_it_starts_with() -> None:
    sent: list[Message] = []
    status = ResponseStatus(_record(sent))
    assert status.status == 500  # an app that fails before answering gets the server's 500
    await status({"type": "http.response.start", "status": 201, "headers": []})
    await status({"type": "http.response.body", "body": b"ok"})
    assert status.status == 201 and [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
