"""The fake Open311 server as a real process, and what tests need to drive it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import ReportKind

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "kunci-uji-open311"
JURISDICTION = "kutaitimurkab.go.id"
SERVICE_CODES = {
    ("jalan", ReportKind.PENGADUAN): "JLN", ("jalan", ReportKind.ASPIRASI): "JLN-ASP",
    ("jalan", ReportKind.INFORMASI): "JLN-INF", ("penerangan", ReportKind.PENGADUAN): "PJU",
    ("kesehatan", ReportKind.PENGADUAN): "KES", ("kebersihan", ReportKind.PENGADUAN): "SMP",
    ("air", ReportKind.PENGADUAN): "AIR", ("kependudukan", ReportKind.PENGADUAN): "KTP",
}


class FakeOpen311:
    """The running fake: its Open311 base URL and its test-only controls."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url  # the Open311 base, e.g. http://127.0.0.1:4311/open311/v2
        self.root = url.split("/open311/")[0]
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.root + path, json=body) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def reset(self, **options: Any) -> None:
        await self._post("/_test/reset", options)

    async def add(self, category: str, kind: ReportKind, title: str, body: str, requested: datetime,
                  region_code: str) -> str:
        answer = await self._post("/_test/requests", {
            "service_code": SERVICE_CODES[(category, kind)], "description": f"{title}\n\n{body}",
            "requested_datetime": requested.isoformat(), "attributes": {"kode_wilayah": region_code}})
        return str(answer["service_request_id"])

    async def change(self, request_id: str, status: str, notes: str | None) -> None:
        await self._post(f"/_test/requests/{request_id}", {"status": status, "status_notes": notes})

    async def fail(self, mode: str) -> None:
        await self._post("/_test/failure", {"mode": mode})

    async def posted(self) -> int:
        assert self._session is not None
        async with self._session.get(self.root + "/_test/posted") as response:
            return int((await response.json())["posted"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def connector_config(url: str, format: str = "json", **extra: Any) -> dict[str, Any]:
    """The kind's config table for the fake, as a TOML file would give it."""
    services: dict[str, Any] = {}
    for (category, kind), code in SERVICE_CODES.items():
        services[code] = category if kind is ReportKind.PENGADUAN else {"category": category, "kind": kind.value}
    return {"endpoint": url, "format": format, "jurisdiction_id": JURISDICTION, "api_key_env": "KUTIM_OPEN311_KEY",
            "since": "2026-01-01T00:00:00Z", "region_attribute": "kode_wilayah",
            "timeout": 2, "status": {"open": "RECEIVED", "closed": "COMPLETED"}, "services": services, **extra}


@pytest.fixture(scope="session")
def fake_process() -> Iterator[FakeOpen311]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.connectors.open311.fake_server", "--port", "0", "--api-key", API_KEY],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "serving on" in line, line
    try:
        yield FakeOpen311(process, line.split("serving on ")[1].strip())
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.fixture
async def fake(fake_process: FakeOpen311, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeOpen311]:
    """The fake, emptied, with the api_key in the environment the config names."""
    monkeypatch.setenv("KUTIM_OPEN311_KEY", API_KEY)
    await fake_process.reset()
    yield fake_process
    await fake_process.close()
