"""Revocation reaches open WebSockets: once a key, session or node is revoked, ended, expired or suspended, the
next operation on its socket is refused and its idle `events` subscription ends (4403) within a second.

One hub serves the module; each test has credentials of its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aiohttp
import asyncpg
import pytest

from hub.access.keys import digest
from hub.access.principal import Principal, Role
from hub.access.users import create_user
from simpul.signing import TO_HUB, new_private_key, public_key_bytes, sign
from tests.federation import Hub, bearer, create_key, create_token, graphql, start_hub
from tests.graphql_ws import Subscription

EVENTS = "subscription { events { type } }"
ME = "{ me { role } }"
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
PASSWORD = "kata sandi yang panjang"


@pytest.fixture(scope="module")
def hub(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    running = start_hub(module_database, tmp_path_factory.mktemp("revocation"), "--max-sockets", "3")
    try:
        yield running
    finally:
        running.process.stop()


async def _person(hub: Hub, session: aiohttp.ClientSession, username: str) -> str:
    """A supervisor made for this test, logged in: their session token."""
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        await create_user(conn, Principal(role=Role.ADMIN, name="tests"), username, username, Role.SUPERVISOR, "",
                          PASSWORD)
    finally:
        await conn.close()
    return await _login(hub, session, username)


async def _login(hub: Hub, session: aiohttp.ClientSession, username: str) -> str:
    body = await graphql(session, hub.graphql_url, LOGIN, {"u": username, "p": PASSWORD}, headers={})
    token: str = body["data"]["login"]["token"]
    return token


async def _sql(hub: Hub, statement: str, *args: object) -> None:
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def _open_two(session: aiohttp.ClientSession, hub: Hub, headers: dict[str, str],
                    subscriptions: list[Subscription]) -> tuple[Subscription, Subscription]:
    """An idle events subscription and a socket to send the next operation on, both answering for now."""
    idle = await Subscription.open(session, hub.graphql_url, EVENTS, headers=headers)
    busy = await Subscription.open(session, hub.graphql_url, EVENTS, headers=headers)
    subscriptions += [idle, busy]
    answer = await busy.ask("me", ME)
    assert answer == {"id": "me", "type": "next", "payload": {"data": {"me": {"role": "SUPERVISOR"}}}}, answer
    return idle, busy


async def _cut_off(idle: Subscription, busy: Subscription, since: float) -> None:
    """The next operation is refused (or finds its socket closed 4403), and the idle subscription ends with
    4403 within a second of `since`."""
    answer = await busy.ask("after", ME)
    if answer is not None:
        assert answer["type"] == "error" and answer["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED", answer
    else:
        assert busy.closed_with == 4403
    while idle.closed_with is None and time.monotonic() - since < 1.0:
        await asyncio.sleep(0.02)
    assert idle.closed_with == 4403, f"still open {time.monotonic() - since:.2f} s after; {idle.messages}"
    assert not idle.data, "no event went to a revoked socket"


async def test_logout_ends_the_sessions_sockets(hub: Hub, session: aiohttp.ClientSession,
                                               subscriptions: list[Subscription]) -> None:
    token = await _person(hub, session, "keluar")
    idle, busy = await _open_two(session, hub, bearer(token), subscriptions)
    assert (await graphql(session, hub.graphql_url, "mutation { logout }", headers=bearer(token)))["data"]["logout"]
    await _cut_off(idle, busy, time.monotonic())


async def test_a_revoked_key_loses_its_sockets(hub: Hub, session: aiohttp.ClientSession,
                                               subscriptions: list[Subscription]) -> None:
    key = await create_key(hub.database_url, "supervisor")
    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        key_id = await conn.fetchval("SELECT id FROM api_keys WHERE key_hash = $1", digest(key))
    finally:
        await conn.close()
    idle, busy = await _open_two(session, hub, bearer(key), subscriptions)
    revoked = await graphql(session, hub.graphql_url, "mutation($id: Int!) { revokeApiKey(id: $id) { id } }",
                            {"id": key_id})
    assert "errors" not in revoked, revoked
    await _cut_off(idle, busy, time.monotonic())


async def test_a_password_changed_in_another_session_ends_this_ones_sockets(
    hub: Hub, session: aiohttp.ClientSession, subscriptions: list[Subscription]
) -> None:
    stolen = await _person(hub, session, "berganti")
    own = await _login(hub, session, "berganti")
    idle, busy = await _open_two(session, hub, bearer(stolen), subscriptions)
    changed = await graphql(session, hub.graphql_url, 'mutation($p: String!) { changePassword(currentPassword: $p, '
                            'newPassword: "sandi baru yang panjang") }', {"p": PASSWORD}, headers=bearer(own))
    assert changed["data"] == {"changePassword": 1}, changed
    await _cut_off(idle, busy, time.monotonic())


async def test_a_disabled_user_loses_their_sockets(hub: Hub, session: aiohttp.ClientSession,
                                                   subscriptions: list[Subscription]) -> None:
    token = await _person(hub, session, "dinonaktifkan")
    idle, busy = await _open_two(session, hub, bearer(token), subscriptions)
    await _sql(hub, "UPDATE users SET disabled_at = now() WHERE username = 'dinonaktifkan'")
    await _cut_off(idle, busy, time.monotonic())


async def test_an_expired_session_loses_its_sockets(hub: Hub, session: aiohttp.ClientSession,
                                                    subscriptions: list[Subscription]) -> None:
    token = await _person(hub, session, "kedaluwarsa")
    # This session's TTL is made 2 s (as --session-ttl 2s would have), so the rest of the module keeps 8 h.
    await _sql(hub, "UPDATE sessions SET expires_at = now() + interval '2 seconds' WHERE token_hash = $1",
               digest(token))
    expires = time.monotonic() + 2
    idle, busy = await _open_two(session, hub, bearer(token), subscriptions)
    await asyncio.sleep(expires - time.monotonic())  # the clock itself is what this test waits for
    await _cut_off(idle, busy, expires)


async def test_a_suspended_node_loses_its_signed_socket(hub: Hub, session: aiohttp.ClientSession,
                                                        subscriptions: list[Subscription]) -> None:
    key = new_private_key()
    enrolment = {"token": create_token(hub.database_url, "63"), "code": "63", "name": "Node 63", "level": "PROVINSI",
                 "region_code": "63", "parent_code": None, "categories": [], "kind": "custom",
                 "endpoint": "http://127.0.0.1:9", "public_key": public_key_bytes(key).hex()}
    async with session.post(hub.url + "/enrol", data=json.dumps(enrolment),
                            headers={"content-type": "application/json"}) as response:
        assert response.status == 200, await response.text()
    node = await Subscription.open(session, hub.graphql_url, ME, headers={},
                                   upgrade_headers=sign(key, TO_HUB, "63", "GET", "/graphql", b""))
    subscriptions.append(node)
    await node.wait_for(lambda s: s.data == [{"me": {"role": "NODE"}}])
    suspended = await graphql(session, hub.graphql_url, 'mutation { suspendNode(code: "63", reason: "uji") { code } }')
    assert "errors" not in suspended, suspended
    since = time.monotonic()
    answer = await node.ask("after", ME)
    assert answer is None or (answer["type"] == "error"
                              and answer["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"), answer
    while node.closed_with is None and time.monotonic() - since < 1.0:
        await asyncio.sleep(0.02)
    assert node.closed_with == 4403


async def test_one_caller_may_hold_only_so_many_sockets(hub: Hub, session: aiohttp.ClientSession,
                                                        subscriptions: list[Subscription]) -> None:
    key = bearer(await create_key(hub.database_url, "supervisor"))
    for _ in range(3):
        subscriptions.append(await Subscription.open(session, hub.graphql_url, EVENTS, headers=key))
    ws = await session.ws_connect(hub.graphql_url.replace("http", "ws", 1), protocols=("graphql-transport-ws",))
    await ws.send_json({"type": "connection_init", "payload": key})
    refused = await ws.receive(timeout=5)
    assert refused.type is aiohttp.WSMsgType.CLOSE and refused.data == 4429, refused
    assert "too many open WebSockets" in refused.extra
    other = await Subscription.open(session, hub.graphql_url, EVENTS,
                                    headers=bearer(await create_key(hub.database_url, "supervisor")))
    subscriptions.append(other)  # another caller has sockets of its own
    # The same key from another address (a portal's key, on another visitor's page) has sockets of its own.
    visitor = await Subscription.open(session, hub.graphql_url, EVENTS, headers=key,
                                      upgrade_headers={"x-forwarded-for": "10.0.0.2"})  # the hub trusts 127.0.0.1
    subscriptions.append(visitor)
    assert (await visitor.ask("me", ME))["type"] == "next"
    await subscriptions[0].close()
    del subscriptions[0]
    again = await Subscription.open(session, hub.graphql_url, EVENTS, headers=key)
    subscriptions.append(again)
    assert (await again.ask("me", ME))["type"] == "next"  # a closed socket frees its place
