"""What counts as the database being away: errors that pass with the outage, never a failing statement."""

from __future__ import annotations

import aiohttp
import asyncpg

from simpul.db.outage import is_outage
from simpul.db.pool import DATABASE_ERRORS


def test_a_connection_left_mid_statement_by_a_server_shutting_down_is_the_outage() -> None:
    # asyncpg's words when the server went away while the connection was consuming an error (asyncpg#784)
    broken = asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress")
    assert is_outage(broken) and isinstance(broken, DATABASE_ERRORS)
    assert is_outage(ConnectionResetError()) and is_outage(asyncpg.CannotConnectNowError())


def test_a_failing_statement_or_a_call_to_a_node_is_not() -> None:
    assert not is_outage(asyncpg.UniqueViolationError())
    assert not is_outage(aiohttp.ClientConnectionError())
    assert not is_outage(ValueError("ours"))
