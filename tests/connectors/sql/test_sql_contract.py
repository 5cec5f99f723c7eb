"""The sql connector passes the node contract: over SIPP on PostgreSQL with either change feed, and over a
Laravel app on MariaDB."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.base import NodeIdentity, NodeLevel, ReportStatus
from connectors.numbering import FederationNumbers
from connectors.sql import SqlConnector, read_mapping
from connectors.testing import ConnectorContract, Harness, SeedReport
from tests.connectors.nodes import started
from tests.connectors.sql.agency import STATUS_CODE, SippApp, example_config
from tests.connectors.sql.laravel import STATUS, LaravelApp, laravel_config


class SippHarness:
    accepts_forwarded = True

    def __init__(self, connector: SqlConnector, app: SippApp) -> None:
        self.connector = connector
        self.app = app
        self.category_names = {ours: theirs for theirs, ours in connector.mapping.category_map.items()}

    async def add_report(self, report: SeedReport) -> str:
        return await self.app.enter_seed(report, self.category_names)

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        await self.app.set_status(local_id, STATUS_CODE[status])


async def _harness(database: str, feed: str) -> AsyncIterator[Harness]:
    app = SippApp(database)
    await app.create_schema()
    identity = NodeIdentity("64.08.sipp", "SIPP Kutai Timur", NodeLevel.UNIT, "64.08", "sql", parent_code="64.08")
    connector = SqlConnector(identity, read_mapping(example_config(database, feed=feed)),
                             FederationNumbers(identity.code, b"k" * 32))
    async with started(connector):
        yield SippHarness(connector, app)


class TestSqlTriggerFeedContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str) -> AsyncIterator[Harness]:
        async for harness in _harness(database, "trigger"):
            yield harness


class TestSqlUpdatedAtFeedContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, database: str) -> AsyncIterator[Harness]:
        async for harness in _harness(database, "updated_at"):
            yield harness


class LaravelHarness:
    accepts_forwarded = True

    def __init__(self, connector: SqlConnector, app: LaravelApp) -> None:
        self.connector = connector
        self.app = app
        self.category_names = {ours: theirs for theirs, ours in connector.mapping.category_map.items()}

    async def add_report(self, report: SeedReport) -> str:
        return await self.app.enter_seed(report, self.category_names)

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        await self.app.set_status(local_id, STATUS[status])


class TestSqlMariadbContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, mariadb: str) -> AsyncIterator[Harness]:
        app = LaravelApp(mariadb)
        await app.create_schema()
        identity = NodeIdentity("64.08.lapor", "Pengaduan Kutai Timur", NodeLevel.UNIT, "64.08", "sql",
                                parent_code="64.08")
        connector = SqlConnector(identity, read_mapping(laravel_config(mariadb)),
                                 FederationNumbers(identity.code, b"k" * 32))
        async with started(connector):
            yield LaravelHarness(connector, app)
