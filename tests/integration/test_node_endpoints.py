"""Where the hub calls a node, and over what: TLS off loopback, no link-local or metadata address, no redirect,
every endpoint change audited, nothing of a node's own error text passed to other callers; and what a node may
claim at enrolment (categories, level) is what its token grants."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from connectors.base import NodeIdentity
from connectors.hublink import Credentials, EnrolmentError, enrol, send_heartbeat
from hub.federation.client import node_session
from simpul.processes import ChildProcess
from simpul.wire import NodeLevel
from tests.certificates import Certificates, make_certificates
from tests.federation import Hub, create_token, desk_args, eventually, graphql, run_cli, start_hub

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Serve = Callable[[Handler], Awaitable[str]]

SECRET_TEXT = "kontak 081234567890 tidak valid"  # what a node's system might say: never for other callers
NODES = "{ nodes { code callError } }"
ROUTE = "query($r: RouteInput!) { routeReport(report: $r) { target reason } }"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def hub(module_database: str, certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One hub for the module, trusting the test CA for node certificates (--node-ca-file)."""
    running = start_hub(module_database, tmp_path_factory.mktemp("hub"), "--node-ca-file", str(certificates.ca))
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start in-test HTTP servers on free 127.0.0.1 ports, answering every request with a handler."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    try:
        yield start
    finally:
        for runner in runners:
            await runner.cleanup()


def _identity(code: str, region: str = "63", level: NodeLevel = NodeLevel.PROVINSI,
              categories: tuple[str, ...] = ()) -> NodeIdentity:
    return NodeIdentity(code=code, name=f"Node {code}", level=level, region_code=region, kind="custom",
                        categories=categories)


async def _enrol(session: aiohttp.ClientSession, hub: Hub, identity: NodeIdentity, endpoint: str,
                 token: str | None = None) -> Credentials:
    """Enrol as a node does (connectors/hublink.py), with a fresh token for the node's region unless given."""
    return await enrol(session, hub.url, token or create_token(hub.database_url, identity.region_code), identity,
                       endpoint, attempts=1)


async def _refused_enrolment(session: aiohttp.ClientSession, hub: Hub, identity: NodeIdentity, endpoint: str,
                             token: str | None = None) -> tuple[int | None, str]:
    with pytest.raises(EnrolmentError) as refused:
        await _enrol(session, hub, identity, endpoint, token)
    return refused.value.status, str(refused.value)


async def _nodes(session: aiohttp.ClientSession, hub: Hub) -> dict[str, str | None]:
    body = await graphql(session, hub.graphql_url, NODES)
    assert "errors" not in body, body
    return {n["code"]: n["callError"] for n in body["data"]["nodes"]}


BAD_ENDPOINTS = [
    ("http://unit.example", "must be https off loopback (plain http needs the hub's --allow-insecure-nodes)"),
    ("http://169.254.169.254/", "is a link-local or cloud metadata address"),
    ("https://[fe80::1]:8100", "is a link-local or cloud metadata address"),
    ("https://[fd00:ec2::254]", "is a link-local or cloud metadata address"),
    ("https://metadata.google.internal", "is a link-local or cloud metadata address"),
    ("https://2852039166", "resolves to a link-local or cloud metadata address"),  # 169.254.169.254 as one number
    ("http://u:p@127.0.0.1:9/", "must not carry a user or password"),
    ("https://unit.example/graphql?x=", "must not have a query or fragment"),
    ("https://unit.example/#", "must not have a query or fragment"),
]


async def test_enrolment_and_heartbeats_refuse_endpoints_that_are_not_tls_or_reach_link_local_or_metadata(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    token = create_token(hub.database_url, "63")  # a refused endpoint spends no token
    for endpoint, problem in BAD_ENDPOINTS:
        status, message = await _refused_enrolment(session, hub, _identity("63.dinkes"), endpoint, token)
        assert status == 400 and message == f"hub refused enrolment: endpoint {problem}: {endpoint}", message
    assert "63.dinkes" not in await _nodes(session, hub)

    credentials = await _enrol(session, hub, _identity("63.pu"), "http://127.0.0.1:9", token)  # loopback: http
    for endpoint, _ in BAD_ENDPOINTS:
        assert (await send_heartbeat(session, credentials, endpoint, True)).status == 400, endpoint
    conn = await asyncpg.connect(hub.database_url)
    try:
        assert await conn.fetchval("SELECT endpoint FROM hub.nodes WHERE code = '63.pu'") == "http://127.0.0.1:9"
    finally:
        await conn.close()


async def test_an_endpoint_stored_before_the_rules_is_not_called(hub: Hub, session: aiohttp.ClientSession) -> None:
    await _enrol(session, hub, _identity("63.lama"), "http://127.0.0.1:9")
    conn = await asyncpg.connect(hub.database_url)
    try:  # as a hub of an earlier version accepted it
        await conn.execute("UPDATE hub.nodes SET endpoint = 'http://169.254.169.254' WHERE code = '63.lama'")
    finally:
        await conn.close()

    async def failed() -> str | None:  # its first pull, at the old address, may have failed already: wait for this
        error = (await _nodes(session, hub)).get("63.lama")
        return error if error and "169.254" in error else None

    assert await eventually(failed) == ("NODE_UNAVAILABLE: node 63.lama is not called: endpoint is a link-local or "
                                        "cloud metadata address: http://169.254.169.254")


async def test_an_endpoint_moved_by_heartbeat_is_audited_with_the_old_and_new_address(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    credentials = await _enrol(session, hub, _identity("63.bpbd"), "http://127.0.0.1:9")
    assert (await send_heartbeat(session, credentials, "http://127.0.0.1:9/", True)).status == 200  # the same place
    assert (await send_heartbeat(session, credentials, "http://127.0.0.2:9", True)).status == 200
    conn = await asyncpg.connect(hub.database_url)
    try:
        rows = await conn.fetch("SELECT actor, target, region_code, detail::text FROM hub.audit_log"
                                " WHERE action = 'NODE_ENDPOINT_CHANGED' AND target = 'node 63.bpbd'")
        assert [(r["actor"], r["region_code"], json.loads(r["detail"])) for r in rows] == [
            ("node 63.bpbd", "63", {"from": "http://127.0.0.1:9", "to": "http://127.0.0.2:9"})]
    finally:
        await conn.close()


async def test_a_node_answering_a_redirect_is_a_bad_response_and_the_hub_never_follows_it(
    hub: Hub, session: aiohttp.ClientSession, serve: Serve
) -> None:
    canary: list[str] = []
    asked: list[str] = []

    async def metadata(request: web.Request) -> web.Response:
        canary.append(request.path)
        return web.json_response({"AccessKeyId": "bocor"})

    canary_url = await serve(metadata)

    async def redirecting(request: web.Request) -> web.Response:
        asked.append(request.path)
        raise web.HTTPFound(canary_url + "/latest/meta-data/iam/security-credentials/")

    endpoint = await serve(redirecting)
    credentials = await _enrol(session, hub, _identity("63.redirect"), endpoint)
    # the hub calls a node it first hears
    assert (await send_heartbeat(session, credentials, endpoint, True)).status == 200

    async def failed() -> str | None:
        return (await _nodes(session, hub)).get("63.redirect")

    error = await eventually(failed)
    assert error == "NODE_BAD_RESPONSE: node 63.redirect answered HTTP 302 (a redirect)", error
    assert asked and canary == []


async def _endpoint(hub: Hub, code: str) -> str:
    conn = await asyncpg.connect(hub.database_url)
    try:
        endpoint: str = await conn.fetchval("SELECT endpoint FROM hub.nodes WHERE code = $1", code)
        return endpoint
    finally:
        await conn.close()


async def test_a_nodes_own_error_text_never_reaches_another_callers_answer(
    hub: Hub, session: aiohttp.ClientSession, serve: Serve
) -> None:
    async def blabbing(request: web.Request) -> web.Response:
        query = str((await request.json()).get("query", ""))
        if "CountReports" in query:  # an answer, with a failure below it in the node's own words
            return web.json_response({"data": {"stats": []}, "errors": [
                {"message": SECRET_TEXT, "extensions": {"node": "63.below", "code": "NODE_ERROR"}}]})
        return web.json_response({"data": None, "errors": [{"message": SECRET_TEXT}]}, status=500)

    endpoint = await serve(blabbing)
    credentials = await _enrol(session, hub, _identity("63.blab"), endpoint)
    assert (await send_heartbeat(session, credentials, endpoint, True)).status == 200

    async def failed() -> str | None:
        return (await _nodes(session, hub)).get("63.blab")

    assert await eventually(failed) == "NODE_ERROR: node 63.blab answered HTTP 500 with an error"
    body = await graphql(session, hub.graphql_url, "{ stats(groupBy: [STATUS], live: true,"
                         ' scope: {nodeCodes: ["63.blab"]}) { coverage { failed } } }')
    assert body["data"]["stats"]["coverage"]["failed"] == ["63.below"], body
    assert [e["message"] for e in body["errors"]] == ["node 63.below answered with an error"], body
    assert "0812" not in json.dumps(body)


async def test_a_node_serving_https_is_called_by_a_hub_trusting_its_ca_and_refused_by_one_that_does_not(
    hub: Hub, session: aiohttp.ClientSession, certificates: Certificates, tmp_path: Path
) -> None:
    args = desk_args(hub, tmp_path, "63", "63", "PROVINSI", create_token(hub.database_url, "63", level="PROVINSI"))
    desk = ChildProcess([*args, "--tls-cert", str(certificates.cert), "--tls-key", str(certificates.key)])
    try:
        url = desk.wait_for(r"node \S+ serving on (https://127\.0\.0\.1:\d+)")[1]
        assert await _endpoint(hub, "63") == url

        async def reachable() -> bool:
            body = await graphql(session, hub.graphql_url, '{ node(code: "63") { reachable callError } }')
            return bool(body["data"]["node"]["reachable"])

        await eventually(reachable)
        body = await graphql(session, hub.graphql_url, '{ report(id: "63:1") { id } }')  # asked of the node now
        assert body == {"data": {"report": None}}, body

        async with node_session(5.0) as untrusting:  # the hub's session without the CA setting
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await untrusting.get(url + "/healthz")
        async with node_session(5.0, certificates.ca) as trusting, trusting.get(url + "/healthz") as answer:
            assert answer.status == 200
    finally:
        desk.stop()


def test_a_node_refuses_to_enrol_with_a_plain_http_hub_off_loopback(hub: Hub, tmp_path: Path) -> None:
    args = desk_args(replace(hub, url="http://hub.example:8000"), tmp_path, "63", "63", "PROVINSI", "enr_x")
    result = run_cli(*args, timeout=30)
    assert result.returncode == 1 and result.stderr.strip().splitlines()[-1] == (
        "simpul: error: hub URL must be https off loopback (plain http needs the node's --allow-insecure-hub): "
        "http://hub.example:8000"), result.stderr


async def test_a_node_claims_only_the_categories_and_level_its_token_grants(
    hub: Hub, session: aiohttp.ClientSession
) -> None:
    token = create_token(hub.database_url, "64.08", categories=["kesehatan"], level="UNIT")
    dinkes = _identity("64.08.dinkes", "64.08", NodeLevel.UNIT, ("kesehatan", "korupsi"))
    assert await _refused_enrolment(session, hub, dinkes, "http://127.0.0.1:9", token) == (
        403, "hub refused enrolment: enrolment token does not grant category korupsi (it grants kesehatan)")
    assert await _refused_enrolment(session, hub, replace(dinkes, level=NodeLevel.KABKOTA, categories=()),
                                    "http://127.0.0.1:9", token) == (
        403, "hub refused enrolment: enrolment token is for a UNIT node, not KABKOTA")
    credentials = await _enrol(session, hub, replace(dinkes, categories=("kesehatan",)), "http://127.0.0.1:9", token)
    assert (await send_heartbeat(session, credentials, "http://127.0.0.1:9", True)).status == 200

    renewal = create_token(hub.database_url, node="64.08.dinkes")  # grants what the node has: kesehatan
    assert await _refused_enrolment(session, hub, dinkes, "http://127.0.0.1:9", renewal) == (
        403, "hub refused enrolment: enrolment token does not grant category korupsi (it grants kesehatan)")

    async def target(category: str) -> Any:
        body = await graphql(session, hub.graphql_url, ROUTE,
                             {"r": {"regionCode": "64.08.01", "category": category}})
        assert "errors" not in body, body
        return body["data"]["routeReport"]["target"]

    assert await target("kesehatan") == "64.08.dinkes"
    assert await target("korupsi") != "64.08.dinkes"
