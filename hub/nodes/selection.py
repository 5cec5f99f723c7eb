"""Which nodes a query concerns: the value access narrows to a principal's region and the registry reads by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.nodes.status import NodeStatus
from simpul.errors import InvalidInput
from simpul.wire import NodeLevel, check_node_code, check_region_code

MAX_SCOPE_CODES = 1000  # node codes one scope may name


@dataclass(frozen=True)
class NodeSelection:
    """Which nodes a query concerns; every field narrows, None means any."""

    region_prefix: str | None = None
    codes: tuple[str, ...] | None = None
    level: NodeLevel | None = None
    status: NodeStatus | None = None

    @classmethod
    def asked(cls, region_prefix: str | None, node_codes: list[str] | None, level: NodeLevel | None) -> NodeSelection:
        """The nodes a caller's scope asks for, checked: the resolver and the guard's pricing read it alike."""
        if region_prefix is not None:
            check_region_code(region_prefix)
        codes = None
        if node_codes is not None:
            if len(node_codes) > MAX_SCOPE_CODES:
                raise InvalidInput(f"a scope may name at most {MAX_SCOPE_CODES} nodes")
            codes = tuple(check_node_code(c) for c in node_codes)
        return cls(region_prefix=region_prefix, codes=codes, level=level)

    def where(self, param: Callable[[object], str], table: str = "", *, status: bool = True) -> str:
        """This selection as a predicate over the nodes table; `param` adds a value and names its placeholder.
        `status=False` leaves the status out (the index keeps a suspended node's reports)."""
        t = f"{table}." if table else ""
        p = param(self.region_prefix)
        c = param(list(self.codes) if self.codes is not None else None)
        lv = param(self.level.value if self.level else None)
        where = (f"({p}::text IS NULL OR {t}region_code = {p} OR {t}region_code LIKE {p} || '.%')"
                 f" AND ({c}::text[] IS NULL OR {t}code = ANY({c})) AND ({lv}::text IS NULL OR {t}level = {lv})")
        if status:
            s = param(self.status)
            where += f" AND ({s}::text IS NULL OR {t}status = {s})"
        return where


class Parameters(list[object]):
    """Values of a query, in order: `add` keeps one and names its placeholder ($1, $2, ...)."""

    def add(self, value: object) -> str:
        self.append(value)
        return f"${len(self)}"
