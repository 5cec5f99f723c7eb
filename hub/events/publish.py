"""Live events, published through PostgreSQL NOTIFY so every hub replica sees every event.

`publish` runs inside the writer's transaction: the event goes out when, and
only if, the change it describes commits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

CHANNEL = "simpul_events"


class EventType(StrEnum):
    REPORT_FORWARDED = "REPORT_FORWARDED"
    STATUS_CHANGED = "STATUS_CHANGED"
    NODE_DOWN = "NODE_DOWN"
    NODE_UP = "NODE_UP"
    DEADLINE_PASSED = "DEADLINE_PASSED"


@dataclass(frozen=True)
class HubEvent:
    type: EventType
    at: datetime
    region_code: str | None = None  # of the report, or of the node; scopes who sees it
    tracking_number: str | None = None
    node: str | None = None
    status: str | None = None
    detail: str | None = None

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "at": self.at.isoformat()})

    @classmethod
    def from_json(cls, payload: str) -> HubEvent:
        data = json.loads(payload)
        return cls(**{**data, "type": EventType(data["type"]), "at": datetime.fromisoformat(data["at"])})


async def publish(conn: asyncpg.Connection, event: HubEvent) -> None:
    """Send `event` to every listening hub process when the current transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, event.to_json())
