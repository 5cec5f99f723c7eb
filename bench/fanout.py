"""Fan-out overhead: a federated page and a stats query over N farm nodes, against a node asked directly.

For N = 1, 10, 100 and 1,000 nodes of 20 ms latency (no jitter, no errors),
each on its own port as real nodes are on their own hosts, the hub is asked
`reports(first: 20, live: true)` and `stats(groupBy: [STATUS], live: true)`
(fan-out, not the federation index: see bench/index.py) one request at a time;
the hub's CPU time per request is given too, as it does not depend on what
else the machine runs (it includes the hub's background work meanwhile).
In the same run the very document the hub sends is signed and sent straight
to a sample of the same nodes; the overhead is the hub's p50 over the slowest
sampled node's p50. At each N, 32 identical live reads of one node are also
sent at once, and the hub's own count of its calls to that node
(`simpul_node_call_duration_seconds_count`) says how many calls they cost.
The hub runs with its defaults, so its feed puller also
calls every node each 5 s while we measure: that is real hub load.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import psutil

from bench.common import Hub, Timings, database, deadline, hub, table, timed
from bench.farm import FarmNode, RunningFarm, farm, farm_tokens
from hub.federation.nodewire import COUNT_REPORTS, LIST_REPORTS
from simpul.filters import ReportFilter

SIZES = (1, 10, 100, 1000)
QUICK_SIZES = (1, 10)
LATENCY_MS = 20
WARM_UP = 3
DIRECT_SAMPLE = 10  # nodes asked directly
DIRECT_REQUESTS = 10  # requests to each of them
STEP_DEADLINE = 300.0

REPORTS = """
query { reports(first: 20, live: true) {
  reports { id node title status receivedAt } pageInfo { hasNextPage endCursor } coverage { asked answered }
} }
"""
STATS = "query { stats(groupBy: [STATUS], live: true) { total buckets { status count } coverage { asked answered } } }"

# What the hub sends each node for the two queries above (hub/federation/queries.py).
_NODE_QUERIES = {
    "reports": (LIST_REPORTS, {"filter": ReportFilter().variables(), "first": 20, "after": None}),
    "stats": (COUNT_REPORTS, {"filter": ReportFilter().variables(), "groupBy": ["STATUS"], "regionLevel": 1}),
}
_HUB_QUERIES = {"reports": REPORTS, "stats": STATS}


def requests_for(nodes: int, quick: bool) -> int:
    """Requests per query and N: fewer where one request costs a thousand node calls."""
    if quick:
        return 10
    return 20 if nodes >= 1000 else 50


def hub_call(session: aiohttp.ClientSession, running: Hub, query: str, nodes: int) -> Callable[[], Awaitable[bool]]:
    """One federated request; it fails unless every node answered."""
    body = json.dumps({"query": query}).encode()

    async def call() -> bool:
        async with session.post(running.graphql_url, data=body, headers=running.headers) as response:
            answer: dict[str, Any] = await response.json()
        if response.status != 200 or answer.get("errors") or not answer.get("data"):
            return False
        [result] = answer["data"].values()
        return bool(result["coverage"]["answered"] == nodes)

    return call


def node_call(session: aiohttp.ClientSession, running: Hub, node: FarmNode, document: str,
              variables: dict[str, Any]) -> Callable[[], Awaitable[bool]]:
    """The hub's request to one node, signed as the hub signs it, sent by us."""
    body = json.dumps({"query": document, "variables": variables}).encode()

    async def call() -> bool:
        headers = running.sign_to(node.code, body)
        async with session.post(node.endpoint + "/graphql", data=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
        return response.status == 200 and answer.get("data") is not None

    return call


IN_FLIGHT = 32  # identical concurrent live reads of one node


async def calls_for_identical_reads(session: aiohttp.ClientSession, running: Hub, node: FarmNode) -> float:
    """How many calls the hub makes to `node` for IN_FLIGHT identical live reads of it sent at once."""
    query = REPORTS.replace("live: true", f'live: true, scope: {{nodeCodes: ["{node.code}"]}}')
    call = hub_call(session, running, query, 1)
    sample = f'simpul_node_call_duration_seconds_count{{node="{node.code}"}}'
    before = await _metric(session, running, sample)
    answers = await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))
    assert all(answers), "every identical read was answered in full"
    return await _metric(session, running, sample) - before


async def _metric(session: aiohttp.ClientSession, running: Hub, sample: str) -> float:
    async with session.get(running.url + "/metrics") as response:
        text = await response.text()
    return sum(float(line.rpartition(" ")[2]) for line in text.splitlines() if line.startswith(sample + " "))


def sample(nodes: list[FarmNode], size: int) -> list[FarmNode]:
    """Up to `size` nodes spread over the farm."""
    step = max(1, len(nodes) // size)
    return nodes[::step][:size]


async def slowest_direct(session: aiohttp.ClientSession, running: Hub, nodes: list[FarmNode], name: str
                         ) -> Timings:
    """Each sampled node asked directly; the timings of the one with the slowest p50."""
    document, variables = _NODE_QUERIES[name]
    found = [await timed(DIRECT_REQUESTS, node_call(session, running, node, document, variables))
             for node in nodes]
    return max(found, key=lambda t: t.p50)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far: what a request costs the hub, whatever else runs."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def measure(running: Hub, nodes: RunningFarm, count: int, quick: bool) -> tuple[list[list[str]], list[str]]:
    """The fan-out rows at this N, and the row of identical reads in flight."""
    rows = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        for name, query in _HUB_QUERIES.items():
            call = hub_call(session, running, query, count)
            async with deadline(STEP_DEADLINE, f"fan-out {name} over {count} nodes"):
                await timed(WARM_UP, call)
                cpu = cpu_seconds(running.pid)
                through_hub = await timed(requests_for(count, quick), call)
                cpu = (cpu_seconds(running.pid) - cpu) / len(through_hub.samples)
                direct = await slowest_direct(session, running, sample(nodes.nodes, DIRECT_SAMPLE), name)
            ratio = through_hub.p50 / direct.p50
            print(f"fanout: N={count} {name}: hub p50 {through_hub.ms(50)} ms p95 {through_hub.ms(95)} ms, "
                  f"slowest node direct p50 {direct.ms(50)} ms, ratio {ratio:.2f}, hub CPU {cpu * 1000:.0f} ms/request",
                  flush=True)
            rows.append([str(count), name, str(len(through_hub.samples)), through_hub.ms(50), through_hub.ms(95),
                         through_hub.ms(99), direct.ms(50), f"{ratio:.2f}", f"{cpu * 1000:.0f}",
                         str(through_hub.errors + direct.errors)])
        async with deadline(STEP_DEADLINE, f"identical reads over {count} nodes"):
            calls = await calls_for_identical_reads(session, running, nodes.nodes[0])
        print(f"fanout: N={count}: {IN_FLIGHT} identical live reads of one node in flight cost {calls:.0f} "
              "node calls", flush=True)
    return rows, [str(count), str(IN_FLIGHT), f"{calls:.0f}"]


def step(count: int, quick: bool, *hub_options: str) -> tuple[list[list[str]], list[str]]:
    """One N: a fresh database, hub and farm, measured, then stopped."""
    with database(f"fanout{count}") as db, hub(db, *hub_options) as running:
        start = time.monotonic()
        tokens = asyncio.run(farm_tokens(db, count))
        with farm(running.url, tokens, "--latency-ms", str(LATENCY_MS), "--ports", str(count)) as nodes:
            print(f"fanout: N={count}: {count} nodes enrolled in {time.monotonic() - start:.1f} s", flush=True)
            return asyncio.run(measure(running, nodes, count, quick))


def run(quick: bool = False) -> list[str]:
    rows, shared = [], []
    for count in QUICK_SIZES if quick else SIZES:
        measured, in_flight = step(count, quick)
        rows += measured
        shared.append(in_flight)
    header = ["nodes", "query", "requests", "hub p50 ms", "hub p95 ms", "hub p99 ms", "slowest node p50 ms (direct)",
              "hub / node p50", "hub CPU ms/request", "failed"]
    return [table(f"Fan-out overhead ({LATENCY_MS} ms nodes, one request at a time)", header, rows),
            table("Identical live reads of one node in flight", ["nodes", "identical reads at once", "node calls"],
                  shared)]


if __name__ == "__main__":
    print("\n".join(run()))
