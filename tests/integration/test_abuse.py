"""Abuse that would cost the hub its memory or guess passwords: parallel logins, large documents and WebSocket
messages, and a password guesser with many addresses.

One hub serves the module. Memory is read from the hub process itself: its resident set, and its peak
(VmHWM, reset through /proc/<pid>/clear_refs before the burst).
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest

from tests.federation import Hub, graphql, run_cli

MIB = 1 << 20
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
PASSWORD_CHECKS = 2  # the hub's default: argon2 checks at once, 64 MiB each


@pytest.fixture(scope="module")
def hub(module_hub: Hub) -> Hub:
    """One hub for the tests here: each makes its own users and reads the memory it grew."""
    return module_hub


def _peak_reset(hub: Hub) -> None:
    Path(f"/proc/{hub.process.popen.pid}/clear_refs").write_text("5")


def _peak(hub: Hub) -> int:
    for line in Path(f"/proc/{hub.process.popen.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _code(body: dict[str, Any]) -> str:
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def _login(session: aiohttp.ClientSession, hub: Hub, username: str, password: str,
                 address: str = "127.0.0.1") -> dict[str, Any]:
    async with session.post(hub.graphql_url, json={"query": LOGIN, "variables": {"u": username, "p": password}},
                            headers={"x-forwarded-for": address}) as response:
        body: dict[str, Any] = await response.json(content_type=None)
        return body


async def test_parallel_logins_are_checked_a_few_at_a_time_and_the_rest_told_to_wait(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    _peak_reset(hub)
    before = psutil.Process(hub.process.popen.pid).memory_info().rss
    answers = await asyncio.gather(*(_login(session, hub, f"tamu{i}", "bukan sandi siapa pun", f"10.1.0.{i}")
                                     for i in range(20)))
    grown = _peak(hub) - before
    assert grown < PASSWORD_CHECKS * 64 * MIB + 50 * MIB, f"peak grew {grown / MIB:.0f} MiB"
    codes = [_code(a) for a in answers]
    assert set(codes) <= {"FORBIDDEN", "RATE_LIMITED"}, answers
    assert "RATE_LIMITED" in codes and "FORBIDDEN" in codes, codes


async def test_a_guessed_username_waits_out_a_back_off_shared_by_every_address(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    password = "sandi yang benar sekali"
    made = run_cli("user", "create", "--username", "ditebak", "--name", "Ditebak", "--role", "supervisor",
                   "--region", "64", "--password-stdin", "--database-url", hub.database_url, input=password + "\n")
    assert made.returncode == 0, made.stderr
    codes = [_code(await _login(session, hub, "ditebak", f"tebakan {i}", f"10.2.0.{i}")) for i in range(20)]
    assert codes[:5] == ["FORBIDDEN"] * 5 and set(codes[5:]) == {"RATE_LIMITED"}, codes
    right = await _login(session, hub, "ditebak", password, "10.2.1.1")
    assert _code(right) == "RATE_LIMITED" and "try again in" in right["errors"][0]["message"], right

    conn = await asyncpg.connect(hub.database_url, server_settings={"search_path": "hub"})
    try:
        rows = await conn.fetch("SELECT detail FROM audit_log WHERE action = 'LOGIN_FAILED' AND target = $1"
                                " ORDER BY id", "user ditebak")
        assert [r["detail"] for r in rows] == ['{"failures": 1}', '{"failures": 2}', '{"failures": 4}']
        await conn.execute("UPDATE login_failures SET blocked_until = now() WHERE username = 'ditebak'")  # time passes
        assert "token" in (await _login(session, hub, "ditebak", password))["data"]["login"]
        assert await conn.fetchval("SELECT count(*) FROM login_failures WHERE username = 'ditebak'") == 0
    finally:
        await conn.close()


async def test_large_comment_padded_documents_are_refused_and_not_kept(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    process = psutil.Process(hub.process.popen.pid)
    await graphql(session, hub.graphql_url, "{ __typename }", headers={})
    before = process.memory_info().rss

    async def send(i: int) -> dict[str, Any]:
        query = f"# {i} {secrets.token_hex(450_000)}\n{{ __typename }}"
        async with session.post(hub.graphql_url, json={"query": query}) as response:
            body: dict[str, Any] = await response.json(content_type=None)
            return body

    answers: list[dict[str, Any]] = []
    for start in range(0, 300, 10):
        answers += await asyncio.gather(*(send(i) for i in range(start, start + 10)))
    grown = process.memory_info().rss - before
    assert grown < 50 * MIB, f"the hub kept {grown / MIB:.0f} MiB"
    assert all(_code(a) == "DOCUMENT_TOO_LARGE" for a in answers), answers[0]
    assert "the limit is 65536 bytes" in answers[0]["errors"][0]["message"]


async def test_a_websocket_message_over_the_body_limit_closes_the_socket(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(hub.graphql_url.replace("http", "ws", 1), protocols=("graphql-transport-ws",),
                                  max_msg_size=0) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        large = "#" + "x" * 100_000 + "\n{ __typename }"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": large}})
        refused = await ws.receive_json(timeout=5)
        assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
        try:
            await ws.send_str('{"id": "2", "type": "subscribe", "payload": {"query": "' + "x" * (2 * MIB) + '"}}')
        except ConnectionError:  # the hub may close the socket before the whole message is written
            pass
        closed = await ws.receive(timeout=5)
        ended = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert closed.type in ended, closed
        assert closed.type is not aiohttp.WSMsgType.CLOSE or closed.data == 1009, closed
