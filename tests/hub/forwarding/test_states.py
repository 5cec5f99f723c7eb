"""The ledger's and deliveries' states Python compares are the ones their tables allow (CHECK constraints)."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from hub.forwarding.ledger import DeliveryState, LedgerEvent, Purpose, Routing

MIGRATIONS = Path(__file__).resolve().parents[3] / "hub" / "db" / "migrations"


@pytest.mark.parametrize(("migration", "column", "enum"), [
    ("0002_forwarding.sql", "routing", Routing), ("0019_verification.sql", "purpose", Purpose),
    ("0002_forwarding.sql", "state", DeliveryState), ("0019_verification.sql", "type", LedgerEvent),
])
def test_each_enum_is_its_columns_check_constraint(migration: str, column: str, enum: type[StrEnum]) -> None:
    check = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", (MIGRATIONS / migration).read_text())
    assert check is not None
    assert {v.strip(" '\n") for v in check[1].split(",")} == {s.value for s in enum}
