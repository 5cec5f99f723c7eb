"""The trusted documents manifest: the GraphQL documents a frontend was built with, by their sha256.

`simpul hub --trusted-documents FILE` loads GraphQL Codegen's persisted-documents.json
(a JSON object of sha256 hash -> document) or Apollo's persisted query manifest.
Every hash is checked at start, so a manifest that does not match its documents never
serves. How a request names a document is the GraphQL door's (hub/api/persisted.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
