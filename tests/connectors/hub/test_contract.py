"""The child hub connector passes the node contract suite, over a real Kaltim hub with one desk under it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.base import Connector, NodeIdentity, NodeLevel, ReportKind, ReportStatus
from connectors.hub import ChildHubClient, ChildHubConnector
from connectors.testing import ConnectorContract, Harness, SeedReport
from tests.connectors.hub.conftest import ChildHub, admin_key
from tests.connectors.nodes import started
from tests.databases import connection, fresh_database
from tests.federation import Desk, graphql, start_desk, start_hub, submit

PATH = (ReportStatus.VERIFIED, ReportStatus.IN_PROCESS, ReportStatus.COMPLETED)
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { status } }"


class ChildHubHarness:
    accepts_forwarded = True

    def __init__(self, connector: ChildHubConnector, child: ChildHub, desk: Desk,
                 session: aiohttp.ClientSession) -> None:
        self.connector: Connector = connector
        self.child = child
        self.desk = desk
        self.session = session
        self.tracking: dict[str, str] = {}

    async def add_report(self, report: SeedReport) -> str:
        # An information request names its requester and address (UU 14/2008), as a desk officer enters it.
        requester = ({"reporterName": "Pemohon Informasi", "reporterContact": "Jl. Yos Sudarso 1, Sangatta"}
                     if report.kind is ReportKind.INFORMASI else {})
        entered = await submit(self.session, self.desk, as_operator=True, kind=report.kind.value, title=report.title,
                               body=report.body, category=report.category, regionCode=report.region_code,
                               channel="DESK", receivedAt=report.received_at.isoformat(), **requester)
        self.tracking[entered["id"]] = entered["trackingNumber"]
        await self._until_the_child_hub_says(entered["trackingNumber"], ReportStatus.RECEIVED)
        return str(entered["id"])

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        headers = {"authorization": f"Bearer {self.desk.operator_key}"}
        for step in PATH[: PATH.index(status) + 1]:
            async with self.session.post(f"{self.desk.url}/reports/{local_id.partition(':')[2]}/status",
                                         json={"status": step.value, "note": note}, headers=headers) as response:
                assert response.status == 200, await response.text()
        await self._until_the_child_hub_says(self.tracking[local_id], status)

    async def _until_the_child_hub_says(self, tracking_number: str, status: ReportStatus) -> None:
        """The child hub pulls its desk's feed (poked at once); wait until its ledger has caught up."""
        for _ in range(200):
            answer = await graphql(self.session, self.child.hub.graphql_url, TRACK, {"t": tracking_number})
            tracked = answer["data"]["trackReport"]
            if tracked is not None and tracked["status"] == status.value:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the child hub never saw {tracking_number} as {status}")


@pytest.fixture(scope="module")
async def province(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[ChildHub, Desk]]:
    """The Kaltim hub with one desk for the whole province, so that every seed region (64.08, 64.01, ...)
    is routed to it. Started once for the module; each test empties it (see `harness`)."""
    folder = tmp_path_factory.mktemp("kaltim")
    async with fresh_database(pg_server, "simpul_kaltim") as url:
        hub = start_hub(url, folder)
        try:
            desk = start_desk(hub, folder, "kaltim-desk", "64", "PROVINSI")
            try:
                yield ChildHub(hub, admin_key(url)), desk
            finally:
                desk.process.stop()
        finally:
            hub.process.stop()


async def _empty(database_url: str) -> None:
    """A fresh, empty system for the next test, with the processes left running: every report goes from the
    desk and from the hub's ledger, with the national counts kept beside it (a TRUNCATE fires no trigger to
    take them down). Sequences go on, so the hub's watermark on the desk's feed stays valid."""
    async with connection(database_url) as conn:
        await conn.execute("TRUNCATE desk_kaltim_desk.reports, desk_kaltim_desk.events, desk_kaltim_desk.accepted_keys,"
                           " hub.ledger, hub.index_counts, hub.index_count_deltas CASCADE")


class TestChildHubContract(ConnectorContract):
    @pytest.fixture
    async def harness(self, province: tuple[ChildHub, Desk],
                      session: aiohttp.ClientSession) -> AsyncIterator[Harness]:
        kaltim, desk = province
        await _empty(kaltim.hub.database_url)
        identity = NodeIdentity("64", "Hub Pemprov Kaltim", NodeLevel.PROVINSI, "64", "hub")
        connector = ChildHubConnector(identity, ChildHubClient(kaltim.hub.url, kaltim.admin_key, 10), 3.0)
        async with started(connector):
            yield ChildHubHarness(connector, kaltim, desk, session)
