"""What the ledger checks before it takes a report, whichever door it came through."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hub.forwarding.ledger import ANONYMOUS_HAS_IDENTITY, Incoming, check_incoming, new_tracking_number
from simpul.errors import InvalidInput
from simpul.report import ReportContent, Reporter
from simpul.wire import Channel, ReportKind

CONTENT = ReportContent(kind=ReportKind.PENGADUAN, title="Jalan rusak", body="Jalan poros berlubang.",
                        category="jalan", region_code="64.08", channel=Channel.WEB)
REPORT = Incoming(tracking_number="LPR-7Q2K-9XJ4-M3", origin_id="65:12", origin_node="65", content=CONTENT,
                  reporter=Reporter(anonymous=False, confidential=False),
                  received_at=datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
ANONYMOUS = Reporter(anonymous=True, confidential=False)


def test_a_well_formed_report_is_taken() -> None:
    check_incoming(REPORT)
    check_incoming(replace(REPORT, reporter=ANONYMOUS))
    check_incoming(replace(REPORT, sealed_identity=b"sealed"))


@pytest.mark.parametrize(("change", "message"), [
    ({"region_code": "Kaltim"}, "invalid region code 'Kaltim'"),
    ({"title": "  "}, "title must be 1 to 200 characters"),
    ({"title": "x" * 201}, "title must be 1 to 200 characters"),
    ({"body": ""}, "body must be 1 to 20000 characters"),
    ({"category": "x" * 101}, "category must be 1 to 100 characters"),
    ({"body": "Jalan\x00rusak"}, "text must not contain NUL characters"),
])
def test_content_that_breaks_a_rule_is_refused_naming_the_rule(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_incoming(replace(REPORT, content=CONTENT.model_copy(update=change)))


def test_a_naive_time_or_an_anonymous_reporters_sealed_identity_is_refused() -> None:
    with pytest.raises(InvalidInput, match="receivedAt needs a timezone"):
        check_incoming(replace(REPORT, received_at=datetime(2026, 11, 23, 9, 30)))
    with pytest.raises(InvalidInput, match=ANONYMOUS_HAS_IDENTITY):
        check_incoming(replace(REPORT, reporter=ANONYMOUS, sealed_identity=b"sealed"))


def test_an_anonymous_report_that_gives_a_name_or_contact_is_refused_not_silently_stripped() -> None:
    Reporter.at_door(False, False, "Ani", "0812-0000-1111")
    Reporter.at_door(True, False, None, None)
    Reporter.at_door(True, False, "  ", "")
    for name, contact in (("Ani", None), (None, "0812-0000-1111")):
        with pytest.raises(InvalidInput, match=ANONYMOUS_HAS_IDENTITY):
            Reporter.at_door(True, False, name, contact)


def test_the_ledger_never_takes_an_identity_in_the_clear() -> None:
    with pytest.raises(ValueError, match="sealed only"):
        check_incoming(replace(REPORT, reporter=Reporter(anonymous=False, confidential=False, name="Ani")))


def test_tracking_numbers_made_at_the_hub_differ() -> None:
    numbers = {new_tracking_number() for _ in range(100)}
    assert len(numbers) == 100
