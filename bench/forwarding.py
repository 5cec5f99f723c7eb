"""Forwarding (issue 7, item 4): durable forwards per second end to end, from `submitReport` at the hub
to the node's acknowledgement, as a ratio to pgbench's TPC-B-like TPS on the same PostgreSQL in the same run.

A forward is a few small transactions (ledger, outbox, delivery state) plus
a signed call that the node commits; pgbench says what the server does with
small transactions, so the ratio travels across machines. Target: >= 25%.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg

from bench.common import Hub, database, deadline, enrolment_tokens, hub, table
from bench.desks import desks
from bench.pgbench import tpc_b
from hub.settings import SCHEMA

REGIONS = ["62", "63", "64"]  # Kalimantan Tengah, Selatan, Timur: one desk each, reports spread over them
CONCURRENCY = 16
TARGET = 0.25
SUBMIT = """
mutation Submit($report: SubmitReportInput!, $key: String) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber routing { target } }
}
"""
PROGRESS = """
SELECT count(*) FILTER (WHERE state = 'DONE') AS done, count(*) FILTER (WHERE state <> 'PENDING') AS settled,
       max(delivered_at) AS last
FROM deliveries WHERE purpose = 'ACCEPT'
"""


@dataclass
class Forwards:
    count: int
    submit_seconds: float  # first submit to last answer
    seconds: float  # first submit to last acknowledged delivery
    delivered: int

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def run(quick: bool = False) -> list[str]:
    """Forward `count` reports through a hub to three desks, then run pgbench on the same server."""
    count, pgbench_seconds = (200, 3) if quick else (1000, 10)
    with database("forwarding") as db:
        tokens = asyncio.run(enrolment_tokens(db, REGIONS))
        with hub(db) as running, desks(running, dict(zip(REGIONS, tokens, strict=True))):
            forwards = asyncio.run(_forward(running, count))
        print(f"forwarding: pgbench TPC-B-like, 4 clients, {pgbench_seconds} s, scale 1", flush=True)
        tps = tpc_b(db, pgbench_seconds)
    ratio = forwards.per_second / tps
    title = f"Forwarding: {count} reports submitted at the hub ({CONCURRENCY} at once) to {len(REGIONS)} desks"
    header = ["forwards", "delivered", "submit s", "end to end s", "forwards/s",
              f"pgbench TPS (-c 4 -j 2 -T {pgbench_seconds})", "ratio", "target"]
    row = [str(forwards.count), str(forwards.delivered), f"{forwards.submit_seconds:.1f}", f"{forwards.seconds:.1f}",
           f"{forwards.per_second:.0f}", f"{tps:.0f}", f"{ratio:.0%}", f">= {TARGET:.0%}"]
    return [table(title, header, [row])]


async def _forward(running: Hub, count: int) -> Forwards:
    batch = secrets.token_hex(4)  # idempotency keys unique to this run
    numbers = iter(range(count))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)

    async def citizen(session: aiohttp.ClientSession) -> None:
        for n in numbers:
            region = REGIONS[n % len(REGIONS)]
            report = {"kind": "PENGADUAN", "title": f"Lampu jalan mati {n}", "category": "infrastruktur",
                      "body": f"Lampu jalan nomor {n} mati sejak seminggu.", "regionCode": region}
            variables = {"report": report, "key": f"bench-{batch}-{n}"}
            async with session.post(running.graphql_url, json={"query": SUBMIT, "variables": variables}) as response:
                answer: dict[str, Any] = await response.json()
            routing = (answer.get("data") or {}).get("submitReport", {}).get("routing") or {}
            if response.status != 200 or routing.get("target") != region:
                raise RuntimeError(f"report {n} was not routed to desk {region}: {answer}")

    print(f"forwarding: submitting {count} reports, {CONCURRENCY} at once", flush=True)
    started_at, started = time.time(), time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session, deadline(max(60, count / 5), "submitting"):
        await asyncio.gather(*(citizen(session) for _ in range(CONCURRENCY)))
    submitted = time.perf_counter() - started
    print(f"forwarding: submitted in {submitted:.1f} s; waiting for every delivery", flush=True)
    conn = await asyncpg.connect(running.database_url, server_settings={"search_path": SCHEMA})
    try:
        async with deadline(max(120, count / 5), "delivering"):
            while True:
                progress = await conn.fetchrow(PROGRESS)
                if progress["settled"] >= count:
                    break
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
    last: datetime = progress["last"]
    return Forwards(count, submitted, last.timestamp() - started_at, progress["done"])

