"""Signed requests both ways: the hub's queries to nodes and the nodes' heartbeats to the hub."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from simpul.signing import sign, signing_key
from tests.federation import Desk, Hub, start_desk, start_hub

QUERY = json.dumps({"query": "{ node { code } }"}).encode()
HEARTBEAT = "/node/heartbeat"


@dataclass
class Pair:
    """A hub and two enrolled desks, with the keys the desks were given."""

    hub: Hub
    kaltim: Desk
    kaltara: Desk
    keys: dict[str, bytes]


@pytest.fixture
def pair(database: str, tmp_path: Path) -> Iterator[Pair]:
    hub = start_hub(database, tmp_path)
    desks: list[Desk] = []
    try:
        desks.append(start_desk(hub, tmp_path, "64", "64", "PROVINSI"))
        desks.append(start_desk(hub, tmp_path, "65", "65", "PROVINSI"))
        keys = {d.code: signing_key(_secret(tmp_path, d.code)) for d in desks}
        yield Pair(hub, desks[0], desks[1], keys)
    finally:
        for desk in desks:
            desk.process.stop()
        hub.process.stop()


def _secret(data_dir: Path, code: str) -> str:
    secret: str = json.loads((data_dir / "nodes" / code / "credentials.json").read_text())["secret"]
    return secret


def _headers_at(key: bytes, node: str, path: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Signature headers built by hand, the way simpul/signing.py builds them, at any timestamp."""
    nonce = secrets.token_hex(16)
    message = "\n".join(("POST", path, str(timestamp), nonce, hashlib.sha256(body).hexdigest())).encode()
    return {
        "x-simpul-node": node,
        "x-simpul-timestamp": str(timestamp),
        "x-simpul-nonce": nonce,
        "x-simpul-signature": hmac.new(key, message, hashlib.sha256).hexdigest(),
    }


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with session.post(url, data=body, headers={**(headers or {}), "content-type": "application/json"}) as r:
        return r.status, await r.json(content_type=None)


async def _ask_node(
    session: aiohttp.ClientSession, desk: Desk, headers: dict[str, str] | None, body: bytes = QUERY
) -> tuple[int, str]:
    """POST to the desk's /graphql; return the status and the refusal message (or the answering code)."""
    status, answer = await _post(session, desk.url + "/graphql", body, headers)
    if status == 200:
        assert "errors" not in answer, answer
        return status, answer["data"]["node"]["code"]
    return status, answer["errors"][0]["message"]


async def _beat(
    session: aiohttp.ClientSession, hub: Hub, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    return await _post(session, hub.url + HEARTBEAT, body, headers)


def _heartbeat_body(desk: Desk) -> bytes:
    return json.dumps({"endpoint": desk.url, "healthy": True}).encode()


async def test_node_answers_only_requests_the_hub_signed_for_it(
    pair: Pair, session: aiohttp.ClientSession
) -> None:
    kaltim = pair.kaltim
    assert await _ask_node(session, kaltim, None) == (401, "request is not signed")

    wrong_key = sign(signing_key("wrong"), "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, wrong_key) == (401, "bad signature")

    other_code = sign(pair.keys["64"], "65", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, other_code) == (401, "request signed for another node")

    # A request the hub rightly signed for Kaltara does not open Kaltim.
    for_kaltara = sign(pair.keys["65"], "65", "POST", "/graphql", QUERY)
    assert (await _ask_node(session, kaltim, for_kaltara))[0] == 401
    assert await _ask_node(session, pair.kaltara, for_kaltara) == (200, "65")

    other_path = sign(pair.keys["64"], "64", "POST", "/reports", QUERY)
    assert await _ask_node(session, kaltim, other_path) == (401, "bad signature")

    signed = sign(pair.keys["64"], "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, signed) == (200, "64")


async def test_node_refuses_the_same_signed_request_twice(pair: Pair, session: aiohttp.ClientSession) -> None:
    signed = sign(pair.keys["64"], "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, pair.kaltim, signed) == (200, "64")
    assert await _ask_node(session, pair.kaltim, signed) == (401, "replayed request")
    # A fresh signature over the very same body is fine.
    again = sign(pair.keys["64"], "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, pair.kaltim, again) == (200, "64")


async def test_node_refuses_a_signature_ten_minutes_old_or_ahead(pair: Pair, session: aiohttp.ClientSession) -> None:
    key, now = pair.keys["64"], int(time.time())
    # The hand-built headers are right: fresh ones are accepted.
    assert await _ask_node(session, pair.kaltim, _headers_at(key, "64", "/graphql", QUERY, now)) == (200, "64")
    for timestamp in (now - 600, now + 600):
        headers = _headers_at(key, "64", "/graphql", QUERY, timestamp)
        assert await _ask_node(session, pair.kaltim, headers) == (401, "stale signature timestamp")


async def test_node_refuses_a_body_altered_after_signing(pair: Pair, session: aiohttp.ClientSession) -> None:
    signed = sign(pair.keys["64"], "64", "POST", "/graphql", QUERY)
    altered = QUERY.replace(b"code", b"name")
    assert await _ask_node(session, pair.kaltim, signed, body=altered) == (401, "bad signature")
    # The untouched body with the same headers still goes through: the nonce was not spent.
    assert await _ask_node(session, pair.kaltim, signed) == (200, "64")


async def test_hub_takes_a_signed_heartbeat_once(pair: Pair, session: aiohttp.ClientSession) -> None:
    body = _heartbeat_body(pair.kaltim)
    headers = sign(pair.keys["64"], "64", "POST", HEARTBEAT, body)
    assert await _beat(session, pair.hub, body, headers) == (200, {"ok": True})
    status, answer = await _beat(session, pair.hub, body, headers)
    assert (status, answer["error"]) == (401, "replayed request")


async def test_hub_refuses_stale_heartbeats_and_unknown_or_impersonated_nodes(
    pair: Pair, session: aiohttp.ClientSession
) -> None:
    key, now, body = pair.keys["64"], int(time.time()), _heartbeat_body(pair.kaltim)
    assert await _beat(session, pair.hub, body, _headers_at(key, "64", HEARTBEAT, body, now)) == (200, {"ok": True})

    refusals = {
        "stale signature timestamp": _headers_at(key, "64", HEARTBEAT, body, now - 600),
        "unknown node": sign(key, "63", "POST", HEARTBEAT, body),
        "bad signature": sign(pair.keys["65"], "64", "POST", HEARTBEAT, body),
    }
    for message, headers in refusals.items():
        status, answer = await _beat(session, pair.hub, body, headers)
        assert (status, answer["error"]) == (401, message)
    stolen = sign(key, "64", "POST", HEARTBEAT, body)
    status, answer = await _beat(session, pair.hub, _heartbeat_body(pair.kaltara), stolen)
    assert (status, answer["error"]) == (401, "bad signature")


async def _raw_post(url: str, path: str, headers: dict[str, bytes], body: bytes) -> int:
    """POST with header bytes sent as they are (aiohttp would encode them as UTF-8); return the status."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers.items())
        writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + head
                     + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


async def test_garbled_signature_headers_are_refused_on_both_sides(pair: Pair) -> None:
    body = _heartbeat_body(pair.kaltim)
    valid = {k: v.encode() for k, v in sign(pair.keys["64"], "64", "POST", HEARTBEAT, body).items()}
    garbled = [
        {**valid, "x-simpul-timestamp": b"\xb9\xb2\xb3"},  # superscript digits in latin-1
        {**valid, "x-simpul-timestamp": b"-1"},
        {**valid, "x-simpul-nonce": b"short"},
        {**valid, "x-simpul-nonce": b"not a nonce but spaces"},
    ]
    for headers in garbled:
        assert await _raw_post(pair.hub.url, HEARTBEAT, headers, body) == 401, headers
        assert await _raw_post(pair.kaltim.url, "/graphql", headers, QUERY) == 401, headers
