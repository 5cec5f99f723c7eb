"""Enrolment: one-time tokens and node public keys traded for the hub's public key, over real HTTP and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from connectors.hublink import Credentials
from simpul.processes import ChildProcess
from simpul.signing import TO_HUB, new_private_key, private_key, public_key_bytes, sign
from tests.federation import (
    Desk,
    Federation,
    Hub,
    as_hub,
    create_token,
    desk_args,
    graphql,
    refused_desk,
    restart_desk,
    run_cli,
    start_desk,
    start_hub,
)

NODES = "{ nodes { code reachable } }"
STATS = "{ stats(groupBy: [STATUS]) { total coverage { asked answered failed } } }"


async def _node_codes(session: aiohttp.ClientSession, hub: Hub) -> list[str]:
    body = await graphql(session, hub.graphql_url, NODES)
    assert "errors" not in body, body
    return [n["code"] for n in body["data"]["nodes"]]


async def _wait_reachable(
    session: aiohttp.ClientSession, hub: Hub, code: str, reachable: bool, timeout: float = 8.0
) -> None:
    end = time.monotonic() + timeout
    while True:
        body = await graphql(session, hub.graphql_url, NODES)
        nodes = {n["code"]: n["reachable"] for n in body["data"]["nodes"]}
        if nodes.get(code) is reachable:
            return
        assert time.monotonic() < end, f"node {code} never became reachable={reachable}: {nodes}"
        await asyncio.sleep(0.2)


def _credentials(data_dir: Path, code: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((data_dir / "nodes" / code / "credentials.json").read_text())
    return data


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def _db(hub: Hub) -> asyncpg.Connection:
    return await asyncpg.connect(hub.database_url)


async def test_token_enrols_exactly_one_node(
    fresh_hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    token = create_token(database, "64")
    first = start_desk(fresh_hub, tmp_path, "64", "64", "PROVINSI", token=token)
    try:
        error = refused_desk(fresh_hub, tmp_path, "64.08", "64.08", "KABKOTA", token, parent="64")
        assert "already used" in error, error
        assert await _node_codes(session, fresh_hub) == ["64"]
        assert not (tmp_path / "nodes" / "64.08" / "credentials.json").exists()
        conn = await _db(fresh_hub)
        try:
            used_by = await conn.fetchval(
                "SELECT used_by FROM hub.enrolment_tokens WHERE token_hash = $1", _digest(token))
        finally:
            await conn.close()
        assert used_by == "64"
    finally:
        first.process.stop()


async def test_concurrent_enrolments_with_one_token_register_one_node(
    fresh_hub: Hub, database: str, session: aiohttp.ClientSession
) -> None:
    token = create_token(database, "64")

    async def attempt(code: str) -> tuple[int, dict[str, Any]]:
        body = {"token": token, "code": code, "name": f"Unit {code}", "level": "UNIT", "region_code": "64",
                "categories": [], "kind": "desk", "endpoint": "http://127.0.0.1:9",
                "public_key": public_key_bytes(new_private_key()).hex()}
        async with session.post(fresh_hub.url + "/enrol", json=body) as response:
            return response.status, await response.json()

    answers = await asyncio.gather(*(attempt(f"64.unit-{i}") for i in range(8)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 7, answers  # 409: the token is spent, a conflict
    winner = next(body["code"] for status, body in answers if status == 200)
    assert all("already used" in body["error"] for status, body in answers if status == 409), answers
    assert await _node_codes(session, fresh_hub) == [winner]


async def test_one_node_code_racing_with_several_tokens_is_enrolled_once_and_spends_one_token(
    fresh_hub: Hub, database: str, session: aiohttp.ClientSession
) -> None:
    tokens = [create_token(database, "64") for _ in range(6)]

    async def attempt(token: str) -> tuple[int, dict[str, Any]]:
        body = {**_valid_body(token), "code": "64.unit", "level": "UNIT"}
        async with session.post(fresh_hub.url + "/enrol", json=body) as response:
            return response.status, await response.json(content_type=None)

    answers = await asyncio.gather(*(attempt(t) for t in tokens))
    assert sorted(status for status, _ in answers) == [200] + [403] * 5, answers
    assert all(body["error"].startswith("node 64.unit is already enrolled;")
               for status, body in answers if status == 403), answers
    assert await _node_codes(session, fresh_hub) == ["64.unit"]
    conn = await _db(fresh_hub)
    try:
        assert await conn.fetchval("SELECT count(*) FROM hub.enrolment_tokens WHERE used_at IS NOT NULL") == 1
    finally:
        await conn.close()


async def test_expired_token_is_refused(
    fresh_hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    token = create_token(database, "64")
    conn = await _db(fresh_hub)
    try:
        expired = await conn.execute(
            "UPDATE hub.enrolment_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
            _digest(token))
        assert expired == "UPDATE 1"
        error = refused_desk(fresh_hub, tmp_path, "64", "64", "PROVINSI", token)
        assert "expired" in error, error
        assert await _node_codes(session, fresh_hub) == []
        assert await conn.fetchval("SELECT used_at FROM hub.enrolment_tokens") is None
    finally:
        await conn.close()


async def test_unknown_token_and_token_of_another_region_are_refused(
    fresh_hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    create_token(database, "65")  # a real token exists, just not this one
    error = refused_desk(fresh_hub, tmp_path, "65", "65", "PROVINSI", "enr_" + "x" * 32)
    assert "not known" in error, error

    kaltim = create_token(database, "64")
    error = refused_desk(fresh_hub, tmp_path, "65", "65", "PROVINSI", kaltim)
    assert "token for region 64 cannot enrol a node in 65" in error, error
    # Nor may a region-64 token reach a look-alike region outside its subtree.
    error = refused_desk(fresh_hub, tmp_path, "65.01", "65.01", "KABKOTA", kaltim)
    assert "cannot enrol" in error, error

    assert await _node_codes(session, fresh_hub) == []
    conn = await _db(fresh_hub)
    try:
        assert await conn.fetchval("SELECT count(*) FROM hub.enrolment_tokens WHERE used_at IS NOT NULL") == 0
    finally:
        await conn.close()
    # The refused token still enrols a node in its own region afterwards.
    desk = start_desk(fresh_hub, tmp_path, "64", "64", "PROVINSI", token=kaltim)
    desk.process.stop()
    assert await _node_codes(session, fresh_hub) == ["64"]


async def test_hub_keeps_only_the_nodes_public_key_and_no_token_in_clear(
    fresh_hub: Hub, database: str, tmp_path: Path
) -> None:
    token = create_token(database, "64.08")
    desk = start_desk(fresh_hub, tmp_path, "64.08", "64.08", "KABKOTA", token=token)
    desk.process.stop()
    credentials = _credentials(tmp_path, "64.08")
    secret = credentials["private_key"]
    hub_key = private_key((tmp_path / "hub.key").read_text().strip())
    assert credentials["code"] == "64.08" and "secret" not in credentials
    assert credentials["hub_public_key"] == public_key_bytes(hub_key).hex()
    assert (tmp_path / "hub.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "nodes" / "64.08" / "credentials.json").stat().st_mode & 0o777 == 0o600

    conn = await _db(fresh_hub)
    try:
        node = await conn.fetchrow("SELECT n::text AS all_columns, signing_key, public_key FROM hub.nodes n")
        tokens = await conn.fetch("SELECT t::text AS all_columns, token_hash FROM hub.enrolment_tokens t")
        tables = await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'hub'")
        every_table = {
            t["table_name"]: await conn.fetchval(f'SELECT coalesce(json_agg(t)::text, \'\') FROM hub."{t[0]}" t')
            for t in tables
        }
    finally:
        await conn.close()

    assert node["signing_key"] is None
    assert bytes(node["public_key"]) == public_key_bytes(private_key(secret))
    assert secret not in node["all_columns"]
    assert [bytes(t["token_hash"]) for t in tokens] == [_digest(token)]
    assert token not in tokens[0]["all_columns"]
    token_body = token.removeprefix("enr_")
    assert {"nodes", "enrolment_tokens"} <= every_table.keys()
    for name, content in every_table.items():
        assert secret not in content, f"node private key stored in hub.{name}"
        assert (tmp_path / "hub.key").read_text().strip() not in content, f"hub private key in hub.{name}"
        assert token_body not in content, f"enrolment token stored in hub.{name}"


async def test_heartbeat_signed_with_a_wrong_secret_is_refused(
    fresh_hub: Hub, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    desk = start_desk(fresh_hub, tmp_path, "64", "64", "PROVINSI")
    desk.process.stop()  # its last heartbeat may still be written (heartbeats are written in groups)
    conn = await _db(fresh_hub)
    try:
        # The forged heartbeat says unhealthy, which the desk never does: it is told apart from the desk's own.
        body = json.dumps({"endpoint": "http://attacker.example", "healthy": False}).encode()
        headers = sign(new_private_key(), TO_HUB, "64", "POST", "/node/heartbeat", body)
        async with session.post(fresh_hub.url + "/node/heartbeat", data=body,
                                headers={**headers, "content-type": "application/json"}) as response:
            assert response.status == 401
            assert "bad signature" in (await response.json())["error"]
        after = await conn.fetchrow("SELECT endpoint, healthy FROM hub.nodes WHERE code = '64'")
    finally:
        await conn.close()
    assert after["endpoint"] == desk.url
    assert after["healthy"] is not False


async def _first_signed_answer(session: aiohttp.ClientSession, desk: Desk) -> tuple[int, str]:
    """The first answer of a node to a signed call, asked as soon as its port accepts connections (the hub calls
    a node it knows whenever it can connect)."""
    credentials = Credentials.load(desk.data_dir / "nodes" / desk.code / "credentials.json")
    assert credentials is not None
    body = json.dumps({"query": "{ health { ok } }"}).encode()
    end = time.monotonic() + 30
    while True:
        assert time.monotonic() < end, "the node never opened its port"
        headers = {**as_hub(credentials, "POST", "/graphql", body), "content-type": "application/json"}
        try:
            async with session.post(desk.url + "/graphql", data=body, headers=headers) as response:
                return response.status, await response.text()
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.001)


async def test_restarted_node_reuses_its_credentials_and_answers_signed_calls_as_soon_as_it_listens(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = bare_federation.hub
    desk = bare_federation.desks["64"] = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
    await _wait_reachable(session, hub, "64", True)
    credentials = _credentials(tmp_path, "64")
    desk.process.stop()
    await _wait_reachable(session, hub, "64", False)

    same_port = ["--port", desk.url.rsplit(":", 1)[1]]
    restarted = bare_federation.desks["64"] = replace(desk, process=ChildProcess(
        [*desk_args(hub, tmp_path, "64", "64", "PROVINSI", None), *same_port],
        env={"SIMPUL_DESK_OPERATOR_KEY": desk.operator_key}))
    status, answer = await _first_signed_answer(session, desk)
    assert (status, json.loads(answer)) == (200, {"data": {"health": {"ok": True}}}), answer
    restarted.process.wait_for(r"node \S+ serving on")
    await _wait_reachable(session, hub, "64", True)
    assert _credentials(tmp_path, "64") == credentials
    # The hub's signed queries reach the restarted node, so both ends still share the key.
    body = await graphql(session, hub.graphql_url, STATS)
    assert "errors" not in body, body
    assert body["data"]["stats"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}
    assert await _node_codes(session, hub) == ["64"]


async def test_a_node_restarted_with_the_hub_at_a_new_address_follows_it(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = bare_federation.hub
    desk = bare_federation.desks["64"] = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
    enrolled = _credentials(tmp_path, "64")
    desk.process.stop()
    await _wait_reachable(session, hub, "64", False)

    moved = Hub(hub.process, hub.url.replace("127.0.0.1", "localhost"), hub.database_url)
    bare_federation.desks["64"] = restart_desk(moved, desk)
    await _wait_reachable(session, hub, "64", True)
    assert _credentials(tmp_path, "64") == {**enrolled, "hub_url": moved.url}


async def test_node_without_token_or_credentials_exits_with_a_clear_error(fresh_hub: Hub, tmp_path: Path) -> None:
    result = run_cli(*desk_args(fresh_hub, tmp_path, "64", "64", "PROVINSI", token=None), timeout=20)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("simpul: error:")]
    assert len(errors) == 1 and "--token" in errors[0], result.stderr


def _valid_body(token: str) -> dict[str, Any]:
    return {"token": token, "code": "64", "name": "Desk Kaltim", "level": "PROVINSI", "region_code": "64",
            "parent_code": None, "categories": [], "kind": "desk", "endpoint": "http://127.0.0.1:9",
            "public_key": public_key_bytes(new_private_key()).hex()}


def _malformed(token: str) -> list[tuple[bytes, str]]:
    """Bodies the hub must refuse with 400, each with words its error has to contain."""
    valid = _valid_body(token)

    def changed(**fields: Any) -> bytes:
        return json.dumps({**valid, **fields}).encode()

    def without(field: str) -> bytes:
        return json.dumps({k: v for k, v in valid.items() if k != field}).encode()

    return [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"", "not valid JSON"),
        (json.dumps([valid]).encode(), "JSON object"),
        (b"null", "JSON object"),
        *((without(field), f"{field} is required") for field in ("token", "code", "name", "kind", "endpoint",
                                                                 "region_code")),
        (without("level"), "level must be one of"),
        (changed(level="KECAMATAN"), "level must be one of"),
        (changed(region_code="99"), "region 99 is not in the Kemendagri region tree"),
        (changed(region_code="64.08"), "PROVINSI node needs a province code"),
        (changed(level="KABKOTA"), "KABKOTA node needs a kabupaten/kota code"),
        (changed(level="PUSAT"), "PUSAT"),
        (changed(region_code="64-08"), "invalid region code"),
        (changed(region_code=64), "region_code"),
        (changed(code="Desk 64"), "invalid node code"),
        (changed(code=""), "code is required"),
        (changed(token=12345), "token is required"),
        (changed(endpoint="ftp://127.0.0.1/"), "endpoint must be an http(s) URL"),
        (changed(categories="jalan"), "categories must be a list"),
        (changed(categories=["jalan", 3]), "categories must be a list"),
        (changed(parent_code="Bad Parent"), "invalid node code"),
        (changed(name="x" * 201), "name must be at most 200 characters"),
        (changed(name="Desk\x00Kaltim"), "name must not contain NUL"),
        (changed(kind="desk\x00"), "kind must not contain NUL"),
        (changed(endpoint="http://127.0.0.1:9/\x00"), "endpoint must not contain NUL"),
        (changed(categories=["jalan\x00"]), "categories must not contain NUL"),
        (without("public_key"), "public_key must be an Ed25519 public key: 64 hex digits"),
        (changed(public_key="ab" * 31), "public_key must be an Ed25519 public key"),
        (b"[" * 50_000, "not valid JSON"),
    ]


async def test_malformed_enrolment_bodies_get_400_naming_the_problem_and_create_nothing(
    fresh_hub: Hub, database: str, session: aiohttp.ClientSession
) -> None:
    token = create_token(database, "64")
    for body, expected in _malformed(token):
        async with session.post(fresh_hub.url + "/enrol", data=body,
                                headers={"content-type": "application/json"}) as response:
            text = await response.text()
            assert response.status == 400, (body, response.status, text)
            answer = json.loads(text)
        assert expected in answer["error"], (body, answer)

    conn = await _db(fresh_hub)
    try:
        assert await conn.fetchval("SELECT count(*) FROM hub.nodes") == 0
        assert await conn.fetchval("SELECT used_at FROM hub.enrolment_tokens") is None
    finally:
        await conn.close()
    # The same token, in a well-formed body, was good all along.
    async with session.post(fresh_hub.url + "/enrol", json=_valid_body(token)) as response:
        assert response.status == 200, await response.text()
    assert await _node_codes(session, fresh_hub) == ["64"]


async def test_an_unused_token_is_listed_by_id_and_withdrawn_and_then_enrols_nothing(
    database: str, tmp_path: Path
) -> None:
    hub = start_hub(database, tmp_path)
    desk: Desk | None = None
    try:
        issued = run_cli("token", "create", "--region", "64", "--note", "Diskominfo Kutim", "--database-url", database)
        assert issued.returncode == 0, issued.stderr
        token = issued.stdout.strip()
        token_id = hashlib.sha256(token.encode()).hexdigest()[:12]

        def listed(*flags: str) -> list[list[str]]:
            result = run_cli("token", "list", *flags, "--database-url", database)
            assert result.returncode == 0 and token not in result.stdout, result.stdout + result.stderr
            return [line.split("\t") for line in result.stdout.splitlines()]

        assert [row[:3] + row[-1:] for row in listed()] == [[token_id, "enrols in 64", "open", "Diskominfo Kutim"]]
        withdrawn = run_cli("token", "withdraw", token_id, "--database-url", database)
        assert withdrawn.stdout.strip() == f"token {token_id} withdrawn; no node can use it", withdrawn.stderr
        assert [row[2] for row in listed()] == ["withdrawn"] and listed("--open") == []
        assert refused_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA", token).endswith(
            "enrolment token was withdrawn")

        desk = start_desk(hub, tmp_path, "64", "64", "PROVINSI")  # spends a token of its own
        spent = next(row[0] for row in listed() if row[2] == "used by 64")
        for token_arg, message in [
            (token_id, f"token {token_id} is withdrawn: only an open token can be withdrawn"),
            (spent, f"token {spent} is used by 64: only an open token can be withdrawn"),
            ("0" * 12, "no enrolment token 000000000000"),
            ("kutim", "a token id is 12 to 64 hex digits, as `simpul token list` shows"),
        ]:
            result = run_cli("token", "withdraw", token_arg, "--database-url", database)
            assert result.returncode == 1 and result.stderr.strip() == f"simpul: error: {message}", result.stderr

        conn = await asyncpg.connect(database)
        try:
            entry = await conn.fetchrow("SELECT target, detail::text FROM hub.audit_log"
                                        " WHERE action = 'ENROLMENT_TOKEN_WITHDRAWN'")
        finally:
            await conn.close()
        assert entry["target"] == "region 64" and token_id in entry["detail"] and token not in entry["detail"]
    finally:
        if desk is not None:
            desk.process.stop()
        hub.process.stop()
