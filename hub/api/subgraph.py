"""The hub as an Apollo Federation 2 subgraph: `_entities` for a gateway, and when `_service` is served.

A gateway (Apollo Gateway or Router, Hive Gateway) composes the hub's `_service.sdl` with other
subgraphs and fetches hub entities through `_entities`, forwarding its caller's Authorization. Each
entity is resolved as the root field it mirrors, for that caller: a Report as `report(id)`, a Node as
`node(code)`. See docs/apollo-federation.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import strawberry
from graphql import FieldNode, GraphQLError, ValidationRule
from strawberry.federation.schema import FederationAny
from strawberry.types import Info

from hub.access.guard import Guard, principal_of
from hub.access.principal import Principal
from hub.api.context import Context
from hub.api.node_errors import report_failures
from hub.api.types import Node, Report
from hub.federation.queries import Federation
from hub.nodes.selection import NodeSelection
from hub.settings import HubSettings
from simpul.errors import InvalidInput, NotAllowed
from simpul.wire import check_node_code, split_global_id

MAX_REPRESENTATIONS = 100  # a gateway batches one fetch's entities; each Report calls one node
SERVICE_OFF = ("_service is off with introspection (--no-introspection): compose the supergraph from "
               "the subgraph SDL file (`simpul schema export --subgraph`: hub.subgraph.graphql)")


@dataclass(frozen=True)
class Entity:
    """How a gateway finds a type of ours: the root field whose rules apply, and the key it sends."""

    field: str
    key: str


ENTITIES = {"Node": Entity("node", "code"), "Report": Entity("report", "id")}

EntityType = Annotated[Node | Report, strawberry.union("_Entity")]


@dataclass(frozen=True)
class Reference:
    typename: str
    key: str


def references(representations: list[Any]) -> list[Reference]:
    """The entities a gateway asks for, every one checked before any is looked up."""
    if len(representations) > MAX_REPRESENTATIONS:
        raise InvalidInput(f"_entities takes at most {MAX_REPRESENTATIONS} representations, "
                           f"not {len(representations)}")
    found = []
    for index, representation in enumerate(representations):
        if not isinstance(representation, dict):
            raise InvalidInput(f"representation {index} must be an object with __typename and a key")
        typename = representation.get("__typename")
        if not isinstance(typename, str) or typename not in ENTITIES:
            raise InvalidInput(f"representation {index}: __typename must be one of {', '.join(ENTITIES)}, "
                               f"not {typename!r:.60}")
        entity = ENTITIES[typename]
        key = representation.get(entity.key)
        if not isinstance(key, str):
            raise InvalidInput(f"representation {index}: a {typename} is found by its {entity.key} (a string)")
        extra = sorted(set(representation) - {"__typename", entity.key})
        if extra:
            raise InvalidInput(f"representation {index}: a {typename} takes __typename and {entity.key} only, "
                               f"not {', '.join(extra):.60}")
        if entity.key == "code":
            check_node_code(key)
        else:
            split_global_id(key)
        found.append(Reference(typename, key))
    return found


def _check_allowed(guard: Guard, principal: Principal, typename: str) -> None:
    """An entity is read as its root field: the caller must be allowed that field (an integrator key too)."""
    name = ENTITIES[typename].field
    if not guard.allowed(principal, name):
        raise NotAllowed(f"{typename} entities are read as {name}, which this caller may not use")


async def _resolve(info: Info[Context, None], principal: Principal, reference: Reference) -> Node | Report | None:
    federation: Federation = info.context.federation
    if reference.typename == "Node":
        found = await federation.registry.select(principal.narrow(NodeSelection(codes=(reference.key,))))
        settings: HubSettings = info.context.settings
        return Node.of(found[0], datetime.now(UTC), settings.heartbeat_grace) if found else None
    report, answer = await federation.report(principal, reference.key)
    report_failures(info, answer)
    return Report.of(principal, report) if report is not None else None


@strawberry.type
class EntityQuery:
    @strawberry.field(name="_entities", description="Apollo Federation: hub entities by the keys a gateway "
                      f"sends, each read as its root field for the caller; at most {MAX_REPRESENTATIONS}.")
    async def entities(self, info: Info[Context, None],
                       representations: list[FederationAny]) -> list[EntityType | None]:
        asked = references(representations)
        principal = principal_of(info)
        for typename in sorted({r.typename for r in asked}):
            _check_allowed(info.context.guard, principal, typename)
        # A report the caller may not see is refused at its index (graphql-core reports an exception in a
        # list there, as null with an error); the others are answered.
        found = await asyncio.gather(*(_resolve(info, principal, r) for r in asked), return_exceptions=True)
        return cast(list[EntityType | None], found)


class RefuseServiceSdl(ValidationRule):
    """With introspection off, the subgraph SDL is off too: it is the same schema in another form."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value == "_service" and self.context.get_parent_type() is self.context.schema.query_type:
            self.report_error(GraphQLError(SERVICE_OFF, node))
