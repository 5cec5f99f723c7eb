"""Partial results: a node that dies, hangs or talks nonsense never fails a federated query.

The hub answers with whatever the other nodes gave, names each failed node in
GraphQL `errors` (extensions.code, extensions.node), and says in `coverage` how
complete the answer is.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.federation import Federation, Hub, create_token, graphql, submit

REPORTS = """
query Reports($scope: Scope) {
  reports(first: 50, scope: $scope) {
    reports { id node title trackingNumber }
    coverage { asked answered failed }
  }
}
"""

STATS = """
query Stats($scope: Scope) {
  stats(groupBy: [STATUS], scope: $scope) { total coverage { asked answered failed } }
}
"""

ONE_REPORT = """
query One($id: ID!) { report(id: $id) { id title } }
"""

# The hub under test runs with --node-timeout 2 --deadline 4 (tests/federation.py).
DEADLINE = 4.0
MARGIN = 1.5


async def _one_report_per_desk(session: aiohttp.ClientSession, federation: Federation) -> dict[str, str]:
    """Submit one report at each desk; return node code -> global report id."""
    return {code: (await submit(session, desk, title=f"Laporan di {code}"))["id"]
            for code, desk in federation.desks.items()}


def _node_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"]["node"]) for e in body.get("errors", [])]


async def test_a_killed_node_is_named_in_errors_while_the_other_nodes_answer(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    ids = await _one_report_per_desk(session, federation)
    federation.desks["64"].process.kill()

    body = await graphql(session, federation.hub.graphql_url, REPORTS)
    assert _node_errors(body) == [("NODE_UNAVAILABLE", "64")], body
    assert body["errors"][0]["path"] == ["reports"]
    page = body["data"]["reports"]
    assert {r["id"] for r in page["reports"]} == {ids["65"], ids["64.08"]}
    assert page["coverage"] == {"asked": 3, "answered": 2, "failed": ["64"]}

    body = await graphql(session, federation.hub.graphql_url, STATS)
    assert _node_errors(body) == [("NODE_UNAVAILABLE", "64")], body
    assert body["data"]["stats"] == {"total": 2, "coverage": {"asked": 3, "answered": 2, "failed": ["64"]}}

    body = await graphql(session, federation.hub.graphql_url, ONE_REPORT, {"id": ids["64"]})
    assert body["data"] == {"report": None}
    assert _node_errors(body) == [("NODE_UNAVAILABLE", "64")], body
    assert body["errors"][0]["path"] == ["report"]

    body = await graphql(session, federation.hub.graphql_url, ONE_REPORT, {"id": ids["65"]})
    assert "errors" not in body, body
    assert body["data"]["report"] == {"id": ids["65"], "title": "Laporan di 65"}


async def test_a_scope_that_leaves_out_a_dead_node_never_calls_it(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    ids = await _one_report_per_desk(session, federation)
    federation.desks["64"].process.kill()

    in_kaltara = {"scope": {"regionPrefix": "65"}}
    body = await graphql(session, federation.hub.graphql_url, REPORTS, in_kaltara)
    assert "errors" not in body, body
    page = body["data"]["reports"]
    assert [r["id"] for r in page["reports"]] == [ids["65"]]
    assert page["coverage"] == {"asked": 1, "answered": 1, "failed": []}

    body = await graphql(session, federation.hub.graphql_url, STATS, in_kaltara)
    assert "errors" not in body, body
    assert body["data"]["stats"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}

    # Kutai Timur alone, named by code, is not held back by its dead parent either.
    body = await graphql(session, federation.hub.graphql_url, REPORTS, {"scope": {"nodeCodes": ["64.08"]}})
    assert "errors" not in body, body
    assert body["data"]["reports"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}


async def test_a_hanging_node_times_out_within_the_deadline_and_the_others_still_answer(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    ids = await _one_report_per_desk(session, federation)
    federation.desks["64"].process.pause()

    started = time.monotonic()
    body = await graphql(session, federation.hub.graphql_url, REPORTS)
    elapsed = time.monotonic() - started

    assert elapsed < DEADLINE + MARGIN, f"the hub waited {elapsed:.1f} s for a frozen node"
    assert _node_errors(body) == [("NODE_TIMEOUT", "64")], body
    page = body["data"]["reports"]
    assert {r["id"] for r in page["reports"]} == {ids["65"], ids["64.08"]}
    assert page["coverage"] == {"asked": 3, "answered": 2, "failed": ["64"]}

    started = time.monotonic()
    body = await graphql(session, federation.hub.graphql_url, STATS)
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert _node_errors(body) == [("NODE_TIMEOUT", "64")], body
    assert body["data"]["stats"]["total"] == 2


@dataclass
class Impostor:
    """A node endpoint that is enrolled like any other but answers whatever `mode` says."""

    url: str
    mode: str = "wrong-shape"
    calls: list[str] = field(default_factory=list)


def _forged_report(report_id: str, title: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"id": report_id, "localId": report_id.partition(":")[2], "trackingNumber": f"PALSU-{title}",
            "kind": "PENGADUAN", "title": title, "body": "Bukan laporan sungguhan.", "category": "lain",
            "regionCode": "63", "channel": "WEB", "status": "RECEIVED",
            "reporter": {"anonymous": True, "confidential": False}, "receivedAt": now, "updatedAt": now,
            "location": None, "timeline": []}


def _impostor_answer(mode: str, query: str) -> web.Response:
    if mode == "not-json":
        return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    if mode == "wrong-shape":
        return web.json_response({"data": {"reports": {"reports": [{"id": 5}]}}})
    # "forged": well-formed answers, but speaking for other nodes.
    if "ListReports" in query:
        reports = [_forged_report("63:7", "milik sendiri"), _forged_report("65:1", "palsu 65"),
                   _forged_report("64:999", "palsu 64")]
        return web.json_response({"data": {"reports": {"reports": reports, "hasMore": False}}})
    if "GetReport" in query:
        return web.json_response({"data": {"report": _forged_report("65:1", "palsu 65")}})
    return web.json_response({"data": {"stats": []}})


@pytest.fixture
async def impostor() -> AsyncIterator[Impostor]:
    """An aiohttp server on a free 127.0.0.1 port, inside the test process."""
    state = Impostor(url="")

    async def answer(request: web.Request) -> web.Response:
        query = str((await request.json()).get("query", ""))
        state.calls.append(query)
        return _impostor_answer(state.mode, query)

    app = web.Application()
    app.router.add_post("/graphql", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert runner.addresses
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


async def _enrol(session: aiohttp.ClientSession, hub: Hub, endpoint: str, code: str, region: str) -> None:
    """Enrol an endpoint over the hub's public POST /enrol, as any node would."""
    request = {"token": create_token(hub.database_url, region), "code": code, "name": f"Node {code}",
               "level": "PROVINSI", "region_code": region, "parent_code": None, "categories": [],
               "kind": "custom", "endpoint": endpoint}
    async with session.post(hub.url + "/enrol", data=json.dumps(request),
                            headers={"content-type": "application/json"}) as response:
        assert response.status == 200, await response.text()


async def test_a_node_answering_garbage_is_named_and_the_desks_data_still_arrives(
    federation: Federation, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    ids = await _one_report_per_desk(session, federation)
    await _enrol(session, federation.hub, impostor.url, "63", "63")
    every_desk = set(ids.values())

    for mode in ("wrong-shape", "not-json"):
        impostor.mode = mode
        impostor.calls.clear()
        body = await graphql(session, federation.hub.graphql_url, REPORTS)
        assert impostor.calls, "the hub never called the enrolled endpoint"
        assert _node_errors(body) == [("NODE_BAD_RESPONSE", "63")], (mode, body)
        page = body["data"]["reports"]
        assert {r["id"] for r in page["reports"]} == every_desk, mode
        assert page["coverage"] == {"asked": 4, "answered": 3, "failed": ["63"]}, mode

        body = await graphql(session, federation.hub.graphql_url, STATS)
        assert _node_errors(body) == [("NODE_BAD_RESPONSE", "63")], (mode, body)
        assert body["data"]["stats"]["total"] == 3, mode


async def test_reports_a_node_sends_in_another_nodes_name_are_dropped(
    federation: Federation, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    ids = await _one_report_per_desk(session, federation)
    assert ids["65"] == "65:1"  # the id the impostor forges is a real report of Kaltara's desk
    await _enrol(session, federation.hub, impostor.url, "63", "63")
    impostor.mode = "forged"

    body = await graphql(session, federation.hub.graphql_url, REPORTS)
    assert "errors" not in body, body
    page = body["data"]["reports"]
    assert sorted(r["id"] for r in page["reports"]) == sorted([*ids.values(), "63:7"])
    assert {r["title"] for r in page["reports"]} == {"Laporan di 65", "Laporan di 64", "Laporan di 64.08",
                                                      "milik sendiri"}
    assert page["coverage"] == {"asked": 4, "answered": 4, "failed": []}

    # Asked for one of its own reports, it answers with Kaltara's: refused, not shown.
    body = await graphql(session, federation.hub.graphql_url, ONE_REPORT, {"id": "63:7"})
    assert body["data"] == {"report": None}
    assert _node_errors(body) == [("NODE_BAD_RESPONSE", "63")], body
