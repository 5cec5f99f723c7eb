"""The node farm (bench/farm.py) enrols like real nodes and answers the hub's documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.farm import farm, farm_tokens, node_code
from tests.federation import graphql, start_hub

REPORTS = """
query {
  reports(first: 20, live: true) {
    reports { id node title receivedAt }
    pageInfo { hasNextPage endCursor }
    coverage { asked answered failed }
  }
}
"""

STATS = """
query Stats($scope: Scope) {
  stats(groupBy: [STATUS], scope: $scope, live: true) { total coverage { asked answered failed } }
}
"""


def _node_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"]["node"]) for e in body.get("errors", [])]


async def test_a_farm_of_three_nodes_answers_a_federated_query_and_a_broken_one_is_named(
    database: str, tmp_path: Path, session: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = start_hub(database, tmp_path)
    try:
        tokens = await farm_tokens(database, 3)
        assert re.fullmatch(r"enrolment tokens: 3 of 3 tokens \(100%\) in \d+\.\d s\n", capsys.readouterr().err)
        with farm(hub.url, tokens, "--latency-ms", "1", "--reports", "10") as running:
            # Its enrolment's progress, in plain lines: the farm's output is a pipe.
            assert re.search(r"^farm enrolment: 3 of 3 nodes \(100%\) in \d+\.\d s$", running.process.output, re.M)
            body = await graphql(session, hub.graphql_url, REPORTS)
            assert "errors" not in body, body
            page = body["data"]["reports"]
            assert page["coverage"] == {"asked": 3, "answered": 3, "failed": []}
            assert {r["node"] for r in page["reports"]} == {node_code(i) for i in range(3)}
            assert page["pageInfo"]["hasNextPage"] is True
            times = [r["receivedAt"] for r in page["reports"]]
            assert times == sorted(times, reverse=True)

            body = await graphql(session, hub.graphql_url, STATS)
            assert body["data"]["stats"] == {"total": 30, "coverage": {"asked": 3, "answered": 3, "failed": []}}

        with farm(hub.url, await farm_tokens(database, 3), "--latency-ms", "1", "--broken", "1",
                  "--prefix", "rusak", "--reports", "10") as running:
            codes = [node.code for node in running.nodes]
            body = await graphql(session, hub.graphql_url, STATS, {"scope": {"nodeCodes": codes}})
            assert body["data"]["stats"] == {"total": 20, "coverage": {"asked": 3, "answered": 2,
                                                                       "failed": ["rusak-0002"]}}
            [(code, node)] = _node_errors(body)
            assert node == "rusak-0002" and code in ("NODE_ERROR", "NODE_BAD_RESPONSE"), body
    finally:
        hub.process.stop()
