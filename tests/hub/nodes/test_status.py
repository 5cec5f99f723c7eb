"""The node statuses Python compares are the ones the nodes table allows (its CHECK constraint)."""

from __future__ import annotations

import re
from pathlib import Path

from hub.nodes.status import NodeStatus

MIGRATION = Path(__file__).resolve().parents[3] / "hub" / "db" / "migrations" / "0001_registry.sql"


def test_the_enum_is_the_tables_check_constraint() -> None:
    check = re.search(r"CHECK \(status IN \(([^)]*)\)\)", MIGRATION.read_text())
    assert check is not None
    assert {v.strip(" '") for v in check[1].split(",")} == {s.value for s in NodeStatus}
