"""One asyncpg pool per process, bound to the component's own schema."""

from __future__ import annotations

import asyncpg

# What a database outage raises (TimeoutError is an OSError): loops that must outlive one catch these.
# InternalClientError too: a server that shuts down while a connection is mid-statement leaves asyncpg's protocol
# consuming the error, and the next use raises "cannot switch to state N" (MagicStack/asyncpg#784).
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


async def create_pool(url: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections resolve unqualified names in `schema` first."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": f"simpul-{schema}"},
    )
    assert pool is not None
    return pool
