"""Who sent a request: an API key or session (Bearer), a node's signature, or nobody (the public)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from hub.access.keys import principal_of_key
from hub.access.principal import PUBLIC, Principal, node_principal
from hub.access.users import SESSION_PREFIX, principal_of_session
from hub.nodes.nonces import PgNonceStore
from hub.nodes.registry import Registry
from hub.nodes.signatures import verify_node
from hub.nodes.status import NodeStatus
from simpul.errors import NotAllowed
from simpul.signing import NODE_HEADER, SignatureError, SignedRequest


class NotAuthenticated(NotAllowed):
    """Credentials were sent but are not good; the message says which part."""

    code = "UNAUTHENTICATED"


@dataclass(frozen=True)
class Credentials:
    """What a request carried that could say who sent it."""

    authorization: str | None
    headers: Mapping[str, str]
    method: str
    path: str  # the request target: path and query string, both signed by a node
    body: bytes


class Authenticator:
    def __init__(self, pool: asyncpg.Pool, max_skew: float) -> None:
        self.pool = pool
        self.registry = Registry(pool)
        self.nonces = PgNonceStore(pool)
        self.max_skew = max_skew

    async def principal(self, credentials: Credentials) -> Principal:
        """The principal behind the credentials; NotAuthenticated for bad ones, PUBLIC for none."""
        if credentials.authorization:
            scheme, _, secret = credentials.authorization.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise NotAuthenticated("Authorization must be 'Bearer <API key or session token>'")
            secret = secret.strip()
            try:
                if secret.startswith(SESSION_PREFIX):
                    return await principal_of_session(self.pool, secret)
                return await principal_of_key(self.pool, secret)
            except NotAllowed as exc:
                raise NotAuthenticated(str(exc)) from None
        if NODE_HEADER in credentials.headers:
            return await self._node(credentials)
        return PUBLIC

    async def _node(self, credentials: Credentials) -> Principal:
        try:
            signed = SignedRequest.from_headers(credentials.headers)
            node = await self.registry.get(signed.node)
            if node is None:
                raise SignatureError("unknown node")
            await verify_node(self.registry, node, signed, credentials.method, credentials.path, credentials.body,
                              self.nonces, self.max_skew)
        except SignatureError as exc:
            raise NotAuthenticated(f"node signature refused: {exc}") from None
        if node.status != NodeStatus.ACTIVE:
            raise NotAuthenticated(f"node {node.code} is {node.status.lower()}")
        return node_principal(node.code, node.region_code)
