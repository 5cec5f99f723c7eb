"""The report filter both the hub's API and the node contract accept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from simpul.errors import InvalidInput
from simpul.wire import ReportKind, ReportStatus, check_aware_time, check_region_code

MAX_VALUES = 100


@strawberry.input(description="Every field narrows the reports; omitted fields do not.")
class ReportFilter:
    statuses: list[ReportStatus] | None = None
    kinds: list[ReportKind] | None = None
    categories: list[str] | None = None
    region_prefix: str | None = strawberry.field(
        default=None, description="Region subtree of the report, e.g. 64.08."
    )
    received_from: datetime | None = strawberry.field(
        default=None, description="Inclusive lower bound, with timezone."
    )
    received_to: datetime | None = strawberry.field(
        default=None, description="Exclusive upper bound, with timezone."
    )

    def validated(self) -> ReportFilter:
        """Self, or InvalidInput naming what is wrong."""
        if self.region_prefix is not None:
            check_region_code(self.region_prefix)
        for values in (self.statuses, self.kinds, self.categories):
            if values is not None and len(values) > MAX_VALUES:
                raise InvalidInput(f"a filter list may hold at most {MAX_VALUES} values")
        if any("\x00" in category for category in self.categories or ()):  # PostgreSQL text cannot hold NUL
            raise InvalidInput("categories must not contain NUL characters")
        for name, bound in (("receivedFrom", self.received_from), ("receivedTo", self.received_to)):
            if bound is not None:
                check_aware_time(bound, name)
        if self.received_from and self.received_to and self.received_from >= self.received_to:
            raise InvalidInput("receivedFrom must be before receivedTo")
        return self

    def variables(self) -> dict[str, Any]:
        """The filter as GraphQL variables for a node."""
        return {
            "statuses": [s.value for s in self.statuses] if self.statuses else None,
            "kinds": [k.value for k in self.kinds] if self.kinds else None,
            "categories": self.categories,
            "regionPrefix": self.region_prefix,
            "receivedFrom": self.received_from.isoformat() if self.received_from else None,
            "receivedTo": self.received_to.isoformat() if self.received_to else None,
        }
