"""The updated-since change feed over the fake SIPAKAR API: where the hub's cursor stands in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.rest import RestConnector, parse
from tests.connectors.nodes import started
from tests.connectors.rest.conftest import IDENTITY, FakeAgency, example_config


@pytest.fixture
async def updated_since(agency: FakeAgency, tmp_path: Path) -> AsyncIterator[RestConnector]:
    config = example_config(agency.api_url, endpoints={"changes": "/laporan"}, changes={"since_param": "diubah_sejak"})
    async with started(RestConnector(IDENTITY, parse(config), tmp_path)) as rest:
        yield rest


async def test_an_agency_api_reinstalled_empty_says_the_hubs_cursor_is_past_the_feeds_end(
    agency: FakeAgency, updated_since: RestConnector
) -> None:
    first = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan", kode_wilayah="64.08")
    await agency.add(judul="Jalan rusak", isi="Jalan berlubang.", kategori="infrastruktur-jalan",
                     kode_wilayah="64.08")
    await agency.set_status(first, "selesai", "Sudah diganti.")
    read = await updated_since.changes(None, 50)
    assert len(read) == 2 and read[-1].local_id == first
    assert not await updated_since.cursor_past_end(read[0].cursor)
    assert not await updated_since.cursor_past_end(read[-1].cursor)

    await agency.reset()  # reinstalled: none of the reports the hub has read is there any more

    assert await updated_since.changes(read[-1].cursor, 50) == []
    assert await updated_since.cursor_past_end(read[-1].cursor)
