"""Renewing a node's secret: a token made for one enrolled node trades for a new secret, the old one
stops working at once, and a suspended node comes back with it (docs/operations.md, Key rotation)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from connectors.hublink import token_digest
from simpul.processes import ChildProcess
from simpul.signing import sign, signing_key
from tests.federation import Desk, Hub, create_token, desk_args, graphql, refused_desk, run_cli, start_desk, start_hub

COVERAGE = '{ stats(groupBy: [STATUS], filter: {regionPrefix: "64.08"}) { coverage { asked answered failed } } }'


def _credentials(desk: Desk) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((desk.data_dir / "nodes" / desk.code / "credentials.json").read_text())
    return data


def _start(hub: Hub, desk: Desk, token: str | None) -> Desk:
    """The desk started again on its data folder, with `token` or none."""
    args = desk_args(hub, desk.data_dir, desk.code, desk.region, desk.level, token, desk.parent)
    process = ChildProcess(args, env={"SIMPUL_DESK_OPERATOR_KEY": desk.operator_key})
    return replace(desk, process=process, url=process.wait_for(r"serving on (http://\S+)")[1])


async def _heartbeat(session: aiohttp.ClientSession, hub: Hub, code: str, secret: str, endpoint: str) -> int:
    body = json.dumps({"endpoint": endpoint, "healthy": True}).encode()
    headers = sign(signing_key(secret), code, "POST", "/node/heartbeat", body)
    async with session.post(hub.url + "/node/heartbeat", data=body,
                            headers={**headers, "content-type": "application/json"}) as response:
        return response.status


async def _renewals(database_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch("SELECT target, detail::jsonb AS detail FROM hub.audit_log"
                                " WHERE action = 'NODE_SECRET_RENEWED' ORDER BY id")
    finally:
        await conn.close()


async def test_a_token_made_for_a_node_renews_its_secret_and_the_old_secret_stops_working(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path)
    desk = start_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA")
    try:
        old = _credentials(desk)
        desk.process.stop()
        token = create_token(database, node="64.08")
        desk = _start(hub, desk, token)
        new = _credentials(desk)
        assert new["secret"] != old["secret"] and new["token_digest"] == token_digest(token)
        assert new["token_digest"] != old["token_digest"]

        assert await _heartbeat(session, hub, "64.08", old["secret"], desk.url) == 401, "the old secret is dead"
        assert await _heartbeat(session, hub, "64.08", new["secret"], desk.url) == 200
        body = await graphql(session, hub.graphql_url, COVERAGE)  # the hub signs its calls with the new key
        assert body["data"]["stats"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}, body

        desk.process.stop()  # a restart with the same token keeps the renewed secret and spends nothing
        desk = _start(hub, desk, token)
        assert _credentials(desk) == new

        # credentials written before renewals existed do not say which token they came from: the hub's
        # "already used" tells the node this is that token, and it keeps its secret
        desk.process.stop()
        path = desk.data_dir / "nodes" / desk.code / "credentials.json"
        path.write_text(json.dumps({k: v for k, v in new.items() if k != "token_digest"}))
        desk = _start(hub, desk, token)
        assert _credentials(desk) == new

        renewals = await _renewals(database)
        assert [(r["target"], json.loads(r["detail"])["statusBefore"]) for r in renewals] == [
            ("node 64.08", "ACTIVE")]
    finally:
        desk.process.stop()
        hub.process.stop()


async def test_renewal_brings_a_suspended_node_back_and_refuses_what_it_must(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path)
    desk = start_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA")
    try:
        leaked = _credentials(desk)["secret"]
        desk.process.stop()
        conn = await asyncpg.connect(database)
        try:
            await conn.execute("UPDATE hub.nodes SET status = 'SUSPENDED' WHERE code = '64.08'")
            assert await _heartbeat(session, hub, "64.08", leaked, desk.url) == 403  # "node is suspended"

            other = tmp_path / "other"
            plain = create_token(database, "64")
            assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", plain).endswith(
                "node 64.08 is already enrolled; a token created for it (simpul token create --node 64.08) "
                "renews its secret")
            renewal = create_token(database, node="64.08")
            assert refused_desk(hub, other, "64.09", "64.09", "KABKOTA", renewal).endswith(
                "this token renews node 64.08, not 64.09")
            assert refused_desk(hub, other, "64.08", "64.08", "UNIT", renewal).endswith(
                "node 64.08 is enrolled as KABKOTA in region 64.08 under no parent; a renewal keeps its place")
            expired = create_token(database, node="64.08", ttl="1s")
            await conn.execute("UPDATE hub.enrolment_tokens SET expires_at = now() - interval '1 s'"
                               " WHERE node_code = '64.08' AND used_at IS NULL AND expires_at < now() + interval '1 h'")
            assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", expired).endswith(
                "enrolment token has expired")
            assert await conn.fetchval("SELECT status FROM hub.nodes WHERE code = '64.08'") == "SUSPENDED"

            desk = _start(hub, desk, renewal)  # the refusals above spent nothing
            assert await conn.fetchval("SELECT status FROM hub.nodes WHERE code = '64.08'") == "ACTIVE"
        finally:
            await conn.close()
        assert await _heartbeat(session, hub, "64.08", leaked, desk.url) == 401
        renewals = await _renewals(database)
        assert [json.loads(r["detail"])["statusBefore"] for r in renewals] == ["SUSPENDED"]
    finally:
        desk.process.stop()
        hub.process.stop()


def test_a_renewal_token_needs_an_enrolled_node_in_the_region_asked(database: str) -> None:
    for args, message in [
        (["--node", "64.08"], "node 64.08 is not enrolled; a token without a node enrols it"),
        (["--node", "64 08"], "node code"),
        ([], "one of the arguments --region --node is required"),
    ]:
        result = run_cli("token", "create", *args, "--database-url", database)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert result.stdout == "", "no token printed"
