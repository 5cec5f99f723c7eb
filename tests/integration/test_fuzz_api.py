"""Hostile input at the hub's GraphQL API: generated documents and raw garbage never get a 500 or a crash.

One live federation takes about three hundred requests: documents generated
from schema/hub.graphql (valid ones, and ones with one schema violation) sent
as the national admin, an integrator and the public; known documents with
variables of every JSON shape; and bodies, content types, methods and query
strings no client should send. Every answer is below 500, every JSON answer
has `data` or `errors`, an internal error's id is in the hub's log, and the
hub and every desk still answer afterwards.
"""

from __future__ import annotations

import asyncio
import http.client
import json
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from graphql import NameNode, ObjectFieldNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from hub.access.policy import INTEGRATOR_OPERATIONS
from hub.settings import HubSettings
from tests.federation import Federation, bearer, create_key, graphql, national_admin

SCHEMA = (Path(__file__).parents[2] / "schema" / "hub.graphql").read_text(encoding="utf-8")

# Revoking keys at random would revoke the fuzzer's own; revokeApiKey gets garbage ids below instead.
MUTATIONS = ["submitReport", "login", "logout", "addRoutingRule", "removeRoutingRule", "reassignReport",
             "retryDelivery", "rerouteReport", "addHoliday", "removeHoliday", "acceptForwardedReport",
             "issueApiKey", "createUser"]

_ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-12, minutes=-30))])
SCALARS = {
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(nodes.String),
    "DateTime": st.one_of(st.datetimes(timezones=_ZONES).map(lambda t: t.isoformat()),
                          st.text(max_size=30)).map(nodes.String),
    # _entities representations: {__typename: ..., <key>: ...}, well formed or not
    "_Any": st.dictionaries(st.sampled_from(["__typename", "id", "code", "title"]),
                            st.sampled_from(["Report", "Node", "Query", "64.08:1", "65:1", "64.08", "\x00", ""])
                            | st.text(max_size=20), max_size=3)
    .map(lambda r: nodes.Object([ObjectFieldNode(name=NameNode(value=k), value=nodes.String(v))
                                 for k, v in r.items()])),
}

# Known documents whose variables the fuzzer fills with any JSON at all.
WITH_VARIABLES = [
    "query($scope: Scope, $filter: ReportFilter, $first: Int!, $after: String) { reports(scope: $scope, "
    "filter: $filter, first: $first, after: $after) { reports { id status } pageInfo { endCursor } } }",
    "query($g: [Dimension!]!, $level: Int!, $filter: ReportFilter) { stats(groupBy: $g, regionLevel: $level, "
    "filter: $filter) { total } }",
    "query($id: ID!) { report(id: $id) { id } }",
    "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Report { id } } }",
    "query($year: Int!, $region: String) { holidays(year: $year, region: $region) { day } }",
    "query($asOf: DateTime, $r: String) { overdueReports(asOf: $asOf, regionPrefix: $r) { trackingNumber } }",
    "query($first: Int!, $before: Int, $action: String) { auditLog(first: $first, before: $before, "
    "action: $action) { id } }",
    "mutation($r: SubmitReportInput!, $key: String) { submitReport(report: $r, idempotencyKey: $key) "
    "{ trackingNumber } }",
    "mutation($day: Date!, $name: String!) { addHoliday(day: $day, name: $name) { day } }",
    "mutation($id: Int!) { revokeApiKey(id: $id) { id } }",
    "mutation($key: String!, $r: ParentReportInput!) { acceptForwardedReport(idempotencyKey: $key, report: $r) "
    "{ trackingNumber } }",
]
VARIABLE_NAMES = ["scope", "filter", "first", "after", "g", "level", "id", "year", "region", "asOf", "r", "before",
                  "action", "key", "day", "name"]

_leaves = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
                    st.sampled_from(["64.08", "PENGADUAN", "STATUS", "2026-08-17", "2026-08-17T09:00:00+08:00",
                                     "64.08:1", "", "\x00", "x" * 5000]))
JSON_VALUES = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12) | st.sampled_from(
                               ["regionPrefix", "nodeCodes", "level", "status", "kind", "title", "body",
                                "category", "regionCode", "receivedAt", "sourceId", "trackingNumber"]),
                               inner, max_size=6), max_leaves=12)


def _nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


# Requests no client should send: (method, path and query, content type, body).
GARBAGE: list[tuple[str, str, str | None, bytes]] = [
    ("POST", "/graphql", "application/json", b"{"),
    ("POST", "/graphql", "application/json", b""),
    ("POST", "/graphql", "application/json", b"\xff\xfe\x00garbage"),
    ("POST", "/graphql", "application/json", b"[]"),
    ("POST", "/graphql", "application/json", b'[{"query": "{ me { role } }"}]'),
    ("POST", "/graphql", "application/json", b"42"),
    ("POST", "/graphql", "application/json", b'"{ me { role } }"'),
    ("POST", "/graphql", "application/json", b"null"),
    ("POST", "/graphql", "application/json", b'{"query": 5}'),
    ("POST", "/graphql", "application/json", b'{"query": null}'),
    ("POST", "/graphql", "application/json", b'{"query": ["{ me { role } }"]}'),
    ("POST", "/graphql", "application/json", b'{"query": "{ me { role } }", "variables": [1, 2]}'),
    ("POST", "/graphql", "application/json", b'{"query": "{ me { role } }", "variables": "x"}'),
    ("POST", "/graphql", "application/json", b'{"query": "{ me { role } }", "operationName": 7}'),
    ("POST", "/graphql", "application/json", b'{"query": "query A { me { role } }", "operationName": "B"}'),
    ("POST", "/graphql", "application/json", b'{"query": "query A { me { role } } query B { me { name } }"}'),
    ("POST", "/graphql", "application/json", b'{"query": "{ me { role } }", "extensions": "x"}'),
    ("POST", "/graphql", "application/json", b'{"query": "{ me { role } }", "extensions": {"persistedQuery": 1}}'),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "query($f: Int!) { reports(first: $f) { reports { id } } }",
                 "variables": {"f": 10**40}}).encode()),
    ("POST", "/graphql", "application/json",
     b'{"query": "{ reports(first: 100000000000000000000000000000) { reports { id } } }"}'),
    ("POST", "/graphql", "application/json",
     b'{"query": "{ auditLog(before: -99999999999999999999) { id } }"}'),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "mutation($id: Int!) { revokeApiKey(id: $id) { id } }",
                 "variables": {"id": 2**31}}).encode()),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "mutation($id: Int!) { revokeApiKey(id: $id) { id } }",
                 "variables": {"id": -(2**31)}}).encode()),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "{ holidays(year: 2147483647) { day } }"}).encode()),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "query($g: [Dimension!]!) { stats(groupBy: $g) { total } }"}).encode()[:-1]
     + b', "variables": {"g": ' + _nested_list(100_000).encode() + b"}}"),
    ("POST", "/graphql", "application/json",
     b'{"query": "{ stats(groupBy: ' + _nested_list(5_000).encode() + b') { total } }"}'),
    ("POST", "/graphql", "application/json", b'{"query": "' + b"{ me " * 3000 + b'"}'),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "{ trackReport(trackingNumber: \"" + "A" * 2_000_000 + "\") { status } }"}).encode()),
    ("POST", "/graphql", "application/json",
     json.dumps({"query": "query($t: String!) { trackReport(trackingNumber: $t) { status } }",
                 "variables": {"t": "\x00" + "Z" * 1_000_000}}).encode()),
    ("POST", "/graphql", "application/json", json.dumps({"query": "#" + "x" * 3_000_000}).encode()),
    ("POST", "/graphql", "text/plain", b"{ me { role } }"),
    ("POST", "/graphql", "application/graphql", b"{ me { role } }"),
    ("POST", "/graphql", "application/x-www-form-urlencoded", b"query=%7B+me+%7B+role+%7D+%7D"),
    ("POST", "/graphql", "multipart/form-data", b"--x\r\n\r\n"),
    ("POST", "/graphql", "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query": "{ me { role } }"}\r\n--x--\r\n'),
    ("POST", "/graphql", "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\nnot json\r\n'
     b'--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}\r\n--x--\r\n'),
    ("POST", "/graphql", "application/json; charset=latin-1", b'{"query": "{ me { name } }"}'),
    ("POST", "/graphql", None, b'{"query": "{ me { role } }"}'),
    ("PUT", "/graphql", "application/json", b'{"query": "{ me { role } }"}'),
    ("DELETE", "/graphql", None, b""),
    ("PATCH", "/graphql", "application/json", b"{}"),
    ("OPTIONS", "/graphql", None, b""),
    ("GET", "/graphql?query=%7B%20me%20%7B%20role%20%7D%20%7D", None, b""),
    ("GET", "/graphql?query=mutation%20%7B%20logout%20%7D", None, b""),
    ("GET", "/graphql?query=%7B%20me%20%7B%20role%20%7D%20%7D&variables=%7Bnot%20json", None, b""),
    ("GET", "/graphql?query=%7B%20me%20%7B%20role%20%7D%20%7D&variables=%5B1%5D", None, b""),
    ("GET", "/graphql?query=%7B%20me%20%7B%20role%20%7D%20%7D&variables=5", None, b""),
    ("GET", "/graphql?query=&variables=", None, b""),
    ("GET", "/graphql?query", None, b""),
    ("GET", "/graphql?query=%zz%00%ff", None, b""),
    ("GET", "/graphql?query=%00", None, b""),
    ("GET", "/graphql?query=a&query=b&operationName=%F0%9F%98%80", None, b""),
    ("GET", "/graphql?" + "x=" + "y" * 6000, None, b""),
    ("GET", "/graphql?;;;&&&==", None, b""),
    ("GET", "/graphql?query=subscription%20%7B%20events%20%7B%20type%20%7D%20%7D", None, b""),
    ("GET", "/graphql", "application/json", b'{"query": "{ me { role } }"}'),
    ("GET", "/graphql?extensions=%7B%22x%22%3A1%7D&query=%7B%20me%20%7B%20role%20%7D%20%7D", None, b""),
]

# Authorization and node headers no client should send.
BAD_HEADERS: list[dict[str, str]] = [
    {"authorization": "Bearer"}, {"authorization": "Bearer   "}, {"authorization": "Basic dXNlcjpwYXNz"},
    {"authorization": "Bearer sess_" + "x" * 5000}, {"authorization": "Bearer \u00e9\u00e9"},
    {"x-simpul-node": "64.08"}, {"x-simpul-node": "64.08", "x-simpul-timestamp": "NaN",
                                 "x-simpul-nonce": "", "x-simpul-signature": "%%%"},
    {"x-simpul-node": "\x01", "x-simpul-timestamp": "1e309", "x-simpul-nonce": "a", "x-simpul-signature": "b"},
]


HUB_BODY_LIMIT = HubSettings().max_body_bytes


@dataclass
class Fuzzed:
    """What the fuzz saw: requests sent, answers by status, internal error ids the hub gave."""

    url: str
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    error_ids: list[str] = field(default_factory=list)

    def send(self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """One request; fail on a 5xx or on a JSON answer that is not a GraphQL response."""
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
        try:
            connection.request(method, target, body=body if method != "GET" or body else None,
                               headers=headers or {})
            response = connection.getresponse()
            status, content_type, raw = response.status, response.getheader("content-type") or "", response.read()
        except (ConnectionResetError, BrokenPipeError):
            # The hub answers 413 and closes as soon as a body passes its limit, maybe while we still send.
            assert len(body) > HUB_BODY_LIMIT, f"{method} {target[:300]}: connection lost"
            status, content_type, raw = 413, "", b""
        finally:
            connection.close()
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        shown = f"{method} {target[:300]} {body[:300]!r} -> {status} {raw[:500]!r}"
        assert status < 500, shown
        if content_type.startswith("application/json"):
            answer = json.loads(raw)
            assert isinstance(answer, dict) and ("data" in answer or "errors" in answer), shown
            for error in answer.get("errors") or []:
                extensions = error.get("extensions") or {}
                if extensions.get("code") == "INTERNAL":
                    assert extensions.get("errorId"), shown
                    self.error_ids.append(extensions["errorId"])

    def graphql(self, document: str, variables: Any = None, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"query": document, "variables": variables}).encode()
        self.send("POST", "/graphql", body, {"content-type": "application/json", **(headers or {})})


def _fuzz(fuzzed: Fuzzed, callers: list[dict[str, str]]) -> None:
    """Run the generated part of the fuzz (hypothesis drives it; it runs in a thread of its own)."""
    common = settings(deadline=None, database=None, print_blob=True, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    who = st.sampled_from(callers)

    @settings(common, max_examples=120)
    @given(document=queries(SCHEMA, custom_scalars=SCALARS), headers=who)
    def generated_queries(document: str, headers: dict[str, str]) -> None:
        fuzzed.graphql(document, headers=headers)

    @settings(common, max_examples=90)
    @given(document=mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS), headers=who)
    def generated_mutations(document: str, headers: dict[str, str]) -> None:
        fuzzed.graphql(document, headers=headers)

    @settings(common, max_examples=30)
    @given(document=queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE)
           | mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS, mode=Mode.NEGATIVE), headers=who)
    def violating_documents(document: str, headers: dict[str, str]) -> None:
        fuzzed.graphql(document, headers=headers)

    @settings(common, max_examples=40)
    @given(document=st.sampled_from(WITH_VARIABLES),
           variables=st.dictionaries(st.sampled_from(VARIABLE_NAMES), JSON_VALUES, max_size=5) | JSON_VALUES,
           headers=who)
    def any_variables(document: str, variables: Any, headers: dict[str, str]) -> None:
        fuzzed.graphql(document, variables, headers)

    @settings(common, max_examples=20)
    @given(body=st.binary(max_size=300), content_type=st.sampled_from(
        ["application/json", "application/graphql", "text/plain", "multipart/form-data; boundary=b", ""]))
    def random_bodies(body: bytes, content_type: str) -> None:
        fuzzed.send("POST", "/graphql", body, {"content-type": content_type} if content_type else {})

    for run in (generated_queries, generated_mutations, violating_documents, any_variables, random_bodies):
        run()


@pytest.mark.timeout(240)
async def test_hostile_requests_get_no_server_error_and_nothing_crashes(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    hub = federation.hub
    admin = await national_admin(hub.graphql_url)
    integrator = bearer(await create_key(hub.database_url, "integrator", "64", sorted(INTEGRATOR_OPERATIONS)))
    fuzzed = Fuzzed(hub.url)

    await asyncio.to_thread(_fuzz, fuzzed, [admin, integrator, {}])
    for method, target, content_type, body in GARBAGE:
        for headers in (admin, {}):
            await asyncio.to_thread(fuzzed.send, method, target, body,
                                    {**headers, **({"content-type": content_type} if content_type else {})})
    for headers in BAD_HEADERS:
        await asyncio.to_thread(fuzzed.graphql, "{ me { role } }", None, headers)

    log = hub.process.output
    assert not [i for i in fuzzed.error_ids if i not in log], "every internal error's id is in the hub's log"
    assert hub.process.running and all(d.process.running for d in federation.desks.values())
    async with session.get(hub.url + "/healthz") as response:
        assert response.status == 200
    body = await graphql(session, hub.graphql_url, "{ reports(first: 1) { coverage { asked answered failed } } }")
    assert body["data"]["reports"]["coverage"] == {"asked": 3, "answered": 3, "failed": []}, body
    assert fuzzed.sent >= 300, fuzzed

    # What the fuzz once found, answered as the caller's mistake now.
    async with session.post(hub.graphql_url, data=b"0", headers={"content-type": "application/json"}) as response:
        assert response.status == 400, await response.text()
    nul = await graphql(session, hub.graphql_url, "query($t: String!) { trackReport(trackingNumber: $t) { status } }",
                        {"t": "LPR-\x00"})
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", nul
    over_http = await graphql(session, hub.graphql_url, "subscription { events { type } }")
    assert over_http["errors"][0]["message"].startswith("subscriptions are served over a WebSocket"), over_http
