"""Merge per-node pages into one federation-wide page, resumable by a stateless cursor.

The order is (receivedAt desc, global id asc). The cursor is the position of
the last report on the page, so any replica can serve the next page, and
reports arriving meanwhile (newer than the cursor) never shift later pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from hub.federation.nodewire import NodeReport
from simpul.cursor import Position

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)

T = TypeVar("T")
Key = tuple[int, str]


def order_key(received_at: datetime, report_id: str) -> Key:
    """Sort key for (receivedAt desc, id asc), exact to the microsecond; computed once per report."""
    return (-((received_at - _EPOCH) // _ONE_MICROSECOND), report_id)


@dataclass(frozen=True)
class MergedPage:
    reports: list[NodeReport]
    has_next_page: bool
    end_cursor: str | None


class PageMerger(Generic[T]):
    """The first `first` reports across nodes, kept as each node's page arrives: a query over a thousand
    nodes holds one page of reports, not a thousand. A report is anything `page` can read into a NodeReport
    (a validated one, or its JSON), kept with its sort key and its node."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.best: list[tuple[Key, str, T]] = []
        self.more_behind = False

    def add(self, node: str, reports: Sequence[tuple[Key, T]], has_more: bool) -> None:
        """One node's page and whether that node has more behind it."""
        merged = sorted([*self.best, *((key, node, report) for key, report in reports)], key=_first)
        self.more_behind = self.more_behind or has_more or len(merged) > self.first
        self.best = merged[:self.first]

    def page(self, read: Callable[[str, T], NodeReport | None]) -> MergedPage:
        """The page, each report read by `read`. A node one of whose reports `read` refuses (None) loses all
        of them: the page is shorter and says more follow, and since every report left out comes after the
        last one shown, the next page from the cursor has them."""
        read_ones: list[tuple[str, NodeReport]] = []
        refused: set[str] = set()
        for _, node, unread in self.best:
            if node in refused:
                continue
            report = read(node, unread)
            if report is None:
                refused.add(node)
                read_ones = [(n, r) for n, r in read_ones if n != node]
            else:
                read_ones.append((node, report))
        reports = [report for _, report in read_ones]
        more = self.more_behind or bool(refused)
        end = Position(reports[-1].received_at, reports[-1].id).encode() if reports else None
        return MergedPage(reports, more, end)


def _first(entry: tuple[Key, str, object]) -> Key:
    return entry[0]
