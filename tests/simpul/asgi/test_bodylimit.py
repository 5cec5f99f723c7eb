"""Request bodies over the limit are refused before the app holds them, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket

from simpul.asgi.bodylimit import BodyLimit
from tests.asgi_server import serving

LIMIT = 1000


def _echo_app() -> tuple[Starlette, list[int]]:
    """An app that reports the size of each body it received; the list records what reached it."""
    seen: list[int] = []

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        seen.append(len(body))
        return JSONResponse({"size": len(body), "start": body[:5].decode()})

    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("x" * (LIMIT * 2))
        await websocket.close()

    return Starlette(routes=[Route("/echo", echo, methods=["POST"]), WebSocketRoute("/ws", ws)]), seen


@pytest.fixture
async def limited() -> AsyncIterator[tuple[str, list[int]]]:
    app, seen = _echo_app()
    async with serving(BodyLimit(app, max_bytes=LIMIT)) as url:
        yield url, seen


def _too_large() -> dict[str, Any]:
    return {"errors": [{"message": f"request body is larger than {LIMIT} bytes",
                        "extensions": {"code": "BODY_TOO_LARGE"}}]}


async def test_a_small_body_passes_untouched(limited: tuple[str, list[int]], session: aiohttp.ClientSession) -> None:
    url, seen = limited
    for body in (b"", b"hello" + b"." * (LIMIT - 5)):
        async with session.post(url + "/echo", data=body) as response:
            assert response.status == 200
            assert await response.json() == {"size": len(body), "start": body[:5].decode()}
    assert seen == [0, LIMIT]


async def test_a_declared_content_length_over_the_limit_is_refused_unread(
    limited: tuple[str, list[int]], session: aiohttp.ClientSession
) -> None:
    url, seen = limited
    async with session.post(url + "/echo", data=b"x" * (LIMIT + 1)) as response:
        assert response.status == 413
        assert await response.json() == _too_large()
    assert seen == [], "the app never saw the request"


async def test_a_chunked_body_is_refused_when_it_grows_past_the_limit(
    limited: tuple[str, list[int]], session: aiohttp.ClientSession
) -> None:
    url, seen = limited
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            sent.append(400)
            yield b"y" * 400

    async with session.post(url + "/echo", data=chunks()) as response:
        assert "content-length" not in response.request_info.headers
        assert response.status == 413
        assert await response.json() == _too_large()
    assert sum(sent) > LIMIT
    assert seen == []


async def test_a_chunked_body_within_the_limit_passes(
    limited: tuple[str, list[int]], session: aiohttp.ClientSession
) -> None:
    url, seen = limited

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(2):
            yield b"z" * 500

    async with session.post(url + "/echo", data=chunks()) as response:
        assert response.status == 200
        assert (await response.json())["size"] == LIMIT
    assert seen == [LIMIT]


@pytest.mark.parametrize("lengths", [[b"12abc"], [b"-1"], [b" 5"], [b"5", b"6"]],
                         ids=["letters", "negative", "space", "two-values"])
async def test_a_malformed_content_length_is_a_bad_request(lengths: list[bytes]) -> None:
    # uvicorn's HTTP parser already refuses these before any app runs; behind another server or
    # proxy they may reach us, so the middleware is called here with the request as it would arrive.
    app, seen = _echo_app()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/echo", "raw_path": b"/echo", "query_string": b"", "root_path": "",
             "headers": [(b"content-length", value) for value in lengths], "client": None, "server": None}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"hello", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await BodyLimit(app, max_bytes=LIMIT)(scope, receive, send)
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == (b'{"errors":[{"message":"Content-Length must be one whole number of bytes",'
                               b'"extensions":{"code":"BAD_REQUEST"}}]}')
    assert seen == []


async def test_websockets_pass_through(limited: tuple[str, list[int]], session: aiohttp.ClientSession) -> None:
    url, _ = limited
    async with session.ws_connect(url + "/ws") as ws:
        message = await ws.receive_str()
    assert len(message) == LIMIT * 2
