"""Admin API keys: who may change routing and re-assign reports, and where.

A first slice of access control (issue 6 widens it): an admin key is shown
once, stored as a SHA-256 digest, and scoped to a region subtree; '' is the
national admin. Requests carry it as `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

from simpul.wire import InvalidInput, NotAllowed, check_region_code, in_region


@dataclass(frozen=True)
class Admin:
    name: str
    region_code: str  # '' for national

    def covers(self, region_code: str) -> bool:
        return self.region_code == "" or in_region(region_code, self.region_code)

    def require(self, region_code: str, action: str) -> None:
        if not self.covers(region_code):
            scope = self.region_code or "national"
            raise NotAllowed(f"admin of {scope} may not {action} in region {region_code or 'national'}")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def create_admin_key(conn: asyncpg.Connection | asyncpg.Pool, name: str, region_code: str) -> str:
    """Issue an admin key for a region subtree ('' national); return it, once."""
    if region_code:
        check_region_code(region_code)
    if not name.strip():
        raise InvalidInput("an admin key needs a name saying whose it is")
    key = "adm_" + secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO admin_keys (key_hash, name, region_code) VALUES ($1, $2, $3)",
        _digest(key), name.strip(), region_code,
    )
    return key


async def authenticate(pool: asyncpg.Pool, authorization: str | None) -> Admin | None:
    """The admin a bearer key belongs to, or None for a request without one."""
    if not authorization:
        return None
    if not authorization.startswith("Bearer "):
        raise NotAllowed("Authorization must be 'Bearer <admin key>'")
    row = await pool.fetchrow(
        "UPDATE admin_keys SET last_used_at = now() WHERE key_hash = $1 AND revoked_at IS NULL"
        " RETURNING name, region_code",
        _digest(authorization.removeprefix("Bearer ").strip()),
    )
    if row is None:
        raise NotAllowed("unknown or revoked admin key")
    return Admin(name=row["name"], region_code=row["region_code"])
