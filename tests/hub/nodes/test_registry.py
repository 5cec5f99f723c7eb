"""Suspending and reactivating a node: one change however many admins press at once, the secret kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from hub.access.principal import Principal, Role
from hub.nodes.suspension import reactivate_node, suspend_node
from simpul.errors import InvalidInput
from tests.databases import hub_pool_with_kutim

KALTIM_ADMIN = Principal(role=Role.ADMIN, name="user kaltim", region_code="64")
ADMINS = 6


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """The hub's tables with one enrolled node, Kutai Timur's desk (64.08)."""
    async with hub_pool_with_kutim(database, ADMINS, b"\x2a") as hub_pool:
        yield hub_pool


async def _suspend(pool: asyncpg.Pool, admin: Principal) -> str:
    async with pool.acquire() as conn:
        try:
            await suspend_node(conn, admin, "64.08", "Rahasia bocor")
        except InvalidInput as exc:
            return str(exc)
    return "suspended"


async def test_admins_suspending_at_once_suspend_once_and_the_rest_hear_it_is_already_done(
    pool: asyncpg.Pool
) -> None:
    admins = [Principal(role=Role.ADMIN, name=f"user {i}", region_code="64") for i in range(ADMINS)]
    outcomes = await asyncio.gather(*(_suspend(pool, admin) for admin in admins))
    assert sorted(outcomes) == ["node 64.08 is already suspended"] * (ADMINS - 1) + ["suspended"]
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'NODE_SUSPENDED'") == 1


async def test_a_reactivated_node_keeps_its_secret_and_its_enrolment(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        suspended = await suspend_node(conn, KALTIM_ADMIN, "64.08", "Diperiksa")
        reactivated = await reactivate_node(conn, KALTIM_ADMIN, "64.08")
    assert (suspended.status, reactivated.status) == ("SUSPENDED", "ACTIVE")
    assert reactivated.signing_key == suspended.signing_key == b"\x2a"
    assert reactivated.enrolled_at == suspended.enrolled_at


async def test_a_pending_node_is_neither_suspended_nor_reactivated(pool: asyncpg.Pool) -> None:
    await pool.execute("UPDATE nodes SET status = 'PENDING' WHERE code = '64.08'")
    async with pool.acquire() as conn:
        with pytest.raises(InvalidInput, match="node 64.08 is PENDING; only an ACTIVE node can be suspended"):
            await suspend_node(conn, KALTIM_ADMIN, "64.08", "Diperiksa")
        with pytest.raises(InvalidInput, match="node 64.08 is PENDING, not SUSPENDED"):
            await reactivate_node(conn, KALTIM_ADMIN, "64.08")
    assert await pool.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_a_reason_that_says_nothing_or_too_much_is_refused_before_anything_changes(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        for reason in ("", " \t\n", "x" * 501):
            with pytest.raises(InvalidInput, match="a suspension needs a reason of 1 to 500 characters"):
                await suspend_node(conn, KALTIM_ADMIN, "64.08", reason)
        with pytest.raises(InvalidInput, match="reason must not contain NUL characters"):
            await suspend_node(conn, KALTIM_ADMIN, "64.08", "bocor\x00")
    assert await pool.fetchval("SELECT status FROM nodes WHERE code = '64.08'") == "ACTIVE"
