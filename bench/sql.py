"""The sql connector on MariaDB with a million reports, against the same reads written by hand.

A Laravel complaint app's tables (tests/connectors/sql/laravel.py: `pengaduans`,
`kategoris`, and the view the agency made for simpul) are filled with 1,000,000
reports (50,000 quick) spread over Kalimantan's kabupaten/kota, four statuses
and three years, with the indexes such an app has: `created_at`, and
`(kode_wilayah, created_at)` and `(status, created_at)` for its own lists. The
connector, configured as connectors/sql/examples/laravel.toml, is then asked
what the hub asks a node: the 20 newest reports, those of a region subtree,
those of one status, a keyset page deep in the list, and counts by status. In
the same run each is also asked as a developer would write it against the
same view (below, beside each read), and each connector answer is checked to
hold the same reports. One request at a time; p50 and p95 of each.

    python -m bench sql [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Timings, table, timed
from connectors.base import Dimension, Keyset, NodeIdentity, NodeLevel, ReportFilter, ReportStatus
from connectors.numbering import FederationNumbers
from connectors.sql import SqlConnector, read_mapping
from connectors.sql.queries import Query
from simpul.progress import progress
from tests.connectors.sql.laravel import SCHEMA, laravel_config
from tests.databases import fresh_mariadb_database, mariadb_connection, mariadb_server, mariadbd

ROWS, QUICK_ROWS = 1_000_000, 50_000
REQUESTS, QUICK_REQUESTS = 200, 40
WARM_UP = 5
TARGET_RATIO = 1.5
BATCH = 5_000  # rows per INSERT while loading
REGIONS = ("6401", "6402", "6403", "6404", "6405", "6407", "6408", "6409", "6411", "6471", "6472", "6474",
           "6501", "6502", "6503", "6504", "6571", "6301", "6302", "6371")
STATUSES = ("menunggu", "proses", "selesai", "ditolak")
START = datetime(2023, 1, 1, tzinfo=UTC)
INDEXES = ("CREATE INDEX pengaduans_wilayah_created ON pengaduans (kode_wilayah, created_at)",
           "CREATE INDEX pengaduans_status_created ON pengaduans (status, created_at)")
COLUMNS = ("id, judul, status, kategori, kode_wilayah, created_at, isi, jenis, lokasi, nama_pelapor, no_hp,"
           " updated_at")  # what a node serves of a report
IDENTITY = NodeIdentity("64.08.lapor", "Aplikasi Pengaduan Kutai Timur", NodeLevel.UNIT, "64.08", "sql")


@dataclass(frozen=True)
class Read:
    name: str
    sql: str  # the hand-written read, against the agency's view
    ask: Callable[[SqlConnector], Awaitable[list[str]]]  # the connector's answer, as local ids or counts
    queries: Callable[[SqlConnector], Awaitable[list[Query]]]  # the SQL the connector sends for it, in order
    share: float = 1.0  # of the scenario's requests: a count reads every row, so it is asked fewer times


@dataclass(frozen=True)
class Result:
    read: Read
    connector_sql: Timings  # the connector's statements, as it sends them, rows fetched
    connector: Timings  # the whole connector call: statements, then reports built
    sql: Timings
    agrees: bool


def run(quick: bool = False) -> list[str]:
    if mariadbd() is None:
        return [table("sql connector on MariaDB", ["skipped"], [["mariadbd is missing: apt-get install "
                                                                   "mariadb-server"]])]
    rows = QUICK_ROWS if quick else ROWS
    folder = Path(tempfile.mkdtemp(prefix="simpul-bench-mariadb-", dir="/tmp"))
    try:
        with mariadb_server(folder) as server:
            results, load = asyncio.run(_measure(server, rows, QUICK_REQUESTS if quick else REQUESTS))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return [_table(rows, load, results)]


async def _measure(server: str, rows: int, requests: int) -> tuple[list[Result], float]:
    async with fresh_mariadb_database(server, "simpul_bench") as url:
        start = time.monotonic()
        await _load(url, rows)
        load = time.monotonic() - start
        config = laravel_config(url)
        config.pop("insert")
        connector = SqlConnector(IDENTITY, read_mapping(config), FederationNumbers(IDENTITY.code, b"b" * 32))
        await connector.start()
        try:
            results = []
            for read in await _reads(url, connector):
                results.append(await _compare(url, connector, read, requests))
        finally:
            await connector.stop()
    return results, load


async def _load(url: str, rows: int) -> None:
    """The app's schema and `rows` reports, loaded in batches while their progress is shown, then its indexes."""
    async with mariadb_connection(url) as conn, conn.cursor() as cursor:
        for statement in SCHEMA:
            await cursor.execute(statement)
        await cursor.execute("SET unique_checks = 0, foreign_key_checks = 0")
        seconds = 3 * 365 * 86_400
        with progress("sql: loading", rows, "reports") as shown:
            for first in range(0, rows, BATCH):
                values = []
                for n in range(first, min(rows, first + BATCH)):
                    at = (START + timedelta(seconds=n * seconds // rows)).strftime("%Y-%m-%d %H:%M:%S.%f")
                    values.append(f"('Laporan {n}', 'Isi laporan {n}.', 'pengaduan', '{STATUSES[n * 7 % 4]}',"
                                  f" {1 + n % 6}, '{REGIONS[n * 13 % len(REGIONS)]}', '{at}', '{at}')")
                await cursor.execute("INSERT INTO pengaduans (judul, isi, jenis, status, kategori_id, kode_wilayah,"
                                     " created_at, updated_at) VALUES " + ", ".join(values))
                shown.update(min(rows, first + BATCH))
        for statement in INDEXES:
            await cursor.execute(statement)
        await cursor.execute("ANALYZE TABLE pengaduans")
        await cursor.fetchall()


async def _reads(url: str, connector: SqlConnector) -> list[Read]:
    deep = (await _query(url, f"SELECT {COLUMNS} FROM v_simpul_pengaduan ORDER BY created_at DESC, id LIMIT 1"
                              " OFFSET 10000"))[0]
    after = Keyset(received_at=deep[5].replace(tzinfo=UTC), after_id=str(deep[0]))

    def ids(filter: ReportFilter, keyset: Keyset | None = None) -> Callable[[SqlConnector], Awaitable[list[str]]]:
        async def ask(c: SqlConnector) -> list[str]:
            return [r.local_id for r in await c.list_reports(filter, keyset, 20)]
        return ask

    def page(filter: ReportFilter, keyset: Keyset | None = None) -> Callable[[SqlConnector], Awaitable[list[Query]]]:
        async def sent(c: SqlConnector) -> list[Query]:
            return [c.queries.list(filter, keyset, 21)]  # one more than the page, as list_reports asks
        return sent

    async def counted(c: SqlConnector) -> list[Query]:
        return [c.queries.counts(ReportFilter(), [Dimension.STATUS], 1)]

    async def counts(c: SqlConnector) -> list[str]:
        return sorted(f"{b.status}={b.count}" for b in await c.count_reports(ReportFilter(), (Dimension.STATUS,), 1))

    newest = "ORDER BY created_at DESC, id DESC LIMIT 20"
    return [
        Read("20 newest", f"SELECT {COLUMNS} FROM v_simpul_pengaduan {newest}", ids(ReportFilter()),
             page(ReportFilter())),
        Read("20 newest of Kutai Timur (64.08)",
             f"SELECT {COLUMNS} FROM v_simpul_pengaduan WHERE kode_wilayah LIKE '6408%' {newest}",
             ids(ReportFilter(region_prefix="64.08")), page(ReportFilter(region_prefix="64.08"))),
        Read("20 newest in process", f"SELECT {COLUMNS} FROM v_simpul_pengaduan WHERE status = 'proses' {newest}",
             ids(ReportFilter(statuses=[ReportStatus.IN_PROCESS])),
             page(ReportFilter(statuses=[ReportStatus.IN_PROCESS]))),
        Read("a page after 10,000 rows",
             f"SELECT {COLUMNS} FROM v_simpul_pengaduan WHERE created_at < '{deep[5]:%Y-%m-%d %H:%M:%S.%f}'"
             f" OR (created_at = '{deep[5]:%Y-%m-%d %H:%M:%S.%f}' AND id < {deep[0]}) {newest}",
             ids(ReportFilter(), after), page(ReportFilter(), after)),
        Read("counts by status", "SELECT status, count(*) FROM v_simpul_pengaduan GROUP BY status", counts,
             counted, share=0.1),
    ]


async def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    async with mariadb_connection(url) as conn, conn.cursor() as cursor:
        await cursor.execute(sql)
        return list(await cursor.fetchall())


async def _compare(url: str, connector: SqlConnector, read: Read, requests: int) -> Result:
    async with mariadb_connection(url) as conn:
        async def by_hand() -> list[tuple[Any, ...]]:
            async with conn.cursor() as cursor:
                await cursor.execute(read.sql)
                return list(await cursor.fetchall())

        async def hand_call() -> bool:
            return bool(await by_hand())

        async def connector_call() -> bool:
            return bool(await read.ask(connector))

        sent = await read.queries(connector)

        async def connector_sql() -> bool:
            found = [await connector.pool.fetch(q.sql, *q.params) for q in sent]
            return bool(found[-1])

        rows = await by_hand()
        expected = ([f"{ReportStatus(s)}={n}" for s, n in sorted(
            (_STATUS[r[0]], r[1]) for r in rows)] if read.name.startswith("counts")
            else [str(r[0]) for r in rows])
        agrees = sorted(await read.ask(connector)) == sorted(expected)
        for call in (connector_sql, connector_call, hand_call):
            await timed(WARM_UP, call)
        asked = max(5, round(requests * read.share))
        sql_sent = await timed(asked, connector_sql)
        connector_timings = await timed(asked, connector_call)
        sql_timings = await timed(asked, hand_call)
    print(f"sql: {read.name}: connector's SQL p50 {sql_sent.ms(50)} ms p95 {sql_sent.ms(95)} ms, by hand p50 "
          f"{sql_timings.ms(50)} ms, ratio {sql_sent.p50 / sql_timings.p50:.2f}; whole connector call p50 "
          f"{connector_timings.ms(50)} ms; same reports {'yes' if agrees else 'NO'}", flush=True)
    return Result(read, sql_sent, connector_timings, sql_timings, agrees)


_STATUS = {"menunggu": "RECEIVED", "proses": "IN_PROCESS", "selesai": "COMPLETED", "ditolak": "REJECTED"}


def _table(rows: int, load: float, results: list[Result]) -> str:
    lines = []
    for r in results:
        ratio = r.connector_sql.p50 / r.sql.p50
        lines.append([r.read.name, str(len(r.sql.samples)), r.connector_sql.ms(50), r.connector_sql.ms(95),
                      r.sql.ms(50), r.sql.ms(95), f"{ratio:.2f}", "yes" if ratio <= TARGET_RATIO and r.agrees else "no",
                      r.connector.ms(50), r.connector.ms(95), "yes" if r.agrees else "no"])
    header = ["read", "requests", "connector's SQL p50 ms", "p95 ms", "by hand p50 ms", "p95 ms",
              "connector's SQL / by hand p50", f"<= {TARGET_RATIO:g}x", "whole connector call p50 ms", "p95 ms",
              "same reports"]
    return table(f"sql connector on MariaDB: {rows:,} reports (loaded and indexed in {load:.0f} s), one request "
                 "at a time", header, lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sql", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} reports, fewer requests")
    args = parser.parse_args(argv)
    print("\n".join(run(args.quick)))


if __name__ == "__main__":
    main()
