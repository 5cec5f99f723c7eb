"""The open311 connector passes the node contract suite, in JSON, in XML, and with service request updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import NodeIdentity, NodeLevel, ReportStatus
from connectors.open311 import Open311Connector, parse_config
from connectors.testing import ConnectorContract, Harness, SeedReport
from tests.connectors.open311.conftest import FakeOpen311, connector_config

IDENTITY = NodeIdentity("64.08.dpupr", "DPUPR Kutai Timur", NodeLevel.UNIT, "64.08", "open311")


class Open311Harness:
    accepts_forwarded = True

    def __init__(self, connector: Open311Connector, fake: FakeOpen311) -> None:
        self.connector = connector
        self.fake = fake

    async def add_report(self, report: SeedReport) -> str:
        return await self.fake.add(report.category, report.kind, report.title, report.body, report.received_at,
                                   report.region_code)

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        await self.fake.change(local_id, "closed" if status is ReportStatus.COMPLETED else "open", note)


class TestOpen311Contract(ConnectorContract):
    @pytest.fixture(params=["json", "xml", "xml+updates"])
    async def harness(self, request: pytest.FixtureRequest, fake: FakeOpen311, tmp_path: Path
                      ) -> AsyncIterator[Harness]:
        format, _, updates = request.param.partition("+")
        await fake.reset(updates=bool(updates))
        config = parse_config(connector_config(fake.url, format), IDENTITY)
        connector = Open311Connector(IDENTITY, config, tmp_path)
        await connector.start()
        try:
            yield Open311Harness(connector, fake)
        finally:
            await connector.stop()
