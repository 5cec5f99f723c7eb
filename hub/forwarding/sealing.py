"""Reporter identity at rest on the hub: sealed with a key the database never holds.

A report entered at one of the hub's own doors (submitReport, Open311, a
parent hub's forward) must wait at the hub until its unit accepts it. Its
name and contact wait sealed (AES-256-GCM, the tracking number as associated
data, so a sealed value copied onto another report does not open) and are
erased when the delivery is done. The key lives in a file outside the
database: a dump or a backup of the hub's database alone names no reporter.
Idempotency digests of submissions are keyed from the same file, so a digest
cannot be brute-forced back to a phone number either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = b"\x01"  # first byte of a sealed value: which key scheme sealed it


class IdentityKeyError(Exception):
    """The identity key file is missing, unreadable or not a key."""


class SealBroken(Exception):
    """A sealed identity did not open: another key, another report, or altered bytes."""


@dataclass(frozen=True)
class Identity:
    """A reporter's name and contact, in memory only: while a delivery carries them."""

    name: str | None
    contact: str | None

    def __repr__(self) -> str:  # a stray log call or traceback must not print it
        return "Identity(<redacted>)"

    @classmethod
    def of(cls, name: str | None, contact: str | None) -> Identity | None:
        """The identity a submission gives, or None when it gives none."""
        name, contact = (name or "").strip() or None, (contact or "").strip() or None
        return cls(name, contact) if name or contact else None


class IdentitySeal:
    """Seals and opens reporter identities, and digests submissions, with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise IdentityKeyError(f"an identity key has {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)
        self._digest_key = hmac.digest(key, b"simpul submission digest", "sha256")

    @classmethod
    def from_file(cls, path: Path) -> IdentitySeal:
        """The key in `path` (one base64 line), created with mode 0600 when missing; replicas share one file."""
        if not path.exists():
            _create_key_file(path)
        try:
            text = path.read_text(encoding="ascii").strip()
            return cls(base64.b64decode(text, validate=True))
        except (OSError, UnicodeDecodeError, binascii.Error) as exc:
            raise IdentityKeyError(f"identity key file {path}: {exc.__class__.__name__}; it must hold one base64 "
                                   f"line of {KEY_BYTES} bytes") from None

    def seal(self, tracking_number: str, identity: Identity) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps({"name": identity.name, "contact": identity.contact}).encode()
        return VERSION + nonce + self._aead.encrypt(nonce, plain, tracking_number.encode())

    def open(self, tracking_number: str, sealed: bytes) -> Identity:
        if sealed[:1] != VERSION:
            raise SealBroken(f"the sealed identity of {tracking_number} has an unknown version")
        nonce, box = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        try:
            plain = json.loads(self._aead.decrypt(nonce, box, tracking_number.encode()))
        except InvalidTag:
            raise SealBroken(f"the sealed identity of {tracking_number} does not open with this key") from None
        return Identity(plain["name"], plain["contact"])

    def digest(self, content: object) -> bytes:
        """A keyed digest of a submission (JSON-able), to tell a repeat from a different report under one key."""
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        return hmac.digest(self._digest_key, canonical, hashlib.sha256)


def _create_key_file(path: Path) -> None:
    """Write a fresh key atomically: a replica starting at the same moment reads this key or its own, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        temporary.unlink()


async def seal_clear_identities(pool: asyncpg.Pool, seal: IdentitySeal) -> int:
    """Seal the identities an older hub kept in clear for deliveries still owed (migration 0009 purged the
    rest); run at start-up, before any delivery. Returns how many were sealed."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT tracking_number, reporter_name, reporter_contact FROM ledger"
            " WHERE reporter_name IS NOT NULL OR reporter_contact IS NOT NULL FOR UPDATE")
        for row in rows:
            identity = Identity(row["reporter_name"], row["reporter_contact"])
            await conn.execute(
                "UPDATE ledger SET sealed_identity = $2, reporter_name = NULL, reporter_contact = NULL"
                " WHERE tracking_number = $1", row["tracking_number"], seal.seal(row["tracking_number"], identity))
    return len(rows)
