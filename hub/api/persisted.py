"""Trusted documents (persisted queries) at the GraphQL door: a request may name its document by hash instead
of sending it: `documentId` ("sha256:<hex>", or the bare hash Codegen's clients send; the GraphQL-over-HTTP
persisted documents appendix) or Apollo's `extensions.persistedQuery.sha256Hash`. With
`--trusted-documents-only` a caller other than an admin may run only documents in the manifest (admins keep
free-form documents, for GraphiQL and operations). The manifest itself: hub/access/trusted.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from hub.access.principal import Role
from hub.access.trusted import TrustedDocuments, sha256
from hub.api.context import Context
from simpul.errors import PublicError


class PersistedQueryNotFound(PublicError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryNotSupported(PublicError):
    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class QueryNotInSafelist(PublicError):
    code = "QUERY_NOT_IN_SAFELIST"


def requested_hash(document_id: object, extensions: object) -> str | None:
    """The sha256 a request names its document by: `documentId`, else Apollo's persistedQuery extension."""
    if document_id is not None:
        prefix, colon, payload = str(document_id).partition(":")
        if colon and prefix != "sha256":
            raise PublicError(f"documentId {document_id!r}: this hub knows documents by sha256:<hex> only")
        return payload if colon else prefix
    persisted = extensions.get("persistedQuery") if isinstance(extensions, Mapping) else None
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping) or persisted.get("version", 1) != 1 \
            or not isinstance(persisted.get("sha256Hash"), str):
        raise PublicError('extensions.persistedQuery must be {"version": 1, "sha256Hash": "<hex>"}')
    return cast(str, persisted["sha256Hash"])


async def trusted_query(query: str | None, document_id: object, extensions: object,
                        context: Context) -> str | None:
    """The document a request runs: its own, or the manifest's for the hash it names. Raises a PublicError
    for an unknown hash, a hash that is not its document's, or (when the manifest is required) a free-form
    document from a caller other than an admin."""
    trusted: TrustedDocuments | None = context.trusted_documents
    query = query or None  # graphql-ws clients send "" beside a documentId
    wanted = requested_hash(document_id, extensions)
    if wanted is not None:
        if trusted is None:
            raise PersistedQueryNotSupported("this hub serves no trusted documents: send the query itself")
        if query is None:
            found = trusted.documents.get(wanted)
            if found is None:
                raise PersistedQueryNotFound(f"PersistedQueryNotFound: no trusted document has the sha256 {wanted}")
            return found
        if sha256(query) != wanted:
            raise PublicError(f"the query's sha256 is not {wanted}")
    if trusted is not None and trusted.required and query is not None and not trusted.trusts(query):
        principal = await context.guard.principal(context)
        if principal.role is not Role.ADMIN:
            raise QueryNotInSafelist("this hub runs only its trusted documents: send the documentId your "
                                     "frontend was built with")
    return query


class TrustedDocumentsWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws under the same rules as HTTP: a subscribe payload may name its document by
    `documentId` or Apollo's persistedQuery extension, and is refused when the manifest is required."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        if self.connection_acknowledged and message.get("id") not in self.operations and isinstance(payload, dict):
            try:
                query = await trusted_query(payload.get("query"), payload.get("documentId"),
                                            payload.get("extensions"), self.context)
            except PublicError as exc:
                error = GraphQLError(str(exc), extensions=exc.extensions)
                await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
                return
            message = cast(SubscribeMessage, {**message, "payload": {**payload, "query": query}})
        await super().handle_subscribe(message)
