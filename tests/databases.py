"""Fresh databases on the test server: one per test, module or scenario, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@asynccontextmanager
async def connection(url: str, schema: str | None = None) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to the database at `url` (with `schema` first on the search path), closed after."""
    settings = {"search_path": schema} if schema else None
    conn = await asyncpg.connect(url, server_settings=settings)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(pg_server: str, prefix: str = "simpul_t") -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it (closing whatever still uses it)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    async with connection(pg_server) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(pg_server, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def hub_pool_with_kutim(
    database_url: str, size: int, signing_key: bytes = b"\x00"
) -> AsyncIterator[asyncpg.Pool]:
    """The hub's migrated tables with one enrolled node, Kutai Timur's desk (64.08), and a pool of `size`
    connections to them, as the hub's own modules use it."""
    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from simpul.db.pool import create_pool

    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA, max_size=size)
    try:
        await pool.execute(
            "INSERT INTO nodes (code, name, level, region_code, categories, endpoint, kind, signing_key)"
            " VALUES ('64.08', 'Pemkab Kutai Timur', 'KABKOTA', '64.08', '{}', 'http://127.0.0.1:1', 'desk', $1)",
            signing_key)
        yield pool
    finally:
        await pool.close()
