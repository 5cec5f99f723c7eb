"""The desk passes the node contract suite every connector must pass."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.base import Channel, NodeIdentity, NodeLevel, Reporter, ReportStatus
from connectors.desk import DeskConnector, NewReport
from connectors.testing import ConnectorContract, Harness, SeedReport

PATH = (ReportStatus.VERIFIED, ReportStatus.IN_PROCESS, ReportStatus.COMPLETED)


class DeskHarness:
    accepts_forwarded = True

    def __init__(self, desk: DeskConnector) -> None:
        self.connector = self.desk = desk

    async def add_report(self, report: SeedReport) -> str:
        created = await self.desk.create_report(NewReport(
            kind=report.kind, title=report.title, body=report.body, category=report.category,
            region_code=report.region_code, channel=Channel.DESK, reporter=Reporter(name="Warga"),
            received_at=report.received_at), "desk")
        return created.local_id

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        for step in PATH[: PATH.index(status) + 1]:
            await self.desk.change_status(local_id, step, "desk", note)


class TestDeskContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str) -> AsyncIterator[Harness]:
        identity = NodeIdentity("64.08", "Kutai Timur", NodeLevel.KABKOTA, "64.08", "desk")
        desk = DeskConnector(identity, database, "desk_contract")
        await desk.start()
        try:
            yield DeskHarness(desk)
        finally:
            await desk.stop()
