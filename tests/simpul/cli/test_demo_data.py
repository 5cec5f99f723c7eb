"""simpul/cli/demo_data.py: the demo's data file reads into typed values, and a wrong entry is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpul.cli.demo_data import DATA, DemoData, DemoDataError
from simpul.wire import Channel, NodeLevel, ReportKind, ReportStatus


def test_the_shipped_data_is_a_federation_whose_reports_are_at_its_desks() -> None:
    demo = DemoData.load()
    codes = {node.code for node in demo.nodes}
    assert len(demo.nodes) == 6 and len(demo.reports) == 32
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
