"""A child hub for the `hub` connector's tests: the Kaltim hub, on its own database, with an admin key; and the
two levels: national hub -> Kaltim hub (node 64) -> Kutai Timur desk, with Kaltara's desk (65) national."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simpul.processes import ChildProcess
from tests.databases import fresh_database
from tests.federation import Desk, Hub, create_token, run_cli, start_desk, start_hub


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


@dataclass
class TwoLevels:
    national: Hub
    kaltim: ChildHub
    kutim: Desk
    kaltara: Desk
    node: ChildProcess  # `simpul node hub`: the Kaltim hub as node 64 of the national hub


def _config(path: Path, child_url: str) -> Path:
    path.write_text(f"""
url = "{child_url}"
admin_key_env = "KALTIM_HUB_ADMIN_KEY"
timeout = 5
accept_wait = 2

[node]
code = "64"
name = "Hub Pemprov Kalimantan Timur"
level = "PROVINSI"
region = "64"
""")
    return path


@pytest.fixture
def two_levels(database: str, kaltim: ChildHub, tmp_path: Path) -> Iterator[TwoLevels]:
    national = start_hub(database, tmp_path / "national")
    started: list[ChildProcess] = [national.process]
    try:
        kutim = start_desk(kaltim.hub, tmp_path / "kaltim", "64.08", "64.08", "KABKOTA", name="Kutai Timur")
        started.append(kutim.process)
        kaltara = start_desk(national, tmp_path / "national", "65", "65", "PROVINSI", name="Kaltara")
        started.append(kaltara.process)
        node = ChildProcess(["node", "hub", "--config", str(_config(tmp_path / "kaltim-hub.toml", kaltim.hub.url)),
                             "--hub-url", national.url, "--token", create_token(database, "64"),
                             "--data-dir", str(tmp_path / "national"), "--heartbeat", "0.5", "--port", "0"],
                            env={"KALTIM_HUB_ADMIN_KEY": kaltim.admin_key})
        started.append(node)
        node.wait_for(r"node 64 serving on")
        yield TwoLevels(national, kaltim, kutim, kaltara, node)
    finally:
        for process in reversed(started):
            process.stop()
