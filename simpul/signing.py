"""Ed25519 request signing between the hub and its nodes (scheme `simpul-v2`).

Every hub->node and node->hub request carries the node code, a timestamp, a
random nonce and an Ed25519 signature over the scheme label, the direction,
the node code, the method, the full request target (path and query string),
the timestamp, the nonce and the SHA-256 of the body. The receiver refuses a
signature that does not verify, a timestamp outside the allowed skew, and a
nonce it has already seen from that node.

Each side signs with a private key only it holds, as X-Road members do: a
node's lives in its credentials file, the hub's in its key file outside the
database. The hub's database keeps nodes' public keys, and a node pins the
hub's public key at enrolment: a copy of either verifies, it signs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

NODE_HEADER = "x-simpul-node"
TIMESTAMP_HEADER = "x-simpul-timestamp"
NONCE_HEADER = "x-simpul-nonce"
SIGNATURE_HEADER = "x-simpul-signature"

SCHEME = "simpul-v2"
TO_NODE = "hub->node"
TO_HUB = "node->hub"

DEFAULT_MAX_SKEW = 300.0
KEY_BYTES = 32


class SignatureError(Exception):
    """A request whose signature headers are missing, stale, replayed or wrong."""


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_hex(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte private key in hex, as credentials and key files keep it."""
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()


@functools.lru_cache(maxsize=64)
def private_key(hex_key: str) -> Ed25519PrivateKey:
    """A private key read from hex; cached, so a process parses its one key once."""
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(hex_key))  # ValueError unless 32 bytes
    except ValueError:
        raise ValueError(f"a private key is {2 * KEY_BYTES} hex digits") from None


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@functools.lru_cache(maxsize=4096)
def public_key(raw: bytes) -> Ed25519PublicKey:
    """A public key object from its 32 raw bytes; cached, so a node's key is parsed once, not per call."""
    try:
        return Ed25519PublicKey.from_public_bytes(raw)  # ValueError unless 32 bytes
    except ValueError:
        raise ValueError(f"a public key is {KEY_BYTES} bytes ({2 * KEY_BYTES} hex digits)") from None


def parse_public_key(hex_key: object) -> bytes:
    """The raw bytes of a public key sent in hex; ValueError naming the form when it is not one."""
    try:
        raw = bytes.fromhex(hex_key) if isinstance(hex_key, str) else b""
        public_key(raw)
    except ValueError:
        raise ValueError(f"public_key must be an Ed25519 public key: {2 * KEY_BYTES} hex digits") from None
    return raw


def request_target(scope: Mapping[str, Any]) -> str:
    """The target a receiver checks: the ASGI path and, when there is one, the query string."""
    query: bytes = scope.get("query_string", b"")
    return str(scope["path"]) + ("?" + query.decode("latin-1") if query else "")


def message(direction: str, node: str, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What is signed: everything a request means, so none of it can be moved to another request."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((SCHEME, direction, node, method.upper(), target, timestamp, nonce, digest)).encode()


def sign(key: Ed25519PrivateKey, direction: str, node: str, method: str, target: str, body: bytes
         ) -> dict[str, str]:
    """Headers that authenticate one request in `direction` for `node` as coming from the holder of `key`."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    signature = key.sign(message(direction, node, method, target, timestamp, nonce, body))
    return {
        NODE_HEADER: node,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature.hex(),
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
        if not 16 <= len(nonce) <= 64 or not (nonce.isascii() and nonce.isalnum()):
            raise SignatureError("bad signature nonce")
        if not signature.isascii():  # hmac.compare_digest (v1) refuses to compare non-ASCII text
            raise SignatureError("bad signature")
        return cls(node=node, timestamp=int(timestamp), nonce=nonce, signature=signature)

    def check_fresh(self, max_skew: float, not_before: float | None = None) -> None:
        """Refuse a timestamp outside the skew, or (a node after a restart) older than `not_before`."""
        if abs(time.time() - self.timestamp) > max_skew:
            raise SignatureError("stale signature timestamp")
        if not_before is not None and self.timestamp < int(not_before):
            raise SignatureError("signed before this node started")


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
        self.seen(node, nonce, timestamp)
        return True

    def seen(self, node: str, nonce: str, timestamp: int) -> None:
        """Count `nonce` as used (a node reading back what it accepted before a restart)."""
        self._seen[(node, nonce)] = timestamp


async def verify(
    key: bytes,
    request: SignedRequest,
    direction: str,
    method: str,
    target: str,
    body: bytes,
    nonces: NonceStore,
    max_skew: float = DEFAULT_MAX_SKEW,
    not_before: float | None = None,
) -> None:
    """Raise SignatureError unless the request is fresh, unreplayed and signed by the private key of the public
    key `key` (32 raw bytes) for `direction` and the node it names."""
    request.check_fresh(max_skew, not_before)
    try:
        signature = bytes.fromhex(request.signature)
        public_key(key).verify(signature, message(direction, request.node, method, target,
                                                  str(request.timestamp), request.nonce, body))
    except (ValueError, InvalidSignature):
        raise SignatureError("bad signature") from None
    if not await nonces.remember(request.node, request.nonce, request.timestamp):
        raise SignatureError("replayed request")
