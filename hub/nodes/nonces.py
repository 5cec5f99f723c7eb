"""Replay protection: the nonces of signed node requests, kept in PostgreSQL so every replica refuses a replay."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.hub")


class PgNonceStore:
    """Nonces in PostgreSQL, so that every hub replica refuses a replay."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def remember(self, node: str, nonce: str, timestamp: int) -> bool:
        inserted = await self.pool.fetchval(
            "INSERT INTO seen_nonces (node_code, nonce) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            node, nonce,
        )
        return bool(inserted)

    async def forget_older_than(self, seconds: float) -> None:
        await self.pool.execute(
            "DELETE FROM seen_nonces WHERE seen_at < now() - make_interval(secs => $1)", seconds
        )


async def forget_old_nonces(nonces: PgNonceStore, max_skew: float) -> None:
    while True:
        await asyncio.sleep(60)
        try:
            await nonces.forget_older_than(2 * max_skew)
        except DATABASE_ERRORS as exc:
            log.warning("could not prune nonces: %s", exc)
