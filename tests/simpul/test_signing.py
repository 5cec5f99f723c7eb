"""Request signatures: any change to what was signed, a stale time or a replay is refused."""

from __future__ import annotations

import pytest

from simpul.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    MemoryNonceStore,
    SignatureError,
    SignedRequest,
    sign,
    signing_key,
    verify,
)

KEY = signing_key("node-secret")
BODY = b'{"query": "{ node { code } }"}'


async def _check(headers: dict[str, str], nonces: MemoryNonceStore, key: bytes = KEY, method: str = "POST",
                 path: str = "/graphql", body: bytes = BODY) -> None:
    await verify(key, SignedRequest.from_headers(headers), method, path, body, nonces)


async def test_a_signed_request_passes_once() -> None:
    headers, nonces = sign(KEY, "64", "POST", "/graphql", BODY), MemoryNonceStore()
    await _check(headers, nonces)
    with pytest.raises(SignatureError, match="replayed"):
        await _check(headers, nonces)


@pytest.mark.parametrize(
    "change",
    [{"key": signing_key("other")}, {"method": "GET"}, {"path": "/node/heartbeat"}, {"body": BODY + b" "}],
    ids=["key", "method", "path", "body"],
)
async def test_anything_changed_after_signing_is_refused(change: dict) -> None:
    headers = sign(KEY, "64", "POST", "/graphql", BODY)
    with pytest.raises(SignatureError, match="bad signature"):
        await _check(headers, MemoryNonceStore(), **change)


async def test_a_stale_timestamp_is_refused_even_with_a_valid_mac() -> None:
    headers = sign(KEY, "64", "POST", "/graphql", BODY)
    headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) - 3600)
    with pytest.raises(SignatureError, match="stale"):
        await _check(headers, MemoryNonceStore())


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [(TIMESTAMP_HEADER, "soon", "timestamp"), (NONCE_HEADER, "x", "nonce"), (SIGNATURE_HEADER, None, "not signed")],
)
def test_malformed_signature_headers_are_refused(header: str, value: str | None, message: str) -> None:
    headers = sign(KEY, "64", "POST", "/graphql", BODY)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    with pytest.raises(SignatureError, match=message):
        SignedRequest.from_headers(headers)
