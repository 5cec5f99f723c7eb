"""The change feeds over the fake SIPAKAR API: the officer's notes on them, and where the hub's cursor stands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import ReportStatus
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


async def test_a_status_change_found_by_comparing_listings_carries_the_officers_note(
    agency: FakeAgency, connector: RestConnector
) -> None:
    """The listing shows statuses only; each change's note (tanggapan) comes from the report's history, asked
    once: the entry is the same when the hub reads the feed again."""
    local_id = await agency.add(judul="Jalan rusak", isi="Jalan berlubang.", kategori="infrastruktur-jalan",
                                kode_wilayah="64.08")
    first = await connector.changes(None, 50)
    assert [(c.status, c.note) for c in first] == [(ReportStatus.RECEIVED, None)]
    await agency.set_status(local_id, "diproses", "Tim UPTD dijadwalkan Kamis.")
    later = await connector.changes(first[-1].cursor, 50)
    assert [(c.status, c.note) for c in later] == [(ReportStatus.IN_PROCESS, "Tim UPTD dijadwalkan Kamis.")]

    await agency.corrupt(local_id, "riwayat", "bukan daftar")  # the history could not be read any more
    again = await connector.changes(first[-1].cursor, 50)  # a page the hub reads again: asked once, kept
    assert [(c.status, c.note) for c in again] == [(ReportStatus.IN_PROCESS, "Tim UPTD dijadwalkan Kamis.")]


async def test_an_updated_since_change_carries_the_officers_note(
    agency: FakeAgency, updated_since: RestConnector
) -> None:
    local_id = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan",
                                kode_wilayah="64.08")
    await agency.set_status(local_id, "selesai", "Lampu sudah diganti.")
    assert [(c.status, c.note) for c in await updated_since.changes(None, 50)] == [
        (ReportStatus.COMPLETED, "Lampu sudah diganti.")]


async def test_without_notes_in_the_mapping_the_feed_asks_the_agency_nothing_more(
    agency: FakeAgency, tmp_path: Path
) -> None:
    """No `[timeline] note`: a change has no note, and the feed costs the listing only (a report whose history
    could not be read does not stop it)."""
    local_id = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan",
                                kode_wilayah="64.08")
    await agency.set_status(local_id, "selesai", "Lampu sudah diganti.")
    await agency.corrupt(local_id, "riwayat", "bukan daftar")  # GET /laporan/{id} could not be mapped now
    config = example_config(agency.api_url, timeline={"note": None})
    async with started(RestConnector(IDENTITY, parse(config), tmp_path)) as rest:
        assert [(c.status, c.note) for c in await rest.changes(None, 50)] == [(ReportStatus.COMPLETED, None)]
