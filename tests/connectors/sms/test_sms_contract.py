"""The sms kind passes the node contract suite: its store is the desk's, under its own schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import Channel, NodeIdentity, NodeLevel, Reporter
from connectors.kinds import BuildContext
from connectors.sms.kind import KIND
from connectors.sms.store import SmsStore
from connectors.testing import ConnectorContract, Harness
from tests.connectors.nodes import DeskHarness, started


class TestSmsContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
        monkeypatch.setenv("SIMPUL_SMS_SECRET", "rahasia-gateway")
        identity = NodeIdentity("64.sms", "SMS 1708 Kaltim", NodeLevel.PROVINSI, "64", "sms")
        built = KIND.build(BuildContext(identity, {}, tmp_path, database))
        assert isinstance(built.connector, SmsStore)
        async with started(built.connector) as store:
            yield DeskHarness(store, Channel.SMS, Reporter(confidential=True, contact="+6281234567890"), "sms")
