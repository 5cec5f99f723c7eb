"""The fake agency API as a real process for the whole session, emptied before each test."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import NodeIdentity, NodeLevel
from connectors.rest import RestConnector, parse
from tests.connectors.nodes import started

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "connectors" / "rest" / "example.toml"
TOKEN = "rahasia-kutim-uji"
TOKEN_ENV = "SIPAKAR_KUTIM_TOKEN"
WIB = timezone(timedelta(hours=7))
IDENTITY = NodeIdentity("64.08.sipakar", "SIPAKAR Kutim", NodeLevel.UNIT, "64.08", "rest", parent_code="64.08")


@dataclass
class FakeAgency:
    """The running fake API and its test-only doors."""

    url: str
    session: aiohttp.ClientSession

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(self.url + path, json=body) as response:
            answer = await response.json()
            assert response.status < 300, answer
            return answer

    async def add(self, **fields: Any) -> str:
        answer = await self._post("/_uji/laporan", fields)
        return str(answer["data"]["id_laporan"])

    async def set_status(self, local_id: str, status: str, note: str | None = None) -> None:
        await self._post(f"/_uji/laporan/{local_id}/status", {"status": status, "catatan": note})

    async def corrupt(self, local_id: str, field: str, *value: Any) -> None:
        await self._post(f"/_uji/laporan/{local_id}/mentah", {"field": field, **({"value": value[0]} if value else {})})

    async def reset(self) -> None:
        """Empty the agency's system, as a reinstall (or an early backup restored) would."""
        await self._post("/_uji/reset", {})

    async def mode(self, mode: str) -> None:
        await self._post("/_uji/mode", {"mode": mode})

    async def stored(self, local_id: str) -> dict[str, Any]:
        """The report as the agency's own API answers it (with the node's key), to see what a POST left there."""
        async with self.session.get(f"{self.api_url}/laporan/{local_id}",
                                    headers={"Authorization": f"Bearer {TOKEN}"}) as response:
            assert response.status == 200, await response.text()
            report: dict[str, Any] = (await response.json())["data"]
            return report

    async def keys_seen(self) -> list[str]:
        async with self.session.get(self.url + "/_uji/kunci") as response:
            keys: list[str] = (await response.json())["keys"]
            return keys

    async def bodies_posted(self) -> list[dict[str, Any]]:
        """Each forwarded report's POST body as the API received it."""
        async with self.session.get(self.url + "/_uji/kunci") as response:
            bodies: list[dict[str, Any]] = (await response.json())["bodies"]
            return bodies


def example_config(base_url: str, **tables: Any) -> dict[str, Any]:
    """The documented example.toml, pointed at `base_url`, with tables or keys replaced."""
    with EXAMPLE.open("rb") as f:
        config = tomllib.load(f)
    config.pop("node")
    config["base_url"] = base_url
    for key, value in tables.items():
        if value is None:
            config.pop(key, None)
        elif isinstance(value, dict) and isinstance(config.get(key), dict):
            merged = {**config[key], **value}
            config[key] = {k: v for k, v in merged.items() if v is not None}
        else:
            config[key] = value
    return config


@pytest.fixture(scope="session")
def fake_agency_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.connectors.rest.fake_api", "--port", "0", "--token", TOKEN],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake agency API on "), line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
async def agency(fake_agency_url: str, session: aiohttp.ClientSession,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeAgency]:
    """The fake API, empty and well-behaved, with its token in the environment as a node would have it."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    fake = FakeAgency(fake_agency_url, session)
    await fake.reset()
    yield fake


@pytest.fixture
async def connector(agency: FakeAgency, tmp_path: Path) -> AsyncIterator[RestConnector]:
    """A started connector over the fake API through the documented example mapping."""
    async with started(RestConnector(IDENTITY, parse(example_config(agency.api_url)), tmp_path)) as rest:
        yield rest
