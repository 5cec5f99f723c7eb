"""PostgreSQL text cannot hold NUL: a request with one in any string is refused before anything runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from simpul.errors import InvalidInput

NUL_REFUSED = "strings must not contain NUL characters (\\u0000)"


class _FindNul(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.found = True


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class RefuseNul(SchemaExtension):
    """After validation and admission (list it after Enforce), refuse NUL in literals and variables alike."""

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        if not ec.pre_execution_errors and ec.graphql_document is not None:
            finder = _FindNul()
            visit(ec.graphql_document, finder)
            if finder.found or _has_nul(ec.variables):
                error = InvalidInput(NUL_REFUSED)
                ec.pre_execution_errors = [GraphQLError(str(error), extensions=error.extensions)]
        yield
