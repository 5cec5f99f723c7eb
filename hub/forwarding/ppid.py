"""The PPID of each regional government: where a permintaan informasi goes.

UU 14/2008 art. 13 has every public body appoint a PPID (Pejabat Pengelola
Informasi dan Dokumentasi), who answers its information requests. A province or
kabupaten/kota government is one body, so the register keeps one PPID node per
region; an admin of the region designates it, audited. Routing sends an
INFORMASI report to the PPID of its region before any unit or desk, and a
routing rule may name "the PPID" as its target instead of one node.
National bodies (ministries) route their requests with a rule to their PPID's
node, since many bodies share the national level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hub.access.principal import Principal
from hub.audit import record
from hub.nodes.registry import Registry
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from simpul.errors import InvalidInput
from simpul.wire import NodeLevel, check_region_code, in_region

# A region's PPID, by kab/kota then province: the deepest designated one serves a report.
_DESIGNATED = "SELECT region_code, node_code FROM ppid WHERE region_code = ANY($1::text[])"


@dataclass(frozen=True)
class Designation:
    region_code: str
    node_code: str
    designated_by: str
    designated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Designation:
        return cls(row["region_code"], row["node_code"], row["designated_by"], row["designated_at"])


async def designate(pool: asyncpg.Pool, admin: Principal, region_code: str, node_code: str) -> Designation:
    """Make `node_code` the PPID of the government of `region_code` (replacing any before), audited."""
    region_code = region_code.strip()
    if region_code == "" or region_code.count(".") > 1:
        raise InvalidInput("a PPID is designated for a province or kabupaten/kota government, e.g. 64 or 64.08")
    check_region_code(region_code)
    if region_name(region_code) is None:
        raise InvalidInput(f"region {region_code} is not in the Kemendagri region tree")
    admin.require(region_code, "designate the PPID")
    node = await Registry(pool).get(node_code)
    if node is None:
        raise InvalidInput(f"no node {node_code!r} is enrolled")
    if node.status is not NodeStatus.ACTIVE:
        raise InvalidInput(f"node {node_code} is {node.status}, not ACTIVE")
    if node.level is NodeLevel.PUSAT or not in_region(node.region_code, region_code):
        raise InvalidInput(f"node {node_code} serves region {node.region_code or 'national'}, outside {region_code}")
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO ppid (region_code, node_code, designated_by) VALUES ($1, $2, $3)"
            " ON CONFLICT (region_code) DO UPDATE SET node_code = excluded.node_code,"
            " designated_by = excluded.designated_by, designated_at = now() RETURNING *",
            region_code, node_code, admin.name)
        await record(conn, admin, "PPID_DESIGNATED", f"region {region_code}", region_code, {"node": node_code})
    return Designation.from_row(row)


async def designations(db: asyncpg.Pool | asyncpg.Connection, region_prefix: str | None) -> list[Designation]:
    """The PPIDs designated in a region subtree (all, for None), by region."""
    rows = await db.fetch("SELECT * FROM ppid WHERE $1::text IS NULL OR region_code = $1"
                          " OR region_code LIKE $1 || '.%' ORDER BY region_code", region_prefix)
    return [Designation.from_row(r) for r in rows]


async def ppid_nodes(db: asyncpg.Pool | asyncpg.Connection, regions: Sequence[str]) -> dict[str, str]:
    """region -> its PPID's node code, for those of `regions` that have one."""
    return {r["region_code"]: r["node_code"] for r in await db.fetch(_DESIGNATED, list(regions))}
