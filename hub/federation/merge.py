"""Merge per-node pages into one federation-wide page, resumable by a stateless cursor.

The order is (receivedAt desc, global id asc). The cursor is the position of
the last report on the page, so any hub replica can serve the next page, and
reports arriving meanwhile (newer than the cursor) never shift later pages.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.federation.nodewire import NodeReport
from simpul.wire import InvalidInput, check_aware_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Position:
    received_at: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps({"t": self.received_at.isoformat(), "id": self.id}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
            received_at = datetime.fromisoformat(data["t"])
            report_id = data["id"]
            if not isinstance(report_id, str):
                raise ValueError
            check_aware_time(received_at, "cursor time")
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested too deep
            raise InvalidInput("invalid cursor: pass endCursor of a previous page") from None
        return cls(received_at, report_id)


def order_key(report: NodeReport) -> tuple[int, str]:
    """Sort key for (receivedAt desc, id asc), exact to the microsecond."""
    micros = (report.received_at - _EPOCH) // _ONE_MICROSECOND
    return (-micros, report.id)


@dataclass(frozen=True)
class MergedPage:
    reports: list[NodeReport]
    has_next_page: bool
    end_cursor: str | None


def merge_pages(pages: Iterable[tuple[Sequence[NodeReport], bool]], first: int) -> MergedPage:
    """Take the first `first` reports across nodes' pages, each (reports, node has more)."""
    candidates: list[NodeReport] = []
    more_behind = False
    for reports, has_more in pages:
        candidates.extend(reports)
        more_behind = more_behind or has_more
    candidates.sort(key=order_key)
    page = candidates[:first]
    end = Position(page[-1].received_at, page[-1].id).encode() if page else None
    return MergedPage(page, more_behind or len(candidates) > first, end)

