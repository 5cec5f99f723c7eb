"""A node's reports page read lean: keys for every report, validation for those that reach the merged page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.federation.client import NodeCallError
from hub.federation.merge import order_key
from hub.federation.nodewire import NodeReport
from hub.federation.pages import read_report, read_report_page

AT = "2024-03-01T09:00:00.000001+08:00"


def _report(report_id: str, **changes: Any) -> dict[str, Any]:
    return {"id": report_id, "localId": report_id.split(":")[1], "trackingNumber": "X", "kind": "PENGADUAN",
            "title": "t", "body": "b", "category": "c", "regionCode": "64", "channel": "WEB", "status": "RECEIVED",
            "reporter": {"anonymous": False, "confidential": False}, "receivedAt": AT, "updatedAt": AT} | changes


def _answer(reports: list[Any], errors: Any = None) -> bytes:
    return json.dumps({"data": {"reports": {"reports": reports, "hasMore": True}}, "errors": errors}).encode()


def test_each_report_is_placed_by_its_key_and_validated_only_when_read() -> None:
    below = [{"message": "x", "extensions": {"code": "NODE_TIMEOUT", "node": "64.08"}}]
    page, failures = read_report_page("64", 200, _answer([_report("64:1"), _report("64:2", status="NONSENSE")],
                                                          below))
    at = datetime.fromisoformat(AT)
    assert [key for key, _ in page.reports] == [order_key(at, "64:1"), order_key(at, "64:2")]
    assert page.has_more is True
    assert [(f.node, f.code, f.via) for f in failures] == [("64.08", "NODE_TIMEOUT", "64")]
    first = read_report("64", page.reports[0][1])
    assert isinstance(first, NodeReport) and first.received_at == at.astimezone(UTC)
    with pytest.raises(NodeCallError, match="wrong shape") as refused:
        read_report("64", page.reports[1][1])
    assert refused.value.code == NodeCallError.BAD_RESPONSE


@pytest.mark.parametrize(("raw", "says"), [
    (b"<html>502</html>", "non-JSON"),
    (_answer([{"id": 5}]), "wrong shape"),
    (_answer([_report("64:1", receivedAt="2024-03-01T09:00:00")]), "wrong shape"),  # no time zone
    (json.dumps({"data": None, "errors": [{"message": "boom"}]}).encode(), "with an error"),
])
def test_an_answer_the_lean_reader_cannot_place_is_read_strictly_and_named(raw: bytes, says: str) -> None:
    with pytest.raises(NodeCallError, match=says):
        read_report_page("64", 200, raw)
