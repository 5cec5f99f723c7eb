"""Request signatures: any change to what was signed, a stale time or a replay is refused."""

from __future__ import annotations

import time

import pytest

from simpul.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TO_HUB,
    TO_NODE,
    MemoryNonceStore,
    SignatureError,
    SignedRequest,
    new_private_key,
    parse_public_key,
    private_key,
    private_key_hex,
    public_key_bytes,
    sign,
    verify,
)
from simpul.signing_v1 import hmac_key, sign_v1, verify_v1

KEY = new_private_key()
BODY = b'{"query": "{ node { code } }"}'


async def _check(headers: dict[str, str], nonces: MemoryNonceStore, key: bytes = public_key_bytes(KEY),
                 direction: str = TO_HUB, method: str = "POST", target: str = "/graphql", body: bytes = BODY,
                 not_before: float | None = None) -> None:
    await verify(key, SignedRequest.from_headers(headers), direction, method, target, body, nonces,
                 not_before=not_before)


async def test_a_signed_request_passes_once() -> None:
    headers, nonces = sign(KEY, TO_HUB, "64", "POST", "/graphql", BODY), MemoryNonceStore()
    await _check(headers, nonces)
    with pytest.raises(SignatureError, match="replayed"):
        await _check(headers, nonces)


@pytest.mark.parametrize(
    "change",
    [{"key": public_key_bytes(new_private_key())}, {"direction": TO_NODE}, {"method": "GET"},
     {"target": "/node/heartbeat"}, {"target": "/graphql?query=x"}, {"body": BODY + b" "}],
    ids=["key", "direction", "method", "path", "query string", "body"],
)
async def test_anything_changed_after_signing_is_refused(change: dict) -> None:
    headers = sign(KEY, TO_HUB, "64", "POST", "/graphql", BODY)
    with pytest.raises(SignatureError, match="bad signature"):
        await _check(headers, MemoryNonceStore(), **change)


async def test_the_node_code_is_signed_not_only_sent() -> None:
    headers = sign(KEY, TO_NODE, "64", "POST", "/graphql", BODY)
    with pytest.raises(SignatureError, match="bad signature"):
        await _check({**headers, "x-simpul-node": "65"}, MemoryNonceStore(), direction=TO_NODE)


async def test_a_stale_timestamp_is_refused_even_with_a_valid_signature() -> None:
    headers = sign(KEY, TO_HUB, "64", "POST", "/graphql", BODY)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) - 3600)
    with pytest.raises(SignatureError, match="stale"):
        await _check(headers, MemoryNonceStore())


async def test_a_request_signed_before_the_receiver_started_is_refused() -> None:
    headers = sign(KEY, TO_NODE, "64", "POST", "/graphql", BODY)
    with pytest.raises(SignatureError, match="signed before this node started"):
        await _check(headers, MemoryNonceStore(), direction=TO_NODE, not_before=time.time() + 1)
    await _check(headers, MemoryNonceStore(), direction=TO_NODE, not_before=time.time())  # same second: fresh


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [(TIMESTAMP_HEADER, "soon", "timestamp"), (NONCE_HEADER, "x", "nonce"), (NONCE_HEADER, "١" * 20, "nonce"),
     (SIGNATURE_HEADER, None, "not signed")],
)
def test_malformed_signature_headers_are_refused(header: str, value: str | None, message: str) -> None:
    headers = sign(KEY, TO_HUB, "64", "POST", "/graphql", BODY)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    with pytest.raises(SignatureError, match=message):
        SignedRequest.from_headers(headers)


def test_keys_travel_as_hex_and_bad_ones_are_named() -> None:
    assert private_key(private_key_hex(KEY)) is private_key(private_key_hex(KEY))  # parsed once, cached
    assert parse_public_key(public_key_bytes(KEY).hex()) == public_key_bytes(KEY)
    for bad in (None, "", "zz" * 32, "ab" * 31, 42):
        with pytest.raises(ValueError, match="public_key must be an Ed25519 public key: 64 hex digits"):
            parse_public_key(bad)


async def test_a_v1_node_is_still_verified_with_its_hmac_key_until_it_rekeys() -> None:
    key = hmac_key("node-secret")
    headers = sign_v1(key, "64", "POST", "/node/rekey", BODY)
    await verify_v1(key, SignedRequest.from_headers(headers), "POST", "/node/rekey", BODY, MemoryNonceStore())
    with pytest.raises(SignatureError, match="bad signature"):
        await verify_v1(hmac_key("other"), SignedRequest.from_headers(headers), "POST", "/node/rekey", BODY,
                        MemoryNonceStore())
