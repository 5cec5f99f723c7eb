"""Renewing a node's key pair: a token made for one enrolled node trades a new key pair's public key for the hub's,
the old key stops working at once, and a suspended node comes back with it (docs/operations.md, Key rotation)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.hublink import token_digest
from simpul.processes import ChildProcess
from simpul.signing import TO_HUB, private_key, sign
from tests.databases import connection
from tests.federation import Desk, Federation, Hub, create_token, desk_args, graphql, refused_desk, run_cli, start_desk

SUSPEND = 'mutation($c: String!) { suspendNode(code: $c, reason: "Rahasia node bocor") { status } }'
COVERAGE = '{ stats(groupBy: [STATUS], filter: {regionPrefix: "64.08"}) { coverage { asked answered failed } } }'


def _credentials(desk: Desk) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((desk.data_dir / "nodes" / desk.code / "credentials.json").read_text())
    return data


@pytest.fixture
def enrolled(bare_federation: Federation, tmp_path: Path) -> Federation:
    """A hub of its own with Kutai Timur's desk (64.08) enrolled and stopped, for the test to start again."""
    kutim = bare_federation.desks["64.08"] = start_desk(bare_federation.hub, tmp_path, "64.08", "64.08", "KABKOTA")
    kutim.process.stop()
    return bare_federation


def _start(fed: Federation, token: str | None, renew: bool = False) -> Desk:
    """Kutai Timur's desk started again on its data folder, with `token` or none, renewing its key pair when told."""
    desk = fed.desks["64.08"]
    process = ChildProcess(_args(fed.hub, desk, token, renew), env={"SIMPUL_DESK_OPERATOR_KEY": desk.operator_key})
    fed.desks["64.08"] = replace(desk, process=process, url=process.wait_for(r"serving on (http://\S+)")[1])
    return fed.desks["64.08"]


def _args(hub: Hub, desk: Desk, token: str | None, renew: bool) -> list[str]:
    args = desk_args(hub, desk.data_dir, desk.code, desk.region, desk.level, token, desk.parent)
    return [*args, "--renew"] if renew else args


async def _heartbeat(session: aiohttp.ClientSession, hub: Hub, code: str, key: str, endpoint: str) -> int:
    """A heartbeat signed with the private key `key` (hex), as a node keeps it."""
    body = json.dumps({"endpoint": endpoint, "healthy": True}).encode()
    headers = sign(private_key(key), TO_HUB, code, "POST", "/node/heartbeat", body)
    async with session.post(hub.url + "/node/heartbeat", data=body,
                            headers={**headers, "content-type": "application/json"}) as response:
        return response.status


async def _renewals(database_url: str) -> list[asyncpg.Record]:
    async with connection(database_url) as conn:
        return await conn.fetch("SELECT target, detail::jsonb AS detail FROM hub.audit_log"
                                " WHERE action = 'NODE_SECRET_RENEWED' ORDER BY id")


async def test_a_token_made_for_a_node_renews_its_key_pair_and_the_old_key_stops_working(
    enrolled: Federation, database: str, session: aiohttp.ClientSession
) -> None:
    hub, old = enrolled.hub, _credentials(enrolled.desks["64.08"])
    token = create_token(database, node="64.08")
    desk = _start(enrolled, token)  # a token alone does not renew: an env file may keep one for good
    assert _credentials(desk) == old
    desk.process.stop()
    desk = _start(enrolled, token, renew=True)
    new, renewed_at = _credentials(desk), desk.url
    assert new["private_key"] != old["private_key"] and new["token_digest"] == token_digest(token)
    assert new["hub_public_key"] == old["hub_public_key"]

    assert await _heartbeat(session, hub, "64.08", old["private_key"], desk.url) == 401, "the old key is dead"
    assert await _heartbeat(session, hub, "64.08", new["private_key"], desk.url) == 200
    body = await graphql(session, hub.graphql_url, COVERAGE)  # the hub signs its calls with the new key
    assert body["data"]["stats"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}, body

    desk.process.stop()  # the same command line again keeps the renewed key pair and spends nothing
    desk = _start(enrolled, token, renew=True)
    assert _credentials(desk) == new

    [renewal] = await _renewals(database)
    assert renewal["target"] == "node 64.08" and json.loads(renewal["detail"]) == {
        "statusBefore": "ACTIVE", "name": "Desk 64.08", "categories": [], "categoriesBefore": [], "kind": "desk",
            "endpoint": renewed_at}

    # the answer lost: the hub renewed, the node kept its old file; the token is spent and it says what to do
    desk.process.stop()
    (desk.data_dir / "nodes" / desk.code / "credentials.json").write_text(json.dumps(old))
    result = run_cli(*_args(hub, desk, token, renew=True), timeout=30)
    assert result.returncode == 1 and "serving on" not in result.stdout, result.stdout + result.stderr
    assert result.stderr.strip().endswith(
        "enrolment token was already used; if this node used it and did not keep the answer, its key is "
        "renewed but unknown here: create another (simpul token create --node 64.08)"), result.stderr
    desk = _start(enrolled, create_token(database, node="64.08"), renew=True)
    assert await _heartbeat(session, hub, "64.08", _credentials(desk)["private_key"], desk.url) == 200


async def test_renewal_brings_a_suspended_node_back_and_refuses_what_it_must(
    enrolled: Federation, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub, desk = enrolled.hub, enrolled.desks["64.08"]
    leaked = _credentials(desk)["private_key"]
    sent_before = create_token(database, node="64.08")  # e.g. a routine rotation, over the channel that leaked
    body = await graphql(session, hub.graphql_url, SUSPEND, {"c": "64.08"})
    assert body == {"data": {"suspendNode": {"status": "SUSPENDED"}}}, body
    assert await _heartbeat(session, hub, "64.08", leaked, desk.url) == 403  # "node is suspended"

    other = tmp_path / "other"
    assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", sent_before).endswith(
        "enrolment token was withdrawn"), "suspending withdrew the renewal tokens sent before"
    plain = create_token(database, "64")
    assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", plain).endswith(
        "node 64.08 is already enrolled; a token created for it (simpul token create --node 64.08) "
        "renews its key pair")
    replaced = create_token(database, node="64.08")
    renewal = create_token(database, node="64.08")  # a newer token for the node withdraws the older
    assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", replaced).endswith(
        "enrolment token was withdrawn")
    assert refused_desk(hub, other, "64.09", "64.09", "KABKOTA", renewal).endswith(
        "this token renews node 64.08, not 64.09")
    assert refused_desk(hub, other, "64.08", "64.08", "UNIT", renewal).endswith(
        "node 64.08 is enrolled as KABKOTA in region 64.08 under no parent; a renewal keeps its place")
    async with connection(database) as conn:
        assert await conn.fetchval("SELECT status FROM hub.nodes WHERE code = '64.08'") == "SUSPENDED"
        desk = _start(enrolled, renewal, renew=True)  # the refusals above spent nothing
        assert await conn.fetchval("SELECT status FROM hub.nodes WHERE code = '64.08'") == "ACTIVE"
        expired = create_token(database, node="64.08")
        await conn.execute("UPDATE hub.enrolment_tokens SET expires_at = now() - interval '1 s'"
                           " WHERE token_hash = sha256($1::text::bytea)", expired)
    assert refused_desk(hub, other, "64.08", "64.08", "KABKOTA", expired).endswith(
        "enrolment token has expired")
    assert await _heartbeat(session, hub, "64.08", leaked, desk.url) == 401
    assert [json.loads(r["detail"])["statusBefore"] for r in await _renewals(database)] == ["SUSPENDED"]


def test_a_renewal_token_needs_an_enrolled_node(database: str) -> None:
    for args, message in [
        (["--node", "64.08"], "node 64.08 is not enrolled; a token without a node enrols it"),
        (["--node", "64 08"], "invalid node code '64 08': use a-z, 0-9, '.', '_' or '-'"),
        ([], "one of the arguments --region --node is required"),
    ]:
        result = run_cli("token", "create", *args, "--database-url", database)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert result.stdout == "", "no token printed"
