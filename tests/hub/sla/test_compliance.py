"""Compliance's pure parts: which reports count for a year or month on their region's own calendar, the on-time
share, and figures that add up over units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.nodes.registry import NodeRecord
from hub.sla.calendar import SlaCalendarMissing
from hub.sla.clocks import Stage
from hub.sla.compliance import Handling, NodeFigures, StageTally, Untimed
from hub.sla.period import Period, local_time, period_asked
from simpul.errors import InvalidInput
from simpul.wire import Channel, NodeLevel, ReportKind

WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def test_a_year_is_read_from_new_year_in_papua_to_new_year_in_jakarta() -> None:
    start, end = Period(2026).window()
    assert start == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)  # midnight in WIT
    assert end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # midnight in WIB, a year on


def test_a_report_counts_for_the_year_of_its_own_regions_calendar() -> None:
    new_year_in_kaltim = datetime(2026, 1, 1, 0, 30, tzinfo=WITA)
    assert Period(2026).contains(new_year_in_kaltim, "64.08")  # Kutai Timur keeps WITA
    assert Period(2025).contains(new_year_in_kaltim, "31.71")  # still 31 December in Jakarta (WIB)
    assert Period(2026).contains(datetime(2025, 12, 31, 23, 30, tzinfo=WIB), "91.01")  # Papua: WIT


def test_a_month_is_read_on_the_regions_clock_and_december_runs_into_the_new_year() -> None:
    first_of_march_in_papua = datetime(2026, 3, 1, 1, 0, tzinfo=WIT)
    assert Period(2026, 3).contains(first_of_march_in_papua, "91.01")
    assert Period(2026, 2).contains(first_of_march_in_papua, "31.71")  # 23:00 on 28 February in Jakarta
    start, end = Period(2026, 12).window()
    assert (start, end) == (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert (Period(2026, 3).label, Period(2026, 3).title, Period(2026, 3).file_stem) == (
        "2026-03", "Bulanan Maret 2026", "laporan-bulanan")
    assert (Period(2026).label, Period(2026).title, Period(2026).file_stem) == (
        "2026", "Tahunan 2026", "laporan-tahunan")


def test_a_period_asked_is_refused_with_the_reason() -> None:
    assert period_asked(None, None, NOW) is None
    assert period_asked(2026, 3, NOW) == Period(2026, 3)
    for year, month, reason in ((None, 3, "month needs a year"), (2026, 13, "month must be between 1 and 12"),
                                (1999, None, "year must be between 2000 and 2027")):
        with pytest.raises(InvalidInput, match=reason):
            period_asked(year, month, NOW)


def test_local_time_names_the_regions_zone() -> None:
    moment = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    assert [local_time(moment, r) for r in ("31", "64", "91")] == [
        "2026-12-04 08:30 WIB", "2026-12-04 09:30 WITA", "2026-12-04 10:30 WIT"]


def test_handling_adds_up_over_units_stage_by_stage() -> None:
    kaltim = Handling(selesai=2, in_process=1, withdrawn=0, by_kind={ReportKind.PENGADUAN: 3},
                      by_channel={Channel.WEB: 2, Channel.SMS: 1}, stages={Stage.FOLLOW_UP: StageTally(3, 2)})
    kutim = Handling(selesai=0, in_process=1, withdrawn=1, by_kind={ReportKind.INFORMASI: 2},
                     by_channel={Channel.SMS: 2}, stages={Stage.INFORMATION: StageTally(1, 1),
                                                          Stage.FOLLOW_UP: StageTally(1, 0)})
    both = kaltim + kutim
    assert (both.selesai, both.in_process, both.withdrawn) == (2, 2, 1)
    assert dict(both.by_kind) == {ReportKind.PENGADUAN: 3, ReportKind.INFORMASI: 2}
    assert dict(both.by_channel) == {Channel.WEB: 2, Channel.SMS: 3}
    assert both.stage(Stage.FOLLOW_UP) == StageTally(4, 2) and both.stage(Stage.FOLLOW_UP).on_time_share == 0.5
    assert both.stage(Stage.OBJECTION) == StageTally() and StageTally().on_time_share is None


def test_the_on_time_share_is_of_follow_ups_due_and_none_when_none_is_due() -> None:
    node = NodeRecord(code="64", name="Pemprov Kaltim", level=NodeLevel.PROVINSI, region_code="64", parent_code=None,
                      categories=(), endpoint="https://lapor.kaltimprov.go.id", kind="desk", status="ACTIVE",
                      signing_key=None, enrolled_at=datetime(2026, 1, 5, tzinfo=UTC), last_heartbeat=None,
                      healthy=None)
    figures = NodeFigures(node, reports_held=10, median_working_days_to_follow_up=2.0, median_hours_to_follow_up=30.0,
                          overdue=1, untimed=0, handling=Handling(stages={Stage.FOLLOW_UP: StageTally(4, 3)}))
    assert (figures.follow_ups_due, figures.follow_ups_on_time, figures.on_time_share) == (4, 3, 0.75)
    assert NodeFigures(node, 2, None, None, 0, 0).on_time_share is None


def test_untimed_reports_are_kept_by_the_year_whose_calendar_is_missing() -> None:
    untimed = Untimed()
    untimed.add(SlaCalendarMissing(2031), "LPR-1")
    untimed.add(SlaCalendarMissing(2031), "LPR-2")
    untimed.add(SlaCalendarMissing(2025), "LPR-3")
    assert untimed.by_year == {2031: ["LPR-1", "LPR-2"], 2025: ["LPR-3"]}
