"""Suspension: cut a node off without forgetting it, and let it back in, each with an audit record."""

from __future__ import annotations

import logging

import asyncpg

from hub.access.principal import Principal
from hub.audit import record
from hub.nodes.enrolment import withdraw_renewal_tokens
from hub.nodes.registry import COLUMNS, NodeRecord
from hub.nodes.status import NodeStatus
from simpul.errors import InvalidInput
from simpul.wire import check_node_code

log = logging.getLogger("simpul.hub")


MAX_SUSPENSION_REASON = 500


def _checked_reason(reason: str) -> str:
    """A suspension's reason, trimmed: the audit log keeps it as the why of cutting a unit off."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_SUSPENSION_REASON:
        raise InvalidInput(f"a suspension needs a reason of 1 to {MAX_SUSPENSION_REASON} characters")
    if "\x00" in reason:
        raise InvalidInput("reason must not contain NUL characters")
    return reason


async def _node_to_change(conn: asyncpg.Connection, admin: Principal, code: str, action: str) -> NodeRecord:
    """The node `code`, locked for this transaction, if it exists and lies in the admin's subtree."""
    check_node_code(code)
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM nodes WHERE code = $1 FOR UPDATE", code)
    if row is None:
        raise InvalidInput(f"no node {code!r} is enrolled")
    node = NodeRecord.from_row(row)
    admin.require(node.region_code, action)
    return node


async def _set_status(conn: asyncpg.Connection, code: str, status: str) -> NodeRecord:
    row = await conn.fetchrow(f"UPDATE nodes SET status = $2 WHERE code = $1 RETURNING {COLUMNS}", code, status)
    return NodeRecord.from_row(row)


async def suspend_node(conn: asyncpg.Connection, admin: Principal, code: str, reason: str) -> NodeRecord:
    """Cut a node off without forgetting it: the hub stops asking it, routing and delivering to it, and
    refuses its signed requests until it is reactivated. It keeps its key pair."""
    reason = _checked_reason(reason)
    async with conn.transaction():
        node = await _node_to_change(conn, admin, code, "suspend nodes")
        if node.status == NodeStatus.SUSPENDED:
            raise InvalidInput(f"node {code} is already suspended")
        if node.status != NodeStatus.ACTIVE:
            raise InvalidInput(f"node {code} is {node.status}; only an ACTIVE node can be suspended")
        suspended = await _set_status(conn, code, NodeStatus.SUSPENDED)
        withdrawn = await withdraw_renewal_tokens(conn, code)  # a token sent before must not let it back
        await record(conn, admin, "NODE_SUSPENDED", f"node {code}", node.region_code,
                     {"reason": reason, "renewalTokensWithdrawn": withdrawn})
    log.info("node %s suspended", code)
    return suspended


async def reactivate_node(conn: asyncpg.Connection, admin: Principal, code: str) -> NodeRecord:
    """Let a suspended node back in with the key pair it had: it is asked, routed to and heard again."""
    async with conn.transaction():
        node = await _node_to_change(conn, admin, code, "reactivate nodes")
        if node.status != NodeStatus.SUSPENDED:
            raise InvalidInput(f"node {code} is {node.status}, not SUSPENDED; only a suspended node "
                               "can be reactivated")
        reactivated = await _set_status(conn, code, NodeStatus.ACTIVE)
        await record(conn, admin, "NODE_REACTIVATED", f"node {code}", node.region_code)
    log.info("node %s reactivated", code)
    return reactivated
