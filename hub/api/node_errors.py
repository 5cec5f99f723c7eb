"""Per-node failures of a federated query, reported in GraphQL `errors`.

The data that arrived is returned as usual; each node that failed adds one
error with `extensions.code` (NODE_TIMEOUT, NODE_UNAVAILABLE, ...) and
`extensions.node`, so clients can tell a partial answer from a complete one.
A node below a child hub that failed keeps its own code in `extensions.node`;
`extensions.via` names the child hub(s) it sits under, e.g. `64`.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from hub.federation.queries import Answer


def report_failures(info: Info, answer: Answer) -> None:
    """Queue the failures of a federated read for the response's `errors`."""
    errors: list[GraphQLError] = info.context.node_errors
    for failure in answer.failures:
        errors.append(GraphQLError(
            failure.message,
            path=info.path.as_list(),
            extensions={"code": failure.code, "node": failure.node}
            | ({"via": failure.via} if failure.via else {}),
        ))


class NodeErrors(SchemaExtension):
    """Append queued per-node errors to the execution result."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        queued = getattr(context, "node_errors", None)
        if queued and result is not None and hasattr(result, "errors"):
            result.errors = [*(result.errors or []), *queued]
