"""Admins' changes to the registry: suspending a node and letting it back in."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.access.guard import principal_of
from hub.api.context import Context
from hub.api.federation import node_of
from hub.api.types import (
    Node,
)
from hub.nodes.suspension import reactivate_node, suspend_node


@strawberry.type
class RegistryMutation:
    @strawberry.mutation(description="Admin: suspend a node in the admin's subtree, saying why. Until it is "
                         "reactivated the hub does not ask it, route or deliver to it, and refuses its signed "
                         "requests; it keeps its secret.")
    async def suspend_node(self, info: Info[Context, None], code: str, reason: str) -> Node:
        async with info.context.pool.acquire() as conn:
            return node_of(info, await suspend_node(conn, principal_of(info), code, reason))

    @strawberry.mutation(description="Admin: let a suspended node in the admin's subtree back in, with its "
                         "secret; the hub asks it and routes to it again.")
    async def reactivate_node(self, info: Info[Context, None], code: str) -> Node:
        async with info.context.pool.acquire() as conn:
            return node_of(info, await reactivate_node(conn, principal_of(info), code))
