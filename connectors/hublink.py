"""The node's side of its link to the hub: enrolment, stored credentials and key pair, heartbeats."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.base import NodeIdentity
from simpul.signing import (
    TO_HUB,
    new_private_key,
    parse_public_key,
    private_key,
    private_key_hex,
    public_key_bytes,
    sign,
)
from simpul.signing_v1 import hmac_key, sign_v1
from simpul.wire import FeedCheck

log = logging.getLogger("simpul.node")

ENROL_PATH = "/enrol"
REKEY_PATH = "/node/rekey"
HEARTBEAT_PATH = "/node/heartbeat"
MAX_ANSWER = 4096  # bytes of the hub's answer to a heartbeat or poke read
POKE_PATH = "/node/poke"


class EnrolmentError(Exception):
    """The hub refused enrolment, or could not be reached for it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the hub's HTTP status when it answered


def token_digest(token: str) -> str:
    """What a node keeps of the token its credentials came from, to tell a new token from that one."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Credentials:
    """What a node keeps after enrolment; its private key never leaves this file. A file from before key pairs
    holds a v1 `secret` instead, until the node rekeys (`rekey`)."""

    hub_url: str
    code: str
    private_key: str | None = None  # the node's Ed25519 private key, hex
    hub_public_key: str | None = None  # the hub's public key, hex, pinned at enrolment: the only key it obeys
    token_digest: str | None = None  # of the token that got these credentials; None in files from before renewals
    secret: str | None = None  # the v1 HMAC secret of a node enrolled before key pairs; None once rekeyed

    @property
    def rekeyed(self) -> bool:
        """Whether the node signs and verifies with key pairs; False: it must rekey first."""
        return self.private_key is not None and self.hub_public_key is not None and self.secret is None

    @cached_property
    def key(self) -> Ed25519PrivateKey:
        assert self.private_key is not None, "a v1 node rekeys before it signs"
        return private_key(self.private_key)

    @cached_property
    def hub_key(self) -> bytes:
        assert self.hub_public_key is not None, "a v1 node rekeys before it verifies the hub"
        return bytes.fromhex(self.hub_public_key)

    @classmethod
    def load(cls, path: Path) -> Credentials | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(hub_url=data["hub_url"], code=data["code"], private_key=data.get("private_key"),
                   hub_public_key=data.get("hub_public_key"), token_digest=data.get("token_digest"),
                   secret=data.get("secret"))

    def save(self, path: Path) -> None:
        """Write atomically with owner-only permissions, so a crash leaves old or new."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({k: v for k, v in asdict(self).items() if v is not None}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


async def enrol(
    session: aiohttp.ClientSession,
    hub_url: str,
    token: str,
    identity: NodeIdentity,
    endpoint: str,
    attempts: int = 10,
) -> Credentials:
    """Trade a one-time enrolment token and a new key pair's public key for the hub's public key; retry while the
    hub is unreachable."""
    key = new_private_key()
    body = {
        "token": token,
        "code": identity.code,
        "name": identity.name,
        "level": identity.level.value,
        "region_code": identity.region_code,
        "parent_code": identity.parent_code,
        "categories": list(identity.categories),
        "kind": identity.kind,
        "endpoint": endpoint,
        "public_key": public_key_bytes(key).hex(),
    }
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            async with session.post(hub_url.rstrip("/") + ENROL_PATH, json=body) as response:
                answer = await response.json(content_type=None)
                if response.status != 200:
                    raise EnrolmentError(f"hub refused enrolment: {answer.get('error', answer)}", response.status)
                return Credentials(hub_url=hub_url, code=answer["code"], private_key=private_key_hex(key),
                                   hub_public_key=_hub_public_key(answer), token_digest=token_digest(token))
        except aiohttp.ClientConnectorError as exc:  # not connected: the token was not sent, try again
            if attempt == attempts:
                raise EnrolmentError(f"hub at {hub_url} unreachable: {exc}") from exc
            log.warning("hub unreachable for enrolment (attempt %d/%d)", attempt, attempts)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        except (TimeoutError, aiohttp.ClientError) as exc:  # sent: the hub may have spent the token, do not resend
            raise EnrolmentError(f"hub at {hub_url} did not answer the enrolment ({exc.__class__.__name__}); "
                                 "if it took the token, the token is spent: start again with a new one") from exc
    raise AssertionError("unreachable")


def _hub_public_key(answer: dict[str, object]) -> str:
    try:
        return parse_public_key(answer.get("hub_public_key")).hex()
    except ValueError:
        raise EnrolmentError("hub answered without a usable hub_public_key; is it older than this node?") from None


async def rekey(session: aiohttp.ClientSession, credentials: Credentials, path: Path) -> Credentials:
    """Move a node enrolled before key pairs to one: keep a new private key in the credentials file first, send its
    public key signed with the v1 secret, pin the hub's key the hub answers, forget the secret. A crash anywhere
    leaves a file that rekeys again on the next start (the hub takes the same key again until it is used)."""
    secret = credentials.secret
    assert secret is not None
    if credentials.private_key is None:
        credentials = replace(credentials, private_key=private_key_hex(new_private_key()))
        credentials.save(path)
    body = json.dumps({"public_key": public_key_bytes(credentials.key).hex()}).encode()
    headers = sign_v1(hmac_key(secret), credentials.code, "POST", REKEY_PATH, body)
    headers["content-type"] = "application/json"
    try:
        async with session.post(credentials.hub_url.rstrip("/") + REKEY_PATH, data=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status != 200:
                error = answer.get("error", answer) if isinstance(answer, dict) else answer
                raise EnrolmentError(f"hub refused to rekey node {credentials.code}: {error}", response.status)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        raise EnrolmentError(f"hub at {credentials.hub_url} did not answer the rekey of node {credentials.code} "
                             f"({exc.__class__.__name__}); start the node again to retry") from exc
    rekeyed = replace(credentials, hub_public_key=_hub_public_key(answer), secret=None)
    rekeyed.save(path)
    return rekeyed


async def _post_signed(
    session: aiohttp.ClientSession, credentials: Credentials, path: str, payload: dict[str, object]
) -> tuple[int, bytes]:
    body = json.dumps(payload).encode()
    headers = sign(credentials.key, TO_HUB, credentials.code, "POST", path, body)
    headers["content-type"] = "application/json"
    async with session.post(credentials.hub_url.rstrip("/") + path, data=body, headers=headers) as response:
        return response.status, await response.content.read(MAX_ANSWER)


@dataclass(frozen=True)
class HeartbeatAnswer:
    status: int  # the hub's HTTP status
    feed_cursor: str | None  # the hub's watermark of this node's feed: what the next check looks after
    knows_feed: bool  # the hub said where it is in the feed (a hub before feed checks does not)


async def send_heartbeat(
    session: aiohttp.ClientSession, credentials: Credentials, endpoint: str, healthy: bool,
    feed: FeedCheck | None = None,
) -> HeartbeatAnswer:
    """One signed heartbeat, with what the node found in its feed after the hub's last watermark."""
    payload: dict[str, object] = {"endpoint": endpoint, "healthy": healthy}
    if feed is not None:
        payload["feed"] = {"cursor": feed.cursor, "news": feed.news}
    status, raw = await _post_signed(session, credentials, HEARTBEAT_PATH, payload)
    try:
        answer = json.loads(raw) if status == 200 else {}
    except ValueError:
        answer = {}
    cursor = answer.get("feedCursor") if isinstance(answer, dict) else None
    knows = isinstance(answer, dict) and "feedCursor" in answer and (cursor is None or isinstance(cursor, str))
    return HeartbeatAnswer(status, cursor if knows else None, knows)


async def send_poke(session: aiohttp.ClientSession, credentials: Credentials) -> int:
    """Ask the hub to pull this node's change feed now; returns the hub's HTTP status."""
    status, _ = await _post_signed(session, credentials, POKE_PATH, {})
    return status
