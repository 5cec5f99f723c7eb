"""Report filters from outside: any filter is either taken as given or refused with InvalidInput and a reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors import base
from connectors.contract import to_filter
from simpul.errors import InvalidInput
from simpul.filters import MAX_VALUES, ReportFilter
from simpul.wire import ReportKind, ReportStatus

REGION = r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?"

region_codes = st.from_regex(REGION, fullmatch=True)
region_text = region_codes | st.text(max_size=20) | region_codes.map(lambda c: c + "\n") | st.sampled_from(
    ["٦٤", "64.٠٨", "６４", "64.", ".64", "64..08", "6", "640", "64.8", "64.08.01.1", "64\n", " 64"]
)
times = st.datetimes(timezones=st.none() | st.timezones(), allow_imaginary=False)
aware_times = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones(),
                           allow_imaginary=False)
texts = st.text(max_size=30)
filters = st.builds(
    ReportFilter,
    statuses=st.none() | st.lists(st.sampled_from(ReportStatus), max_size=MAX_VALUES + 5),
    kinds=st.none() | st.lists(st.sampled_from(ReportKind), max_size=MAX_VALUES + 5),
    categories=st.none() | st.lists(texts, max_size=MAX_VALUES + 5),
    region_prefix=st.none() | region_text,
    received_from=st.none() | times,
    received_to=st.none() | times,
)


def _usable(value: ReportFilter) -> bool:
    """What every connector needs of a filter: SQL-safe text, a real region code, ordered UTC-stateable bounds."""
    lists_fit = all(v is None or len(v) <= MAX_VALUES for v in (value.statuses, value.kinds, value.categories))
    texts_fit = all("\x00" not in c for c in value.categories or ())
    region_fits = value.region_prefix is None or re.fullmatch(REGION, value.region_prefix) is not None
    bounds = [b for b in (value.received_from, value.received_to) if b is not None]
    bounds_fit = all(b.tzinfo is not None and b.utcoffset() is not None for b in bounds)
    if bounds_fit:
        try:
            for b in bounds:
                b.astimezone(UTC)
        except OverflowError:
            bounds_fit = False
    ordered = not (bounds_fit and value.received_from and value.received_to
                   and value.received_from >= value.received_to)
    return lists_fit and texts_fit and region_fits and bounds_fit and ordered


@given(filters)
@example(ReportFilter(region_prefix="64\n"))
@example(ReportFilter(region_prefix="٦٤"))
@example(ReportFilter(categories=["jalan\x00"]))
def test_a_filter_is_taken_exactly_when_every_connector_can_use_it(value: ReportFilter) -> None:
    try:
        assert value.validated() is value
    except InvalidInput as refused:
        assert str(refused)
        assert not _usable(value)
    else:
        assert _usable(value)


@given(filters)
def test_the_contract_hands_connectors_the_filter_it_was_given_or_refuses_it(value: ReportFilter) -> None:
    try:
        given_on = to_filter(value)
    except InvalidInput as refused:
        assert str(refused)
        return
    assert given_on == base.ReportFilter(
        statuses=tuple(value.statuses or ()), kinds=tuple(value.kinds or ()),
        categories=tuple(value.categories or ()), region_prefix=value.region_prefix,
        received_from=value.received_from, received_to=value.received_to,
    )


@given(region_codes, aware_times, aware_times)
def test_valid_regions_and_times_travel_to_a_node_unchanged(region: str, start: datetime, end: datetime) -> None:
    start, end = sorted((start, end))
    value = ReportFilter(region_prefix=region, received_from=start, received_to=end)
    if start.astimezone(UTC) == end.astimezone(UTC):
        with pytest.raises(InvalidInput, match="receivedFrom must be before receivedTo"):
            value.validated()
        return
    variables = value.validated().variables()
    assert variables["regionPrefix"] == region
    assert datetime.fromisoformat(variables["receivedFrom"]).astimezone(UTC) == start.astimezone(UTC)
    assert datetime.fromisoformat(variables["receivedTo"]).astimezone(UTC) == end.astimezone(UTC)
    assert to_filter(value).region_prefix == region

