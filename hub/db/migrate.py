"""Apply the hub's migrations (hub/db/migrations) in the `hub` schema, as the role that owns it."""

from __future__ import annotations

import asyncpg

from hub.settings import SCHEMA
from simpul.db.migrate import Migration, grant_runtime, migrate

# Tables nobody changes once written: the hub's runtime role may only add to them and read them.
APPEND_ONLY = ("audit_log",)


async def migrate_hub(database_url: str, runtime_role: str | None = None) -> list[Migration]:
    """Migrate; with `runtime_role`, grant that role what the hub needs to run (and no more)."""
    conn = await asyncpg.connect(database_url)
    try:
        applied = await migrate(conn, SCHEMA, "hub.db.migrations")
        if runtime_role is not None:
            await grant_runtime(conn, SCHEMA, runtime_role, APPEND_ONLY)
        return applied
    finally:
        await conn.close()
