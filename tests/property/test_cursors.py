"""Cursors come back from outside: one the server gave out resumes where it was, anything else is InvalidInput."""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.base import Keyset, ReportStatus
from connectors.hub.wire import AFTER_EVERY_ID, child_cursor
from connectors.rest.feed import Seen, SnapshotFeed, UpdatedSinceFeed
from connectors.rest.state import StateFile
from simpul.cursor import Position
from simpul.errors import InvalidInput


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


aware_times = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones(),
                           allow_imaginary=False)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=4), max_leaves=12)
cursor_like = st.fixed_dictionaries({}, optional={"t": st.text(max_size=40) | aware_times.map(datetime.isoformat)
                                                  | json_values, "id": json_values})
hostile_cursors = (st.text(max_size=200) | st.binary(max_size=200).map(_b64)
                   | json_values.map(lambda v: _b64(json.dumps(v).encode()))
                   | cursor_like.map(lambda v: _b64(json.dumps(v).encode())))
DEEP = _b64(b"[" * 5_000)  # JSON nested deeper than Python's recursion limit


def _instant(position: Position) -> tuple[datetime, str]:
    """A position as the merge orders it; zones with folds compare unequal across zones, instants do not."""
    return position.received_at.astimezone(UTC), position.id


@given(aware_times, st.text())
def test_a_page_cursor_resumes_at_the_position_it_was_made_from(at: datetime, report_id: str) -> None:
    cursor = Position(at, report_id).encode()
    assert cursor.isascii()
    assert _instant(Position.decode(cursor)) == _instant(Position(at, report_id))


@given(hostile_cursors)
@example(DEEP)
@example(_b64(b'{"t": "0001-01-01T00:00:00+05:00", "id": "64:1"}'))
def test_any_page_cursor_decodes_to_a_position_or_is_invalid_input(cursor: str) -> None:
    try:
        position = Position.decode(cursor)
    except InvalidInput as refused:
        assert "invalid cursor" in str(refused)
        return
    assert isinstance(position.id, str)
    assert position.received_at.tzinfo is not None
    position.received_at.astimezone(UTC)  # the ledger query can state it in UTC


@given(aware_times, st.none() | st.text())
def test_the_hub_connector_writes_cursors_its_child_hub_reads(at: datetime, after_id: str | None) -> None:
    position = Position.decode(child_cursor(Keyset(at, after_id)))
    assert _instant(position) == _instant(Position(at, AFTER_EVERY_ID if after_id is None else after_id))


ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
seen = st.lists(st.builds(Seen, local_id=ids, tracking_number=st.just("T-1"), status=st.sampled_from(ReportStatus),
                          updated_at=aware_times), max_size=6, unique_by=lambda s: s.local_id)
sequence_cursors = (st.integers(min_value=0, max_value=2**63 - 1).map(str) | st.text(max_size=30)
                    | st.sampled_from(["²", "١٢", "-1", "+1", " 1", "1\n", "9" * 19, "9" * 20, "9" * 5000]))


def _is_sequence_number(text: str) -> bool:
    """ASCII digits that fit the bigint the feeds count in."""
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63


@given(seen, st.none() | sequence_cursors)
@example([], "²")  # a superscript two: str.isdigit() says yes, int() says no
@example([], "9" * 5000)
async def test_a_snapshot_feed_cursor_is_a_sequence_number_or_invalid_input(
    reports: list[Seen], after: str | None
) -> None:
    async def listing(since: datetime | None) -> list[Seen]:
        return reports

    with tempfile.TemporaryDirectory() as folder:
        feed = SnapshotFeed(listing, None, StateFile(Path(folder) / "state.json"), asyncio.Lock(), "agency")
        try:
            changes = await feed.changes(after, 100)
        except InvalidInput as refused:
            assert "invalid change cursor" in str(refused)
            assert after is not None and not _is_sequence_number(after)
            return
        assert after is None or _is_sequence_number(after)
        assert all(int(c.cursor) > int(after or 0) for c in changes)
        if changes:
            assert [c.cursor for c in await feed.changes(changes[-1].cursor, 100)] == []


@given(seen, st.none() | st.text(max_size=60) | aware_times.map(lambda t: t.isoformat() + "|" + "x")
       | st.datetimes().map(lambda t: t.isoformat() + "|x"))
@example([], "0001-01-01T00:00:00+05:00|64-1")
async def test_an_updated_since_cursor_is_a_time_the_agency_can_be_asked_for_or_invalid_input(
    reports: list[Seen], after: str | None
) -> None:
    asked: list[str] = []

    async def listing(since: datetime | None) -> list[Seen]:
        if since is not None:
            asked.append(since.astimezone(UTC).isoformat())  # as the rest connector asks its agency API
        return [s for s in reports if since is None or s.updated_at >= since]

    feed = UpdatedSinceFeed(listing, None, "agency")
    try:
        changes = await feed.changes(after, 100)
    except InvalidInput as refused:
        assert "invalid change cursor" in str(refused)
        return
    assert len(asked) == (1 if after else 0)
    for change in changes:
        later = await feed.changes(change.cursor, 100)
        assert change.cursor not in {c.cursor for c in later}


@pytest.mark.parametrize("cursor", ["", "=", "e30", DEEP[:400]])
def test_short_and_truncated_page_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="invalid cursor"):
        Position.decode(cursor)
