"""Signed requests: only the untouched, fresh, first copy of a request passes; any header at all is refused cleanly."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, example, given
from hypothesis import strategies as st

from simpul.signing import (
    NODE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TO_HUB,
    TO_NODE,
    MemoryNonceStore,
    SignatureError,
    SignedRequest,
    public_key_bytes,
    sign,
    verify,
)
from tests.signed import signed_at

MAX_SKEW = 300.0
SIGNED = ("node", "direction", "method", "path", "body")


def signing_key(secret: str) -> Ed25519PrivateKey:
    """A key pair drawn from text, so hypothesis can shrink and replay it."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret.encode()).digest())

nodes = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])
paths = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60).map(lambda p: "/" + p)
bodies = st.binary(max_size=300)
secrets_ = st.text(min_size=1, max_size=40)
header_values = st.text(st.characters(codec="latin-1"), max_size=80) | st.text(max_size=80) | st.sampled_from(
    ["", "0", "-1", "1e9", " 1700000000", "9" * 12, "9" * 13, "9" * 5000, "١٧٠٠٠٠٠٠٠٠", "²" * 10, "nan"]
)


async def _receive(headers: Mapping[str, str], keys: Mapping[str, Ed25519PrivateKey], method: str, path: str,
                   body: bytes, nonces: MemoryNonceStore, direction: str = TO_HUB) -> None:
    """What a receiver does: read the headers, find the sender's public key by its node code, verify."""
    signed = SignedRequest.from_headers(headers)
    key = keys.get(signed.node)
    if key is None:
        raise SignatureError("unknown node")
    await verify(public_key_bytes(key), signed, direction, method, path, body, nonces, MAX_SKEW)


@given(nodes, secrets_, methods, paths, bodies)
async def test_a_signed_request_is_accepted_once_and_its_replay_refused(
    node: str, secret: str, method: str, path: str, body: bytes
) -> None:
    keys, nonces = {node: signing_key(secret)}, MemoryNonceStore(MAX_SKEW)
    headers = sign(keys[node], TO_HUB, node, method, path, body)
    await _receive(headers, keys, method, path, body, nonces)
    with pytest.raises(SignatureError, match="replayed"):
        await _receive(headers, keys, method, path, body, nonces)


@given(st.data(), nodes, secrets_, methods, paths, bodies, st.sampled_from(SIGNED))
async def test_changing_anything_that_was_signed_is_refused(
    data: st.DataObject, node: str, secret: str, method: str, path: str, body: bytes, changed: str
) -> None:
    other = data.draw(nodes.filter(lambda n: n != node), label="other node")
    keys = {node: signing_key(secret), other: signing_key(secret)}  # one key for both: only the code differs
    headers = sign(keys[node], TO_HUB, node, method, path, body)
    received = {"node": node, "method": method, "path": path, "body": body, "direction": TO_HUB}
    if changed == "node":
        headers[NODE_HEADER] = other
    elif changed == "direction":
        received["direction"] = TO_NODE
    elif changed == "method":
        received["method"] = data.draw(methods.filter(lambda m: m != method), label="method")
    elif changed == "path":
        received["path"] = data.draw(paths.filter(lambda p: p != path), label="path")
    else:
        received["body"] = data.draw(bodies.filter(lambda b: b != body), label="body")
    with pytest.raises(SignatureError, match="bad signature"):
        await _receive(headers, keys, str(received["method"]), str(received["path"]), bytes(received["body"]),
                       MemoryNonceStore(MAX_SKEW), str(received["direction"]))


@given(nodes, secrets_, secrets_, bodies)
async def test_a_request_signed_with_another_key_is_refused(node: str, secret: str, wrong: str, body: bytes) -> None:
    assume(wrong != secret)
    headers = sign(signing_key(wrong), TO_HUB, node, "POST", "/graphql", body)
    with pytest.raises(SignatureError, match="bad signature"):
        await _receive(headers, {node: signing_key(secret)}, "POST", "/graphql", body, MemoryNonceStore(MAX_SKEW))


@given(nodes, bodies, st.integers(min_value=-int(MAX_SKEW) + 5, max_value=int(MAX_SKEW) - 5).filter(bool),
       st.from_regex(r"[0-9a-zA-Z]{16,64}", fullmatch=True))
async def test_a_changed_timestamp_or_nonce_breaks_the_signature(
    node: str, body: bytes, shift: int, nonce: str
) -> None:
    keys = {node: signing_key("rahasia")}
    for header, value in ((TIMESTAMP_HEADER, None), (NONCE_HEADER, nonce)):
        headers = sign(keys[node], TO_HUB, node, "POST", "/graphql", body)
        if value is None or value == headers[NONCE_HEADER]:
            headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) + shift)
        else:
            headers[header] = value
        with pytest.raises(SignatureError, match="bad signature"):
            await _receive(headers, keys, "POST", "/graphql", body, MemoryNonceStore(MAX_SKEW))


@given(nodes, bodies, st.integers(min_value=int(MAX_SKEW) + 2, max_value=10**11), st.booleans())
async def test_a_timestamp_beyond_the_skew_is_refused_even_with_a_valid_signature(
    node: str, body: bytes, offset: int, future: bool
) -> None:
    """An attacker holding the key could sign any time; the check on the time must hold regardless of the signature."""
    key, nonce = signing_key("rahasia"), "a" * 32
    timestamp = int(time.time()) + (offset if future else -offset)
    if timestamp < 0:
        timestamp = 0
    headers = signed_at(key, TO_HUB, node, "/graphql", body, timestamp, nonce)
    with pytest.raises(SignatureError, match="stale"):
        await _receive(headers, {node: key}, "POST", "/graphql", body, MemoryNonceStore(MAX_SKEW))


@given(st.dictionaries(st.sampled_from([NODE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER]),
                       header_values),
       st.booleans())
@example({SIGNATURE_HEADER: "\x80" * 64}, True)  # latin-1 bytes in a header: compare_digest raised TypeError
async def test_garbage_signature_headers_are_refused_and_never_crash(garbage: dict[str, str], over_real: bool) -> None:
    key = signing_key("rahasia")
    real = sign(key, TO_HUB, "64", "POST", "/graphql", b"{}")
    assume(any(real[header] != value for header, value in garbage.items()))
    headers = {**real, **garbage} if over_real else garbage
    with pytest.raises(SignatureError):
        await _receive(headers, {"64": key}, "POST", "/graphql", b"{}", MemoryNonceStore(MAX_SKEW))
