"""Signature headers made by hand: as `simpul.signing.sign` makes them for a POST, at a time a test chooses."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simpul.signing import NODE_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, message


def signed_at(key: Ed25519PrivateKey, direction: str, node: str, target: str, body: bytes, timestamp: int,
              nonce: str | None = None) -> dict[str, str]:
    """Headers of a POST to `target` signed at `timestamp`, with `nonce` or a fresh one."""
    nonce = nonce or f"{time.perf_counter_ns():032d}"
    signature = key.sign(message(direction, node, "POST", target, str(timestamp), nonce, body))
    return {NODE_HEADER: node, TIMESTAMP_HEADER: str(timestamp), NONCE_HEADER: nonce, SIGNATURE_HEADER: signature.hex()}
