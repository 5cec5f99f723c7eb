"""simpul/cli/demo_data.py: the demo's data file reads into typed values, and a wrong entry is named."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from simpul.cli.demo_data import DATA, DemoData, DemoDataError
from simpul.wire import Channel, NodeLevel, ReportKind, ReportStatus


def test_the_shipped_data_is_a_federation_whose_reports_are_at_its_desks() -> None:
    demo = DemoData.load()
    codes = {node.code for node in demo.nodes}
    assert len(demo.nodes) == 8 and len(demo.reports) == 37
    assert all(isinstance(node.level, NodeLevel) for node in demo.nodes)
    assert {node.parent_code for node in demo.nodes} <= codes | {None}
    for report in (*demo.reports, demo.wrong_door):
        assert report.node in codes
        assert isinstance(report.content.kind, ReportKind) and isinstance(report.content.channel, Channel)
        assert report.received_at.utcoffset() is not None
        assert all(isinstance(step.status, ReportStatus) for step in report.steps)
    assert demo.handler in codes and demo.handler != demo.wrong_door.node


def test_a_status_the_wire_does_not_know_is_refused_naming_the_entry(tmp_path: Path) -> None:
    broken = tmp_path / "demo_data.toml"
    broken.write_text(DATA.read_text(encoding="utf-8").replace('status = "VERIFIED"', 'status = "DONE"', 1),
                      encoding="utf-8")
    with pytest.raises(DemoDataError, match="reports entry 1: 'DONE' is not a valid ReportStatus"):
        DemoData.load(broken)


def test_an_entry_missing_a_field_is_refused_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "demo_data.toml"
    broken.write_text('[[nodes]]\ncode = "65"\n', encoding="utf-8")
    with pytest.raises(DemoDataError, match="nodes entry 1 has no 'name'"):
        DemoData.load(broken)


@pytest.mark.parametrize(("entry", "found", "said"), [
    ('kind = "PENGADUAN"', 'kind = "KELUHAN"', "reports entry 1: 1 validation error for ReportContent"),
    ('reporter_name = "Andi', 'anonymous = true\nreporter_name = "Andi', "an anonymous report keeps no name"),
])
def test_a_report_the_shared_model_refuses_is_refused_naming_the_entry(
    tmp_path: Path, entry: str, found: str, said: str
) -> None:
    assert entry in DATA.read_text(encoding="utf-8")
    broken = tmp_path / "demo_data.toml"
    broken.write_text(DATA.read_text(encoding="utf-8").replace(entry, found, 1), encoding="utf-8")
    with pytest.raises(DemoDataError, match=said):
        DemoData.load(broken)


def test_kaltaras_nine_opds_are_declared_as_the_seed_tells_and_two_of_them_run_a_desk() -> None:
    demo = DemoData.load()
    units = demo.declared_units
    assert len(units) == 9 and {u.declaration.region_code for u in units} == {"65"}
    assert sorted(u.outcome for u in units) == [ReportStatus.COMPLETED] * 4 + [ReportStatus.IN_PROCESS] * 5
    desks = {node.code for node in demo.nodes}
    assert sorted(u.declaration.node_code for u in units if u.declaration.node_code in desks) == [
        "65.dinkes", "65.pupr"]  # the other seven never enrolled: Kaltara's coverage is below 100%


def _working_days_after(start: date, days: int) -> date:
    """The day `days` working days after `start`, weekends off (a holiday would only move it later)."""
    day = start
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5
    return day


def test_kalsels_2022_follow_ups_are_partly_late_so_its_on_time_share_is_medium() -> None:
    follow_ups = []
    for report in DemoData.load().reports:
        if report.node.split(".")[0] != "63" or report.received_at.year != 2022:
            continue
        first = next((s for s in report.steps if s.status in (ReportStatus.IN_PROCESS, ReportStatus.COMPLETED)),
                     None)
        if first is None:
            continue
        done: datetime = report.received_at + timedelta(days=first.days_after)
        follow_ups.append(done.date() <= _working_days_after(report.received_at.date(), 5))
    assert len(follow_ups) == 9 and 0.5 < sum(follow_ups) / len(follow_ups) < 0.8, follow_ups


def test_a_declared_unit_without_its_legal_basis_is_refused_naming_the_entry(tmp_path: Path) -> None:
    broken = tmp_path / "demo_data.toml"
    text = DATA.read_text(encoding="utf-8")
    broken.write_text(text.replace('legal_basis = "Perpres 76/2013; PermenPANRB 62/2018"', 'legal_basis = " "', 1),
                      encoding="utf-8")
    with pytest.raises(DemoDataError, match="declared_units entry 1: a declared unit needs its legal basis"):
        DemoData.load(broken)
