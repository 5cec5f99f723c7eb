"""Apply the hub's migrations (hub/db/migrations) in the `hub` schema."""

from __future__ import annotations

import asyncpg

from hub.settings import SCHEMA
from simpul.db.migrate import Migration, migrate


async def migrate_hub(database_url: str) -> list[Migration]:
    conn = await asyncpg.connect(database_url)
    try:
        return await migrate(conn, SCHEMA, "hub.db.migrations")
    finally:
        await conn.close()
