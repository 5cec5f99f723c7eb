"""What the node remembers for an API that cannot: accepted keys and last seen statuses, across restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Channel, ConnectorError, ForwardedReport, Reporter, ReportFilter, ReportKind
from connectors.rest import RestConnector, parse
from connectors.rest.connector import STATE_FILE
from connectors.rest.mapping import Mapper
from tests.connectors.nodes import started
from tests.connectors.rest.conftest import IDENTITY, FakeAgency, example_config

FORWARDED = ForwardedReport(
    source_id="65:12", tracking_number="65-000012", kind=ReportKind.PENGADUAN, title="Jembatan putus",
    body="Jembatan di Desa Sangatta Selatan putus.", category="jalan", region_code="64.08.04",
    channel=Channel.SMS, reporter=Reporter(name="Siti", contact="+6281234567890"),
    received_at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC),
)


async def _restarted(agency: FakeAgency, data_dir: Path) -> RestConnector:
    rest = RestConnector(IDENTITY, parse(example_config(agency.api_url)), data_dir)
    await rest.start()
    return rest


async def test_a_forwarded_report_is_posted_once_with_its_key_even_after_a_restart(
    agency: FakeAgency, connector: RestConnector, tmp_path: Path
) -> None:
    first = await connector.accept_report("delivery-65-12", FORWARDED)
    assert first.created and first.tracking_number == "65-000012"
    report = await connector.get_report(first.local_id)
    assert report is not None and report.category == "jalan" and report.channel is Channel.SMS
    assert report.reporter.contact == "+6281234567890" and report.region_code == "64.08.04"

    again = await _restarted(agency, tmp_path)
    try:
        repeat = await again.accept_report("delivery-65-12", FORWARDED)
    finally:
        await again.stop()
    assert (repeat.local_id, repeat.created) == (first.local_id, False)
    assert await agency.keys_seen() == ["delivery-65-12"]  # the API ignores the key; we did not post twice


async def test_a_post_cut_off_before_its_answer_was_recorded_is_not_made_again(
    agency: FakeAgency, connector: RestConnector, tmp_path: Path
) -> None:
    """The node died after the agency created the report but before it wrote down the answer."""
    held = await agency.add(judul=FORWARDED.title, isi=FORWARDED.body, kategori="infrastruktur-jalan",
                            kode_wilayah="64.08.04", nomor_tiket="65-000012")
    (tmp_path / STATE_FILE).write_text(json.dumps(
        {"version": 1, "seq": 0, "seen": {}, "accepted": {"delivery-65-12": {"pending": "65-000012"}},
         "forwarded": {}}))
    again = await _restarted(agency, tmp_path)
    try:
        accepted = await again.accept_report("delivery-65-12", FORWARDED)
    finally:
        await again.stop()
    assert (accepted.local_id, accepted.created) == (held, False)
    assert await agency.keys_seen() == []


async def test_the_derived_change_feed_resumes_after_a_restart_without_repeating(
    agency: FakeAgency, connector: RestConnector, tmp_path: Path
) -> None:
    local_id = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan",
                                kode_wilayah="64.08")
    first = await connector.changes(None, 50)
    again = await _restarted(agency, tmp_path)
    try:
        assert await again.changes(first[-1].cursor, 50) == []
        await agency.set_status(local_id, "selesai", "Sudah diganti.")
        later = await again.changes(first[-1].cursor, 50)
    finally:
        await again.stop()
    assert [(c.local_id, c.status.value) for c in later] == [(local_id, "COMPLETED")]
    assert int(later[0].cursor) > int(first[-1].cursor)


async def test_a_damaged_state_file_makes_the_node_unhealthy_not_forgetful(
    agency: FakeAgency, tmp_path: Path
) -> None:
    (tmp_path / STATE_FILE).write_text("{ setengah")
    rest = await _restarted(agency, tmp_path)
    try:
        health = await rest.health()
        assert not health.ok and STATE_FILE in health.detail
        with pytest.raises(ConnectorError, match="not JSON"):
            await rest.changes(None, 10)
        with pytest.raises(ConnectorError, match="not JSON"):  # which reports were forwarded here, and keep
            await rest.list_reports(ReportFilter(), None, 10)  # their numbers, is in the state file
    finally:
        await rest.stop()
    assert (tmp_path / STATE_FILE).read_text() == "{ setengah"


async def test_a_disposition_is_kept_once(agency: FakeAgency, connector: RestConnector, tmp_path: Path) -> None:
    await connector.mark_forwarded("7", "64.08.dinkes")
    await connector.mark_forwarded("7", "64.08.dinkes")
    assert json.loads((tmp_path / STATE_FILE).read_text())["forwarded"] == {"7": "64.08.dinkes"}


async def test_offset_paging_reads_every_report(agency: FakeAgency, tmp_path: Path) -> None:
    ids = [await agency.add(judul=f"Laporan {i}", isi="Isi.", kategori="umum", kode_wilayah="64.08",
                            dibuat_pada=f"2026-03-0{i % 3 + 1}T08:00:00+07:00") for i in range(7)]
    config = example_config(agency.api_url, pagination={"style": "offset", "size": 2, "size_param": "limit"},
                             answers={"total": None})
    async with started(RestConnector(IDENTITY, parse(config), tmp_path)) as rest:
        listed = await rest.list_reports(ReportFilter(), None, 100)
    assert sorted(r.local_id for r in listed) == sorted(ids)


async def test_a_state_file_restored_from_before_says_the_hubs_cursor_is_past_the_feeds_end(
    agency: FakeAgency, connector: RestConnector, tmp_path: Path
) -> None:
    """The node's data folder is restored from a backup taken before it numbered the last changes."""
    first = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan", kode_wilayah="64.08")
    await agency.add(judul="Jalan rusak", isi="Jalan berlubang.", kategori="infrastruktur-jalan",
                     kode_wilayah="64.08")
    read = await connector.changes(None, 50)
    await agency.set_status(first, "selesai", "Sudah diganti.")
    read += await connector.changes(read[-1].cursor, 50)
    assert [c.cursor for c in read] == ["1", "2", "3"]
    assert not await connector.cursor_past_end("1")
    assert not await connector.cursor_past_end("3")

    (tmp_path / STATE_FILE).unlink()
    again = await _restarted(agency, tmp_path)
    try:
        assert await again.changes("3", 50) == []
        assert await again.cursor_past_end("3")
        assert not await again.cursor_past_end("2")
    finally:
        await again.stop()


def test_a_reporter_without_name_or_contact_is_posted_anonymous_and_without_null_fields(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPAKAR_KUTIM_TOKEN", "token")
    mapper = Mapper(parse(example_config("http://127.0.0.1:1/api")))
    nobody = FORWARDED.model_copy(update={"reporter": Reporter(), "location": None})
    body = mapper.create_body(nobody)
    assert body["pelapor"] == {"anonim": True, "rahasia": False}, "no name, no contact: anonim, no null fields"
    named = mapper.create_body(FORWARDED)
    assert named["pelapor"] == {"nama": "Siti", "telepon": "+6281234567890", "anonim": False, "rahasia": False}


async def test_an_api_without_ticket_numbers_is_mapped_and_its_forwarded_reports_keep_their_numbers(
    agency: FakeAgency, tmp_path: Path
) -> None:
    """No `fields.tracking_number`: the agency's own reports get derived federation numbers, and a report the
    hub forwarded keeps the number it came with, known by the id the agency gave it."""
    own = await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan", kode_wilayah="64.08")
    rest = RestConnector(IDENTITY, parse(example_config(agency.api_url, fields={"tracking_number": None})), tmp_path)
    async with started(rest):
        accepted = await rest.accept_report("delivery-65-12", FORWARDED)
        assert accepted.created and accepted.tracking_number == "65-000012"
        listed = {r.local_id: r.tracking_number for r in await rest.list_reports(ReportFilter(), None, 10)}
        assert listed == {own: rest.numbers.of(own), accepted.local_id: "65-000012"}
        assert {c.local_id: c.tracking_number for c in await rest.changes(None, 10)} == listed
        report = await rest.get_report(accepted.local_id)
        assert report is not None and report.tracking_number == "65-000012"


async def test_a_report_forwarded_to_an_api_that_numbers_its_own_keeps_the_number_it_came_with(
    agency: FakeAgency, connector: RestConnector
) -> None:
    """The agency gives every new report its own ticket: the federation still knows the forwarded report by the
    hub's number (the hub matches the unit's feed to its ledger by it), in lists, the report and the feed."""
    await agency.mode("tiket-sendiri")
    accepted = await connector.accept_report("delivery-65-12", FORWARDED)
    assert (await agency.stored(accepted.local_id))["nomor_tiket"] == f"KUTIM-{int(accepted.local_id):06d}"
    assert accepted.tracking_number == "65-000012"
    assert [r.tracking_number for r in await connector.list_reports(ReportFilter(), None, 10)] == ["65-000012"]
    assert [c.tracking_number for c in await connector.changes(None, 10)] == ["65-000012"]
    report = await connector.get_report(accepted.local_id)
    assert report is not None and report.tracking_number == "65-000012"


async def test_a_post_cut_off_is_found_again_by_its_text_when_the_api_has_no_ticket_numbers(
    agency: FakeAgency, tmp_path: Path
) -> None:
    """The node died after the agency created the report but before it kept the answer, and the API has no
    ticket numbers to look for: the copy with the report's title, body and region is the one it made."""
    await agency.add(judul="Lampu mati", isi="Lampu jalan mati.", kategori="penerangan", kode_wilayah="64.08")
    made = await agency.add(judul=FORWARDED.title, isi=FORWARDED.body, kategori="infrastruktur-jalan",
                            kode_wilayah="64.08.04")
    (tmp_path / STATE_FILE).write_text(json.dumps(
        {"version": 1, "seq": 0, "seen": {}, "forwarded": {},
         "accepted": {"delivery-65-12": {"pending": "65-000012"}, "delivery-65-13": {"pending": "65-000013"}}}))
    config = example_config(agency.api_url, fields={"tracking_number": None})
    async with started(RestConnector(IDENTITY, parse(config), tmp_path)) as rest:
        found = await rest.accept_report("delivery-65-12", FORWARDED)
        assert (found.local_id, found.tracking_number, found.created) == (made, "65-000012", False)
        assert await agency.keys_seen() == []

        # Another report with the same words, cut off too, is not taken for the first one's copy: it is posted.
        twin = FORWARDED.model_copy(update={"source_id": "65:13", "tracking_number": "65-000013"})
        posted = await rest.accept_report("delivery-65-13", twin)
        assert posted.created and posted.local_id != made
        assert await agency.keys_seen() == ["delivery-65-13"]


async def test_an_anonymous_report_reaches_the_agency_flagged_anonymous_with_no_empty_fields(
    agency: FakeAgency, connector: RestConnector
) -> None:
    """What the agency receives of a reporter who stayed anonymous: the flag, and no name or phone fields at all
    (not null), nor a location the report did not have."""
    anonymous = FORWARDED.model_copy(update={"reporter": Reporter(anonymous=True), "location": None})
    accepted = await connector.accept_report("delivery-65-14", anonymous)
    [body] = await agency.bodies_posted()
    assert body["pelapor"] == {"anonim": True, "rahasia": False}
    assert "lokasi" not in body and None not in body.values(), body
    report = await connector.get_report(accepted.local_id)
    assert report is not None and report.reporter == Reporter(anonymous=True)
