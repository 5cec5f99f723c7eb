"""Enforcement in one place: every operation is admitted here before anything runs.

Between validation and execution, `Enforce` works out who is asking (again
for each operation on a WebSocket, so a revoked credential stops there),
checks each root field against the policy table, spends the principal's and
the address's rate limits, and prices fan-out (one per node a field would
call) and ledger scans against the cost limit of one request and the cost
budget per minute, so a refused request never reaches a node.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from typing import Any

import limits
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    validate,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import HTTPConnection
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from hub.access.authn import Authenticator, Credentials, NotAuthenticated
from hub.access.caller import Caller
from hub.access.limits import Limits
from hub.access.parse import TextCache
from hub.access.policy import POLICY, SCAN_PRICE, Cost
from hub.access.principal import Principal, Role
from hub.access.sockets import REVOKED, Held, OpenSockets
from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from simpul.db.outage import DatabaseOutage, is_outage
from simpul.errors import InvalidInput, NotAllowed, PublicError, unavailable

SUBSCRIBE_OVER_WEBSOCKET = "subscriptions are served over a WebSocket at /graphql (graphql-transport-ws)"


def client_address(connection: HTTPConnection) -> str:
    """The caller's address that public rate limits count: the peer, or the client a trusted proxy names
    (uvicorn applies X-Forwarded-For from FORWARDED_ALLOW_IPS). One place, so every door counts alike."""
    return connection.client.host if connection.client else "unknown"


class LimitExceeded(PublicError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Guard:
    """Admission for one hub process: authentication, policy, rate and cost limits."""

    def __init__(self, authenticator: Authenticator, registry: Registry, limits_: Limits,
                 sockets: OpenSockets | None = None) -> None:
        self.authenticator = authenticator
        self.registry = registry
        self.sockets = sockets
        self.max_cost = limits_.max_cost
        self.per_principal = limits.parse(limits_.rate_principal)
        self.per_address = limits.parse(limits_.rate_public)
        self.cost_budget = limits.parse(limits_.rate_cost)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        # Validation results by document text: a frontend sends the same few documents over and over, and
        # validating each afresh was a quarter of the hub's CPU. The rules are fixed per process.
        self.validation: TextCache[list[GraphQLError]] = TextCache()

    async def principal(self, caller: Caller) -> Principal:
        """Who sent this request, worked out once; a WebSocket may send its key in connection_init, and each
        operation on a WebSocket checks again that the credential still holds."""
        if caller.principal is None:
            credentials = caller.credentials
            params = caller.connection_params
            if not credentials.authorization and isinstance(params, Mapping):
                token = params.get("authorization") or params.get("Authorization")
                if isinstance(token, str):
                    credentials = Credentials(token, credentials.headers, credentials.method, credentials.path,
                                              credentials.body)
                    caller.credentials = credentials  # logout and changePassword end this session
            principal = await self.authenticator.principal(credentials)
            bearer = (credentials.authorization or "").partition(" ")[2].strip()
            caller.held, caller.principal = Held.of(principal, bearer), principal
            return principal
        if caller.websocket and self.sockets is not None and caller.held is not None \
                and not await self.sockets.valid(caller.held):
            raise NotAuthenticated(REVOKED)
        return caller.principal

    async def admit(self, document: Any, operation_name: str | None, variables: dict[str, Any] | None,
                    schema: Any, context: Caller) -> None:
        """Raise a PublicError unless this operation may run for this caller now."""
        principal = await self.principal(context)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return  # validation has already said which operation is missing
        if operation.operation is OperationType.SUBSCRIPTION and not context.websocket:
            raise InvalidInput(SUBSCRIBE_OVER_WEBSOCKET)
        root = schema.get_root_type(operation.operation)
        fields = list(_root_fields(operation.selection_set, _fragments(document)))
        for field in fields:
            self._allow(principal, field.name.value)
        client = context.client
        await self._spend_rate(principal, [f.name.value for f in fields], client)
        cost = await self._cost(principal, root, operation, fields, variables or {}, schema)
        if cost > self.max_cost:
            raise LimitExceeded("COST_LIMIT", f"this request would call {cost} nodes; the limit is {self.max_cost}. "
                                "Narrow the scope or split the request.")
        scans = sum(SCAN_PRICE for f in fields if (r := POLICY.get(f.name.value)) is not None and r.cost is Cost.SCAN)
        await self._spend_cost(principal, cost + scans, client)

    def _allow(self, principal: Principal, name: str) -> None:
        if name.startswith("__"):
            return  # __typename and introspection, which the introspection setting governs
        rule = POLICY.get(name)
        if rule is None or principal.role not in rule.roles:
            if principal.role is Role.PUBLIC:
                raise NotAuthenticated(f"{name} needs an API key or a session: send 'Authorization: Bearer "
                                       "<key or token>' (people log in with the login mutation)")
            raise NotAllowed(f"{principal.role.value.lower()} may not use {name}")
        if principal.operations is not None and name not in principal.operations and Role.PUBLIC not in rule.roles:
            raise NotAllowed(f"this integrator key is not allowed {name}; allowed: "
                             f"{', '.join(sorted(principal.operations))}")

    async def admit_call(self, principal: Principal, fields: list[str], client: str) -> None:
        """Admit a call made outside GraphQL (the Open311 facade, dashboard downloads) as the root `fields` it
        stands for, by the same policy, rate limits and cost budget; such calls never fan out, so each costs
        one read, or a ledger scan's price."""
        for name in fields:
            self._allow(principal, name)
        await self._spend_rate(principal, fields, client)
        await self._spend_cost(principal, sum(_price(POLICY[name].cost) for name in fields), client)

    def allowed(self, principal: Principal, field: str) -> bool:
        """Whether the policy lets this principal use a root field (no rate spent)."""
        try:
            self._allow(principal, field)
        except PublicError:
            return False
        return True

    async def _spend_rate(self, principal: Principal, fields: list[str], client: str) -> None:
        if principal.role is not Role.PUBLIC:
            if not await self.limiter.hit(self.per_principal, principal.limited_as(client)):
                raise self._too_many(self.per_principal, "for this caller")
            return
        public = sum(1 for name in fields if (r := POLICY.get(name)) is not None and r.public_limit)
        if public and not await self.limiter.hit(self.per_address, f"address:{client}", cost=public):
            raise self._too_many(self.per_address, "from this address")

    async def _spend_cost(self, principal: Principal, cost: int, client: str) -> None:
        """Spend node calls and ledger scans from the caller's budget per minute (the public's per address)."""
        if cost <= 0:
            return
        owner = f"address:{client}" if principal.role is Role.PUBLIC else principal.limited_as(client)
        if not await self.limiter.hit(self.cost_budget, f"cost:{owner}", cost=cost):
            raise LimitExceeded("RATE_LIMITED", f"this request costs {cost} (node calls and ledger scans); the "
                                f"budget is {self.cost_budget} and is spent: try again later or narrow the scope")

    @staticmethod
    def _too_many(limit: limits.RateLimitItem, whose: str) -> LimitExceeded:
        return LimitExceeded("RATE_LIMITED", f"too many requests {whose}: the limit is {limit}; try again later")

    async def _cost(self, principal: Principal, root: GraphQLObjectType | None, operation: OperationDefinitionNode,
                    fields: list[FieldNode], variables: dict[str, Any], schema: Any) -> int:
        total = 0
        coerced: VariableValues | list[GraphQLError] | None = None  # the variables, coerced once if needed
        for field in fields:
            rule = POLICY.get(field.name.value)
            if rule is None or rule.cost in (Cost.NONE, Cost.SCAN):
                continue
            if rule.cost is Cost.ONE_NODE:
                total += 1
                continue
            if total > self.max_cost:
                break
            if coerced is None:
                coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
            if root is None or not isinstance(coerced, VariableValues) or field.name.value not in root.fields:
                continue  # bad variables: execution refuses them before any node is called
            if rule.cost is Cost.PER_ENTITY:
                args = get_argument_values(root.fields[field.name.value], field, coerced)
                total += len(args.get("representations") or ())
                continue
            total += await self._fan_out(principal, root.fields[field.name.value], field, coerced)
        return total

    async def _fan_out(self, principal: Principal, definition: GraphQLField, field: FieldNode,
                       variables: VariableValues) -> int:
        """How many nodes a reports/stats field would call for this principal (live), or 1 for one query of the
        federation index."""
        args = get_argument_values(definition, field, variables)
        if not args.get("live"):
            return 1
        selection = principal.narrow(_selection_of(args.get("scope")))
        return await self.registry.count(replace(selection, status=NodeStatus.ACTIVE))


def _price(cost: Cost) -> int:
    """What a field costs without looking at its arguments: a fan-out then reads the federation index."""
    return {Cost.NONE: 0, Cost.SCAN: SCAN_PRICE}.get(cost, 1)


def _selection_of(scope: Mapping[str, Any] | None) -> NodeSelection:
    """The nodes a coerced `scope` argument asks for, checked as the resolver will check them."""
    if scope is None:
        return NodeSelection()
    return NodeSelection.asked(scope.get("regionPrefix"), scope.get("nodeCodes"), scope.get("level"))


def _fragments(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode],
                 seen: frozenset[str] = frozenset()) -> Iterator[FieldNode]:
    """Every root field of an operation, through fragments (whatever @skip/@include would say)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                yield from _root_fields(fragments[name].selection_set, fragments, seen | {name})


class Enforce(SchemaExtension):
    """Validate, then admit; a refusal is a pre-execution error, so nothing of the operation runs."""

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        assert document is not None
        guard: Guard = ec.context.guard
        errors = list(guard.validation.get(ec.query, lambda: validate(ec.schema._schema, document,
                                                                       ec.validation_rules))
                      if ec.query is not None else validate(ec.schema._schema, document, ec.validation_rules))
        if not errors:
            try:
                await guard.admit(ec.graphql_document, ec.operation_name, ec.variables, ec.schema._schema,
                                  ec.context)
            except PublicError as exc:
                errors = [GraphQLError(str(exc), extensions=exc.extensions)]
            except Exception as exc:
                if not is_outage(exc):
                    raise
                errors = [unavailable()]  # the principal's key or session could not be read: retry
                if isinstance(outage := getattr(ec.context, "outage", None), DatabaseOutage):
                    outage.noted(exc)
        ec.pre_execution_errors = errors
        yield


def principal_of(info: Info[Any, Any]) -> Principal:
    """The principal Enforce admitted for this request."""
    principal: Principal | None = info.context.principal
    assert principal is not None, "Enforce admits every operation before its resolvers run"
    return principal

