"""GraphQL error masking shared by hub and nodes: users see an error id, logs the cause."""

from __future__ import annotations

import logging
import secrets

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from simpul.wire import PublicError

log = logging.getLogger("simpul.errors")


def _is_internal(error: GraphQLError) -> bool:
    """Errors raised by our code, other than PublicError, are internal."""
    original = error.original_error
    return original is not None and not isinstance(original, PublicError | GraphQLError)


class MaskInternalErrors(MaskErrors):
    """Replace internal errors with a message carrying an id findable in the logs."""

    def __init__(self, public: tuple[type[Exception], ...] = ()) -> None:
        self.public = public
        super().__init__(should_mask_error=self._should_mask)

    def _should_mask(self, error: GraphQLError) -> bool:
        return _is_internal(error) and not isinstance(error.original_error, self.public)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
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
