"""The node's side of its link to the hub: enrolment, stored credentials, heartbeats."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from connectors.base import NodeIdentity
from simpul.signing import sign, signing_key

log = logging.getLogger("simpul.node")

ENROL_PATH = "/enrol"
HEARTBEAT_PATH = "/node/heartbeat"
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
    """What a node keeps after enrolment; the secret never leaves this file."""

    hub_url: str
    code: str
    secret: str
    token_digest: str | None = None  # of the token that got this secret; None in files from before renewals

    @property
    def key(self) -> bytes:
        return signing_key(self.secret)

    @classmethod
    def load(cls, path: Path) -> Credentials | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(hub_url=data["hub_url"], code=data["code"], secret=data["secret"],
                   token_digest=data.get("token_digest"))

    def save(self, path: Path) -> None:
        """Write atomically with owner-only permissions, so a crash leaves old or new."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(self), f)
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
    """Trade a one-time enrolment token for a node secret; retry while the hub is unreachable."""
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
    }
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            async with session.post(hub_url.rstrip("/") + ENROL_PATH, json=body) as response:
                answer = await response.json(content_type=None)
                if response.status != 200:
                    raise EnrolmentError(f"hub refused enrolment: {answer.get('error', answer)}", response.status)
                return Credentials(hub_url=hub_url, code=answer["code"], secret=answer["secret"],
                                   token_digest=token_digest(token))
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


async def _post_signed(
    session: aiohttp.ClientSession, credentials: Credentials, path: str, payload: dict[str, object]
) -> int:
    body = json.dumps(payload).encode()
    headers = sign(credentials.key, credentials.code, "POST", path, body)
    headers["content-type"] = "application/json"
    async with session.post(credentials.hub_url.rstrip("/") + path, data=body, headers=headers) as response:
        return response.status


async def send_heartbeat(
    session: aiohttp.ClientSession, credentials: Credentials, endpoint: str, healthy: bool
) -> int:
    """One signed heartbeat; returns the hub's HTTP status."""
    return await _post_signed(session, credentials, HEARTBEAT_PATH, {"endpoint": endpoint, "healthy": healthy})


async def send_poke(session: aiohttp.ClientSession, credentials: Credentials) -> int:
    """Ask the hub to pull this node's change feed now; returns the hub's HTTP status."""
    return await _post_signed(session, credentials, POKE_PATH, {})
