"""One asyncpg pool per process, bound to the component's own schema."""

from __future__ import annotations

import asyncpg

# What a database outage raises (TimeoutError is an OSError): loops that must outlive one catch these.
# InternalClientError too: a server that shuts down while a connection is mid-statement leaves asyncpg's protocol
# consuming the error, and the next use raises "cannot switch to state N" (MagicStack/asyncpg#784).
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection goes back without asyncpg's reset statement (advisory locks, cursors, LISTEN, RESET
    ALL): a round trip on every release, for state nothing here leaves on a pooled connection. Advisory locks
    are per transaction, LISTEN has connections of its own, settings are SET LOCAL or given at connect; an open
    transaction is still rolled back."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(url: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections resolve unqualified names in `schema` first."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        connection_class=PooledConnection,
        server_settings={"search_path": schema, "application_name": f"simpul-{schema}"},
    )
    assert pool is not None
    return pool
