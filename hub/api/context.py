"""The GraphQL context, typed: the hub's services every resolver may use, and the caller of this request."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from graphql import GraphQLError

from hub.access.caller import Caller
from hub.access.guard import Guard
from hub.access.passwords import PasswordChecks
from hub.access.trusted import TrustedDocuments
from hub.events.broadcast import Broadcaster
from hub.federation.queries import Federation
from hub.forwarding.routing import Router
from hub.forwarding.submit import Forwarding
from hub.index.reads import FederationIndex
from hub.metrics.families import HubMetrics
from hub.settings import HubSettings
from simpul.db.outage import DatabaseOutage


@dataclass(eq=False, kw_only=True)
class Context(Caller):
    settings: HubSettings
    pool: asyncpg.Pool
    federation: Federation
    index: FederationIndex
    router: Router
    forwarding: Forwarding
    events: Broadcaster
    guard: Guard
    passwords: PasswordChecks
    trusted_documents: TrustedDocuments | None
    metrics: HubMetrics | None = None
    outage: DatabaseOutage | None = None
    node_errors: list[GraphQLError] = field(default_factory=list)  # per-node failures for the answer's errors
