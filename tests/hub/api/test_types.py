"""hub/api/types.py: the hub's Report is the shared report's content, published or withheld field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.access.principal import Principal, Role
from hub.api.types import CLASSIFICATION, Report, published_content
from hub.federation.nodewire import NodeReport
from simpul.report import Report as HeldReport
from simpul.report import ReportContent, Reporter, TimelineEvent
from simpul.wire import Channel, ReportKind, ReportStatus

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
INTEGRATOR = Principal(role=Role.INTEGRATOR, name="key 3 (Portal Kaltim)", region_code="64")
SUPERVISOR = Principal(role=Role.SUPERVISOR, name="user ombudsman-64", region_code="64")


def _served(confidential: bool) -> NodeReport:
    held = HeldReport(kind=ReportKind.PENGADUAN, title="Pungli di loket KTP", body="Diminta Rp50.000.",
                      category="kependudukan", region_code="64.08.04", channel=Channel.WEB, location="Sangatta",
                      local_id="7", tracking_number="LPR-7K3M9Q2X", status=ReportStatus.VERIFIED,
                      reporter=Reporter(confidential=confidential, name="Siti", contact="0812"), received_at=AT,
                      updated_at=AT, timeline=(TimelineEvent(at=AT, status=ReportStatus.VERIFIED, actor="admin",
                                                             note="petugas dipanggil"),))
    return NodeReport.of("64.08", held)


def test_every_field_of_the_content_reaches_the_hubs_report() -> None:
    assert set(ReportContent.model_fields) <= set(Report.model_fields)


def test_a_field_the_content_gains_is_served_nullable_and_hidden_by_default() -> None:
    class WithAttachments(ReportContent):
        attachments: tuple[str, ...] = ()  # the example of docs/connectors.md

    published = published_content(WithAttachments)
    assert published.model_fields["attachments"].annotation == tuple[str, ...] | None
    assert published.model_fields["attachments"].default is None
    assert {name for name, f in published.model_fields.items() if f.is_required()} == CLASSIFICATION


@pytest.mark.parametrize(("reader", "confidential", "shown"), [
    (INTEGRATOR, False, True), (INTEGRATOR, True, False), (SUPERVISOR, True, True)])
def test_what_a_reader_may_not_read_is_null_and_the_classification_stays(
    reader: Principal, confidential: bool, shown: bool
) -> None:
    report = Report.of(reader, _served(confidential))
    content = {name for name in ReportContent.model_fields if name not in CLASSIFICATION}
    assert all((getattr(report, name) is not None) is shown for name in content)
    assert [e.note is not None for e in report.timeline] == [shown]
    assert (report.kind, report.category, report.region_code, report.channel) == (
        ReportKind.PENGADUAN, "kependudukan", "64.08.04", Channel.WEB)
    assert report.id == "64.08:7" and report.node == "64.08" and not hasattr(report.reporter, "name")
