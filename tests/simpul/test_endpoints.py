"""The URL rules between hub and nodes, and the resolver that keeps them at connect time."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from simpul.endpoints import PublicOnlyResolver, hub_urls, node_endpoints
from simpul.errors import InvalidInput


@pytest.mark.parametrize("url", ["https://unit.example", "https://unit.example:8443/simpul/", "http://127.0.0.1:8100",
                                 "http://127.9.9.9", "http://[::1]:8100", "http://localhost:8100",
                                 "https://10.20.30.40"])  # a government-internal address is the norm
def test_endpoints_a_hub_calls(url: str) -> None:
    assert node_endpoints(False).check(url) == url.rstrip("/")


def test_plain_http_off_loopback_needs_the_flag_that_the_error_names() -> None:
    with pytest.raises(InvalidInput, match=r"plain http needs the hub's --allow-insecure-nodes\): http://unit.example$"):
        node_endpoints(False).check("http://unit.example")
    with pytest.raises(InvalidInput, match=r"plain http needs the node's --allow-insecure-hub\): http://hub.example$"):
        hub_urls(False).check("http://hub.example")
    assert node_endpoints(True).check("http://unit.example/") == "http://unit.example"
    assert hub_urls(True).check("http://hub.example") == "http://hub.example"
    with pytest.raises(InvalidInput, match="link-local"):
        node_endpoints(True).check("http://169.254.169.254")  # the flag allows http, never metadata


@pytest.mark.parametrize("url", ["http://[::ffff:169.254.169.254]/", "http://169.254.170.2", "http://100.100.100.200",
                                 "https://metadata.goog", "https://[fe80::1%25eth0]"])
def test_metadata_and_link_local_hide_behind_no_spelling(url: str) -> None:
    with pytest.raises(InvalidInput, match="link-local or cloud metadata"):
        node_endpoints(True).check(url)


@pytest.mark.parametrize(("url", "problem"), [("ftp://unit.example", r"must be an http\(s\) URL"),
                                               ("http://0.0.0.0:8100", "names no single host"),
                                               ("https://", "has no host"), ("https://unit.example:99999", "not a URL"),
                                               ("https://unit.example/?", "query or fragment")])
def test_what_is_not_an_endpoint_is_named(url: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        node_endpoints(False).check(url)


class _Dns(AbstractResolver):
    """A name server that says what a test wants (a fake of the outside system; the rest is aiohttp's)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        return [{"hostname": host, "host": self.answers[host], "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


@pytest.fixture
async def local_server() -> AsyncIterator[int]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/healthz", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_a_name_re_pointed_at_a_metadata_address_after_its_check_reaches_nothing(local_server: int) -> None:
    dns = _Dns({"unit.example": "127.0.0.1", "rebound.example": "169.254.169.254"})
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(dns))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.get(f"http://unit.example:{local_server}/healthz") as answer:
            assert answer.status == 200
        with pytest.raises(aiohttp.ClientConnectorError, match="resolves only to link-local or cloud metadata"):
            await session.get(f"http://rebound.example:{local_server}/healthz")
        with pytest.raises(aiohttp.ClientConnectorError, match="is a cloud metadata name"):
            await session.get("http://metadata.google.internal/computeMetadata/v1/")
