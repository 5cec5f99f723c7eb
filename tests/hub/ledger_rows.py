"""Ledger rows written straight into the hub's tables, for tests of what reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from hub.db.migrate import migrate_hub
from hub.settings import SCHEMA
from simpul.db.pool import create_pool


async def hub_pool(database: str, nodes: tuple[str, ...] = ("64.08",)) -> AsyncIterator[asyncpg.Pool]:
    """The hub's tables, with a desk enrolled for each region code in `nodes`."""
    await migrate_hub(database)
    pool = await create_pool(database, SCHEMA, max_size=4)
    for code in nodes:
        await pool.execute(
            "INSERT INTO nodes (code, name, level, region_code, endpoint, kind, signing_key)"
            " VALUES ($1, $2, $3, $1, 'http://127.0.0.1:9', 'desk', '\\x00')",
            code, f"Desk {code}", "PROVINSI" if "." not in code else "KABKOTA")
    try:
        yield pool
    finally:
        await pool.close()


async def add_report(
    pool: asyncpg.Pool, tracking_number: str, received_at: datetime, *, region: str = "64.08",
    holder: str | None = "64.08", routing: str = "HELD", status: str = "RECEIVED", **columns: object,
) -> None:
    names = ", ".join(columns)
    values = ", ".join(f"${i}" for i in range(7, 7 + len(columns)))
    await pool.execute(
        "INSERT INTO ledger (tracking_number, origin_id, kind, title, body, category, region_code, channel,"
        " anonymous, confidential, received_at, status, holder_node, routing" + (f", {names}" if names else "")
        + ") VALUES ($1, 'hub:' || $1, 'PENGADUAN', 'Laporan', 'Isi', 'umum', $2, 'WEB', false, false,"
        " $3, $4, $5, $6" + (f", {values}" if values else "") + ")",
        tracking_number, region, received_at, status, holder, routing, *columns.values())


async def add_event(
    pool: asyncpg.Pool, tracking_number: str, type: str, at: datetime, node: str | None = None,
    status: str | None = None, note: str | None = None,
) -> None:
    await pool.execute(
        "INSERT INTO ledger_events (tracking_number, at, type, node, status, note, public)"
        " VALUES ($1, $2, $3, $4, $5, $6, true)", tracking_number, at, type, node, status, note)
