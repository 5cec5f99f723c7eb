"""/graphql as the GraphQL over HTTP specification and graphql-transport-ws say, checked with the reference
tools: graphql-http's server audit and graphql-ws's client (tests/js), against one live hub and desk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.federation import Federation, bearer, create_key, graphql, national_admin
from tests.graphql_ws import registered
from tests.reference_clients import WsClient, audit_server

GRAPHQL_RESPONSE = "application/graphql-response+json"
EVENTS = "subscription { events(types: [REPORT_FORWARDED]) { type trackingNumber node detail } }"
SUBMIT = """
mutation Submit($report: SubmitReportInput!) { submitReport(report: $report) { trackingNumber } }
"""


@dataclass
class Answer:
    status: int
    content_type: str
    headers: dict[str, str]
    body: Any


async def _send(session: aiohttp.ClientSession, method: str, url: str, *, json: Any = None, data: bytes | None = None,
                params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Answer:
    async with session.request(method, url, json=json, data=data, params=params, headers=headers) as response:
        text = await response.text()
        body = await response.json(content_type=None) if text.startswith("{") else text
        return Answer(response.status, response.content_type, dict(response.headers), body)


async def test_every_audit_of_graphql_http_passes_for_the_public(kaltim_federation: Federation) -> None:
    results = await audit_server(kaltim_federation.hub.graphql_url)

    assert len(results) > 50, results
    failed = [r for r in results if r["status"] != "ok"]
    assert not failed, failed  # MUST (error), SHOULD (warn) and MAY (notice) alike
    assert {r["name"].split()[0] for r in results} == {"MUST", "SHOULD", "MAY"}


async def test_accept_chooses_the_media_type_and_with_it_the_status_of_request_errors(
    kaltim_federation: Federation, session: aiohttp.ClientSession
) -> None:
    url = kaltim_federation.hub.graphql_url
    modern = {"accept": GRAPHQL_RESPONSE}
    legacy = {"accept": "application/json"}
    admin = await national_admin(url)

    broken = await _send(session, "POST", url, json={"query": "{ me { role "}, headers=modern)
    assert (broken.status, broken.content_type) == (400, GRAPHQL_RESPONSE)
    assert "data" not in broken.body and broken.body["errors"][0]["message"].startswith("Syntax Error")
    invalid = await _send(session, "POST", url, json={"query": "{ nosuchfield }"}, headers=modern)
    assert invalid.status == 400 and "data" not in invalid.body
    coercion = await _send(session, "POST", url, json={"query": "query($id: ID!) { report(id: $id) { id } }",
                                                      "variables": {"id": None}}, headers={**modern, **admin})
    assert coercion.status == 400 and "data" not in coercion.body

    public = await _send(session, "POST", url, json={"query": "{ nodes { code } }"}, headers=modern)
    assert public.status == 401 and public.headers["WWW-Authenticate"] == "Bearer"
    assert public.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    supervisor = bearer(await create_key(kaltim_federation.hub.database_url, "supervisor", "64"))
    removal = 'mutation { removeHoliday(day: "2031-01-02") { day } }'
    forbidden = await _send(session, "POST", url, json={"query": removal}, headers={**modern, **supervisor})
    assert forbidden.status == 403 and forbidden.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # A field error is a partial success: the data that came, the error beside it, 200.
    partial = await _send(session, "POST", url, json={"query": '{ me { role } report(id: "no-colon") { id } }'},
                          headers={**modern, **admin})
    assert partial.status == 200 and partial.body["data"]["me"] == {"role": "ADMIN"}, partial
    assert partial.body["errors"][0]["path"] == ["report"]

    # application/json (and no Accept, or */*) is the legacy answer: every GraphQL response is a 200.
    for headers in (legacy, {"accept": "*/*"}, {"accept": "text/html;q=0.9, application/*;q=0.8"}):
        old = await _send(session, "POST", url, json={"query": "{ me { role "}, headers=headers)
        assert (old.status, old.content_type) == (200, "application/json"), headers
        assert old.body["data"] is None and old.body["errors"]
    preferred = await _send(session, "POST", url, json={"query": "{ __typename }"},
                            headers={"accept": f"application/json;q=0.9, {GRAPHQL_RESPONSE}"})
    assert preferred.content_type == GRAPHQL_RESPONSE
    assert preferred.headers["Content-Type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    refused_modern = await _send(session, "POST", url, json={"query": "{ __typename }"},
                                 headers={"accept": f"{GRAPHQL_RESPONSE};q=0, application/json"})
    assert refused_modern.content_type == "application/json"


async def test_what_is_not_a_graphql_request_is_refused_before_graphql_with_the_right_status(
    kaltim_federation: Federation, session: aiohttp.ClientSession
) -> None:
    url = kaltim_federation.hub.graphql_url
    admin = await national_admin(url)

    not_acceptable = await _send(session, "POST", url, json={"query": "{ __typename }"}, headers={"accept": "text/csv"})
    assert not_acceptable.status == 406 and not_acceptable.content_type == "application/json"
    assert not_acceptable.body["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"

    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", None):
        headers = {"content-type": content_type} if content_type else {}
        answer = await _send(session, "POST", url, data=b'{"query": "{ __typename }"}', headers=headers)
        assert answer.status == 415, content_type
        assert answer.body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"

    # GET runs queries; a mutation sent with GET runs nothing and says to POST it.
    mutation = 'mutation { issueApiKey(key: {role: SUPERVISOR, name: "by GET", regionCode: "64"}) { secret } }'
    by_get = await _send(session, "GET", url, params={"query": mutation}, headers=admin)
    assert by_get.status == 405 and by_get.headers["Allow"] == "POST", by_get
    keys = await graphql(session, url, "{ apiKeys { name } }")
    assert "by GET" not in [k["name"] for k in keys["data"]["apiKeys"]], keys
    assert "errors" not in await graphql(session, url, mutation)  # the same mutation, POSTed, runs
    query = await _send(session, "GET", url, params={"query": "{ me { role } }"}, headers={**admin,
                                                                                          "accept": GRAPHQL_RESPONSE})
    assert (query.status, query.body) == (200, {"data": {"me": {"role": "ADMIN"}}})
    empty = await _send(session, "GET", url, params={"query": "{ __typename }", "operationName": "", "variables": "",
                                                     "extensions": ""})
    assert (empty.status, empty.body) == (200, {"data": {"__typename": "Query"}})  # empty is as if left out
    put = await _send(session, "PUT", url, json={"query": "{ __typename }"})
    assert put.status == 405 and put.headers["Allow"] == "GET, POST"

    not_json = await _send(session, "POST", url, data=b"{query", headers={"content-type": "application/json"})
    assert not_json.status == 400 and not_json.body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    # A hub without trusted documents tells a persisted query client to send the query (Apollo's convention).
    persisted = await _send(session, "POST", url, json={"extensions": {"persistedQuery": {
        "version": 1, "sha256Hash": "0" * 64}}}, headers={"accept": "application/json"})
    assert persisted.status == 200
    assert persisted.body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_graphql_ws_client_hears_a_forwarded_report_and_completes(
    kaltim_federation: Federation, session: aiohttp.ClientSession
) -> None:
    key = await create_key(kaltim_federation.hub.database_url, "supervisor", "64")
    client = await WsClient.start(kaltim_federation.hub.graphql_url, {"query": EVENTS}, f"Bearer {key}", count=1,
                                  keep_alive_ms=100)
    try:
        await client.wait_for(lambda line: "connected" in line)
        await client.wait_for(lambda line: "pong" in line)  # keep-alive: the client pings, the hub answers
        await registered(session, kaltim_federation.hub.url, 1)  # the hub counts this subscription: events reach it
        submitted = await graphql(session, kaltim_federation.hub.graphql_url, SUBMIT, {"report": {
            "kind": "PENGADUAN", "title": "Jalan rusak", "body": "Jalan poros berlubang.", "category": "jalan",
            "regionCode": "64.08"}}, headers={})
        tracking = submitted["data"]["submitReport"]["trackingNumber"]

        lines = await client.finished()
    finally:
        await client.stop()
    [event] = [line["next"]["data"]["events"] for line in lines if "next" in line]
    assert event == {"type": "REPORT_FORWARDED", "trackingNumber": tracking, "node": "64", "detail": "ROUTED"}
    assert {"completed": "by the client"} in lines
    assert lines[-1] == {"closed": 1000, "reason": "Normal Closure"}


async def test_graphql_ws_client_with_a_bad_key_is_closed_with_4403_and_without_one_is_the_public(
    kaltim_federation: Federation,
) -> None:
    bad = await WsClient.start(kaltim_federation.hub.graphql_url, {"query": EVENTS}, "Bearer smp_not-a-key")
    public = await WsClient.start(kaltim_federation.hub.graphql_url, {"query": EVENTS})
    try:
        refused, anonymous = await asyncio.gather(bad.finished(), public.finished())
    finally:
        await bad.stop()
        await public.stop()
    assert {"closed": 4403, "reason": "Forbidden"} in refused
    assert not any("connected" in line for line in refused)
    assert {"connected": True} in anonymous
    [errors] = [line["errors"] for line in anonymous if "errors" in line]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _close_code(session: aiohttp.ClientSession, url: str, messages: list[dict[str, Any]],
                      protocol: str = "graphql-transport-ws") -> int | None:
    """Send `messages` on a fresh WebSocket of `protocol`; the code the hub closes it with."""
    async with session.ws_connect(url.replace("http", "ws", 1), protocols=(protocol,)) as ws:
        for message in messages:
            await ws.send_json(message)
        async with asyncio.timeout(5):
            async for _ in ws:
                pass
        return ws.close_code


async def test_protocol_violations_close_the_socket_with_the_codes_graphql_ws_defines(
    kaltim_federation: Federation, session: aiohttp.ClientSession
) -> None:
    url = kaltim_federation.hub.graphql_url
    init = {"type": "connection_init", "payload": await national_admin(url)}
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}
    assert await _close_code(session, url, [subscribe]) == 4401  # subscribe before connection_init
    assert await _close_code(session, url, [init, init]) == 4429  # too many initialisation requests
    assert await _close_code(session, url, [init, subscribe, subscribe]) == 4409  # subscriber already exists
    assert await _close_code(session, url, [init, {"type": "nonsense"}]) == 4400
    # the legacy subscriptions-transport-ws protocol is not served (it would bypass trusted documents)
    assert await _close_code(session, url, [init], protocol="graphql-ws") == 4406
