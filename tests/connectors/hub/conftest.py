"""A child hub for the `hub` connector's tests: the Kaltim hub, on its own database, with an admin key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import fresh_database
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


@pytest.fixture
async def kaltim_database(pg_server: str) -> AsyncIterator[str]:
    async with fresh_database(pg_server, "simpul_kaltim") as url:  # a child hub's schema is `hub` too
        yield url


@pytest.fixture
def kaltim(kaltim_database: str, tmp_path: Path) -> Iterator[ChildHub]:
    """The Kaltim hub running on its own database, with a national-scope admin key for the connector."""
    hub = start_hub(kaltim_database, tmp_path / "kaltim")
    try:
        yield ChildHub(hub, admin_key(kaltim_database))
    finally:
        hub.process.stop()
