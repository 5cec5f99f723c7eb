"""The audit log: who changed what, where and when, appended in the change's own transaction.

Rows are never updated or deleted (a trigger refuses it) and no API writes
them except through `record`. The request id ties a row to the logs.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
from pydantic import BaseModel, ConfigDict

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


class Entry(BaseModel):
    """One line of the audit log, as it was appended."""

    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    region_code: str | None
    request_id: str | None
    detail: Any  # the JSON the change recorded, or None


async def entries(pool: asyncpg.Pool, region: str, action: str | None, before: int | None, first: int) -> list[Entry]:
    """The newest entries first, of the region subtree `region` ('' for all), optionally of one action, before
    the entry id `before`."""
    rows = await pool.fetch(
        "SELECT id, at, actor, role, action, target, region_code, request_id, detail::text AS detail"
        " FROM audit_log WHERE ($1 = '' OR region_code = $1 OR region_code LIKE $1 || '.%')"
        " AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR id < $3)"
        " ORDER BY id DESC LIMIT $4", region, action, before, first)
    return [Entry.model_validate({**r, "detail": json.loads(r["detail"]) if r["detail"] is not None else None})
            for r in rows]
