"""Merging node pages: one order across nodes, a cursor any replica can resume from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.federation.merge import MergedPage, PageMerger, order_key
from hub.federation.nodewire import NodeReport
from simpul.cursor import Position
from simpul.errors import InvalidInput

T0 = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


def merge_pages(pages: list[tuple[list[NodeReport], bool]], first: int) -> MergedPage:
    """Pages as the hub receives them, one node at a time."""
    merger: PageMerger[NodeReport] = PageMerger(first)
    for reports, has_more in pages:
        node = reports[0].id.partition(":")[0] if reports else "64"
        merger.add(node, [(order_key(r.received_at, r.id), r) for r in reports], has_more)
    return merger.page(lambda node, report: report)


def _report(report_id: str, at: datetime) -> NodeReport:
    return NodeReport.model_validate({
        "id": report_id, "localId": report_id.split(":")[1], "trackingNumber": "X", "kind": "PENGADUAN",
        "title": "t", "body": "b", "category": "c", "regionCode": "64", "channel": "WEB", "status": "RECEIVED",
        "reporter": {"anonymous": False, "confidential": False}, "receivedAt": at, "updatedAt": at,
    })


def test_reports_are_ordered_newest_first_then_by_id_across_nodes() -> None:
    a = [_report("64:2", T0), _report("64:1", T0 - timedelta(microseconds=1))]
    b = [_report("64.08:9", T0), _report("65:1", T0 + timedelta(seconds=1))]
    page = merge_pages([(a, False), (sorted(b, key=lambda r: r.received_at, reverse=True), False)], first=10)
    assert [r.id for r in page.reports] == ["65:1", "64.08:9", "64:2", "64:1"]
    assert page.has_next_page is False


def test_page_is_cut_at_first_and_says_more_follow() -> None:
    reports = [_report(f"64:{i}", T0 - timedelta(minutes=i)) for i in range(5)]
    page = merge_pages([(reports[:3], True), (reports[3:], False)], first=2)
    assert [r.id for r in page.reports] == ["64:0", "64:1"]
    assert page.has_next_page is True
    assert Position.decode(page.end_cursor or "") == Position(reports[1].received_at, "64:1")


def test_a_node_with_more_behind_keeps_the_next_page_open_even_when_all_fit() -> None:
    page = merge_pages([([_report("64:1", T0)], True)], first=5)
    assert page.has_next_page is True


def test_an_empty_federation_gives_an_empty_last_page() -> None:
    page = merge_pages([], first=5)
    assert page.reports == [] and page.has_next_page is False and page.end_cursor is None


@pytest.mark.parametrize("cursor", ["", "abc", "eyJ0IjogMX0", "e30", "bm90IGpzb24"])
def test_a_garbage_cursor_is_refused_with_a_clear_message(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="invalid cursor"):
        Position.decode(cursor)


def test_a_node_whose_report_on_the_page_is_refused_loses_all_its_reports_and_the_rest_follow_on() -> None:
    good = [_report("65:1", T0), _report("65:2", T0 - timedelta(minutes=3))]
    bad = [_report("64:1", T0 - timedelta(minutes=1)), _report("64:2", T0 - timedelta(minutes=2))]
    merger: PageMerger[NodeReport] = PageMerger(3)
    for node, reports in (("65", good), ("64", bad)):
        merger.add(node, [(order_key(r.received_at, r.id), r) for r in reports], False)
    page = merger.page(lambda node, report: None if report.id == "64:2" else report)
    assert [r.id for r in page.reports] == ["65:1"], "64:1 went with its node; 65:2 was not on the page"
    assert page.has_next_page is True
    assert Position.decode(page.end_cursor or "") == Position(T0, "65:1"), "65:2 comes after it: next page"
