"""Abuse limits: fan-out cost, rates per principal and per address, document limits, introspection.

Every refusal happens before anything runs, so a refused request never
reaches a node: an impostor node records every call the hub makes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from graphql import get_introspection_query

from tests.federation import Federation, Hub, bearer, create_key, graphql, start_desk, start_hub
from tests.impostor import Impostor, enrol_endpoint

REPORTS = "query($r: String) { reports(scope: {regionPrefix: $r}, live: true) { coverage { asked } } }"
INDEXED = "{ reports { coverage { asked source } } }"
TRACK = '{ trackReport(trackingNumber: "TIDAK-ADA") { status } }'


def _reads(impostor: Impostor) -> list[str]:
    """The impostor's calls other than the hub's background pulls of its change feed."""
    return [call for call in impostor.calls if "changes(" not in call]


def _code(body: dict[str, object]) -> object:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    return errors[0]["extensions"]["code"]


async def test_a_scoped_caller_never_reaches_a_node_outside_its_scope(
    federation: Federation, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    await enrol_endpoint(session, federation.hub, impostor.url, "63", "63")  # Kalsel, outside Kaltim
    kaltim = bearer(await create_key(federation.hub.database_url, "admin", "64"))
    url = federation.hub.graphql_url
    for query in (REPORTS, "{ stats(groupBy: [STATUS], live: true) { total } }", '{ report(id: "63:1") { id } }',
                  INDEXED, "{ stats(groupBy: [STATUS]) { total } }", "{ nodes { code } }",
                  '{ node(code: "63") { code } }'):
        await graphql(session, url, query, headers=kaltim)
    assert _reads(impostor) == []
    await graphql(session, url, REPORTS)  # the national admin's scope includes 63: the impostor is asked
    assert len(_reads(impostor)) == 1


async def test_a_request_that_would_call_more_nodes_than_the_cost_limit_calls_none(
    database: str, tmp_path: Path, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    hub = start_hub(database, tmp_path, "--max-cost", "1")
    try:
        desk = start_desk(hub, tmp_path, "65", "65", "PROVINSI")
        await enrol_endpoint(session, hub, impostor.url, "63", "63")
        body = await graphql(session, hub.graphql_url, REPORTS)
        assert _code(body) == "COST_LIMIT" and body["data"] is None
        assert "would call 2 nodes; the limit is 1" in body["errors"][0]["message"]
        aliased = await graphql(session, hub.graphql_url, '{ a: reports(scope: {regionPrefix: "63"}, live: true) '
                                '{ coverage { asked } } b: report(id: "65:1") { id } }')
        assert _code(aliased) == "COST_LIMIT"
        assert _reads(impostor) == []
        one = await graphql(session, hub.graphql_url, REPORTS, {"r": "63"})
        assert one["data"]["reports"]["coverage"]["asked"] == 1 and len(_reads(impostor)) == 1
        # An indexed read asks no node, so it costs 1 however many nodes it covers.
        indexed = await graphql(session, hub.graphql_url, INDEXED)
        assert "errors" not in indexed, indexed
        assert indexed["data"]["reports"]["coverage"] == {"asked": 2, "source": "INDEX"}
        assert len(_reads(impostor)) == 1
        desk.process.stop()
    finally:
        hub.process.stop()


async def test_public_calls_are_limited_per_address_and_keys_per_principal(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path, "--rate-public", "3/minute", "--rate-principal", "4/minute")
    try:
        answers = [await graphql(session, hub.graphql_url, TRACK, headers={}) for _ in range(4)]
        assert [a.get("data") for a in answers[:3]] == [{"trackReport": None}] * 3
        assert _code(answers[3]) == "RATE_LIMITED" and "3 per 1 minute" in answers[3]["errors"][0]["message"]
        # A client asking for application/graphql-response+json hears the refusal as HTTP 429 (the request
        # never ran); plain application/json keeps 200, as GraphQL over HTTP asks.
        async with session.post(hub.graphql_url, json={"query": TRACK},
                                headers={"Accept": "application/graphql-response+json"}) as refused:
            assert refused.status == 429, await refused.text()
            assert _code(await refused.json(content_type=None)) == "RATE_LIMITED"

        first, second = [bearer(await create_key(hub.database_url, "supervisor", region)) for region in ("64", "65")]
        for _ in range(4):
            assert "data" in await _me(session, hub, first)
        assert _code(await _me(session, hub, first)) == "RATE_LIMITED"
        assert (await _me(session, hub, second))["data"]["me"]["regionCode"] == "65"  # a bucket of its own

        # A portal's published key: every visitor holds it, and each visitor's address has a bucket of its own.
        portal = bearer(await create_key(hub.database_url, "integrator", "64", ["stats"], published=True))
        for _ in range(4):
            assert "errors" not in await _stats(session, hub, portal)
        assert _code(await _stats(session, hub, portal)) == "RATE_LIMITED"
        visitor = {**portal, "x-forwarded-for": "10.0.0.9"}  # the hub trusts 127.0.0.1's forwarded address
        assert (await _stats(session, hub, visitor))["data"]["stats"]["total"] == 0
    finally:
        hub.process.stop()


async def _stats(session: aiohttp.ClientSession, hub: Hub, headers: dict[str, str]) -> dict[str, Any]:
    return await graphql(session, hub.graphql_url, "{ stats(groupBy: [STATUS]) { total } }", headers=headers)


async def _me(session: aiohttp.ClientSession, hub: Hub, headers: dict[str, str]) -> dict[str, object]:
    return await graphql(session, hub.graphql_url, "{ me { regionCode } }", headers=headers)


async def test_depth_alias_and_token_limits_refuse_a_document_before_it_runs(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path, "--max-depth", "2", "--max-aliases", "5", "--max-tokens", "400")
    try:
        deep = await graphql(session, hub.graphql_url, '{ report(id: "65:1") { timeline { actor } } '
                             'trackReport(trackingNumber: "X") { timeline { node } } '
                             'reports { reports { reporter { anonymous } } } }')
        assert "exceeds maximum operation depth of 2" in deep["errors"][0]["message"]
        aliases = await graphql(session, hub.graphql_url, "{ " + " ".join(f"m{i}: me {{ role }}" for i in range(6))
                                + " }")
        assert "6 aliases found. Allowed: 5" in aliases["errors"][0]["message"]
        tokens = await graphql(session, hub.graphql_url, "{ me { " + "role " * 500 + "} }")
        assert "exceeds the maximum number of tokens" in tokens["errors"][0]["message"].lower() or \
            "token" in tokens["errors"][0]["message"].lower()
        assert all(b["data"] is None for b in (deep, aliases, tokens))
    finally:
        hub.process.stop()


async def test_introspection_can_be_turned_off_for_production(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    schema_query = "{ __schema { queryType { name } } }"
    default = start_hub(database, tmp_path / "a")
    try:
        assert (await graphql(session, default.graphql_url, schema_query, headers={}))["data"] == {
            "__schema": {"queryType": {"name": "Query"}}}
        whole = await graphql(session, default.graphql_url, get_introspection_query(), headers={})
        assert "errors" not in whole, whole  # what GraphiQL asks passes the default limits
    finally:
        default.process.stop()
    closed = start_hub(database, tmp_path / "b", "--no-introspection")
    try:
        refused = await graphql(session, closed.graphql_url, schema_query)
        assert refused["data"] is None and "introspection" in refused["errors"][0]["message"].lower()
        async with session.get(closed.graphql_url, headers={"accept": "text/html"}) as response:
            assert "graphiql" not in (await response.text()).lower()
        assert (await graphql(session, closed.graphql_url, "{ me { role } }"))["data"] == {"me": {"role": "ADMIN"}}
    finally:
        closed.process.stop()


async def test_an_oversized_body_is_refused_and_every_answer_names_its_request(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path, "--max-body-bytes", "10000")
    try:
        big = {"query": "{ me { role } }", "variables": {"padding": "x" * 20_000}}
        async with session.post(hub.graphql_url, json=big) as response:
            assert response.status == 413
            body = await response.json()
            assert body["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
        async with session.post(hub.graphql_url, json={"query": "{ me { role } }"},
                                headers={"x-request-id": "portal-42"}) as response:
            assert response.status == 200 and response.headers["x-request-id"] == "portal-42"
        async with session.post(hub.graphql_url, json={"query": "{ me { role } }"},
                                headers={"x-request-id": "bad id with spaces"}) as response:
            assert len(response.headers["x-request-id"]) == 32
    finally:
        hub.process.stop()


async def test_the_cost_budget_per_minute_refuses_fan_out_and_ledger_scans_before_any_node_is_called(
    database: str, tmp_path: Path, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    hub = start_hub(database, tmp_path, "--rate-cost", "3/minute")
    try:
        await enrol_endpoint(session, hub, impostor.url, "63", "63")
        national = bearer(await create_key(hub.database_url, "supervisor"))
        for _ in range(3):  # the impostor answers in the wrong shape: it was asked, which is what counts
            asked = await graphql(session, hub.graphql_url, REPORTS, headers=national)
            assert asked["data"]["reports"]["coverage"]["asked"] == 1, asked
        assert len(_reads(impostor)) == 3
        refused = await graphql(session, hub.graphql_url, REPORTS, headers=national)
        assert _code(refused) == "RATE_LIMITED" and "budget is 3 per 1 minute" in refused["errors"][0]["message"]
        assert len(_reads(impostor)) == 3, "a refused request calls no node"
        # A ledger scan is priced too: more than a fresh caller's whole budget.
        scanner = bearer(await create_key(hub.database_url, "supervisor"))
        for scan in ("{ overdueReports { trackingNumber } }", "{ complianceZones { regionCode } }",
                     "{ ledgerChanges { trackingNumber } }"):
            assert _code(await graphql(session, hub.graphql_url, scan, headers=scanner)) == "RATE_LIMITED", scan
        assert "data" in await graphql(session, hub.graphql_url, "{ me { role } }", headers=scanner)
    finally:
        hub.process.stop()
