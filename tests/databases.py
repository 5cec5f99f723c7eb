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
async def fresh_database(pg_server: str, prefix: str = "simpul_t") -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it (closing whatever still uses it)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(pg_server, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
