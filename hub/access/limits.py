"""The hub's abuse limits, as settings: checked before an operation runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Rate and fan-out limits, spent in hub/access/guard.py."""

    rate_principal: str = "1200/minute"  # requests per API key, user or node
    rate_public: str = "30/minute"  # public calls (submit, track, login) per client address
    max_cost: int = 2000  # nodes one request may call, summed over its fields


@dataclass(frozen=True)
class QueryLimits:
    """Document limits, checked at validation (hub/api/schema.py)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    introspection: bool = True  # off in production if the schema should not be browsable
