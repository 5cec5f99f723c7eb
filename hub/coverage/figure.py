"""Connection coverage of a region subtree: expected units connected / expected units (keterhubungan).

A unit counts as connected when an ACTIVE enrolled node stands for it: the
declared node code for a declared unit, a PROVINSI or KABKOTA node at the
government's region code for a government. A unit that never enrolled, or whose
node is pending or suspended, counts as not connected. This is the register as
it stands now: the hub keeps no history of enrolments and withdrawals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


async def active_nodes(conn: asyncpg.Pool | asyncpg.Connection) -> list[ActiveNode]:
    rows = await conn.fetch("SELECT code, level, region_code FROM nodes WHERE status = 'ACTIVE'")
    return [ActiveNode(r["code"], NodeLevel(r["level"]), r["region_code"]) for r in rows]


async def region_coverage(pool: asyncpg.Pool, region: str) -> Coverage:
    """Coverage of the region subtree ('' the whole country), from the register and the registry now."""
    async with pool.acquire() as conn:
        return connect(region, await expected_units(conn, region), await active_nodes(conn))
