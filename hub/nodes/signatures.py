"""The hub's side of request signing: its own key pair, kept in a file outside the database, signing its calls
to nodes and verifying theirs.

Nodes with a key pair (simpul-v2) verify the hub against the public key they
pinned at enrolment, and the hub verifies them against the public key it
stores. A node enrolled before key pairs (simpul-v1, HMAC) is served the old
way until it rekeys; see simpul/signing_v1.py.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hub.nodes.registry import NodeRecord, Registry
from simpul.signing import (
    TO_HUB,
    TO_NODE,
    NonceStore,
    SignatureError,
    SignedRequest,
    new_private_key,
    private_key,
    private_key_hex,
    public_key_bytes,
    sign,
    verify,
)
from simpul.signing_v1 import sign_v1, verify_v1

log = logging.getLogger("simpul.hub")

KEY_FILE_NAME = "hub.key"


class HubKeyError(Exception):
    """The hub's key file cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class HubKey:
    """The hub's Ed25519 key pair; every replica of one hub loads the same file."""

    private_hex: str

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(private_key(self.private_hex))

    @classmethod
    def load_or_create(cls, path: Path) -> HubKey:
        """Read the key file; create it (0600) when missing. Refuse a file others may read, or not a key."""
        if not path.exists():
            _create(path)
        mode = path.stat().st_mode
        if mode & stat.S_IROTH:
            raise HubKeyError(f"hub key file {path} is readable by other users; chmod 600 (or 640) it")
        text = path.read_text().strip()
        try:
            private_key(text)
        except ValueError as exc:
            raise HubKeyError(f"hub key file {path}: {exc}") from None
        return cls(text)

    def sign_to(self, node: NodeRecord, method: str, target: str, body: bytes) -> dict[str, str]:
        """Headers for a call to `node`: Ed25519 with the hub's key, or HMAC for a node not yet rekeyed."""
        if node.public_key is None and node.signing_key is not None:
            return sign_v1(node.signing_key, node.code, method, target, body)
        return sign(private_key(self.private_hex), TO_NODE, node.code, method, target, body)


def _create(path: Path) -> None:
    """Write a new key so that a crash, or another replica starting at the same moment, leaves one whole key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600, and a name of its own
    tmp = Path(name)
    with os.fdopen(fd, "w") as f:
        f.write(private_key_hex(new_private_key()) + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # fails if another process made it first: theirs stands
        log.info("created the hub's key pair in %s", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


async def verify_node(registry: Registry, node: NodeRecord, signed: SignedRequest, method: str, target: str,
                      body: bytes, nonces: NonceStore, max_skew: float) -> None:
    """Raise SignatureError unless `node` signed this request; its first key-pair signature drops its HMAC key."""
    if node.public_key is None:
        if node.signing_key is None:
            raise SignatureError("node has no key")
        await verify_v1(node.signing_key, signed, method, target.partition("?")[0], body, nonces, max_skew)
        return
    await verify(node.public_key, signed, TO_HUB, method, target, body, nonces, max_skew)
    if node.signing_key is not None:
        await registry.drop_legacy_key(node.code)
