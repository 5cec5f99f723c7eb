"""Connection coverage of a region subtree: expected units connected / expected units (keterhubungan).

A unit counts as connected when an ACTIVE enrolled node stands for it: the
declared node code for a declared unit, a PROVINSI or KABKOTA node at the
government's region code for a government. A unit that never enrolled, or whose
node is pending or suspended, counts as not connected. Coverage at an earlier
moment (a past period's report) is read from the history the hub keeps: when each
node enrolled, its suspensions and reactivations in the audit log, and when each
declared unit was declared and withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hub.coverage.register import ExpectedUnit, UnitKind, expected_units
from hub.sla.units import province_of
from simpul.wire import NodeLevel

_GOVERNMENT_LEVEL = {UnitKind.PROVINSI: NodeLevel.PROVINSI, UnitKind.KABKOTA: NodeLevel.KABKOTA}


@dataclass(frozen=True)
class ActiveNode:
    code: str
    level: NodeLevel
    region_code: str


@dataclass(frozen=True)
class UnitCoverage:
    unit: ExpectedUnit
    node_code: str | None  # the active node that connects it; None: not connected

    @property
    def connected(self) -> bool:
        return self.node_code is not None


@dataclass(frozen=True)
class Coverage:
    region_code: str  # the subtree: '' national, a province, a kabupaten/kota
    units: tuple[UnitCoverage, ...]

    @property
    def expected(self) -> int:
        return len(self.units)

    @property
    def connected(self) -> int:
        return sum(u.connected for u in self.units)

    @property
    def share(self) -> float | None:
        """connected / expected; None when the region expects no unit."""
        return self.connected / self.expected if self.units else None

    @property
    def not_connected(self) -> list[ExpectedUnit]:
        return [u.unit for u in self.units if not u.connected]

    def by_province(self) -> list[Coverage]:
        """The same units per province ('' first: national ministries and agencies), by code."""
        grouped: dict[str, list[UnitCoverage]] = {}
        for unit in self.units:
            grouped.setdefault(province_of(unit.unit.region_code), []).append(unit)
        return [Coverage(code, tuple(members)) for code, members in sorted(grouped.items())]


def connect(region: str, units: Iterable[ExpectedUnit], nodes: Iterable[ActiveNode]) -> Coverage:
    """Each expected unit with the active node that connects it, if any."""
    by_code = {n.code: n for n in nodes}
    governing = {(n.level, n.region_code): n.code for n in sorted(by_code.values(), key=lambda n: n.code,
                                                                   reverse=True)}
    found = []
    for unit in units:
        if unit.kind is UnitKind.DECLARED:
            node = unit.node_code if unit.node_code in by_code else None
        else:
            node = governing.get((_GOVERNMENT_LEVEL[unit.kind], unit.region_code))
        found.append(UnitCoverage(unit, node))
    return Coverage(region, tuple(found))


# Nodes active at $1: enrolled by then, heard from since (not PENDING now), and not suspended then (the last
# suspension or reactivation before $1 in the audit log is not a suspension).
_ACTIVE_AT = """
SELECT n.code, n.level, n.region_code FROM nodes n
WHERE n.enrolled_at <= $1 AND n.status <> 'PENDING'
  AND coalesce((SELECT a.action FROM audit_log a WHERE a.target = 'node ' || n.code
                AND a.action IN ('NODE_SUSPENDED', 'NODE_REACTIVATED') AND a.at <= $1
                ORDER BY a.at DESC, a.id DESC LIMIT 1), 'NODE_REACTIVATED') = 'NODE_REACTIVATED'
"""


async def active_nodes(conn: asyncpg.Pool | asyncpg.Connection, as_of: datetime | None = None) -> list[ActiveNode]:
    """Nodes ACTIVE now, or at `as_of`."""
    if as_of is None:
        rows = await conn.fetch("SELECT code, level, region_code FROM nodes WHERE status = 'ACTIVE'")
    else:
        rows = await conn.fetch(_ACTIVE_AT, as_of)
    return [ActiveNode(r["code"], NodeLevel(r["level"]), r["region_code"]) for r in rows]


async def region_coverage(pool: asyncpg.Pool, region: str, as_of: datetime | None = None) -> Coverage:
    """Coverage of the region subtree ('' the whole country), from the register and the registry now, or as they
    stood at `as_of`."""
    async with pool.acquire() as conn:
        return connect(region, await expected_units(conn, region, as_of), await active_nodes(conn, as_of))
