"""People who log in: admins and supervisors with an argon2 password and short-lived sessions.

The first admin is made on the command line (`simpul user create`), never
by a default password; after that, admins add users in their own subtree.
A session token is random, shown once at login and stored as a digest.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from pydantic import BaseModel, ConfigDict

from hub.access import login_throttle
from hub.access.keys import digest
from hub.access.passwords import MAX_PASSWORD, PasswordChecks
from hub.access.principal import Principal, Role
from hub.audit import record
from simpul.errors import InvalidInput, NotAllowed
from simpul.wire import check_region_code

SESSION_PREFIX = "ses_"
USER_ROLES = (Role.ADMIN, Role.SUPERVISOR)
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # for the command line; the hub's own checks go through PasswordChecks


class User(BaseModel):
    """A person who logs in (admins and supervisors), as the hub keeps them; never their password."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    name: str
    role: Role
    region_code: str
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: datetime
    user: User


def _user_of(row: asyncpg.Record) -> User:
    return User.model_validate(dict(row))


_COLUMNS = "id, username, name, role, region_code, created_at, last_login_at"


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD} characters")
    return password


async def create_user(
    conn: asyncpg.Connection, creator: Principal, username: str, name: str, role: Role, region_code: str,
    password: str,
) -> User:
    if role not in USER_ROLES:
        raise InvalidInput("people log in as ADMIN or SUPERVISOR; machines get an API key")
    if region_code:
        check_region_code(region_code)
    creator.require(region_code, "create users")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("a user needs a name of 1 to 200 characters")
    username = username.strip().lower()
    if not 3 <= len(username) <= 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in username):
        raise InvalidInput("a username is 3 to 64 characters of a-z, 0-9, '.', '_' or '-'")
    password_hash = await asyncio.to_thread(_hasher.hash, check_password(password))
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                f"INSERT INTO users (username, name, role, region_code, password_hash, created_by)"
                f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
                username, name.strip(), role.value, region_code, password_hash, creator.name)
        except asyncpg.UniqueViolationError:
            raise InvalidInput(f"username {username!r} is taken") from None
        await record(conn, creator, "USER_CREATED", f"user {username}", region_code, {"role": role.value})
    return _user_of(row)


async def log_in(pool: asyncpg.Pool, checks: PasswordChecks, username: str, password: str,
                 ttl: timedelta) -> Session:
    """A new session for a right username and password; the same refusal for every wrong one, and
    RATE_LIMITED, before any check, while the username waits out its back-off."""
    name = username.strip().lower()[:64]
    await login_throttle.refuse_if_blocked(pool, name)
    row = await pool.fetchrow(f"SELECT {_COLUMNS}, password_hash FROM users WHERE username = $1"
                              " AND disabled_at IS NULL", name)
    ok = await checks.verify(row["password_hash"] if row is not None else None, password)
    async with pool.acquire() as conn, conn.transaction():
        if not ok or row is None:
            failures = await login_throttle.failed(conn, name)
            if login_throttle.audited(failures):
                who = Principal(role=Role.PUBLIC, name=f"login as {name!r}")
                await record(conn, who, "LOGIN_FAILED", f"user {name}", None, {"failures": failures})
            failed = True
        else:
            token = SESSION_PREFIX + secrets.token_urlsafe(32)
            expires_at = await conn.fetchval(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3)"
                " RETURNING expires_at", digest(token), row["id"], ttl)
            await conn.execute("UPDATE users SET last_login_at = now() WHERE id = $1", row["id"])
            await login_throttle.succeeded(conn, name)
            user = _user_of(row)
            await record(conn, principal_of_user(user), "LOGIN", f"user {user.username}", user.region_code)
            failed = False
    if failed:
        raise NotAllowed("wrong username or password")
    return Session(token=token, expires_at=expires_at, user=user)


async def log_out(pool: asyncpg.Pool, token: str) -> bool:
    ended = await pool.fetchval("UPDATE sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL"
                                " RETURNING true", digest(token))
    return bool(ended)


async def change_password(pool: asyncpg.Pool, checks: PasswordChecks, person: Principal, session_token: str,
                          current: str, new: str) -> int:
    """A person changes their own password, proving the current one; their other sessions end (whoever knew the
    old password is logged out). Returns how many sessions ended."""
    if person.user_id is None:
        raise InvalidInput("changePassword is for a person logged in with a session; an API key has no password")
    new_hash = await checks.hash(check_password(new))
    row = await pool.fetchrow("SELECT username, region_code, password_hash FROM users WHERE id = $1", person.user_id)
    target = f"user {row['username']}"
    right = await checks.verify(row["password_hash"], current)
    async with pool.acquire() as conn, conn.transaction():
        if not right:
            await record(conn, person, "PASSWORD_CHANGE_FAILED", target, row["region_code"])
            refused = True
        else:
            await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", person.user_id, new_hash)
            ended = await _end_sessions(conn, person.user_id, keep=digest(session_token))
            await record(conn, person, "PASSWORD_CHANGED", target, row["region_code"], {"sessionsEnded": ended})
            refused = False
    if refused:  # raised after the commit, so the failed attempt stays in the audit log
        raise NotAllowed("the current password is wrong")
    return ended


async def reset_password(conn: asyncpg.Connection, admin: Principal, username: str, new: str) -> User:
    """An admin sets a person's password (forgotten, or leaked); every session of theirs ends."""
    new_hash = await asyncio.to_thread(_hasher.hash, check_password(new))
    async with conn.transaction():
        row = await conn.fetchrow(f"UPDATE users SET password_hash = $2 WHERE username = $1 RETURNING {_COLUMNS}",
                                  username.strip().lower(), new_hash)
        if row is None:
            raise InvalidInput(f"no user {username.strip().lower()!r}")
        user = _user_of(row)
        admin.require(user.region_code, "reset passwords")
        ended = await _end_sessions(conn, user.id)
        await record(conn, admin, "PASSWORD_RESET", f"user {user.username}", user.region_code,
                     {"sessionsEnded": ended})
    return user


async def _end_sessions(conn: asyncpg.Connection, user_id: int, keep: bytes | None = None) -> int:
    ended = await conn.fetch("UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL"
                             " AND token_hash IS DISTINCT FROM $2 RETURNING 1", user_id, keep)
    return len(ended)


def principal_of_user(user: User) -> Principal:
    return Principal(role=user.role, name=f"user {user.username}", region_code=user.region_code, user_id=user.id)


async def principal_of_session(pool: asyncpg.Pool, token: str) -> Principal:
    row = await pool.fetchrow(
        f"SELECT {', '.join('u.' + c for c in _COLUMNS.split(', '))} FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL",
        digest(token))
    if row is None:
        raise NotAllowed("session expired or ended; log in again")
    return principal_of_user(_user_of(row))
