"""API keys for machines and scripts: shown once, stored as a SHA-256 digest, revocable.

A key is a long random secret, so one fast digest is enough to store it
(passwords, which people choose, get argon2 in users.py). Each use records
`last_used_at`; a revoked key stops working on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from hub.access.policy import PUBLISHABLE_OPERATIONS
from hub.access.principal import Principal, Role
from hub.audit import record
from simpul.errors import InvalidInput, NotAllowed
from simpul.wire import check_region_code

KEY_PREFIX = "smp_"
KEY_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR)


class ApiKey(BaseModel):
    """An API key as the hub keeps it (its secret is never kept, only its digest)."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    role: Role
    region_code: str
    operations: list[str] | None
    published: bool = Field(description="Published in a page (a portal's): it reads counts only, and its rate "
                            "and cost limits count per client address, as the public's do.")
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _key_of(row: asyncpg.Record) -> ApiKey:
    return ApiKey.model_validate(dict(row))


_COLUMNS = "id, name, role, region_code, operations, published, created_by, created_at, last_used_at, revoked_at"


async def issue_key(
    conn: asyncpg.Connection, issuer: Principal, role: Role, name: str, region_code: str,
    operations: Iterable[str] | None, allowed_operations: frozenset[str], published: bool = False,
) -> tuple[ApiKey, str]:
    """A new key in the issuer's subtree; returns it with its secret, which is never stored. A `published` key
    is anyone's who reads the page it is in, so it may read counts only."""
    if role not in KEY_ROLES:
        raise InvalidInput(f"keys are for {', '.join(r.value for r in KEY_ROLES)}; nodes enrol with a token")
    if region_code:
        check_region_code(region_code)
    issuer.require(region_code, "issue keys")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("a key needs a name of 1 to 200 characters saying whose it is")
    ops: list[str] | None = None
    if role is Role.INTEGRATOR:
        ops = sorted(set(operations or ()))
        if not ops:
            raise InvalidInput("an integrator key needs its operations, e.g. reports,stats")
        unknown = [op for op in ops if op not in allowed_operations]
        if unknown:
            raise InvalidInput(f"integrators may not be given {', '.join(unknown)}; "
                               f"allowed: {', '.join(sorted(allowed_operations))}")
    elif operations:
        raise InvalidInput("only integrator keys carry a list of operations")
    if published:
        if role is not Role.INTEGRATOR:
            raise InvalidInput("only integrator keys may be published: a page's visitors read with them")
        unpublishable = [op for op in ops or () if op not in PUBLISHABLE_OPERATIONS]
        if unpublishable:
            raise InvalidInput(f"a published key reads counts only; it may not be given {', '.join(unpublishable)} "
                               f"(allowed: {', '.join(sorted(PUBLISHABLE_OPERATIONS))})")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    async with conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO api_keys (key_hash, name, role, region_code, operations, published, created_by)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}",
            digest(secret), name.strip(), role.value, region_code, ops, published, issuer.name)
        key = _key_of(row)
        await record(conn, issuer, "KEY_ISSUED", f"key {key.id}", region_code,
                     {"role": role.value, "name": key.name, "operations": ops, "published": published})
    return key, secret


async def revoke_key(conn: asyncpg.Connection, issuer: Principal, key_id: int) -> ApiKey:
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1 FOR UPDATE", key_id)
        if row is None:
            raise InvalidInput(f"no key {key_id}")
        issuer.require(row["region_code"], "revoke keys")
        if row["revoked_at"] is not None:
            raise InvalidInput(f"key {key_id} was revoked at {row['revoked_at'].isoformat()}")
        row = await conn.fetchrow(
            f"UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING {_COLUMNS}", key_id)
        await record(conn, issuer, "KEY_REVOKED", f"key {key_id}", row["region_code"], {"name": row["name"]})
    return _key_of(row)


async def list_keys(conn: asyncpg.Connection | asyncpg.Pool, viewer: Principal) -> list[ApiKey]:
    """Keys whose scope lies in the viewer's subtree, newest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM api_keys WHERE $1 = '' OR region_code = $1 OR region_code LIKE $1 || '.%'"
        " ORDER BY id DESC", viewer.region_code)
    return [_key_of(r) for r in rows]


# Find a live key and record its use, to the minute (not a write per request).
_USE_KEY = """
WITH k AS (SELECT id, name, role, region_code, operations, published, last_used_at FROM api_keys
           WHERE key_hash = $1 AND revoked_at IS NULL),
     used AS (UPDATE api_keys SET last_used_at = now() FROM k
              WHERE api_keys.id = k.id AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'))
SELECT id, name, role, region_code, operations, published FROM k
"""


async def principal_of_key(pool: asyncpg.Pool, secret: str) -> Principal:
    row = await pool.fetchrow(_USE_KEY, digest(secret))
    if row is None:
        raise NotAllowed("unknown or revoked API key")
    operations = frozenset(row["operations"]) if row["operations"] is not None else None
    return Principal(role=Role(row["role"]), name=f"key {row['id']} ({row['name']})",
                     region_code=row["region_code"], operations=operations, key_id=row["id"],
                     published=row["published"])
