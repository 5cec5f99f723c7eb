"""Trusted documents (persisted queries): the GraphQL documents a frontend was built with, by their sha256.

`simpul hub --trusted-documents FILE` loads a manifest: GraphQL Codegen's
persisted-documents.json (a JSON object of sha256 hash -> document) or Apollo's
persisted query manifest. A request may then name its document instead of sending
it: `documentId` ("sha256:<hex>", or the bare hash Codegen's clients send; the
GraphQL-over-HTTP persisted documents appendix) or Apollo's
`extensions.persistedQuery.sha256Hash`. With `--trusted-documents-only` a caller
other than an admin may run only documents in the manifest (admins keep free-form
documents, for GraphiQL and operations). Every hash is checked at start, so a
manifest that does not match its documents never serves.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from hub.access.principal import Role
from simpul.wire import PublicError

APOLLO_MANIFEST = "apollo-persisted-query-manifest"
_SHA256 = re.compile(r"[0-9a-f]{64}")

UNREADABLE = "cannot read trusted documents from {path}: {reason}"
NOT_A_MANIFEST = (f"{{path}} is not a trusted documents manifest: expected a JSON object of sha256 hash -> document "
                  f"(GraphQL Codegen's persisted-documents.json) or an {APOLLO_MANIFEST}")
BAD_KEY = ("{path}: {key!r} is not a sha256 hash (64 lower-case hexadecimal digits; GraphQL Codegen hashes with "
           "sha256 when told persistedDocuments: {{hashAlgorithm: 'sha256'}})")
BAD_DOCUMENT = "{path}: the entry {key} is not a GraphQL document (a string)"
ONLY_WITHOUT_FILE = "--trusted-documents-only needs --trusted-documents FILE"
HASH_MISMATCH = ("{path}: the document under {key} has the sha256 {actual}: the manifest does not match its "
                 "documents (the hub takes manifests hashed with sha256)")


class ManifestError(Exception):
    """A trusted documents file the hub cannot serve; the message names the file and the entry."""


class PersistedQueryNotFound(PublicError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryNotSupported(PublicError):
    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class QueryNotInSafelist(PublicError):
    code = "QUERY_NOT_IN_SAFELIST"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True, eq=False)
class TrustedDocuments:
    """The manifest, by hash; `required`: callers other than admins run only these documents."""

    documents: Mapping[str, str]
    required: bool = False

    @classmethod
    def load(cls, path: Path, required: bool = False) -> TrustedDocuments:
        """Read and check a manifest; ManifestError says what is wrong in one line."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ManifestError(UNREADABLE.format(path=path, reason=exc)) from None
        documents: dict[str, str] = {}
        for key, document in _entries(raw, path):
            key = key.removeprefix("sha256:")
            if not _SHA256.fullmatch(key):
                raise ManifestError(BAD_KEY.format(path=path, key=key))
            if not isinstance(document, str):
                raise ManifestError(BAD_DOCUMENT.format(path=path, key=key))
            if (actual := sha256(document)) != key:
                raise ManifestError(HASH_MISMATCH.format(path=path, key=key, actual=actual))
            documents[key] = document
        return cls(documents, required)

    def trusts(self, document: str) -> bool:
        return sha256(document) in self.documents


def load_trusted_documents(path: Path | None, required: bool) -> TrustedDocuments | None:
    """The manifest the hub's settings name, or None; ManifestError when it cannot serve, or when only trusted
    documents are to run and no manifest is named."""
    if path is None:
        if required:
            raise ManifestError(ONLY_WITHOUT_FILE)
        return None
    return TrustedDocuments.load(path, required)


def _entries(raw: object, path: Path) -> list[tuple[str, object]]:
    if isinstance(raw, dict) and raw.get("format") == APOLLO_MANIFEST:
        operations = raw.get("operations")
        if isinstance(operations, list) and all(isinstance(o, dict) and isinstance(o.get("id"), str)
                                                for o in operations):
            return [(o["id"], o.get("body")) for o in operations]
    elif isinstance(raw, dict) and raw:
        return list(raw.items())
    raise ManifestError(NOT_A_MANIFEST.format(path=path))


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
                        context: dict[str, Any]) -> str | None:
    """The document a request runs: its own, or the manifest's for the hash it names. Raises a PublicError
    for an unknown hash, a hash that is not its document's, or (when the manifest is required) a free-form
    document from a caller other than an admin."""
    trusted: TrustedDocuments | None = context["trusted_documents"]
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
        principal = await context["guard"].principal(context)
        if principal.role is not Role.ADMIN:
            raise QueryNotInSafelist("this hub runs only its trusted documents: send the documentId your "
                                     "frontend was built with")
    return query


class TrustedDocumentsWSHandler(BaseGraphQLTransportWSHandler[dict[str, Any], None]):
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
