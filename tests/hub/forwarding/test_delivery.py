"""Delivery's pure parts: how long a failed delivery waits, and the report as the target node receives it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.forwarding.delivery import Backoff, _forwarded_report
from hub.forwarding.sealing import Identity

BACKOFF = Backoff(base=2.0, cap=60.0, max_attempts=8)


def test_each_retry_waits_twice_as_long_as_the_last_up_to_the_cap_give_or_take_a_fifth() -> None:
    for attempts, nominal in ((1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0), (30, 60.0)):
        delays = [BACKOFF.delay(attempts) for _ in range(200)]
        assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays), (attempts, min(delays), max(delays))
        assert len(set(delays)) > 1, "jittered, so that retries of many reports spread out"


def _row(**fields: Any) -> dict[str, Any]:
    row = {"origin_id": "65:12", "tracking_number": "LPR-7Q2K-9XJ4-M3", "kind": "PENGADUAN",
           "title": "Puskesmas tutup siang", "body": "Tutup pukul 12.", "category": "kesehatan",
           "region_code": "64.08", "channel": "WEB", "anonymous": False, "confidential": False,
           "received_at": datetime(2026, 11, 23, 1, 30, tzinfo=UTC), "location": None}
    return {**row, **fields}


def test_the_forwarded_report_carries_the_reporter_in_flight_and_an_anonymous_one_carries_none() -> None:
    ani = Identity("Ani", "0812-0000-1111")
    named = _forwarded_report(_row(), ani)
    assert named["sourceId"] == "65:12"
    assert datetime.fromisoformat(named["receivedAt"]) == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert named["reporter"] == {"anonymous": False, "confidential": False, "name": "Ani",
                                 "contact": "0812-0000-1111"}

    anonymous = _forwarded_report(_row(anonymous=True), ani)
    assert anonymous["reporter"] == {"anonymous": True, "confidential": False, "name": None, "contact": None}
    from_a_feed = _forwarded_report(_row(confidential=True), None)
    assert from_a_feed["reporter"] == {"anonymous": False, "confidential": True, "name": None, "contact": None}
