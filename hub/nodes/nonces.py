"""Replay protection: the nonces of signed node requests, kept in PostgreSQL so every replica refuses a replay."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from simpul.db.grouped import Grouped
from simpul.db.pool import DATABASE_ERRORS

log = logging.getLogger("simpul.hub")


_REMEMBER = """
INSERT INTO seen_nonces (node_code, nonce) SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT DO NOTHING RETURNING node_code, nonce
"""


class PgNonceStore:
    """Nonces in PostgreSQL, so that every hub replica refuses a replay; those of a short window are written by
    one statement (every signed node request has a nonce: 1,000 nodes heartbeating are 67 a second)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._written = Grouped(pool, _REMEMBER, key=lambda row: (row["node_code"], row["nonce"]), window=0.1)
        self._waiting: set[tuple[str, str]] = set()

    async def remember(self, node: str, nonce: str, timestamp: int) -> bool:
        key = (node, nonce)
        if key in self._waiting:
            return False  # the same nonce twice in one window: the second is the replay
        self._waiting.add(key)
        try:
            return await self._written(key, node, nonce) is not None
        finally:
            self._waiting.discard(key)

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
