"""A node's registry record for tests that call no node."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.nodes.registry import NodeRecord
from simpul.wire import NodeLevel


def node_record(code: str) -> NodeRecord:
    return NodeRecord(code=code, name=code, level=NodeLevel.UNIT, region_code="64", parent_code=None,
                      categories=(), endpoint="http://127.0.0.1:9", kind="desk", status="ACTIVE",
                      signing_key=b"k", enrolled_at=datetime.now(UTC), last_heartbeat=None, healthy=None)
