"""A MariaDB server of the tests' own for the sql connector, one per session (per xdist worker)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.databases import MARIADB_MISSING, fresh_mariadb_database, mariadb_server, mariadbd


@pytest.fixture(scope="session")
def mariadb_root() -> Iterator[str]:
    """The root URL of a MariaDB started for this session in a temporary folder; skips when none is installed."""
    if mariadbd() is None:
        pytest.skip(MARIADB_MISSING)
    folder = Path("/tmp") / f"simpul-mariadb-{secrets.token_hex(4)}"  # short: the socket path must fit
    folder.mkdir()
    try:
        with mariadb_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def mariadb(mariadb_root: str) -> AsyncIterator[str]:
    """A fresh, empty database on the session's MariaDB; dropped afterwards."""
    async with fresh_mariadb_database(mariadb_root) as url:
        yield url
