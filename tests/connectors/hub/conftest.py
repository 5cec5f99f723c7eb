"""A child hub for the `hub` connector's tests: the Kaltim hub, on its own database, with an admin key."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.federation import Hub, run_cli, start_hub


@dataclass
class ChildHub:
    hub: Hub
    admin_key: str  # a national-scope admin key of the child hub, as the connector holds it


def admin_key(database_url: str, name: str = "Hub nasional", region: str = "national") -> str:
    result = run_cli("key", "create", "--role", "admin", "--name", name, "--region", region,
                     "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@asynccontextmanager
async def second_database(pg_server: str) -> AsyncIterator[str]:
    """A fresh database beside the parent's: a child hub's schema is always `hub`, so they cannot share one."""
    name = f"simpul_kaltim_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(pg_server)._replace(path="/" + name))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def kaltim_database(pg_server: str) -> AsyncIterator[str]:
    async with second_database(pg_server) as url:
        yield url


@pytest.fixture
def kaltim(kaltim_database: str, tmp_path: Path) -> Iterator[ChildHub]:
    """The Kaltim hub running on its own database, with a national-scope admin key for the connector."""
    hub = start_hub(kaltim_database, tmp_path / "kaltim")
    try:
        yield ChildHub(hub, admin_key(kaltim_database))
    finally:
        hub.process.stop()
