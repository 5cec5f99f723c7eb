"""The desk passes the node contract suite every connector must pass."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.base import Channel, NodeIdentity, NodeLevel, Reporter
from connectors.desk import DeskConnector
from connectors.testing import ConnectorContract, Harness
from tests.connectors.nodes import DeskHarness, started


class TestDeskContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str) -> AsyncIterator[Harness]:
        identity = NodeIdentity("64.08", "Kutai Timur", NodeLevel.KABKOTA, "64.08", "desk")
        async with started(DeskConnector(identity, database, "desk_contract")) as desk:
            yield DeskHarness(desk, Channel.DESK, Reporter(name="Warga"), "desk")
