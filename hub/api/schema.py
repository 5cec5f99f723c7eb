"""The hub's GraphQL schema, assembled: each concept's queries and mutations, the live events, the extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

from hub.access.guard import Enforce
from hub.access.limits import QueryLimits
from hub.access.parse import BoundedParse, TextCache
from hub.api.access import AccessMutation, AccessQuery
from hub.api.coverage import CoverageMutation, CoverageQuery
from hub.api.federation import FederationQuery
from hub.api.forwarding import ForwardingMutation, ForwardingQuery
from hub.api.kip import KipMutation
from hub.api.node_errors import NodeErrors
from hub.api.nodes import RegistryMutation
from hub.api.nul import RefuseNul
from hub.api.ombudsman import OmbudsmanMutation, OmbudsmanQuery
from hub.api.parent import ParentMutation, ParentQuery
from hub.api.sla import SlaMutation, SlaQuery
from hub.api.subgraph import EntityQuery, RefuseServiceSdl
from hub.api.subscriptions import Subscription
from hub.api.verification import VerificationMutation
from hub.api.zones import ZonesQuery
from hub.metrics.graphql import CountOperations
from simpul.errors import MaskInternalErrors


@strawberry.type
class Query(ForwardingQuery, FederationQuery, SlaQuery, ParentQuery, AccessQuery, ZonesQuery, CoverageQuery,
            OmbudsmanQuery, EntityQuery):
    pass


@strawberry.type
class Mutation(ForwardingMutation, SlaMutation, ParentMutation, AccessMutation, RegistryMutation,
               CoverageMutation, KipMutation, OmbudsmanMutation, VerificationMutation):
    pass


def hub_schema(limits: QueryLimits = QueryLimits()) -> strawberry.Schema:
    """The public API served at /graphql; every operation passes Enforce (hub/access/guard.py).
    It is an Apollo Federation 2 subgraph too (hub/api/subgraph.py): its SDL is `_service.sdl`."""
    parsed: TextCache[object] = TextCache()
    extensions: list[Any] = [
        CountOperations,  # first: it counts the result every other extension has shaped
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: BoundedParse(parsed, limits.max_document_bytes),
    ]
    if not limits.introspection:
        extensions += [DisableIntrospection, lambda: AddValidationRules([RefuseServiceSdl])]
    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, federation_version="2.3",
        extensions=[*extensions, Enforce, RefuseNul, MaskInternalErrors, NodeErrors])
