"""Count GraphQL operations by type and outcome: a strawberry extension reading the final result."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.metrics.families import HubMetrics

INVALID = "invalid"  # an operation that did not parse, or named no operation in its document


class CountOperations(SchemaExtension):
    """simpul_graphql_operations_total: ok (no errors), partial (data and errors, e.g. a node that failed),
    error (no data). Placed first among the extensions, it sees the result the others left."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        metrics = getattr(context, "metrics", None)
        if not isinstance(metrics, HubMetrics):
            return
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        data = getattr(result, "data", None)
        # A subscription that started has no single result: it counts as ok.
        outcome = "error" if errors and data is None else "partial" if errors else "ok"
        metrics.graphql_operation(self._type(), outcome)

    def _type(self) -> str:
        if self.execution_context.graphql_document is None:
            return INVALID
        try:
            kind: OperationType = self.execution_context.operation_type
        except RuntimeError:  # the document names no operation that can run
            return INVALID
        return kind.value
