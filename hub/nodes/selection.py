"""Which nodes a query concerns: the value access narrows to a principal's region and the registry reads by."""

from __future__ import annotations

from dataclasses import dataclass

from simpul.wire import NodeLevel


@dataclass(frozen=True)
class NodeSelection:
    """Which nodes a query concerns; every field narrows, None means any."""

    region_prefix: str | None = None
    codes: tuple[str, ...] | None = None
    level: NodeLevel | None = None
    status: str | None = None
