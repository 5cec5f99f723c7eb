"""Fixtures that build real things: a PostgreSQL, fresh databases, a running federation."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import settings

from simpul.db.embedded import embedded_postgres
from tests.browser import browser, page  # noqa: F401 -- fixtures, registered by being imported here
from tests.databases import fresh_database
from tests.federation import Federation, Hub, start_desk, start_federation, start_hub
from tests.graphql_ws import Subscription
from tests.impostor import impostor  # noqa: F401 -- a fixture, registered by being imported here


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hub_flags(*flags): command-line flags of the hub bare_federation starts")


# Hypothesis for hostile input, wherever its properties live: no example database, no deadline, few enough
# examples for a quick run.
settings.register_profile("property", database=None, deadline=None, max_examples=100)
settings.load_profile("property")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The server from DATABASE_URL, else an embedded one for the whole session."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    # A short path: the Unix socket lives in the data folder.
    folder = Path("/tmp") / f"simpul-test-{secrets.token_hex(4)}"
    folder.mkdir()
    with embedded_postgres(folder) as url:
        yield url


@pytest.fixture
async def database(pg_server: str) -> AsyncIterator[str]:
    """A fresh, empty database on the test server; dropped afterwards."""
    async with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
        yield client


@pytest.fixture
async def subscriptions() -> AsyncIterator[list[Subscription]]:
    """Subscriptions a test opens, closed after it."""
    opened: list[Subscription] = []
    yield opened
    for subscription in opened:
        await subscription.close()


@pytest.fixture
def federation(database: str, tmp_path: Path) -> Iterator[Federation]:
    """A hub and three desks: Kaltara (65), Kaltim (64) and Kutai Timur (64.08) under Kaltim."""
    with start_federation(database, tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def module_federation(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """The same federation, shared by the tests of one module that each leave it as they found it or read
    only what they made; xdist's --dist loadscope keeps a module's tests on one worker."""
    with start_federation(module_database, tmp_path_factory.mktemp("federation")) as running:
        yield running


@pytest.fixture(scope="module")
def kaltim_federation(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A hub and Kaltim's desk (64) alone, shared by the tests of one module."""
    data = tmp_path_factory.mktemp("kaltim")
    with Federation(start_hub(module_database, data)) as running:
        running.desks["64"] = start_desk(running.hub, data, "64", "64", "PROVINSI")
        yield running


@pytest.fixture
def hub(database: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub alone on a fresh database; stopped after the test."""
    running = start_hub(database, tmp_path / "hub")
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture(scope="module")
def module_hub(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub alone, shared by the tests of one module that each make their own users, keys and reports."""
    running = start_hub(module_database, tmp_path_factory.mktemp("hub"))
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture(scope="module")
async def module_database(pg_server: str) -> AsyncIterator[str]:
    """A fresh database for one test module, whose tests share one hub; dropped afterwards."""
    async with fresh_database(pg_server, "simpul_m") as url:
        yield url


@pytest.fixture
def bare_federation(request: pytest.FixtureRequest, database: str, tmp_path: Path) -> Iterator[Federation]:
    """A hub of its own on a fresh database (with the flags of the test's `hub_flags` mark) and no desk yet: the test
    starts its desks into `desks`, and the ones standing there at the end (a restarted desk in place of the first)
    are stopped with the hub."""
    flags = request.node.get_closest_marker("hub_flags")
    with Federation(start_hub(database, tmp_path, *(flags.args if flags else ()))) as running:
        yield running


@pytest.fixture
def fresh_hub(database: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub of its own over a fresh database: for tests of what happens from a hub's first start (enrolment)."""
    hub = start_hub(database, tmp_path)
    yield hub
    hub.process.stop()
