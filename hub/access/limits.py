"""The hub's abuse limits, as settings: checked before an operation runs."""

from __future__ import annotations

from dataclasses import dataclass

from hub.settings import HubSettings


@dataclass(frozen=True)
class Limits:
    """Rate, fan-out, password and socket limits, spent in hub/access/guard.py, passwords.py and sockets.py."""

    rate_principal: str = "1200/minute"  # requests per API key, user or node
    rate_public: str = "30/minute"  # public calls (submit, track, login) per client address
    max_cost: int = 2000  # nodes one request may call, summed over its fields
    rate_cost: str = "20000/minute"  # node calls and ledger scans (priced in policy.py) per principal
    password_checks: int = 2  # argon2 checks at once in one process (64 MiB each)
    password_wait: float = 1.0  # seconds a login waits for a free check before RATE_LIMITED
    max_sockets: int = 20  # open WebSockets per principal from one client address (per address for the public)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> Limits:
        return cls(rate_principal=settings.rate_principal, rate_public=settings.rate_public,
                   max_cost=settings.max_cost, rate_cost=settings.rate_cost,
                   password_checks=settings.password_checks, max_sockets=settings.max_sockets)


@dataclass(frozen=True)
class QueryLimits:
    """Document limits, checked at parsing and validation (hub/access/parse.py, hub/api/schema.py)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_document_bytes: int = 64 * 1024  # larger query text is refused before it is parsed
    introspection: bool = True  # off in production if the schema should not be browsable

    @classmethod
    def from_settings(cls, settings: HubSettings) -> QueryLimits:
        return cls(max_depth=settings.max_depth, max_aliases=settings.max_aliases, max_tokens=settings.max_tokens,
                   max_document_bytes=settings.max_document_bytes, introspection=settings.introspection)
