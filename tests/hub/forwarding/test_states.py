"""The ledger's and deliveries' states Python compares are the ones their tables allow (CHECK constraints)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from hub.forwarding.ledger import DeliveryState, Purpose, Routing

MIGRATION = Path(__file__).resolve().parents[3] / "hub" / "db" / "migrations" / "0002_forwarding.sql"


@pytest.mark.parametrize(("column", "enum"), [("routing", Routing), ("purpose", Purpose), ("state", DeliveryState)])
def test_each_enum_is_its_columns_check_constraint(column: str, enum: type[StrEnum]) -> None:
    check = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", MIGRATION.read_text())
    assert check is not None
    assert {v.strip(" '") for v in check[1].split(",")} == {s.value for s in enum}
