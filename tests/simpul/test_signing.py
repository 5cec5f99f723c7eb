"""Request signatures: any change to what was signed, a stale time or a replay is refused; for any request, only
the untouched, fresh, first copy passes, and any header at all is refused cleanly."""

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
    new_private_key,
    parse_public_key,
    private_key,
    private_key_hex,
    public_key_bytes,
    sign,
    verify,
)
from simpul.signing_v1 import hmac_key, sign_v1, verify_v1
from tests.signed import signed_at

KEY = new_private_key()
BODY = b'{"query": "{ node { code } }"}'


async def _check(headers: dict[str, str], nonces: MemoryNonceStore, key: bytes = public_key_bytes(KEY),
                 direction: str = TO_HUB, method: str = "POST", target: str = "/graphql", body: bytes = BODY,
                 not_before: float | None = None) -> None:
    await verify(key, SignedRequest.from_headers(headers), direction, method, target, body, nonces,
                 not_before=not_before)


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
