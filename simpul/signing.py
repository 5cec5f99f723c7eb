"""HMAC-SHA256 request signing between the hub and its nodes.

Every hub->node and node->hub request carries the sender's node code, a
timestamp, a random nonce and a signature over method, path, timestamp,
nonce and the SHA-256 of the body. The receiver refuses a signature that
does not match, a timestamp outside the allowed skew, and a nonce it has
already seen from that node.

The HMAC key is `signing_key(secret)`: SHA-256 of the node secret. The hub
stores only that digest, so the secret a node was given at enrolment is
never kept on the hub; the digest is still key material and must be
protected like one (see README, "Security").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

NODE_HEADER = "x-simpul-node"
TIMESTAMP_HEADER = "x-simpul-timestamp"
NONCE_HEADER = "x-simpul-nonce"
SIGNATURE_HEADER = "x-simpul-signature"

DEFAULT_MAX_SKEW = 300.0


class SignatureError(Exception):
    """A request whose signature headers are missing, stale, replayed or wrong."""


def signing_key(secret: str) -> bytes:
    """The HMAC key derived from a node secret; what the hub stores."""
    return hashlib.sha256(secret.encode()).digest()


def _message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()


def sign(key: bytes, node: str, method: str, path: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate one request as coming from the holder of `key`."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    mac = hmac.new(key, _message(method, path, timestamp, nonce, body), hashlib.sha256)
    return {
        NODE_HEADER: node,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: mac.hexdigest(),
    }


@dataclass(frozen=True)
class SignedRequest:
    """The signature headers of a received request, parsed."""

    node: str
    timestamp: int
    nonce: str
    signature: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SignedRequest:
        values = [headers.get(h) for h in (NODE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER,
                                           SIGNATURE_HEADER)]
        node, timestamp, nonce, signature = values
        if node is None or timestamp is None or nonce is None or signature is None:
            raise SignatureError("request is not signed")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise SignatureError("bad signature timestamp")
        if not 16 <= len(nonce) <= 64 or not nonce.isalnum():
            raise SignatureError("bad signature nonce")
        if not signature.isascii():  # hmac.compare_digest refuses to compare non-ASCII text
            raise SignatureError("bad signature")
        return cls(node=node, timestamp=int(timestamp), nonce=nonce, signature=signature)


class NonceStore(Protocol):
    """Remembers nonces for the skew window; `remember` is False for a replay."""

    async def remember(self, node: str, nonce: str, timestamp: int) -> bool: ...


class MemoryNonceStore:
    """Nonces of one process, forgotten once older than the skew window."""

    def __init__(self, max_skew: float = DEFAULT_MAX_SKEW) -> None:
        self._max_skew = max_skew
        self._seen: dict[tuple[str, str], int] = {}

    async def remember(self, node: str, nonce: str, timestamp: int) -> bool:
        horizon = time.time() - 2 * self._max_skew
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if t > horizon}
        if (node, nonce) in self._seen:
            return False
        self._seen[(node, nonce)] = timestamp
        return True


async def verify(
    key: bytes,
    request: SignedRequest,
    method: str,
    path: str,
    body: bytes,
    nonces: NonceStore,
    max_skew: float = DEFAULT_MAX_SKEW,
) -> None:
    """Raise SignatureError unless the request is fresh, unreplayed and signed with `key`."""
    if abs(time.time() - request.timestamp) > max_skew:
        raise SignatureError("stale signature timestamp")
    message = _message(method, path, str(request.timestamp), request.nonce, body)
    expected = hmac.new(key, message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.signature):
        raise SignatureError("bad signature")
    if not await nonces.remember(request.node, request.nonce, request.timestamp):
        raise SignatureError("replayed request")
