"""The registry of nodes: who is in the federation, where, and whether they answer (suspension: suspension.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hub.audit import record
from hub.nodes.selection import NodeSelection, Parameters
from hub.nodes.status import NodeStatus
from simpul.db.grouped import Grouped
from simpul.wire import NodeIdentity, NodeLevel

log = logging.getLogger("simpul.hub")

MAX_CALL_ERROR = 500

COLUMNS = (
    "code, name, level, region_code, parent_code, categories, endpoint, kind, status,"
    " signing_key, public_key, enrolled_at, last_heartbeat, healthy, call_error, called_at,"
    " (SELECT w.synced_at FROM feed_watermarks w WHERE w.node_code = nodes.code) AS synced_at"
)

# The heartbeats of a window, each node's latest: last_heartbeat is when the statement ran, at most a window late.
_BEATS = """
UPDATE nodes SET last_heartbeat = now(), healthy = beat.healthy
FROM unnest($1::text[], $2::bool[]) AS beat(code, healthy) WHERE nodes.code = beat.code RETURNING nodes.code
"""


@dataclass(frozen=True, kw_only=True)
class NodeRecord(NodeIdentity):
    """A node as the registry holds it: who it is, where it answers, and how its last calls went."""

    endpoint: str
    status: NodeStatus
    signing_key: bytes | None  # the HMAC key of a node not yet rekeyed (simpul-v1); None once it has a key pair
    enrolled_at: datetime
    last_heartbeat: datetime | None
    healthy: bool | None
    call_error: str | None = None  # why the hub's last call to it failed; None: it answered, or not called yet
    called_at: datetime | None = None
    synced_at: datetime | None = None  # its feed last read to its end: its part of the index is as of then
    public_key: bytes | None = None  # the node's Ed25519 public key; None: a v1 node that has not rekeyed

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> NodeRecord:
        return cls(
            code=row["code"],
            name=row["name"],
            level=NodeLevel(row["level"]),
            region_code=row["region_code"],
            parent_code=row["parent_code"],
            categories=tuple(row["categories"]),
            endpoint=row["endpoint"],
            kind=row["kind"],
            status=NodeStatus(row["status"]),
            signing_key=bytes(row["signing_key"]) if row["signing_key"] is not None else None,
            enrolled_at=row["enrolled_at"],
            last_heartbeat=row["last_heartbeat"],
            healthy=row["healthy"],
            call_error=row["call_error"],
            called_at=row["called_at"],
            synced_at=row["synced_at"],
            public_key=bytes(row["public_key"]) if row["public_key"] is not None else None,
        )

    def reachable(self, now: datetime, grace: float) -> bool:
        """Heard from within the grace period, and callable at its endpoint when the hub last tried."""
        return (self.last_heartbeat is not None and self.call_error is None
                and (now - self.last_heartbeat).total_seconds() <= grace)


class Registry:
    """Reads and updates the nodes table, through a pool or inside a caller's transaction."""

    def __init__(self, pool: asyncpg.Pool | asyncpg.Connection) -> None:
        self.pool = pool
        self._beats: Grouped | None = None  # heartbeats of a short window, one statement
        self._signers: Grouped | None = None  # the nodes that signed a short window's requests, one statement

    async def select(self, selection: NodeSelection) -> list[NodeRecord]:
        args = Parameters()
        rows = await self.pool.fetch(
            f"SELECT {COLUMNS} FROM nodes WHERE {selection.where(args.add)} ORDER BY region_code, code", *args)
        return [NodeRecord.from_row(r) for r in rows]

    async def due_for_pull(self, synced_within: float, checked_within: float) -> list[NodeRecord]:
        """Active nodes whose feed a round pulls: never read to its end, or not within `synced_within` seconds,
        or the hub's last call failed; except a node that checked its own feed at a heartbeat within
        `checked_within` seconds (it pokes when it has news)."""
        rows = await self.pool.fetch(
            f"SELECT {COLUMNS} FROM nodes LEFT JOIN feed_watermarks w ON w.node_code = nodes.code"
            " WHERE status = 'ACTIVE' AND (w.synced_at IS NULL OR call_error IS NOT NULL"
            " OR w.synced_at < now() - make_interval(secs => $1))"
            " AND (w.checked_at IS NULL OR w.checked_at < now() - make_interval(secs => $2) OR call_error IS NOT NULL)"
            " ORDER BY region_code, code", synced_within, checked_within)
        return [NodeRecord.from_row(r) for r in rows]

    async def serving(self, regions: Sequence[str]) -> list[NodeRecord]:
        """Active nodes of exactly these regions, and the national desks: all a routing fallback can pick, in the
        order `select` gives them (a national select would read every node for every report routed)."""
        rows = await self.pool.fetch(
            f"SELECT {COLUMNS} FROM nodes WHERE status = 'ACTIVE' AND (region_code = ANY($1::text[])"
            " OR level = 'PUSAT') ORDER BY region_code, code", list(regions))
        return [NodeRecord.from_row(r) for r in rows]

    async def count(self, selection: NodeSelection) -> int:
        """How many nodes `select` would return (an active-only count when status is ACTIVE)."""
        args = Parameters()
        found: int = await self.pool.fetchval(f"SELECT count(*) FROM nodes WHERE {selection.where(args.add)}", *args)
        return found

    async def get(self, code: str) -> NodeRecord | None:
        row = await self.pool.fetchrow(f"SELECT {COLUMNS} FROM nodes WHERE code = $1", code)
        return NodeRecord.from_row(row) if row else None

    async def signer(self, code: str) -> NodeRecord | None:
        """The node a signed request names, read by one statement with those of a short window's other requests:
        every heartbeat and poke of every node reads its node first."""
        if self._signers is None:
            self._signers = Grouped(self.pool, f"SELECT {COLUMNS} FROM nodes WHERE code = ANY($1::text[])",
                                    key=lambda row: row["code"], window=0.1)
        row = await self._signers(code, code)
        return NodeRecord.from_row(row) if row else None

    async def drop_legacy_key(self, code: str) -> None:
        """The node signed with its key pair: its v1 HMAC key, which could sign as it or as the hub, goes."""
        await self.pool.execute("UPDATE nodes SET signing_key = NULL WHERE code = $1 AND signing_key IS NOT NULL"
                                " AND public_key IS NOT NULL", code)

    async def record_heartbeat(self, node: NodeRecord, endpoint: str, healthy: bool) -> None:
        """The node was heard from; a new endpoint (already checked) is kept and audited in the same
        transaction, so the log shows every address the hub was told to call for a node."""
        from hub.access.principal import node_principal  # the principal module reads the registry

        if endpoint == node.endpoint:
            if self._beats is None:
                self._beats = Grouped(self.pool, _BEATS, key=lambda row: row["code"], window=0.25)
            await self._beats(node.code, node.code, healthy)
            return
        async with _connection(self.pool) as conn, conn.transaction():
            before = await conn.fetchval("SELECT endpoint FROM nodes WHERE code = $1 FOR UPDATE", node.code)
            await conn.execute("UPDATE nodes SET last_heartbeat = now(), endpoint = $2, healthy = $3"
                               " WHERE code = $1", node.code, endpoint, healthy)
            if before != endpoint:
                await record(conn, node_principal(node.code, node.region_code), "NODE_ENDPOINT_CHANGED",
                             f"node {node.code}", node.region_code,
                             {"from": before, "to": endpoint})
        log.info("node %s moved its endpoint to %s", node.code, endpoint)


@asynccontextmanager
async def _connection(pool: asyncpg.Pool | asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool, or the caller's own."""
    if isinstance(pool, asyncpg.Connection):
        yield pool
    else:
        async with pool.acquire() as conn:
            yield conn


async def record_call(conn: asyncpg.Connection, code: str, error: str | None) -> None:
    """What the hub's last call to the node found: `reachable` means the hub can call it, not only hear it."""
    error = error[:MAX_CALL_ERROR] if error is not None else None
    # Written when it changes (or on the first call): an idle round over a thousand nodes writes no node row.
    await conn.execute("UPDATE nodes SET call_error = $2, called_at = now() WHERE code = $1"
                       " AND (called_at IS NULL OR call_error IS DISTINCT FROM $2)", code, error)
    if error is not None:
        await conn.execute("UPDATE feed_watermarks SET failed_at = now(), error = $2 WHERE node_code = $1",
                           code, error)
