"""The HMAC scheme (`simpul-v1`) of nodes enrolled before key pairs, kept only until they rekey.

A v1 node shares one HMAC key with the hub (SHA-256 of its node secret), so
the hub's copy signs as the node and as the hub alike. A node running this
release upgrades itself on start (`/node/rekey`, the one request it signs this
way); the hub keeps answering and calling a node that has not upgraded this
way, and drops the HMAC key at the node's first Ed25519-signed request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from simpul.signing import (
    DEFAULT_MAX_SKEW,
    NODE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    NonceStore,
    SignatureError,
    SignedRequest,
)


def hmac_key(secret: str) -> bytes:
    """The HMAC key derived from a v1 node secret; what the hub stored for it."""
    return hashlib.sha256(secret.encode()).digest()


def _message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()


def sign_v1(key: bytes, node: str, method: str, path: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate one request as coming from the holder of the shared HMAC `key`."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    mac = hmac.new(key, _message(method, path, timestamp, nonce, body), hashlib.sha256)
    return {NODE_HEADER: node, TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce, SIGNATURE_HEADER: mac.hexdigest()}


async def verify_v1(key: bytes, request: SignedRequest, method: str, path: str, body: bytes, nonces: NonceStore,
                    max_skew: float = DEFAULT_MAX_SKEW) -> None:
    """Raise SignatureError unless the request is fresh, unreplayed and signed with the HMAC `key`."""
    request.check_fresh(max_skew)
    expected = hmac.new(key, _message(method, path, str(request.timestamp), request.nonce, body),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.signature):
        raise SignatureError("bad signature")
    if not await nonces.remember(request.node, request.nonce, request.timestamp):
        raise SignatureError("replayed request")
