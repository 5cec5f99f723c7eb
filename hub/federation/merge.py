"""Merge per-node pages into one federation-wide page, resumable by a stateless cursor.

The order is (receivedAt desc, global id asc). The cursor is the position of
the last report on the page, so any hub replica can serve the next page, and
reports arriving meanwhile (newer than the cursor) never shift later pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.federation.nodewire import NodeReport
from simpul.cursor import Position

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def order_key(report: NodeReport) -> tuple[int, str]:
    """Sort key for (receivedAt desc, id asc), exact to the microsecond."""
    micros = (report.received_at - _EPOCH) // _ONE_MICROSECOND
    return (-micros, report.id)


@dataclass(frozen=True)
class MergedPage:
    reports: list[NodeReport]
    has_next_page: bool
    end_cursor: str | None


class PageMerger:
    """The first `first` reports across nodes, kept as each node's page arrives: a query over a thousand
    nodes holds one page of reports, not a thousand."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.best: list[NodeReport] = []
        self.more_behind = False

    def add(self, reports: Sequence[NodeReport], has_more: bool) -> None:
        """One node's page (newest first) and whether that node has more behind it."""
        merged = sorted([*self.best, *reports], key=order_key)
        self.more_behind = self.more_behind or has_more or len(merged) > self.first
        self.best = merged[:self.first]

    def page(self) -> MergedPage:
        end = Position(self.best[-1].received_at, self.best[-1].id).encode() if self.best else None
        return MergedPage(list(self.best), self.more_behind, end)

