"""Signed requests both ways: the hub's queries to nodes and the nodes' heartbeats to the hub, each signed with
the sender's own private key over the direction, the node code and the full request target."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import ANY
from urllib.parse import quote, urlsplit

import aiohttp
import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.hublink import Credentials
from simpul.signing import (
    NODE_HEADER,
    TO_HUB,
    TO_NODE,
    new_private_key,
    private_key,
    sign,
)
from simpul.signing_v1 import sign_v1
from tests.federation import Desk, Hub, as_hub, as_node, desk_credentials, restart_desk, start_desk, start_hub
from tests.signed import signed_at

QUERY = json.dumps({"query": "{ node { code } }"}).encode()
HEARTBEAT = "/node/heartbeat"
RESPONSE_JSON = {"accept": "application/graphql-response+json"}  # request errors get their HTTP status


@dataclass
class Pair:
    """A hub and two enrolled desks, with what the desks keep: their private keys and the hub key they pinned."""

    hub: Hub
    kaltim: Desk
    kaltara: Desk
    folder: Path  # the hub's data folder, where its key file is

    def credentials(self, code: str) -> Credentials:
        return desk_credentials(self.kaltim if code == "64" else self.kaltara)

    @property
    def hub_key(self) -> Ed25519PrivateKey:
        return private_key((self.folder / "hub.key").read_text().strip())


@pytest.fixture(scope="module")
def pair(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """One hub and two desks for the whole module: every test signs its own fresh requests."""
    folder = tmp_path_factory.mktemp("signatures")
    hub = start_hub(module_database, folder)
    desks: list[Desk] = []
    try:
        desks.append(start_desk(hub, folder, "64", "64", "PROVINSI"))
        desks.append(start_desk(hub, folder, "65", "65", "PROVINSI"))
        pair = Pair(hub, desks[0], desks[1], folder)
        yield pair
        desks += [pair.kaltim, pair.kaltara]  # a test may have restarted one
    finally:
        for desk in desks:
            desk.process.stop()
        hub.process.stop()


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
    kaltim, hub_key = pair.kaltim, pair.hub_key
    assert await _ask_node(session, kaltim, None) == (401, "request is not signed")

    wrong_key = sign(new_private_key(), TO_NODE, "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, wrong_key) == (401, "bad signature")

    other_code = sign(hub_key, TO_NODE, "65", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, other_code) == (401, "request signed for another node")

    # A request the hub rightly signed for Kaltara does not open Kaltim, even under Kaltim's code.
    for_kaltara = sign(hub_key, TO_NODE, "65", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, {**for_kaltara, NODE_HEADER: "64"}) == (401, "bad signature")
    assert await _ask_node(session, pair.kaltara, for_kaltara) == (200, "65")

    other_path = sign(hub_key, TO_NODE, "64", "POST", "/reports", QUERY)
    assert await _ask_node(session, kaltim, other_path) == (401, "bad signature")

    # What Kaltim itself signs for the hub is no order to Kaltim.
    own = as_node(pair.credentials("64"), "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, own) == (401, "bad signature")

    signed = sign(hub_key, TO_NODE, "64", "POST", "/graphql", QUERY)
    assert await _ask_node(session, kaltim, signed) == (200, "64")


async def test_node_refuses_the_same_signed_request_twice(pair: Pair, session: aiohttp.ClientSession) -> None:
    signed = as_hub(pair.credentials("64"), "POST", "/graphql", QUERY)
    assert await _ask_node(session, pair.kaltim, signed) == (200, "64")
    assert await _ask_node(session, pair.kaltim, signed) == (401, "replayed request")
    # A fresh signature over the very same body is fine.
    again = as_hub(pair.credentials("64"), "POST", "/graphql", QUERY)
    assert await _ask_node(session, pair.kaltim, again) == (200, "64")


async def test_node_refuses_a_signature_ten_minutes_old_or_ahead(pair: Pair, session: aiohttp.ClientSession) -> None:
    key, now = pair.hub_key, int(time.time())
    # The hand-built headers are right: fresh ones are accepted.
    fresh = signed_at(key, TO_NODE, "64", "/graphql", QUERY, now)
    assert await _ask_node(session, pair.kaltim, fresh) == (200, "64")
    for timestamp in (now - 600, now + 600):
        headers = signed_at(key, TO_NODE, "64", "/graphql", QUERY, timestamp)
        assert await _ask_node(session, pair.kaltim, headers) == (401, "stale signature timestamp")


async def test_node_refuses_a_body_altered_after_signing(pair: Pair, session: aiohttp.ClientSession) -> None:
    signed = as_hub(pair.credentials("64"), "POST", "/graphql", QUERY)
    altered = QUERY.replace(b"code", b"name")
    assert await _ask_node(session, pair.kaltim, signed, body=altered) == (401, "bad signature")
    # The untouched body with the same headers still goes through: the nonce was not spent.
    assert await _ask_node(session, pair.kaltim, signed) == (200, "64")


async def test_hub_takes_a_signed_heartbeat_once(pair: Pair, session: aiohttp.ClientSession) -> None:
    body = _heartbeat_body(pair.kaltim)
    headers = as_node(pair.credentials("64"), "POST", HEARTBEAT, body)
    assert await _beat(session, pair.hub, body, headers) == (200, {"ok": True, "feedCursor": ANY})
    status, answer = await _beat(session, pair.hub, body, headers)
    assert (status, answer["error"]) == (401, "replayed request")


async def test_hub_refuses_stale_heartbeats_and_unknown_or_impersonated_nodes(
    pair: Pair, session: aiohttp.ClientSession
) -> None:
    kaltim, kaltara = pair.credentials("64"), pair.credentials("65")
    now, body = int(time.time()), _heartbeat_body(pair.kaltim)
    fresh = signed_at(kaltim.key, TO_HUB, "64", HEARTBEAT, body, now)
    assert await _beat(session, pair.hub, body, fresh) == (200, {"ok": True, "feedCursor": ANY})

    refusals = {
        "stale signature timestamp": signed_at(kaltim.key, TO_HUB, "64", HEARTBEAT, body, now - 600),
        "unknown node": sign(kaltim.key, TO_HUB, "63", "POST", HEARTBEAT, body),
        "bad signature": sign(kaltara.key, TO_HUB, "64", "POST", HEARTBEAT, body),
    }
    for message_, headers in refusals.items():
        status, answer = await _beat(session, pair.hub, body, headers)
        assert (status, answer["error"]) == (401, message_)
    stolen = as_node(kaltim, "POST", HEARTBEAT, body)
    status, answer = await _beat(session, pair.hub, _heartbeat_body(pair.kaltara), stolen)
    assert (status, answer["error"]) == (401, "bad signature")


async def test_a_signature_covers_direction_and_query_string(pair: Pair, session: aiohttp.ClientSession) -> None:
    """A request the hub signed for a node is no node request to the hub; a signed GET cannot change its query."""
    document = json.dumps({"query": "{ __typename }"}).encode()  # valid on the node and on the hub alike
    captured = as_hub(pair.credentials("64"), "POST", "/graphql", document)
    status, answer = await _post(session, pair.hub.graphql_url, document, {**captured, **RESPONSE_JSON})
    assert (status, answer["errors"][0]["message"]) == (401, "node signature refused: bad signature"), answer
    assert await _post(session, pair.kaltim.url + "/graphql", document, captured) == (200, {
        "data": {"__typename": "Query"}}), "the captured request itself was good, for the node"

    target = "/graphql?query=" + quote("{ __typename }")
    signed = as_node(pair.credentials("64"), "GET", target, b"")
    async with session.get(pair.hub.url + target, headers=signed) as response:
        assert (response.status, await response.json()) == (200, {"data": {"__typename": "Query"}})
    changed = "/graphql?query=" + quote("{ nodes { code endpoint } }")
    again = as_node(pair.credentials("64"), "GET", target, b"")
    async with session.get(pair.hub.url + changed, headers={**again, **RESPONSE_JSON}) as response:
        answer = await response.json()
        assert (response.status, answer["errors"][0]["message"]) == (401, "node signature refused: bad signature")


async def test_a_copy_of_the_hub_database_signs_neither_as_a_node_nor_as_the_hub(
    pair: Pair, session: aiohttp.ClientSession
) -> None:
    conn = await asyncpg.connect(pair.hub.database_url, server_settings={"search_path": "hub"})
    try:
        rows = [dict(r) for r in await conn.fetch("SELECT * FROM nodes ORDER BY code")]
    finally:
        await conn.close()
    stolen = [bytes(v) for row in rows for v in row.values() if isinstance(v, bytes)]
    assert {row["code"] for row in rows} == {"64", "65"} and len(stolen) == 2, "the dump holds the public keys"

    for material in stolen:  # used every way it could be: as an HMAC key, and as an Ed25519 private key
        keys = [Ed25519PrivateKey.from_private_bytes(material)]
        beat, call = _heartbeat_body(pair.kaltim), QUERY
        forged = [sign_v1(material, "64", "POST", HEARTBEAT, beat)] + [
            sign(k, TO_HUB, "64", "POST", HEARTBEAT, beat) for k in keys]
        for headers in forged:
            status, answer = await _beat(session, pair.hub, beat, headers)
            assert (status, answer["error"]) == (401, "bad signature")
        orders = [sign_v1(material, "64", "POST", "/graphql", call)] + [
            sign(k, TO_NODE, "64", "POST", "/graphql", call) for k in keys]
        for headers in orders:
            assert await _ask_node(session, pair.kaltim, headers) == (401, "bad signature")


async def test_a_request_signed_or_taken_before_the_node_restarted_is_refused_after(
    pair: Pair, session: aiohttp.ClientSession
) -> None:
    """What was signed before the node started cannot be replayed to it, nor what it took before a restart
    (its nonces are kept in its state folder): even a request dated ahead, within the skew, counts once."""
    captured = signed_at(pair.hub_key, TO_NODE, "64", "/graphql", QUERY, int(time.time()) - 1)
    ahead = signed_at(pair.hub_key, TO_NODE, "64", "/graphql", QUERY, int(time.time()) + 120)
    assert await _ask_node(session, pair.kaltim, ahead) == (200, "64")
    pair.kaltim.process.stop()
    pair.kaltim = restart_desk(pair.hub, pair.kaltim)
    assert await _ask_node(session, pair.kaltim, captured) == (401, "signed before this node started")
    assert await _ask_node(session, pair.kaltim, ahead) == (401, "replayed request")
    fresh = as_hub(pair.credentials("64"), "POST", "/graphql", QUERY)
    assert await _ask_node(session, pair.kaltim, fresh) == (200, "64")


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
    valid = {k: v.encode() for k, v in as_node(pair.credentials("64"), "POST", HEARTBEAT, body).items()}
    garbled = [
        {**valid, "x-simpul-timestamp": b"\xb9\xb2\xb3"},  # superscript digits in latin-1
        {**valid, "x-simpul-timestamp": b"-1"},
        {**valid, "x-simpul-nonce": b"short"},
        {**valid, "x-simpul-nonce": b"not a nonce but spaces"},
        {**valid, "x-simpul-signature": b"\xff" * 128},
    ]
    for headers in garbled:
        assert await _raw_post(pair.hub.url, HEARTBEAT, headers, body) == 401, headers
        assert await _raw_post(pair.kaltim.url, "/graphql", headers, QUERY) == 401, headers
