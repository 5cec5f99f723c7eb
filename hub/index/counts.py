"""Fold the index's count deltas into national counts, so a national `stats` reads thousands of rows, not millions.

Writers of the ledger only append deltas (a trigger; no row is contended by two
transactions). This job moves them into `index_counts` in one transaction; a
replica that finds another folding skips its turn. Reads add the deltas not yet
folded, so a count is exact whenever it is read.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.index")

FOLD_INTERVAL = 2.0
_FOLD_LOCK = 0x51A9_1D7  # advisory lock: one folder at a time across replicas

_FOLD = """
WITH moved AS (DELETE FROM index_count_deltas RETURNING status, kind, category, region_code, selesai, d),
summed AS (SELECT status, kind, category, region_code, selesai, sum(d) AS d FROM moved GROUP BY 1, 2, 3, 4, 5)
INSERT INTO index_counts (status, kind, category, region_code, selesai, n)
SELECT status, kind, category, region_code, selesai, d FROM summed
ON CONFLICT (status, kind, category, region_code, selesai) DO UPDATE SET n = index_counts.n + excluded.n
"""


async def fold_counts(pool: asyncpg.Pool) -> bool:
    """Fold the deltas committed so far; False when another replica is folding."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _FOLD_LOCK):
            return False
        await conn.execute(_FOLD)
        await conn.execute("DELETE FROM index_counts WHERE n = 0")
    return True


async def run_folding(pool: asyncpg.Pool, interval: float = FOLD_INTERVAL) -> None:
    """Fold until cancelled."""
    while True:
        try:
            await fold_counts(pool)
        except DATABASE_ERRORS as exc:
            log.warning("index counts not folded: %s", exc)
        await asyncio.sleep(interval)
