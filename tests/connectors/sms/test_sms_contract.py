"""The sms kind passes the node contract suite: its store is the desk's, under its own schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import Channel, NodeIdentity, NodeLevel, Reporter, ReportStatus
from connectors.desk import NewReport
from connectors.kinds import BuildContext
from connectors.sms.kind import KIND
from connectors.sms.store import SmsStore
from connectors.testing import ConnectorContract, Harness, SeedReport

PATH = (ReportStatus.VERIFIED, ReportStatus.IN_PROCESS, ReportStatus.COMPLETED)


class SmsHarness:
    accepts_forwarded = True

    def __init__(self, store: SmsStore) -> None:
        self.connector = self.store = store

    async def add_report(self, report: SeedReport) -> str:
        created = await self.store.create_report(NewReport(
            kind=report.kind, title=report.title, body=report.body, category=report.category,
            region_code=report.region_code, channel=Channel.SMS,
            reporter=Reporter(confidential=True, contact="+6281234567890"), received_at=report.received_at), "sms")
        return created.local_id

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        for step in PATH[: PATH.index(status) + 1]:
            await self.store.change_status(local_id, step, "desk", note)


class TestSmsContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
        monkeypatch.setenv("SIMPUL_SMS_SECRET", "rahasia-gateway")
        identity = NodeIdentity("64.sms", "SMS 1708 Kaltim", NodeLevel.PROVINSI, "64", "sms")
        built = KIND.build(BuildContext(identity, {}, tmp_path, database))
        assert isinstance(built.connector, SmsStore)
        await built.connector.start()
        try:
            yield SmsHarness(built.connector)
        finally:
            await built.connector.stop()
