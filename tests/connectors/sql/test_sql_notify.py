"""The sql node pokes the hub when SIPP's officers change a report, through the feed trigger's NOTIFY."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from connectors.base import NodeIdentity, NodeLevel
from connectors.kinds import BuildContext
from connectors.sql.connector import SqlConnector
from connectors.sql.kind import KIND
from tests.connectors.pokes import Pokes
from tests.connectors.sql.agency import SippApp, example_config

IDENTITY = NodeIdentity("64.08.sipp", "SIPP Kutai Timur", NodeLevel.UNIT, "64.08", "sql")
NINE_WITA = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)



@pytest.fixture
async def app(database: str) -> SippApp:
    sipp = SippApp(database)
    await sipp.create_schema()
    return sipp


async def _built(database: str, data_dir: Path, pokes: Pokes) -> SqlConnector:
    built = KIND.build(BuildContext(IDENTITY, example_config(database), data_dir, None, on_change=pokes))
    assert isinstance(built.connector, SqlConnector)
    await built.connector.start()
    return built.connector


@pytest.fixture
async def pokes() -> Pokes:
    return Pokes()


@pytest.fixture
async def sipp(app: SippApp, database: str, tmp_path: Path, pokes: Pokes) -> AsyncIterator[SqlConnector]:
    connector = await _built(database, tmp_path, pokes)
    try:
        yield connector
    finally:
        await connector.stop()


async def _listening(database: str) -> int:
    """The pid of the node's listening connection, as soon as PostgreSQL shows it listening."""
    conn = await asyncpg.connect(database)
    try:
        while True:
            pid = await conn.fetchval("SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                                      " AND query LIKE 'LISTEN%' AND datname = current_database()",
                                      f"simpul-sql-{IDENTITY.code}-listen")
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def test_a_report_entered_in_sipp_pokes_the_hub(app: SippApp, sipp: SqlConnector, pokes: Pokes,
                                                      database: str) -> None:
    await asyncio.wait_for(_listening(database), 10)
    assert not pokes.event.is_set()
    local_id = await app.enter("Jalan rusak", NINE_WITA)
    await pokes.next()
    await app.set_status(local_id, 3)
    await pokes.next()


async def test_a_dropped_listening_connection_is_opened_again_and_pokes_go_on(
    app: SippApp, sipp: SqlConnector, pokes: Pokes, database: str
) -> None:
    pid = await asyncio.wait_for(_listening(database), 10)
    await app.execute("SELECT pg_terminate_backend($1)", pid)
    await pokes.next()  # listening again: what was written meanwhile may have been missed
    assert await asyncio.wait_for(_listening(database), 10) != pid
    await app.enter("Jalan rusak", NINE_WITA)
    await pokes.next()
    assert (await sipp.health()).ok

