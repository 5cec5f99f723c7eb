"""The page's charts are drawn from one read of the ledger: /dashboard/charts.json answers the three drawings
/dashboard/chart/{name}.svg answers one at a time, and PostgreSQL is asked for the year's clock rows once, as
its own statement log (asyncpg's query logger on every pooled connection) shows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from starlette.routing import Router
from starlette.types import Message

from hub.access.authn import Authenticator
from hub.access.guard import Guard
from hub.access.keys import issue_key
from hub.access.limits import Limits
from hub.access.principal import Principal, Role
from hub.dashboard.charts import CHARTS
from hub.dashboard.routes import Dashboard
from hub.db.migrate import migrate_hub
from hub.nodes.registry import Registry
from hub.settings import SCHEMA, HubSettings
from tests.hub import ledger_rows

YEAR = datetime.now(UTC).year - 1  # a whole year, every month begun
LEDGER_READ = "FROM ledger l"  # the SLA clock's statement, hub/sla/clocks.py CLOCKS


class Logged:
    """A pool over the hub's tables whose every statement is written down."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    async def pool(self, database: str) -> asyncpg.Pool:
        async def log_queries(conn: asyncpg.Connection) -> None:
            conn.add_query_logger(lambda record: self.statements.append(record.query))

        pool = await asyncpg.create_pool(database, min_size=1, max_size=4, init=log_queries,
                                         server_settings={"search_path": SCHEMA})
        assert pool is not None
        return pool

    def ledger_reads(self) -> int:
        return sum(LEDGER_READ in statement for statement in self.statements)


@pytest.fixture
async def logged(database: str) -> AsyncIterator[tuple[Logged, asyncpg.Pool]]:
    async for seeded in ledger_rows.hub_pool(database, ("64", "64.08")):
        for number, holder, month in (("LPR-1", "64.08", 1), ("LPR-2", "64", 3), ("LPR-3", "64.08", 3)):
            received = datetime(YEAR, month, 10, 2, tzinfo=UTC)
            await ledger_rows.add_report(seeded, number, received, region=holder, holder=holder, status="COMPLETED",
                                         completed_at=received + timedelta(days=2), forwarded_at=received)
        await seeded.execute("UPDATE nodes SET last_heartbeat = now()")
    await migrate_hub(database)
    log = Logged()
    pool = await log.pool(database)
    try:
        yield log, pool
    finally:
        await pool.close()


async def _get(app: Router, path: str, query: str, key: str) -> bytes:
    """GET path?query from the ASGI app, as a browser would; the body of a 200."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [(b"authorization", f"Bearer {key}".encode())], "scheme": "http", "http_version": "1.1",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000), "root_path": ""}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200, sent
    return b"".join(m.get("body", b"") for m in sent[1:])


async def test_the_pages_three_charts_are_drawn_from_one_read_of_the_ledger(
    database: str, logged: tuple[Logged, asyncpg.Pool],
) -> None:
    log, pool = logged
    async with pool.acquire() as conn:
        _, key = await issue_key(conn, Principal(role=Role.ADMIN, name="test"), Role.ADMIN, "officer", "", None,
                                 frozenset())
    guard = Guard(Authenticator(pool, 60), Registry(pool), Limits())
    app = Router(routes=Dashboard(pool, HubSettings(database_url=database), guard).routes())
    alone = {name: (await _get(app, f"/dashboard/chart/{name}.svg", f"year={YEAR}&region=64", key)).decode()
             for name in CHARTS}
    assert log.ledger_reads() == 3  # one a chart, asked one at a time

    log.statements.clear()
    together = json.loads(await _get(app, "/dashboard/charts.json", f"year={YEAR}&region=64", key))

    assert together == alone  # the same drawings, figure for figure
    assert log.ledger_reads() == 1
    assert 'data-value="2"' in together["received"]  # March's two reports are in them
