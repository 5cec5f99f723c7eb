"""The child hub's ledger as this node's feed: the parent is poked when it moves, and told when it went back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from connectors.base import Change, NodeIdentity, NodeLevel, ReportStatus
from connectors.hub import ChildHubConnector
from connectors.hub.kind import DEFAULT_KEY_ENV, KIND
from connectors.kinds import BuildContext
from tests.connectors.hub.conftest import ChildHub
from tests.connectors.pokes import Pokes
from tests.federation import Desk, start_desk, submit

IDENTITY = NodeIdentity("64", "Hub Pemprov Kaltim", NodeLevel.PROVINSI, "64", "hub")



@pytest.fixture
def kutim(kaltim: ChildHub, tmp_path: Path) -> Iterator[Desk]:
    desk = start_desk(kaltim.hub, tmp_path / "kaltim", "64.08", "64.08", "KABKOTA", name="Kutai Timur")
    try:
        yield desk
    finally:
        desk.process.stop()


@pytest.fixture
async def pokes() -> Pokes:
    return Pokes()


@pytest.fixture
async def node(kaltim: ChildHub, tmp_path: Path, pokes: Pokes,
               monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ChildHubConnector]:
    """The `hub` kind built as `simpul node hub` builds it, with a callback standing for its poke."""
    monkeypatch.setenv(DEFAULT_KEY_ENV, kaltim.admin_key)
    built = KIND.build(BuildContext(IDENTITY, {"url": kaltim.hub.url}, tmp_path, None, on_change=pokes))
    assert isinstance(built.connector, ChildHubConnector)
    await built.connector.start()
    try:
        yield built.connector
    finally:
        await built.connector.stop()


async def _read_to_the_end(node: ChildHubConnector, after: str | None, status: ReportStatus) -> list[Change]:
    """The feed from `after` up to a change to `status`, which the child hub records after its own pull."""
    while True:
        changes = await node.changes(after, 100)
        if any(c.status is status for c in changes):
            return changes
        await asyncio.sleep(0.05)


async def test_the_parent_is_poked_when_a_report_or_its_status_moves_in_the_child_hub(
    node: ChildHubConnector, pokes: Pokes, kutim: Desk, session: aiohttp.ClientSession
) -> None:
    await pokes.next()  # subscribed to the child's events
    entered = await submit(session, kutim, title="Jalan rusak di Sangatta")
    await pokes.next()  # routed in the child's ledger
    async with session.post(f"{kutim.url}/reports/{entered['id'].partition(':')[2]}/status",
                            json={"status": "VERIFIED"},
                            headers={"authorization": f"Bearer {kutim.operator_key}"}) as response:
        assert response.status == 200, await response.text()
    await pokes.next()  # its status changed in the child's ledger


async def test_a_child_hub_reinstalled_says_the_parents_cursor_is_past_the_end_of_its_ledger(
    node: ChildHubConnector, kaltim: ChildHub, kutim: Desk, session: aiohttp.ClientSession
) -> None:
    await submit(session, kutim, title="Jalan rusak di Sangatta")
    read = await asyncio.wait_for(_read_to_the_end(node, None, ReportStatus.RECEIVED), 15)
    assert not await node.cursor_past_end(read[0].cursor)
    assert not await node.cursor_past_end(read[-1].cursor)

    conn = await asyncpg.connect(kaltim.hub.database_url)
    try:
        await conn.execute("TRUNCATE hub.ledger CASCADE")  # the child hub's ledger, empty as after a reinstall
    finally:
        await conn.close()

    assert await node.changes(read[-1].cursor, 100) == []
    assert await node.cursor_past_end(read[-1].cursor)
