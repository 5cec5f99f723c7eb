"""Numbered SQL migrations (`0001_name.sql`), applied once each, in order.

Each component (the hub, each desk) keeps its tables in its own schema and
its own `schema_migrations` ledger there, so many components can share one
database. Concurrent migrators are serialised by an advisory lock.

The role that migrates owns the tables. A component may run as another role
that `grant_runtime` gives only what it needs (no DDL, and only INSERT and
SELECT on append-only tables): such a role cannot disable a table's trigger.
With nothing pending, `migrate` runs no DDL, so that role may call it at start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ROLE = _SCHEMA


class MigrationError(Exception):
    """A migration set or schema name that cannot be applied."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str) -> list[Migration]:
    """The migrations shipped in `package`, in version order."""
    found = []
    for entry in resources.files(package).iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations in {package} are not numbered 1..n: {versions}")
    return found


async def _applied(conn: asyncpg.Connection, schema: str) -> set[int]:
    """Versions already applied in `schema`, read without taking a lock or creating anything."""
    if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".schema_migrations') is None:
        return set()
    return {r["version"] for r in await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')}


async def migrate(conn: asyncpg.Connection, schema: str, package: str) -> list[Migration]:
    """Apply the not yet applied migrations of `package` in `schema`; return them."""
    if not _SCHEMA.match(schema):
        raise MigrationError(f"invalid schema name: {schema!r}")
    if {m.version for m in load_migrations(package)} <= await _applied(conn, schema):
        return []
    try:
        return await _apply(conn, schema, package)
    except asyncpg.InsufficientPrivilegeError as exc:
        user = await conn.fetchval("SELECT current_user")
        raise MigrationError(f"schema {schema} has migrations to apply and role {user} may not ({exc}): run "
                             "`simpul migrate` with the owner's --database-url") from None


async def grant_runtime(conn: asyncpg.Connection, schema: str, role: str, append_only: tuple[str, ...]) -> None:
    """Let `role` read and write the tables of `schema` and nothing more: no DDL, so no trigger disabled, and
    only INSERT and SELECT on the `append_only` tables. Run after every migration: new tables are covered."""
    if not _ROLE.match(role):
        raise MigrationError(f"invalid role name: {role!r} (lower-case letters, digits, _)")
    if await conn.fetchval("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = $1", role) is not False:
        raise MigrationError(f"role {role} does not exist or is a superuser: create it as a plain LOGIN role")
    if await conn.fetchval("SELECT pg_has_role($1, current_user, 'MEMBER')", role):
        raise MigrationError(f"role {role} is a member of the owner {await conn.fetchval('SELECT current_user')}")
    async with conn.transaction():
        await conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        await conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        await conn.execute(f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
        for table in append_only:
            await conn.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{schema}"."{table}" FROM "{role}"')


async def _apply(conn: asyncpg.Connection, schema: str, package: str) -> list[Migration]:
    applied: list[Migration] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"simpul:{schema}")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in load_migrations(package):
            if migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied.append(migration)
    return applied
