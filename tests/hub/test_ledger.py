"""What the ledger checks before it takes a report, whichever door it came through."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hub.ledger import ANONYMOUS_HAS_IDENTITY, Incoming, check_incoming, check_reporter, new_tracking_number
from simpul.wire import Channel, InvalidInput, ReportKind

REPORT = Incoming(tracking_number="LPR-7Q2K-9XJ4-M3", origin_id="65:12", origin_node="65",
                  kind=ReportKind.PENGADUAN, title="Jalan rusak", body="Jalan poros berlubang.", category="jalan",
                  region_code="64.08", channel=Channel.WEB, anonymous=False, confidential=False, location=None,
                  received_at=datetime(2026, 11, 23, 1, 30, tzinfo=UTC))


def test_a_well_formed_report_is_taken() -> None:
    check_incoming(REPORT)
    check_incoming(replace(REPORT, anonymous=True))
    check_incoming(replace(REPORT, sealed_identity=b"sealed"))


@pytest.mark.parametrize(("change", "message"), [
    ({"region_code": "Kaltim"}, "invalid region code 'Kaltim'"),
    ({"title": "  "}, "title must be 1 to 200 characters"),
    ({"title": "x" * 201}, "title must be 1 to 200 characters"),
    ({"body": ""}, "body must be 1 to 20000 characters"),
    ({"category": "x" * 101}, "category must be 1 to 100 characters"),
    ({"body": "Jalan\x00rusak"}, "text must not contain NUL characters"),
    ({"received_at": datetime(2026, 11, 23, 9, 30)}, "receivedAt needs a timezone"),
    ({"anonymous": True, "sealed_identity": b"sealed"}, ANONYMOUS_HAS_IDENTITY),
])
def test_a_report_that_breaks_a_rule_is_refused_naming_the_rule(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_incoming(replace(REPORT, **change))


def test_an_anonymous_report_that_gives_a_name_or_contact_is_refused_not_silently_stripped() -> None:
    check_reporter(False, "Ani", "0812-0000-1111")
    check_reporter(True, None, None)
    check_reporter(True, "  ", "")
    for name, contact in (("Ani", None), (None, "0812-0000-1111")):
        with pytest.raises(InvalidInput, match=ANONYMOUS_HAS_IDENTITY):
            check_reporter(True, name, contact)


def test_tracking_numbers_made_at_the_hub_differ() -> None:
    numbers = {new_tracking_number() for _ in range(100)}
    assert len(numbers) == 100
