"""The Ombudsman's compliance scores: entered, not computed; zoned by the Ombudsman's bands; audited and scoped
to the admin's region."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest

from hub.access.principal import Principal, Role
from hub.nodes.registry import Registry
from hub.sla.ombudsman import OmbudsmanZone, ScoreBook, ScoredUnit, check_score, enter_score, ombudsman_zone, scores
from simpul.errors import InvalidInput, NotAllowed
from tests.hub import ledger_rows

KALTIM = Principal(role=Role.ADMIN, name="user biro-kaltim", region_code="64")
NATIONAL = Principal(role=Role.ADMIN, name="user kemenpanrb")
SOURCE = "Ombudsman RI, Penilaian Kepatuhan Standar Pelayanan Publik 2021"


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async for hub_pool in ledger_rows.hub_pool(database, nodes=("64", "64.08", "65")):
        yield hub_pool


@pytest.mark.parametrize(("score", "zone"), [
    ("100", OmbudsmanZone.HIJAU), ("81", OmbudsmanZone.HIJAU), ("80.99", OmbudsmanZone.KUNING),
    ("51", OmbudsmanZone.KUNING), ("50.99", OmbudsmanZone.MERAH), ("0", OmbudsmanZone.MERAH)])
def test_a_score_is_zoned_by_the_ombudsmans_own_bands(score: str, zone: OmbudsmanZone) -> None:
    assert ombudsman_zone(Decimal(score)) is zone


@pytest.mark.parametrize(("given", "message"), [
    ("101", "an Ombudsman score is a number from 0 to 100, not 101"),
    ("-1", "an Ombudsman score is a number from 0 to 100, not -1"),
    ("nan", "an Ombudsman score is a number from 0 to 100, not nan"),
    ("tinggi", "an Ombudsman score is a number from 0 to 100, not 'tinggi'"),
    ("72.555", "an Ombudsman score has at most two decimals, not 72.555")])
def test_a_score_outside_0_to_100_is_refused_by_value(given: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_score(given)


async def test_an_admin_enters_a_score_for_a_unit_of_its_region_and_it_is_audited(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        entered = await enter_score(conn, KALTIM, ScoredUnit.NODE, "64.08", 2021, "72.5", SOURCE)
        assert (entered.region_code, entered.score, entered.zone) == ("64.08", Decimal("72.50"), OmbudsmanZone.KUNING)
        corrected = await enter_score(conn, KALTIM, ScoredUnit.NODE, "64.08", 2021, "83", SOURCE + " (ralat)")
        assert corrected.zone is OmbudsmanZone.HIJAU
        await enter_score(conn, KALTIM, ScoredUnit.REGION, "64", 2021, "60.1", SOURCE)
        await enter_score(conn, NATIONAL, ScoredUnit.REGION, "65", 2021, "45", SOURCE)
    kaltim = await scores(pool, "64", 2021)
    assert [(s.unit_kind, s.unit, s.score) for s in kaltim] == [
        (ScoredUnit.REGION, "64", Decimal("60.10")), (ScoredUnit.NODE, "64.08", Decimal("83.00"))]
    assert await scores(pool, "64", 2022) == []
    assert len(await scores(pool, "", None)) == 3
    audit = await pool.fetch("SELECT actor, action, target, region_code, detail::text FROM audit_log"
                             " WHERE action = 'OMBUDSMAN_SCORE_ENTERED' ORDER BY id")
    assert [(a["actor"], a["target"], a["region_code"]) for a in audit] == [
        ("user biro-kaltim", "node 64.08 2021", "64.08"), ("user biro-kaltim", "node 64.08 2021", "64.08"),
        ("user biro-kaltim", "region 64 2021", "64"), ("user kemenpanrb", "region 65 2021", "65")]
    assert json.loads(audit[1]["detail"]) == {"score": "83.00", "previous": "72.50", "source": SOURCE + " (ralat)"}


async def test_a_score_outside_the_admins_region_or_of_an_unknown_unit_is_refused(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(NotAllowed, match="admin of 64 may not enter Ombudsman scores in region 65"):
            await enter_score(conn, KALTIM, ScoredUnit.NODE, "65", 2021, "70", SOURCE)
        with pytest.raises(NotAllowed, match="admin of 64 may not enter Ombudsman scores in region 65"):
            await enter_score(conn, KALTIM, ScoredUnit.REGION, "65", 2021, "70", SOURCE)
        with pytest.raises(InvalidInput, match="no node has code '64.99'"):
            await enter_score(conn, KALTIM, ScoredUnit.NODE, "64.99", 2021, "70", SOURCE)
        with pytest.raises(InvalidInput, match="region 64.99 is not in the Kemendagri region tree"):
            await enter_score(conn, KALTIM, ScoredUnit.REGION, "64.99", 2021, "70", SOURCE)
        with pytest.raises(InvalidInput, match="needs its source"):
            await enter_score(conn, KALTIM, ScoredUnit.REGION, "64", 2021, "70", "  ")
        with pytest.raises(InvalidInput, match="year must be between 2000 and 2200, not 1999"):
            await enter_score(conn, KALTIM, ScoredUnit.REGION, "64", 1999, "70", SOURCE)
    assert await scores(pool, "", None) == []
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'OMBUDSMAN_SCORE_ENTERED'") == 0


async def test_a_desk_shows_its_governments_score_but_an_opd_only_its_own(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await enter_score(conn, KALTIM, ScoredUnit.REGION, "64", 2021, "60", SOURCE)
    await pool.execute("INSERT INTO nodes (code, name, level, region_code, endpoint, kind, signing_key)"
                       " VALUES ('64.dinkes', 'Dinkes Kaltim', 'UNIT', '64', 'http://127.0.0.1:9', 'desk', '\\x00')")
    book = ScoreBook.of(await scores(pool, "64", 2021))
    registry = Registry(pool)
    desk, opd = await registry.get("64"), await registry.get("64.dinkes")
    assert desk is not None and opd is not None
    found = book.for_node(desk)
    assert found is not None and found.score == Decimal("60.00")
    assert book.for_node(opd) is None
    assert book.for_region("64") is found and book.for_region("65") is None
