"""Errors, shared by hub and nodes: the public ones (a message written for the client, and a code), and the
masking of every other error in GraphQL answers: users see an error id, logs the cause; a database outage is
a retryable UNAVAILABLE, not an internal error."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionResult

from simpul.db.outage import RETRY_AFTER, UNAVAILABLE, DatabaseOutage, is_outage


class PublicError(Exception):
    """An error whose message is written for the client and shown as is, with a code for programs."""

    code = "BAD_REQUEST"

    @property
    def extensions(self) -> dict[str, str]:
        """graphql-core copies this into the GraphQL error's `extensions`."""
        return {"code": self.code}


class InvalidInput(PublicError, ValueError):
    """A value from outside that does not have the required shape."""

    code = "BAD_USER_INPUT"


class NotAllowed(PublicError):
    """The caller may not do this, or not here."""

    code = "FORBIDDEN"


log = logging.getLogger("simpul.errors")


def _is_internal(error: GraphQLError) -> bool:
    """Errors raised by our code, other than PublicError, are internal."""
    original = error.original_error
    return original is not None and not isinstance(original, PublicError | GraphQLError)


def unavailable(error: GraphQLError | None = None) -> GraphQLError:
    """The error a caller gets while the database is away: retry, the operation did not run (or not all of it)."""
    return GraphQLError(UNAVAILABLE, nodes=error.nodes if error else None, source=error.source if error else None,
                        positions=error.positions if error else None, path=error.path if error else None,
                        extensions={"code": "UNAVAILABLE", "retryAfter": RETRY_AFTER})


def answer_outage(result: ExecutionResult, outage: DatabaseOutage | None = None) -> ExecutionResult:
    """`result` with every outage error as UNAVAILABLE; when the outage left it without any data, a request
    error (no data), which GraphQL over HTTP may answer with 503."""
    errors = result.errors or []
    outages = [e for e in errors if is_outage(e.original_error)
               or (e.extensions or {}).get("code") == "UNAVAILABLE"]
    if not outages:
        return result
    for error in outages:
        if outage is not None and error.original_error is not None:
            outage.noted(error.original_error)
    data = result.data
    if data and any(value is not None for value in data.values()):
        return ExecutionResult(data=data, errors=[unavailable(e) if e in outages else e for e in errors],
                               extensions=result.extensions)
    return ExecutionResult(data=None, errors=[unavailable()], extensions=result.extensions)


class MaskInternalErrors(MaskErrors):
    """Replace internal errors with a message carrying an id findable in the logs; an outage error with
    UNAVAILABLE (logged once per outage, by DatabaseOutage)."""

    def __init__(self, public: tuple[type[Exception], ...] = ()) -> None:
        self.public = public
        super().__init__(should_mask_error=self._should_mask)

    def _should_mask(self, error: GraphQLError) -> bool:
        return _is_internal(error) and not isinstance(error.original_error, self.public)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if is_outage(error.original_error):
            assert error.original_error is not None
            context: Any = self.execution_context.context
            outage = getattr(context, "outage", None)
            if isinstance(outage, DatabaseOutage):
                outage.noted(error.original_error)
            return unavailable(error)
        error_id = secrets.token_hex(6)
        log.error("internal error %s at %s", error_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            message=f"internal error (id {error_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "errorId": error_id},
        )
