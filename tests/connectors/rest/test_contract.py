"""The rest connector passes the node contract over a real (fake) agency API, in two mappings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import ReportStatus
from connectors.rest import RestConnector, parse
from connectors.testing import ConnectorContract, Harness, SeedReport
from tests.connectors.nodes import started
from tests.connectors.rest.conftest import IDENTITY, WIB, FakeAgency, example_config

STEPS = {ReportStatus.IN_PROCESS: ("diproses",), ReportStatus.COMPLETED: ("diproses", "selesai"),
         ReportStatus.REJECTED: ("ditolak",)}
CATEGORIES = {"jalan": "infrastruktur-jalan"}  # the agency's own name, per [category_map]


class RestHarness:
    accepts_forwarded = True

    def __init__(self, connector: RestConnector, agency: FakeAgency) -> None:
        self.connector = connector
        self.agency = agency

    async def add_report(self, report: SeedReport) -> str:
        return await self.agency.add(
            judul=report.title, isi=report.body, jenis=report.kind.value.lower(),
            kategori=CATEGORIES.get(report.category, report.category), kode_wilayah=report.region_code,
            dibuat_pada=report.received_at.astimezone(WIB).isoformat(),
            pelapor={"nama": "Warga", "telepon": "081234567890", "anonim": False, "rahasia": False},
        )

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        for step in STEPS[status]:
            await self.agency.set_status(local_id, step, note)


async def _harness(agency: FakeAgency, tmp_path: Path, **mapping: object) -> AsyncIterator[Harness]:
    async with started(RestConnector(IDENTITY, parse(example_config(agency.api_url, **mapping)), tmp_path)) as rest:
        yield RestHarness(rest, agency)


class TestRestContractPagedWithSnapshotFeed(ConnectorContract):
    """Page/per_page paging, the agency's own history as timeline, changes found by comparing snapshots."""

    @pytest.fixture
    async def harness(self, agency: FakeAgency, tmp_path: Path) -> AsyncIterator[Harness]:
        async for harness in _harness(agency, tmp_path, pagination={"size": 4}):
            yield harness


class TestRestContractCursorWithUpdatedSinceFeed(ConnectorContract):
    """Cursor paging, no history in the API (timeline derived), changes from an updated-since listing."""

    @pytest.fixture
    async def harness(self, agency: FakeAgency, tmp_path: Path) -> AsyncIterator[Harness]:
        async for harness in _harness(
            agency, tmp_path, fields={"timeline": None}, timeline=None,
            pagination={"style": "cursor", "size": 3, "size_param": "limit"},
            answers={"next_cursor": "meta.next_cursor", "total": None},
            endpoints={"changes": "/laporan"}, changes={"since_param": "diubah_sejak"},
        ):
            yield harness
