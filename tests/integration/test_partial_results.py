"""Partial results: a node that dies, hangs or talks nonsense never fails a live federated query.

Asked to go to the nodes now (`live: true`), the hub answers with whatever the
other nodes gave, names each failed node in GraphQL `errors` (extensions.code,
extensions.node), and says in `coverage` how complete the answer is.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from tests.federation import Federation, eventually, graphql, scrape, submit
from tests.impostor import Impostor, enrol_endpoint

REPORTS = """
query Reports($scope: Scope) {
  reports(first: 50, scope: $scope, live: true) {
    reports { id node title trackingNumber }
    coverage { asked answered failed }
  }
}
"""

STATS = """
query Stats($scope: Scope) {
  stats(groupBy: [STATUS], scope: $scope, live: true) { total coverage { asked answered failed } }
}
"""

ONE_REPORT = """
query One($id: ID!) { report(id: $id) { id title source } }
"""

# The hub under test runs with --node-timeout 2 --deadline 4 (tests/federation.py).
DEADLINE = 4.0
NODE_TIMEOUT = 2.0
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

    async def indexed() -> bool:
        body = await graphql(session, federation.hub.graphql_url, "{ reports { reports { id } } }")
        return {r["id"] for r in body["data"]["reports"]["reports"]} == set(ids.values())

    await eventually(indexed)  # so that the hub has a copy of 64's report to fall back on
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

    # One report is always asked of its node: when the node fails, the error names it and the answer is the
    # index's copy, marked as such.
    body = await graphql(session, federation.hub.graphql_url, ONE_REPORT, {"id": ids["64"]})
    assert body["data"] == {"report": {"id": ids["64"], "title": "Laporan di 64", "source": "INDEX"}}
    assert _node_errors(body) == [("NODE_UNAVAILABLE", "64")], body
    assert body["errors"][0]["path"] == ["report"]

    body = await graphql(session, federation.hub.graphql_url, ONE_REPORT, {"id": ids["65"]})
    assert "errors" not in body, body
    assert body["data"]["report"] == {"id": ids["65"], "title": "Laporan di 65", "source": "LIVE"}


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


async def test_a_node_that_keeps_timing_out_is_skipped_at_once_and_called_again_once_it_answers(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    ids = await _one_report_per_desk(session, federation)
    federation.desks["64"].process.pause()

    async def skipped() -> dict[str, Any] | None:  # the hub's feed pulls and these queries time out in turn
        body = await graphql(session, federation.hub.graphql_url, REPORTS)
        return body if "is skipped" in body["errors"][0]["message"] else None

    await eventually(skipped, timeout=30)
    started = time.monotonic()
    body = await graphql(session, federation.hub.graphql_url, REPORTS)
    elapsed = time.monotonic() - started
    assert elapsed < NODE_TIMEOUT, f"the hub waited {elapsed:.1f} s on a node it knows is not answering"
    assert _node_errors(body) == [("NODE_TIMEOUT", "64")], body
    assert body["errors"][0]["message"].startswith("node 64 is skipped: it timed out"), body
    assert {r["id"] for r in body["data"]["reports"]["reports"]} == {ids["65"], ids["64.08"]}

    federation.desks["64"].process.resume()

    async def answered() -> dict[str, Any] | None:  # a probe in the background finds it, then calls resume
        body = await graphql(session, federation.hub.graphql_url, REPORTS)
        return body if "errors" not in body else None

    body = await eventually(answered, timeout=30)
    assert {r["id"] for r in body["data"]["reports"]["reports"]} == set(ids.values())


async def test_identical_live_reads_in_flight_make_one_call_to_the_node(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    """32 identical concurrent live reads of a node that hangs: one call to it, whose outcome all 32 share."""
    federation.desks["65"].process.pause()
    calls = 'simpul_node_call_errors_total{code="NODE_TIMEOUT",node="65",operation="ListReports"}'
    before = (await scrape(session, federation.hub.url)).get(calls, 0.0)
    kaltara = {"scope": {"nodeCodes": ["65"]}}
    bodies = await asyncio.gather(*(graphql(session, federation.hub.graphql_url, REPORTS, kaltara)
                                    for _ in range(32)))
    assert {tuple(_node_errors(body)) for body in bodies} == {(("NODE_TIMEOUT", "65"),)}
    assert (await scrape(session, federation.hub.url))[calls] - before == 1


async def test_a_node_answering_garbage_is_named_and_the_desks_data_still_arrives(
    federation: Federation, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    ids = await _one_report_per_desk(session, federation)
    await enrol_endpoint(session, federation.hub, impostor.url, "63", "63")
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
    await enrol_endpoint(session, federation.hub, impostor.url, "63", "63")
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
