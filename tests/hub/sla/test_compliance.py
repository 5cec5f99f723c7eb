"""Compliance's pure parts: which reports count for a year on their region's own calendar, and the on-time share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hub.nodes.registry import NodeRecord
from hub.sla.calendar import SlaCalendarMissing
from hub.sla.clocks import ReportClock
from hub.sla.compliance import NodeFigures, Untimed, _received_in, _year_bounds
from simpul.wire import NodeLevel, ReportStatus

WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))


def _received(region: str, at: datetime) -> ReportClock:
    return ReportClock(tracking_number="LPR-1", region_code=region, holder="64", status=ReportStatus.RECEIVED,
                       received_at=at, verified_at=None, follow_up_from=None, followed_up_at=None, completed_at=None)


def test_a_year_is_read_from_new_year_in_papua_to_new_year_in_jakarta() -> None:
    assert _year_bounds(None) == (None, None)
    start, end = _year_bounds(2026)
    assert start == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)  # midnight in WIT
    assert end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # midnight in WIB, a year on


def test_a_report_counts_for_the_year_of_its_own_regions_calendar() -> None:
    new_year_in_kaltim = datetime(2026, 1, 1, 0, 30, tzinfo=WITA)
    assert _received_in(_received("64.08", new_year_in_kaltim), 2026)  # Kutai Timur keeps WITA
    assert _received_in(_received("31.71", new_year_in_kaltim), 2025)  # still 31 December in Jakarta (WIB)
    assert _received_in(_received("91.01", datetime(2025, 12, 31, 23, 30, tzinfo=WIB)), 2026)  # Papua: WIT
    assert _received_in(_received("31.71", new_year_in_kaltim), None)


def test_the_on_time_share_is_of_follow_ups_due_and_none_when_none_is_due() -> None:
    node = NodeRecord(code="64", name="Pemprov Kaltim", level=NodeLevel.PROVINSI, region_code="64", parent_code=None,
                      categories=(), endpoint="https://lapor.kaltimprov.go.id", kind="desk", status="ACTIVE",
                      signing_key=None, enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None,
                      healthy=None)
    figures = NodeFigures(node, reports_held=10, follow_ups_due=4, follow_ups_on_time=3,
                          median_working_days_to_follow_up=2.0, median_hours_to_follow_up=30.0, overdue=1, untimed=0)
    assert figures.on_time_share == 0.75
    assert NodeFigures(node, 2, 0, 0, None, None, 0, 0).on_time_share is None


def test_untimed_reports_are_kept_by_the_year_whose_calendar_is_missing() -> None:
    untimed = Untimed()
    untimed.add(SlaCalendarMissing(2031), "LPR-1")
    untimed.add(SlaCalendarMissing(2031), "LPR-2")
    untimed.add(SlaCalendarMissing(2025), "LPR-3")
    assert untimed.by_year == {2031: ["LPR-1", "LPR-2"], 2025: ["LPR-3"]}
