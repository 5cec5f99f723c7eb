"""A virtual node's change feed (bench/farm_data.py) is what the hub's feed puller reads from a desk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bench.farm_data import NodeData
from hub.federation.nodewire import CHANGES, ChangesData


def _changes(node: NodeData, after: str | None, first: int = 200) -> dict[str, Any]:
    page: dict[str, Any] = json.loads(node.answer("Changes", {"after": after, "first": first}))["changes"]
    ChangesData.model_validate({"changes": page})  # as the hub reads it
    return page


def test_the_hubs_feed_document_is_the_one_the_farm_answers() -> None:
    assert "query Changes(" in CHANGES


def test_a_feed_node_starts_with_one_received_change_per_report_oldest_first_each_with_its_report() -> None:
    node = NodeData("farm-0000", "64.08", 5, feed=True)

    page = _changes(node, None)

    assert [c["cursor"] for c in page["changes"]] == ["1", "2", "3", "4", "5"]
    assert {c["status"] for c in page["changes"]} == {"RECEIVED"}
    assert all(c["report"]["id"] == c["reportId"] and c["report"]["status"] == "RECEIVED" for c in page["changes"])
    times = [c["at"] for c in page["changes"]]
    assert times == sorted(times) and times == [c["report"]["receivedAt"] for c in page["changes"]]
    assert (page["hasMore"], page["behind"]) == (False, False)


def test_a_status_change_is_appended_with_the_report_as_it_is_now() -> None:
    node = NodeData("farm-0000", "64.08", 5, feed=True)
    at = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)

    report_id, status = node.change_status(at)

    [change] = _changes(node, "5")["changes"]
    assert (change["cursor"], change["reportId"], change["status"]) == ("6", report_id, status.value)
    assert change["report"]["status"] == "IN_PROCESS"
    assert [e["status"] for e in change["report"]["timeline"]] == ["RECEIVED", "IN_PROCESS"]
    assert _changes(node, None)["changes"][4]["report"]["status"] == "IN_PROCESS"  # the first change too, as now
    listed = json.loads(node.answer("ListReports", {"first": 1}))["reports"]["reports"][0]
    assert (listed["id"], listed["status"]) == (report_id, "IN_PROCESS")


def test_a_feed_answers_in_pages_and_says_when_the_reader_is_past_its_end() -> None:
    node = NodeData("farm-0000", "64.08", 5, feed=True)

    first, last = _changes(node, None, first=2), _changes(node, "4", first=2)

    assert (len(first["changes"]), first["hasMore"]) == (2, True)
    assert (len(last["changes"]), last["hasMore"]) == (1, False)
    assert _changes(node, "9")["behind"] is True


def test_without_feed_the_feed_holds_only_what_was_accepted() -> None:
    node = NodeData("farm-0000", "64.08", 5)
    report = {"sourceId": "hub:1", "trackingNumber": "SP-1", "kind": "PENGADUAN", "title": "Jalan rusak",
              "body": "Berlubang.", "category": "infrastruktur", "regionCode": "64.08", "channel": "WEB",
              "reporter": {"anonymous": True, "confidential": False}, "receivedAt": "2026-12-01T00:00:00+00:00"}

    node.answer("Accept", {"key": "k1", "report": report})

    [change] = _changes(node, None)["changes"]
    assert (change["trackingNumber"], change["report"]["trackingNumber"]) == ("SP-1", "SP-1")
