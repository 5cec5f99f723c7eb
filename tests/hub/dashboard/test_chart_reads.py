"""The page's charts are drawn from one read of the ledger: /dashboard/charts.json answers, over HTTP, the three
drawings /dashboard/chart/{name}.svg answers one at a time, and PostgreSQL is asked for the year's clock rows once,
as its own statement log (asyncpg's query logger on every pooled connection) shows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest
from starlette.routing import Router

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
from tests.asgi_server import serving
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


async def test_the_pages_three_charts_are_drawn_from_one_read_of_the_ledger(
    database: str, logged: tuple[Logged, asyncpg.Pool],
) -> None:
    log, pool = logged
    async with pool.acquire() as conn:
        _, key = await issue_key(conn, Principal(role=Role.ADMIN, name="test"), Role.ADMIN, "officer", "", None,
                                 frozenset())
    guard = Guard(Authenticator(pool, 60), Registry(pool), Limits())
    app = Router(routes=Dashboard(pool, HubSettings(database_url=database), guard).routes())
    async with serving(app) as url, aiohttp.ClientSession(headers={"authorization": f"Bearer {key}"}) as session:

        async def get(path: str) -> str:
            async with session.get(f"{url}{path}?year={YEAR}&region=64") as answer:
                assert answer.status == 200, await answer.text()
                return await answer.text()

        alone = {name: await get(f"/dashboard/chart/{name}.svg") for name in CHARTS}
        assert log.ledger_reads() == 3  # one a chart, asked one at a time

        log.statements.clear()
        together = json.loads(await get("/dashboard/charts.json"))

    assert together == alone  # the same drawings, figure for figure
    assert log.ledger_reads() == 1
    assert 'data-value="2"' in together["received"]  # March's two reports are in them
