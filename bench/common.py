"""What every benchmark scenario shares: a database, a hub process, timing statistics, a results table.

Scenarios are bounded in requests and time, listen on 127.0.0.1 only, and
stop every process they start. They measure side by side in one run, so
each figure comes with the ratio that makes it comparable across machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import psutil

from hub.access.keys import issue_key
from hub.access.principal import Principal, Role
from hub.db.migrate import migrate_hub
from hub.nodes.enrolment import create_token
from hub.settings import SCHEMA
from simpul.db.embedded import database_url
from simpul.processes import ChildProcess
from simpul.progress import progress
from simpul.signing import TO_NODE, private_key, sign

# Limits a benchmark must not trip over: it measures the hub, not its abuse limits.
OPEN_LIMITS = ("--rate-principal", "10000000/minute", "--rate-public", "10000000/minute",
               "--rate-cost", "100000000/minute", "--max-cost", "100000")
BENCH_DIR = Path(".simpul/bench")
HUB_KEY_FILE = BENCH_DIR / "hub.key"  # the bench hub's --data-dir keeps its key pair
ADMIN = Principal(role=Role.ADMIN, name="bench")


@contextlib.contextmanager
def database(name: str) -> Iterator[str]:
    """A fresh database for one scenario: on DATABASE_URL's server when set, else on an embedded server."""
    with database_url(os.environ.get("DATABASE_URL"), BENCH_DIR) as server, \
            scratch_database(server, f"simpul_bench_{name}_{secrets.token_hex(3)}") as db:
        yield db


@contextlib.contextmanager
def scratch_database(server: str, name: str) -> Iterator[str]:
    """Database `name`, created on the server of URL `server` and dropped (closing what still uses it) after."""
    asyncio.run(_on_server(server, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(server, name)
    finally:
        asyncio.run(_on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{tail}" if tail else "")


async def _on_server(server: str, statement: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class Hub:
    process: ChildProcess
    url: str
    database_url: str
    key: str = ""  # a national admin API key

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}", "content-type": "application/json"}

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def sign_to(self, node: str, body: bytes) -> dict[str, str]:
        """Headers of a contract call as this hub makes it: signed with the hub's key, from its key file."""
        key = private_key(HUB_KEY_FILE.read_text().strip())
        return {**sign(key, TO_NODE, node, "POST", "/graphql", body), "content-type": "application/json"}


@contextlib.contextmanager
def hub(db: str, *extra: str) -> Iterator[Hub]:
    """A `simpul hub` on a free port with a national admin key; stopped on exit."""
    process = ChildProcess(["--log-level", "WARNING", "hub", "--port", "0", "--database-url", db,
                            "--data-dir", str(BENCH_DIR), *OPEN_LIMITS, *extra])
    try:
        url = process.wait_for(r"hub listening on (http://\S+)")[1]
        running = Hub(process, url, db)
        running.key = asyncio.run(admin_key(db))
        yield running
    finally:
        process.stop()


async def admin_key(db: str) -> str:
    conn = await asyncpg.connect(db, server_settings={"search_path": SCHEMA})
    try:
        _, secret = await issue_key(conn, ADMIN, Role.ADMIN, "bench", "", None, frozenset())
        return secret
    finally:
        await conn.close()


async def enrolment_tokens(db: str, regions: list[str], categories: list[tuple[str, ...]] | None = None) -> list[str]:
    """One enrolment token per region, granting the categories at the same place, as `simpul token create` makes
    them (the hub migrates first)."""
    await migrate_hub(db)
    conn = await asyncpg.connect(db, server_settings={"search_path": SCHEMA})
    try:
        grants = categories or [()] * len(regions)
        tokens = []
        with progress("enrolment tokens", len(regions), "tokens") as shown:
            for region, granted in zip(regions, grants, strict=True):
                issued = await create_token(conn, ADMIN, region, timedelta(hours=2), "bench", categories=granted)
                tokens.append(issued.token)
                shown.advance()
        return tokens
    finally:
        await conn.close()


@dataclass
class Timings:
    """Latencies of one kind of request, in seconds."""

    samples: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    def ms(self, p: float) -> str:
        return f"{self.percentile(p) * 1000:.1f}"


async def timed(requests: int, call: Callable[[], Awaitable[bool]], concurrency: int = 1) -> Timings:
    """Run `call` `requests` times, `concurrency` at once; `call` returns False for a failed answer."""
    timings = Timings()
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            start = time.perf_counter()
            ok = await call()
            timings.samples.append(time.perf_counter() - start)
            timings.errors += not ok

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    process = psutil.Process(pid)
    total: int = sum(p.memory_info().rss for p in (process, *process.children(recursive=True)))
    return total / 1e6


def machine() -> str:
    cpus = os.cpu_count() or 0
    memory = psutil.virtual_memory().total / 2**30
    return f"{platform.machine()}, {cpus} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, ready for bench/README.md."""
    lines = [f"### {title}", "", f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


@contextlib.asynccontextmanager
async def deadline(seconds: float, what: str) -> AsyncIterator[None]:
    """Bound a scenario step in time, with a clear message when it overruns."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise TimeoutError(f"{what} took longer than {seconds:g} s") from None
