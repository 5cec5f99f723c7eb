"""The README's samples are exactly what the rest kind reads and sends: its agency answers have the fields the fake
agency answers with and read, through example.toml, as the README says; its POST bodies are what the node posts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.rest import RestConnector, parse
from connectors.rest.mapping import Mapper
from simpul.report import ForwardedReport, Reporter
from simpul.wire import Channel, ReportKind, ReportStatus
from tests.connectors.rest.conftest import EXAMPLE, TOKEN, TOKEN_ENV, FakeAgency, example_config

README = EXAMPLE.parent / "README.md"

NAMED = ForwardedReport(
    source_id="65.sms:12", tracking_number="65.SMS-7K3M-9Q2D-4TFA", kind=ReportKind.PENGADUAN,
    title="Jalan poros Sangatta berlubang", body="Lubang besar di depan SDN 003, sudah dua bulan.",
    category="jalan", region_code="64.08.04", channel=Channel.SMS, location="Jl. Poros Sangatta km 3",
    reporter=Reporter(name="Siti Rahmawati", contact="+6281234567890"),
    received_at=datetime(2026, 3, 3, 1, 15, tzinfo=UTC))
ANONYMOUS = ForwardedReport(
    source_id="hub:LPR-4F7Q-2M9X-KD3A", tracking_number="LPR-4F7Q-2M9X-KD3A", kind=ReportKind.PENGADUAN,
    title="Pungutan liar di loket KTP", body="Petugas meminta uang tambahan untuk KTP elektronik.",
    category="kependudukan", region_code="64.08.01", channel=Channel.WEB, reporter=Reporter(anonymous=True),
    received_at=datetime(2026, 3, 5, 2, 40, tzinfo=UTC))


def _sample(after: str) -> Any:
    """The first ```json block of the README after the text `after`, parsed."""
    text = README.read_text()
    assert after in text, f"the rest README has no {after!r}"
    return json.loads(text.split(after, 1)[1].split("```json\n", 1)[1].split("```", 1)[0])


LIST, REPORT = _sample("**The list**, `GET"), _sample("**One report**, `GET")
POSTED = [_sample("**A forwarded report.**"), _sample("From a reporter who stayed anonymous")]
CREATED = _sample("The answer holds the new report")


@pytest.fixture
def mapper(monkeypatch: pytest.MonkeyPatch) -> Mapper:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return Mapper(parse(example_config("http://127.0.0.1:9/api/v1")))


def _shape(value: Any) -> Any:
    """The field names of an answer, all the way down (a list by its first item)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_the_list_sample_reads_as_the_readme_says(mapper: Mapper) -> None:
    lamp, road = (mapper.report(item, f"data.items.{i}") for i, item in enumerate(LIST["data"]["items"]))
    assert (lamp.local_id, lamp.status, lamp.category, lamp.region_code) == (
        "7", ReportStatus.IN_PROCESS, "penerangan", "64.08.01")
    assert lamp.reporter == Reporter(anonymous=True) and lamp.location is None
    assert (road.status, road.category, road.channel, road.location) == (
        ReportStatus.RECEIVED, "jalan", Channel.DESK, "Jl. Poros Sangatta km 5")
    assert road.reporter.confidential and road.reporter.masked() == Reporter(confidential=True)
    assert LIST["meta"]["total"] == len(LIST["data"]["items"])


def test_the_report_sample_gives_the_timeline_with_the_officers_note(mapper: Mapper) -> None:
    report = mapper.report(REPORT["data"], "data")
    assert [(e.status, e.actor, e.note) for e in report.timeline] == [
        (ReportStatus.RECEIVED, "loket", None), (ReportStatus.IN_PROCESS, "Budi", "Teknisi PLN dijadwalkan Kamis.")]
    assert report.model_dump(exclude={"timeline"}) == mapper.report(LIST["data"]["items"][0], "").model_dump(
        exclude={"timeline"})


async def test_the_answer_samples_have_the_fields_the_agency_api_answers_with(
    agency: FakeAgency, connector: RestConnector
) -> None:
    local_id = await agency.add(judul="Lampu jalan mati", isi="Lampu mati.", kategori="penerangan",
                                kode_wilayah="64.08.01")
    await agency.set_status(local_id, "diproses", "Teknisi PLN dijadwalkan Kamis.")
    answers = {}
    for name, path in (("list", "/laporan?per_page=100&page=1"), ("report", f"/laporan/{local_id}")):
        async with agency.session.get(agency.api_url + path, headers={"Authorization": f"Bearer {TOKEN}"}) as got:
            answers[name] = await got.json()
    assert _shape(LIST) == _shape(answers["list"])
    assert _shape(REPORT) == _shape(answers["report"])
    assert _shape(LIST["data"]["items"][1]) == _shape(answers["list"]["data"]["items"][0])


async def test_the_post_body_samples_are_what_the_node_posts_for_those_reports(
    agency: FakeAgency, connector: RestConnector
) -> None:
    named = await connector.accept_report("delivery-1", NAMED)
    await connector.accept_report("delivery-2", ANONYMOUS)
    assert await agency.bodies_posted() == POSTED
    assert connector.mapper.local_id(CREATED["data"], "data") == "9"
    assert _shape(CREATED["data"]).keys() <= _shape(await agency.stored(named.local_id)).keys()
