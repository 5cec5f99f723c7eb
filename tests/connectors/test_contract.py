"""Translating a federation-wide position into one node's keyset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import strawberry

from connectors.base import Keyset
from connectors.contract import ReportKey, local_keyset
from simpul.errors import InvalidInput

T = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("position_id", "expected"),
    [
        ("64.08:17", Keyset(T, "17")),  # our own report: resume right after it
        ("64.07:99", Keyset(T, "")),  # sorts before every id of ours: ours at T are still to come
        ("64.08.dinkes:3", Keyset(T, "")),  # '.' sorts before ':', so before "64.08:..."
        ("64:1", Keyset(T, None)),  # ':' sorts after '.', so after "64.08:...": ours at T were shown
        ("65:1", Keyset(T, None)),
    ],
)
def test_positions_of_other_nodes_include_or_exclude_our_reports_at_the_same_instant(
    position_id: str, expected: Keyset
) -> None:
    assert local_keyset("64.08", ReportKey(received_at=T, id=strawberry.ID(position_id))) == expected


def test_a_position_without_timezone_is_refused() -> None:
    with pytest.raises(InvalidInput):
        local_keyset("64", ReportKey(received_at=datetime(2024, 3, 1), id=strawberry.ID("64:1")))
