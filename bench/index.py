"""The federation index: a farm's reports ingested through the real feed path, national reads answered from the
index against the same SQL run directly, and how fresh the index stays under a steady flow of status changes.

A farm of N nodes x M reports (1,000 x 1,000 by default, 50 x 200 quick),
each node at 20 ms on its own port, starts with one RECEIVED change per report
in its feed; the hub pulls the feeds into `hub.ledger`. Ingest is timed from
the moment every node is enrolled until the ledger holds every report, and
divided by pgbench's TPC-B-like TPS on the same PostgreSQL, run afterwards.

Once the index names no node stale (and after ANALYZE), one request at a time,
the hub is asked a national `reports(first: 20)`, the same page scoped to the
province with the most reports, a deep page (the cursor after 10,000 rows) and
`stats(groupBy: [REGION, STATUS])`; in the same run the equivalent SQL (below,
next to the GraphQL) is run directly with asyncpg, and each hub read is checked
to give the rows the SQL gives.

Last, farm nodes make 50 status changes a second, round the farm, each
followed by a signed poke as a desk sends one. A change's lag is the time from
the change at the node until the hub's `ledger.status` for that report (by
origin_id) shows it, seen by polling the table with asyncpg every 20 ms; the
hub's RSS is sampled meanwhile.

    python -m bench index [--quick]
    python -m bench.index --nodes 200 --reports 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg

from bench.common import Hub, Timings, database, hub, rss_mb, table, timed
from bench.farm import RunningFarm, farm, farm_tokens
from bench.pgbench import tpc_b
from simpul.cursor import Position
from simpul.progress import progress

NODES, REPORTS_PER_NODE = 1000, 1000
QUICK_NODES, QUICK_REPORTS_PER_NODE = 50, 200
LATENCY_MS = 20
FARM_READY_SECONDS = 900.0  # generating a million reports and enrolling a thousand nodes
INGEST_SECONDS, QUICK_INGEST_SECONDS = 3600.0, 600.0  # then the reads go on with what was indexed
STALLED_SECONDS = 120.0  # no report indexed for this long ends the ingest too
CATCH_UP_SECONDS = 180.0  # after ingest, how long the index may take until it names no node stale
PROGRESS_SECONDS, QUICK_PROGRESS_SECONDS = 10.0, 2.0
READS, QUICK_READS = 50, 20  # requests per read, through the hub and directly
WARM_UP = 3
DEEP_ROWS = 10_000  # the deep page starts after this many rows (half the reports when fewer)
CHANGES_PER_SECOND = 50.0
FRESHNESS_SECONDS, QUICK_FRESHNESS_SECONDS = 60.0, 10.0
SETTLE_SECONDS = 30.0  # after the last change, how long a change may still take to show
POLL_SECONDS = 0.02
RSS_EVERY = 0.25
PGBENCH_SECONDS, QUICK_PGBENCH_SECONDS = 10, 3

TARGET_P95_MS = 100.0
TARGET_PAGE_RATIO = 3.0
TARGET_STATS_RATIO = 1.2
TARGET_LAG_P95 = 2.0
TARGET_RSS_MB = 250.0

# The reads, as the hub is asked them and as the same SQL runs directly: adjust both here.
COVERAGE = "coverage { asked answered failed source asOf stale { node asOf lagSeconds reason } }"
PAGE = f"""
query Page($scope: Scope, $after: String) {{
  reports(scope: $scope, first: 20, after: $after) {{
    reports {{ id trackingNumber kind title body category regionCode channel status receivedAt updatedAt location }}
    pageInfo {{ hasNextPage endCursor }}
    {COVERAGE}
  }}
}}
"""
STATS = f"""
query Stats {{
  stats(groupBy: [REGION, STATUS]) {{ total buckets {{ regionCode status count }} {COVERAGE} }}
}}
"""
_COLUMNS = ("origin_id, tracking_number, kind, title, body, category, region_code, channel, status, received_at,"
            " updated_at, location")
_ORDER = 'ORDER BY received_at DESC, origin_id COLLATE "C"'
SQL_PAGE = f"SELECT {_COLUMNS} FROM hub.ledger {_ORDER} LIMIT 21"
SQL_REGION_PAGE = (f"SELECT {_COLUMNS} FROM hub.ledger WHERE region_code = $1 OR region_code LIKE $1 || '.%'"
                   f" {_ORDER} LIMIT 21")
SQL_DEEP_PAGE = (f"SELECT {_COLUMNS} FROM hub.ledger"
                 ' WHERE received_at <= $1 AND (received_at < $1 OR origin_id COLLATE "C" > $2)'
                 f" {_ORDER} LIMIT 21")
SQL_STATS = "SELECT status, split_part(region_code, '.', 1) AS region, count(*) FROM hub.ledger GROUP BY 1, 2"
SQL_ROW_AT = f"SELECT received_at, origin_id FROM hub.ledger {_ORDER} OFFSET $1 LIMIT 1"
SQL_BUSIEST_PROVINCE = ("SELECT split_part(region_code, '.', 1) FROM hub.ledger GROUP BY 1"
                        " ORDER BY count(*) DESC, 1 LIMIT 1")
SQL_INDEXED = "SELECT count(*) FROM hub.ledger"
SQL_STATUSES = "SELECT origin_id, status FROM hub.ledger WHERE origin_id = ANY($1::text[])"


@dataclass
class Ingest:
    reports: int  # asked of the farm
    indexed: int
    seconds: float  # from every node enrolled to the last report indexed (or the deadline)
    rate: float  # changes/s over those seconds, counting only what was indexed in them
    peak_rss: float
    caught_up: float = math.nan  # then seconds until the index named no node stale (inf: not within the bound)


@dataclass
class Read:
    name: str
    kind: str  # "page" or "stats"
    variables: dict[str, Any]
    sql: str
    args: Sequence[Any]


@dataclass
class ReadResult:
    read: Read
    hub: Timings
    sql: Timings
    source: str
    stale: list[dict[str, Any]]  # as the first answer named them
    agrees: bool


@dataclass
class Freshness:
    asked: int = 0
    lags: list[float] = field(default_factory=list)  # seconds, one per change that showed
    peak_rss: float = 0.0

    def percentile(self, p: float) -> float:
        """Over every change asked, those never seen counting as infinitely late."""
        ordered = sorted(self.lags) + [math.inf] * (self.asked - len(self.lags))
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else math.nan


def run(quick: bool = False, nodes: int | None = None, reports: int | None = None) -> list[str]:
    nodes = nodes or (QUICK_NODES if quick else NODES)
    reports = reports or (QUICK_REPORTS_PER_NODE if quick else REPORTS_PER_NODE)
    with database("index") as db:
        with hub(db) as running:
            tokens = asyncio.run(farm_tokens(db, nodes))
            print(f"index: starting a farm of {nodes} nodes x {reports} reports", flush=True)
            with farm(running.url, tokens, "--feed", "--reports", str(reports), "--latency-ms", str(LATENCY_MS),
                      "--ports", str(nodes), timeout=FARM_READY_SECONDS) as farmed:
                ingest, reads, freshness = asyncio.run(_measure(running, farmed, nodes * reports, quick))
        seconds = QUICK_PGBENCH_SECONDS if quick else PGBENCH_SECONDS
        print(f"index: pgbench TPC-B-like, 4 clients, {seconds} s, scale 1", flush=True)
        tps = tpc_b(db, seconds)
    return [_ingest_table(nodes, reports, ingest, tps, seconds), _reads_table(reads),
            _freshness_table(nodes, freshness)]


async def _measure(running: Hub, farmed: RunningFarm, total: int,
                   quick: bool) -> tuple[Ingest, list[ReadResult], Freshness]:
    conn = await asyncpg.connect(running.database_url)
    try:
        ingest = await _ingest(conn, running, total, quick)
        await conn.execute("ANALYZE hub.ledger")  # as autovacuum would soon: plans for the table as it now is
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            ingest.caught_up = await _catch_up(session, running)
            reads = [await _compare(session, conn, running, read, quick) for read in await _reads(conn, total)]
            freshness = await _freshness(session, conn, running, farmed,
                                         QUICK_FRESHNESS_SECONDS if quick else FRESHNESS_SECONDS)
    finally:
        await conn.close()
    return ingest, reads, freshness


async def _ingest(conn: asyncpg.Connection, running: Hub, total: int, quick: bool) -> Ingest:
    """Wait for the ledger to hold every report, showing how far it got."""
    every = QUICK_PROGRESS_SECONDS if quick else PROGRESS_SECONDS
    end = time.monotonic() + (QUICK_INGEST_SECONDS if quick else INGEST_SECONDS)
    start, first = time.monotonic(), await conn.fetchval(SQL_INDEXED)
    indexed, last, moved_at, peak = first, (start, first), start, rss_mb(running.pid)
    wait = every
    with progress("index: ingest", total, "reports indexed") as shown:
        shown.update(indexed)
        while indexed < total and time.monotonic() < end and time.monotonic() - moved_at < STALLED_SECONDS:
            await asyncio.sleep(wait)
            indexed, now, rss = await conn.fetchval(SQL_INDEXED), time.monotonic(), rss_mb(running.pid)
            recent = (indexed - last[1]) / (now - last[0])
            peak, moved_at = max(peak, rss), now if indexed > last[1] else moved_at
            shown.note(f"{recent:,.0f} changes/s now, {(indexed - first) / (now - start):,.0f} overall, "
                       f"hub RSS {rss:.0f} MB")
            shown.update(indexed)
            last = (now, indexed)
            wait = min(every, max(0.5, (total - indexed) / max(recent, 1.0)))  # closer looks near the end
        if indexed < total:
            shown.say(f"index: ingest stopped with {indexed:,} of {total:,} reports indexed")
    seconds = time.monotonic() - start
    return Ingest(total, indexed, seconds, (indexed - first) / seconds, peak)


async def _catch_up(session: aiohttp.ClientSession, running: Hub) -> float:
    """Seconds until a national answer names no stale node: while one node's backlog is read, the hub's round
    of pulls does not reach the others, so reads right after ingest would measure a catching-up index."""
    body = json.dumps({"query": STATS}).encode()
    start = time.monotonic()
    while time.monotonic() - start < CATCH_UP_SECONDS:
        async with session.post(running.graphql_url, data=body, headers=running.headers) as response:
            answer: dict[str, Any] = await response.json()
        stale = answer["data"]["stats"]["coverage"]["stale"]
        if not stale:
            print(f"index: no stale node {time.monotonic() - start:.0f} s after ingest", flush=True)
            return time.monotonic() - start
        print(f"index: {len(stale)} nodes stale, e.g. {stale[0]}", flush=True)
        await asyncio.sleep(2.0)
    return math.inf


async def _reads(conn: asyncpg.Connection, total: int) -> list[Read]:
    """The four reads; the region and the deep cursor come from the ledger as indexed."""
    province = await conn.fetchval(SQL_BUSIEST_PROVINCE)
    deep = min(DEEP_ROWS, total // 2)
    at = await conn.fetchrow(SQL_ROW_AT, deep - 1)
    cursor = Position(at["received_at"], at["origin_id"]).encode()
    return [
        Read("national page", "page", {}, SQL_PAGE, ()),
        Read(f"page of province {province}", "page", {"scope": {"regionPrefix": province}}, SQL_REGION_PAGE,
             (province,)),
        Read(f"page after {deep:,} rows", "page", {"after": cursor}, SQL_DEEP_PAGE,
             (at["received_at"], at["origin_id"])),
        Read("stats by region and status", "stats", {}, SQL_STATS, ()),
    ]


async def _compare(session: aiohttp.ClientSession, conn: asyncpg.Connection, running: Hub, read: Read,
                   quick: bool) -> ReadResult:
    """One read through the hub and directly, one request at a time, after a check that both give the same."""
    body = json.dumps({"query": PAGE if read.kind == "page" else STATS, "variables": read.variables}).encode()

    async def ask_hub() -> dict[str, Any] | None:
        async with session.post(running.graphql_url, data=body, headers=running.headers) as response:
            answer: dict[str, Any] = await response.json()
        if response.status != 200 or answer.get("errors") or not answer.get("data"):
            return None
        [result] = answer["data"].values()
        return dict(result)

    async def hub_call() -> bool:
        return await ask_hub() is not None

    async def sql_call() -> bool:
        await conn.fetch(read.sql, *read.args)
        return True

    answer = await ask_hub()
    if answer is None:
        raise RuntimeError(f"the hub did not answer the {read.name}: {body.decode()}")
    rows = await conn.fetch(read.sql, *read.args)
    agrees = _same(read.kind, answer, rows)
    requests = QUICK_READS if quick else READS
    hub_timings, sql_timings = await _timed_pair(requests, hub_call, sql_call)
    coverage = answer["coverage"]
    result = ReadResult(read, hub_timings, sql_timings, coverage["source"], coverage["stale"], agrees)
    print(f"index: {read.name}: hub p50 {hub_timings.ms(50)} ms p95 {hub_timings.ms(95)} ms, SQL p50 "
          f"{sql_timings.ms(50)} ms, ratio {hub_timings.p50 / sql_timings.p50:.2f}, source {result.source}, "
          f"{len(result.stale)} stale nodes {result.stale[:1]}, same rows {'yes' if agrees else 'NO'}", flush=True)
    return result


async def _timed_pair(requests: int, hub_call: Callable[[], Awaitable[bool]],
                      sql_call: Callable[[], Awaitable[bool]]) -> tuple[Timings, Timings]:
    await timed(WARM_UP, hub_call)
    await timed(WARM_UP, sql_call)
    return await timed(requests, hub_call), await timed(requests, sql_call)


def _same(kind: str, answer: dict[str, Any], rows: Sequence[asyncpg.Record]) -> bool:
    """Whether the hub's answer holds what the SQL returns."""
    if kind == "page":
        return bool([r["id"] for r in answer["reports"]] == [r["origin_id"] for r in rows[:20]]
                    and answer["pageInfo"]["hasNextPage"] == (len(rows) > 20))
    buckets = {(b["status"], b["regionCode"]): b["count"] for b in answer["buckets"]}
    return buckets == {(r["status"], r["region"]): r["count"] for r in rows}


async def _freshness(session: aiohttp.ClientSession, conn: asyncpg.Connection, running: Hub, farmed: RunningFarm,
                     seconds: float) -> Freshness:
    """CHANGES_PER_SECOND status changes round the farm for `seconds`; each one's lag until the ledger shows it."""
    found = Freshness(asked=round(CHANGES_PER_SECOND * seconds), peak_rss=rss_mb(running.pid))
    pending: dict[str, tuple[str, float]] = {}  # origin_id -> (status awaited, Unix time of the change)
    codes = [node.code for node in farmed.nodes]
    driving = True

    async def change(code: str) -> None:
        async with session.post(farmed.url + "/control/status", json={"node": code}) as response:
            made: dict[str, Any] = await response.json()
        if response.status != 200:
            raise RuntimeError(f"the farm made no status change at {code}: {made}")
        pending[made["id"]] = (made["status"], made["at"])

    async def drive() -> None:
        nonlocal driving
        start, tasks = time.monotonic(), []
        for k in range(found.asked):
            await asyncio.sleep(max(0.0, start + k / CHANGES_PER_SECOND - time.monotonic()))
            tasks.append(asyncio.create_task(change(codes[k % len(codes)])))
        await asyncio.gather(*tasks)
        driving = False

    async def poll() -> None:
        settle_end = math.inf
        while driving or (pending and time.monotonic() < settle_end):
            if not driving and settle_end == math.inf:
                settle_end = time.monotonic() + SETTLE_SECONDS
            if pending:
                rows = await conn.fetch(SQL_STATUSES, list(pending))
                now = time.time()
                for row in rows:
                    status, at = pending[row["origin_id"]]
                    if row["status"] == status:
                        found.lags.append(now - at)
                        del pending[row["origin_id"]]
            await asyncio.sleep(POLL_SECONDS)

    async def sample() -> None:
        while driving or pending:
            found.peak_rss = max(found.peak_rss, rss_mb(running.pid))
            await asyncio.sleep(RSS_EVERY)

    print(f"index: freshness: {CHANGES_PER_SECOND:g} status changes/s over {len(codes)} nodes for {seconds:g} s",
          flush=True)
    sampler = asyncio.create_task(sample())
    await asyncio.gather(drive(), poll())
    sampler.cancel()
    print(f"index: freshness: {len(found.lags)} of {found.asked} changes seen, lag p50 {found.percentile(50):.2f} s "
          f"p95 {found.percentile(95):.2f} s, hub RSS peak {found.peak_rss:.0f} MB", flush=True)
    return found


def _yes(met: bool) -> str:
    return "yes" if met else "no"


def _ingest_table(nodes: int, reports: int, ingest: Ingest, tps: float, seconds: int) -> str:
    ratio = ingest.rate / tps
    row = [str(nodes), str(reports), f"{ingest.indexed:,} of {ingest.reports:,}", f"{ingest.seconds:.0f}",
           f"{ingest.rate:,.0f}", f"{tps:,.0f}", f"{ratio:.0%}", f"{ingest.peak_rss:.0f}", f"{ingest.caught_up:.0f}"]
    header = ["nodes", "reports per node", "reports indexed", "seconds", "changes/s",
              f"pgbench TPS (-c 4 -j 2 -T {seconds})", "ratio", "hub RSS peak MB", "then s until no node stale"]
    return table(f"Index ingest: a farm of {nodes} x {reports} reports through the feeds ({LATENCY_MS} ms nodes)",
                 header, [row])


def _reads_table(reads: list[ReadResult]) -> str:
    rows = []
    for r in reads:
        ratio = r.hub.p50 / r.sql.p50
        target = TARGET_PAGE_RATIO if r.read.kind == "page" else TARGET_STATS_RATIO
        met = r.hub.percentile(95) * 1000 < TARGET_P95_MS and ratio <= target and r.agrees
        rows.append([r.read.name, r.source, str(len(r.stale)), str(len(r.hub.samples)), r.hub.ms(50), r.hub.ms(95),
                     r.sql.ms(50), r.sql.ms(95), f"{ratio:.2f}", f"p95 < {TARGET_P95_MS:.0f} ms, <= {target:g}x",
                     "yes" if r.agrees else "no", str(r.hub.errors), _yes(met)])
    header = ["read", "source", "stale nodes", "requests", "hub p50 ms", "hub p95 ms", "SQL p50 ms", "SQL p95 ms",
              "hub / SQL p50", "target", "same rows", "failed", "met"]
    return table("Index reads through the hub against the same SQL directly (one request at a time)", header, rows)


def _freshness_table(nodes: int, found: Freshness) -> str:
    p50, p95 = found.percentile(50), found.percentile(95)
    row = [f"{CHANGES_PER_SECOND:g}", str(nodes), str(found.asked), str(len(found.lags)), f"{p50:.2f}", f"{p95:.2f}",
           f"{found.percentile(99):.2f}", _yes(p95 <= TARGET_LAG_P95), f"{found.peak_rss:.0f}",
           _yes(found.peak_rss <= TARGET_RSS_MB)]
    header = ["changes/s", "nodes", "changes", "seen", "lag p50 s", "lag p95 s", "lag p99 s",
              f"p95 <= {TARGET_LAG_P95:g} s", "hub RSS peak MB", f"<= {TARGET_RSS_MB:.0f} MB"]
    return table("Index freshness: status change at a node until hub.ledger shows it", header, [row])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.index", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_NODES} x {QUICK_REPORTS_PER_NODE} reports, "
                        "shorter reads and freshness")
    parser.add_argument("--nodes", type=int, help=f"farm nodes (default {NODES}, quick {QUICK_NODES})")
    parser.add_argument("--reports", type=int, help=f"reports per node (default {REPORTS_PER_NODE}, "
                        f"quick {QUICK_REPORTS_PER_NODE})")
    args = parser.parse_args(argv)
    print("\n".join(run(args.quick, args.nodes, args.reports)))


if __name__ == "__main__":
    main()
