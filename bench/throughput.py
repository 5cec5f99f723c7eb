"""Throughput (issue 7, item 3): requests per second through the hub for a one-node query, with many
clients at once, as a ratio to the same query sent to the node directly; the hub on 1 and 2 workers.

Through the hub each request is authenticated, limited, resolved against the
registry, signed, sent to the node and merged; the ratio says what that costs
when nothing else (fan-out, slow nodes) hides it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bench.common import Hub, Timings, database, deadline, enrolment_tokens, hub, table
from bench.desks import Desk, desks, seed
from hub.federation.nodewire import LIST_REPORTS
from simpul.filters import ReportFilter

REGION = "64"  # Kalimantan Timur: the desk's code and region
PAGE = 20
CONCURRENCY = 32
HUB_QUERY = """
query Page($codes: [String!], $first: Int!) {
  reports(scope: {nodeCodes: $codes}, first: $first, live: true) {
    reports { id trackingNumber title status receivedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def run(quick: bool = False) -> list[str]:
    """Seed one desk, then load it directly and through a hub of 1 and of 2 workers, `seconds` each."""
    seconds, reports = (2.0, 100) if quick else (5.0, 300)
    rows: list[list[str]] = []
    with database("throughput") as db:
        [token] = asyncio.run(enrolment_tokens(db, [REGION]))
        with hub(db) as one, desks(one, {REGION: token}) as [desk]:
            print(f"throughput: seeding {reports} reports at desk {desk.code}", flush=True)
            asyncio.run(_seed(desk, reports))
            print(f"throughput: the node directly, {CONCURRENCY} clients for {seconds:g} s", flush=True)
            direct = asyncio.run(_load(_direct(desk), seconds))
            rows.append(_row("node directly", direct, direct))
            print(f"throughput: the hub on 1 worker, {CONCURRENCY} clients for {seconds:g} s", flush=True)
            rows.append(_row("hub, 1 worker", asyncio.run(_load(_through(one, desk), seconds)), direct))
            with hub(db, "--workers", "2") as two:
                print(f"throughput: the hub on 2 workers, {CONCURRENCY} clients for {seconds:g} s", flush=True)
                rows.append(_row("hub, 2 workers", asyncio.run(_load(_through(two, desk), seconds)), direct))
    title = f"Throughput: one-node `reports(first: {PAGE})`, {CONCURRENCY} concurrent clients, {reports} reports"
    return [table(title, ["target", "requests", "errors", "req/s", "p50 ms", "p95 ms", "ratio to direct"], rows)]


async def _seed(desk: Desk, reports: int) -> None:
    async with aiohttp.ClientSession() as session, deadline(120, "seeding"):
        await seed(session, desk, reports)


Call = Callable[[aiohttp.ClientSession], Awaitable[bool]]


def _direct(desk: Desk) -> Call:
    """The hub's own node query, signed as the hub signs it."""
    variables = {"filter": ReportFilter().variables(), "first": PAGE, "after": None}
    body = json.dumps({"query": LIST_REPORTS, "variables": variables}).encode()

    async def call(session: aiohttp.ClientSession) -> bool:
        async with session.post(desk.url + "/graphql", data=body, headers=desk.signed(body)) as response:
            answer: dict[str, Any] = await response.json()
        return response.status == 200 and "errors" not in answer and len(answer["data"]["reports"]["reports"]) == PAGE

    return call


def _through(running: Hub, desk: Desk) -> Call:
    """The same page asked of the hub by a national admin, scoped to the one node."""
    body = json.dumps({"query": HUB_QUERY, "variables": {"codes": [desk.code], "first": PAGE}}).encode()

    async def call(session: aiohttp.ClientSession) -> bool:
        async with session.post(running.graphql_url, data=body, headers=running.headers) as response:
            answer: dict[str, Any] = await response.json()
        return response.status == 200 and "errors" not in answer and len(answer["data"]["reports"]["reports"]) == PAGE

    return call


async def _load(call: Call, seconds: float) -> tuple[Timings, float]:
    """Requests answered per second by `CONCURRENCY` keep-alive clients over `seconds`, after a warm-up."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session, deadline(3 * seconds + 30, "a load run"):
        await _clients(session, call, min(seconds, 1.0), Timings())  # opens the connections, warms caches
        timings = Timings()
        started = time.perf_counter()
        await _clients(session, call, seconds, timings)
        return timings, len(timings.samples) / (time.perf_counter() - started)


async def _clients(session: aiohttp.ClientSession, call: Call, seconds: float, timings: Timings) -> None:
    end = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            try:
                ok = await call(session)
            except (aiohttp.ClientError, ValueError, KeyError, TypeError):
                ok = False
            timings.samples.append(time.perf_counter() - start)
            timings.errors += not ok

    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))


def _row(target: str, measured: tuple[Timings, float], direct: tuple[Timings, float]) -> list[str]:
    timings, rate = measured
    return [target, str(len(timings.samples)), str(timings.errors), f"{rate:.0f}", timings.ms(50), timings.ms(95),
            f"{rate / direct[1]:.0%}"]
