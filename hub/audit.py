"""The audit log: who changed what, where and when, appended in the change's own transaction.

Rows are never updated or deleted (a trigger refuses it) and no API writes
them except through `record`. The request id ties a row to the logs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import asyncpg

from simpul.asgi.requestid import current_request_id

if TYPE_CHECKING:
    from hub.access.principal import Principal


async def record(
    conn: asyncpg.Connection, actor: Principal, action: str, target: str, region_code: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry; call it inside the transaction that makes the change."""
    await conn.execute(
        "INSERT INTO audit_log (actor, role, action, target, region_code, request_id, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
        actor.name, actor.role.value, action, target, region_code, current_request_id(),
        json.dumps(detail) if detail is not None else None,
    )
