"""A node's status in the registry, as the nodes table's CHECK constraint lists them."""

from __future__ import annotations

from enum import StrEnum


class NodeStatus(StrEnum):
    PENDING = "PENDING"  # enrolled, not yet heard from
    ACTIVE = "ACTIVE"  # asked, routed and delivered to
    SUSPENDED = "SUSPENDED"  # cut off by an admin; keeps its key pair until reactivated
