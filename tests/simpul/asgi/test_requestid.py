"""Every request has an id: the caller's when it is a sane one, in the response and in the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from simpul.asgi.requestid import RequestIdFilter, RequestIds, current_request_id
from tests.asgi_server import serving

log = logging.getLogger("tests.requestid")


async def _handle(request: Request) -> JSONResponse:
    log.warning("handling %s", request.url.path)
    return JSONResponse({"id": current_request_id()})


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"id": current_request_id()})
    await websocket.close()


@pytest.fixture
async def url() -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/", _handle), WebSocketRoute("/ws", _socket)])
    async with serving(RequestIds(app)) as base:
        yield base


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The test's log records, each given its request id where it is made."""
    request_ids = RequestIdFilter()
    log.addFilter(request_ids)
    try:
        yield caplog
    finally:
        log.removeFilter(request_ids)


async def _get(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> tuple[str, str | None]:
    async with session.get(url, headers=headers) as response:
        assert response.status == 200
        return response.headers["x-request-id"], (await response.json())["id"]


async def test_a_callers_request_id_is_kept_for_the_request(
    url: str, session: aiohttp.ClientSession, records: pytest.LogCaptureFixture
) -> None:
    header, seen = await _get(session, url, {"x-request-id": "hub-7f3a.9c_21"})
    assert header == seen == "hub-7f3a.9c_21"
    assert [r.request_id for r in records.records if r.name == log.name] == ["hub-7f3a.9c_21"]


async def test_a_request_without_an_id_gets_a_new_one_each_time(
    url: str, session: aiohttp.ClientSession, records: pytest.LogCaptureFixture
) -> None:
    first, seen = await _get(session, url, {})
    second, _ = await _get(session, url, {})
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first == seen
    assert second != first
    assert [r.request_id for r in records.records if r.name == log.name] == [first, second]


@pytest.mark.parametrize("given", ["", "a b", "x" * 65, "semi;colon", "slash/ed", "ümlaut"],
                         ids=["empty", "space", "too-long", "semicolon", "slash", "non-ascii"])
async def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    url: str, session: aiohttp.ClientSession, given: str
) -> None:
    header, seen = await _get(session, url, {"x-request-id": given})
    assert re.fullmatch(r"[0-9a-f]{32}", header) and header == seen


async def test_a_websocket_keeps_its_id_while_it_is_open(url: str, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(url + "/ws", headers={"x-request-id": "portal-42"}) as ws:
        message = await ws.receive_json()
    assert message == {"id": "portal-42"}


def test_outside_a_request_there_is_no_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "startup", None, None)
    RequestIdFilter().filter(record)
    assert current_request_id() is None
    assert record.request_id == "-"
