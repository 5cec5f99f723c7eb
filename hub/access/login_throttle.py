"""Back-off per account after failed logins, kept in PostgreSQL so every hub process and replica agrees.

The per-address limit does not stop a password guesser with many addresses. After FREE_FAILURES wrong
passwords for one username (known or not) within WINDOW, each further failure blocks that username for twice
as long as the last, from BACKOFF up to MAX_BACKOFF; a blocked login is refused before any password check,
even with the right password. The audit log records a username's failures at 1, 2, 4, 8, ... (with the
count), not one row per attempt, so guessing cannot flood the append-only log.
"""

from __future__ import annotations

import math
from datetime import timedelta

import asyncpg

from simpul.errors import PublicError

FREE_FAILURES = 5
BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(minutes=15)
WINDOW = timedelta(hours=1)  # failures older than this, with none since, are forgotten
THROTTLED = "too many failed logins for this username; try again in {seconds} s"


class LoginThrottled(PublicError):
    code = "RATE_LIMITED"


def backoff(failures: int) -> timedelta:
    """How long a username is blocked after its `failures`-th failure in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings: int = min(failures - FREE_FAILURES, 16)
    return min(BACKOFF * (1 << doublings), MAX_BACKOFF)


def audited(failures: int) -> bool:
    """Whether this failure gets an audit row: the first, then each time the count doubles."""
    return failures & (failures - 1) == 0


async def refuse_if_blocked(conn: asyncpg.Pool | asyncpg.Connection, username: str) -> None:
    left = await conn.fetchval("SELECT extract(epoch FROM blocked_until - now()) FROM login_failures"
                               " WHERE username = $1 AND blocked_until > now()", username)
    if left is not None:
        raise LoginThrottled(THROTTLED.format(seconds=math.ceil(left)))


async def failed(conn: asyncpg.Connection, username: str) -> int:
    """Count a failure (in the caller's transaction) and block the username for its back-off; the count."""
    failures: int = await conn.fetchval(
        "INSERT INTO login_failures AS f (username, failures, last_failed_at, blocked_until)"
        " VALUES ($1, 1, now(), now()) ON CONFLICT (username) DO UPDATE SET"
        " failures = CASE WHEN f.last_failed_at < now() - $2::interval THEN 1 ELSE f.failures + 1 END,"
        " last_failed_at = now() RETURNING failures", username, WINDOW)
    await conn.execute("UPDATE login_failures SET blocked_until = now() + $2::interval WHERE username = $1",
                       username, backoff(failures))
    return failures


async def succeeded(conn: asyncpg.Connection, username: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE username = $1", username)
