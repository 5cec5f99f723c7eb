"""The Ombudsman RI's compliance score of a unit for a year: data entered by an admin, never computed.

The Ombudsman assesses providers' compliance with public-service standards
(penilaian kepatuhan standar pelayanan publik) and publishes a 0-100 score
with a zone: hijau 81-100, kuning 51-80.99, merah 0-50.99. It is a different
thing from simpul's zone of complaint-handling performance (hub/sla/zones.py),
and is shown beside it, labelled as the Ombudsman's. A score belongs to a node
(a unit that connects through simpul) or to a region's government assessed as
a whole; admins enter it for their own region subtree, audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import asyncpg

from hub.access.principal import Principal
from hub.audit import record
from hub.nodes.registry import NodeRecord, Registry
from hub.regions import region_name
from simpul.errors import InvalidInput
from simpul.wire import NodeLevel, check_region_code

FIRST_YEAR, LAST_YEAR = 2000, 2200  # as ombudsman_scores allows
MAX_SOURCE = 500
_COLUMNS = "unit_kind, unit, region_code, year, score, source, entered_by, entered_at"


class ScoredUnit(StrEnum):
    NODE = "NODE"  # a unit connected through simpul, by its node code
    REGION = "REGION"  # a region's government assessed as a whole, by its Kemendagri code


class OmbudsmanZone(StrEnum):
    HIJAU = "HIJAU"  # 81-100: high compliance
    KUNING = "KUNING"  # 51-80.99: medium compliance
    MERAH = "MERAH"  # 0-50.99: low compliance


OMBUDSMAN_ZONE_NAMES = {OmbudsmanZone.HIJAU: "Hijau", OmbudsmanZone.KUNING: "Kuning", OmbudsmanZone.MERAH: "Merah"}
OMBUDSMAN_LABEL = "Penilaian kepatuhan Ombudsman RI"  # how the score is always labelled where it is shown


def ombudsman_zone(score: Decimal) -> OmbudsmanZone:
    """The Ombudsman's band of a score (its 2021 bands: hijau 81-100, kuning 51-80.99, merah 0-50.99)."""
    if score >= 81:
        return OmbudsmanZone.HIJAU
    if score >= 51:
        return OmbudsmanZone.KUNING
    return OmbudsmanZone.MERAH


def check_score(score: Decimal | float | str) -> Decimal:
    """A score as the Ombudsman publishes it: 0 to 100, at most two decimals."""
    try:
        value = Decimal(str(score))
    except InvalidOperation:
        raise InvalidInput(f"an Ombudsman score is a number from 0 to 100, not {score!r}") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput(f"an Ombudsman score is a number from 0 to 100, not {score}")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"an Ombudsman score has at most two decimals, not {score}")
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OmbudsmanScore:
    unit_kind: ScoredUnit
    unit: str
    region_code: str
    year: int
    score: Decimal
    source: str  # the Ombudsman's publication the score is from
    entered_by: str
    entered_at: datetime

    @property
    def zone(self) -> OmbudsmanZone:
        return ombudsman_zone(self.score)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> OmbudsmanScore:
        return cls(**{**dict(row), "unit_kind": ScoredUnit(row["unit_kind"])})


async def _unit_region(conn: asyncpg.Connection, kind: ScoredUnit, unit: str) -> str:
    """The region a scored unit is in: the node's region, or the region itself; InvalidInput if unknown."""
    if kind is ScoredUnit.NODE:
        node = await Registry(conn).get(unit)
        if node is None:
            raise InvalidInput(f"no node has code {unit!r}")
        return node.region_code
    check_region_code(unit)
    if region_name(unit) is None:
        raise InvalidInput(f"region {unit} is not in the Kemendagri region tree")
    return unit


async def enter_score(conn: asyncpg.Connection, admin: Principal, kind: ScoredUnit, unit: str, year: int,
                      score: Decimal | float | str, source: str) -> OmbudsmanScore:
    """Record (or correct) the Ombudsman's score of a unit in the admin's subtree for a year, audited."""
    unit = unit.strip()
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}")
    value = check_score(score)
    cited = source.strip()
    if not cited:
        raise InvalidInput("an Ombudsman score needs its source: the Ombudsman's publication, e.g. "
                           "'Laporan Penilaian Kepatuhan 2021'")
    if len(cited) > MAX_SOURCE:
        raise InvalidInput(f"source must be at most {MAX_SOURCE} characters")
    region = await _unit_region(conn, kind, unit)
    admin.require(region, "enter Ombudsman scores")
    async with conn.transaction():
        before = await conn.fetchval("SELECT score FROM ombudsman_scores WHERE unit_kind = $1 AND unit = $2"
                                     " AND year = $3 FOR UPDATE", kind.value, unit, year)
        row = await conn.fetchrow(
            "INSERT INTO ombudsman_scores (unit_kind, unit, region_code, year, score, source, entered_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit_kind, unit, year) DO UPDATE SET"
            " region_code = EXCLUDED.region_code, score = EXCLUDED.score, source = EXCLUDED.source,"
            f" entered_by = EXCLUDED.entered_by, entered_at = now() RETURNING {_COLUMNS}",
            kind.value, unit, region, year, value, cited, admin.name)
        await record(conn, admin, "OMBUDSMAN_SCORE_ENTERED", f"{kind.value.lower()} {unit} {year}", region,
                     {"score": str(value), "previous": None if before is None else str(before), "source": cited})
    return OmbudsmanScore.from_row(row)


async def scores(conn: asyncpg.Pool | asyncpg.Connection, region: str, year: int | None) -> list[OmbudsmanScore]:
    """Scores of the units in the region subtree ('' for all), of one year or every year."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM ombudsman_scores WHERE ($1 = '' OR region_code = $1 OR region_code LIKE $1 || '.%')"
        " AND ($2::int IS NULL OR year = $2) ORDER BY region_code, unit_kind, unit, year", region, year)
    return [OmbudsmanScore.from_row(r) for r in rows]


@dataclass(frozen=True)
class ScoreBook:
    """One year's scores, looked up for a unit or a region."""

    by_unit: dict[tuple[ScoredUnit, str], OmbudsmanScore]

    @classmethod
    def of(cls, found: Sequence[OmbudsmanScore]) -> ScoreBook:
        return cls({(s.unit_kind, s.unit): s for s in found})

    def for_node(self, node: NodeRecord) -> OmbudsmanScore | None:
        """The node's own score; for a province's or kabupaten/kota's desk, else its government's."""
        own = self.by_unit.get((ScoredUnit.NODE, node.code))
        if own is None and node.level in (NodeLevel.PROVINSI, NodeLevel.KABKOTA):
            return self.by_unit.get((ScoredUnit.REGION, node.region_code))
        return own

    def for_region(self, region_code: str) -> OmbudsmanScore | None:
        return self.by_unit.get((ScoredUnit.REGION, region_code)) if region_code else None
