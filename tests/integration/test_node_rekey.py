"""A node enrolled before key pairs (simpul-v1: an HMAC secret the hub also held) moves to a key pair by itself
on its next start; the hub serves it the old way until then, and its secret is dead from then on."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.hublink import HEARTBEAT_PATH, REKEY_PATH
from simpul.signing import new_private_key, private_key, private_key_hex, public_key_bytes
from simpul.signing_v1 import hmac_key, sign_v1
from tests.databases import connection
from tests.federation import Federation, Hub, desk_credentials, eventually, graphql, restart_desk, start_desk

COVERAGE = "{ stats(groupBy: [STATUS]) { coverage { asked answered failed } } }"


async def _v1_post(session: aiohttp.ClientSession, hub: Hub, secret: str, path: str, payload: dict[str, Any]
                   ) -> tuple[int, dict[str, Any]]:
    """A request of node 64 signed with its v1 secret, as an older release signs."""
    body = json.dumps(payload).encode()
    headers = {**sign_v1(hmac_key(secret), "64", "POST", path, body), "content-type": "application/json"}
    async with session.post(hub.url + path, data=body, headers=headers) as response:
        return response.status, await response.json()


def _public_hex(key: Ed25519PrivateKey) -> str:
    return public_key_bytes(key).hex()


async def test_a_node_with_a_v1_secret_rekeys_itself_on_start_and_the_secret_dies(
    bare_federation: Federation, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = bare_federation.hub
    desk = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
    desk.process.stop()
    hub_public = _public_hex(private_key((tmp_path / "hub.key").read_text().strip()))
    # As an older release left it: the secret in the node's file, its digest in hub.nodes (kept by migration 11).
    secret, path = secrets.token_urlsafe(32), tmp_path / "nodes" / "64" / "credentials.json"
    enrolled = json.loads(path.read_text())
    v1_file = {"hub_url": enrolled["hub_url"], "code": "64", "secret": secret,
               "token_digest": enrolled["token_digest"]}
    async with connection(database, "hub") as conn:
        await conn.execute("UPDATE nodes SET signing_key = $1, public_key = NULL WHERE code = '64'",
                           hmac_key(secret))
        beat = {"endpoint": desk.url, "healthy": True}
        assert await _v1_post(session, hub, secret, HEARTBEAT_PATH, beat) == (200, {"ok": True, "feedCursor": ANY}), \
            "until it upgrades, the hub serves the node the old way"

        for secret_used, payload, refusal in [
            ("guessed", {"public_key": _public_hex(new_private_key())}, (401, "bad signature")),
            (secret, {"public_key": "ab" * 31}, (400, "public_key must be an Ed25519 public key: 64 hex digits")),
            (secret, {}, (400, "public_key must be an Ed25519 public key: 64 hex digits")),
        ]:
            status, answer = await _v1_post(session, hub, secret_used, REKEY_PATH, payload)
            assert (status, answer["error"]) == refusal

        # The node sent its new public key and crashed before it kept the answer: it sends it again on start.
        pending = new_private_key()
        rekey = {"public_key": _public_hex(pending)}
        assert await _v1_post(session, hub, secret, REKEY_PATH, rekey) == (200, {"code": "64",
                                                                                  "hub_public_key": hub_public})
        path.write_text(json.dumps({**v1_file, "private_key": private_key_hex(pending)}))
        desk = bare_federation.desks["64"] = restart_desk(hub, desk)
        kept = desk_credentials(desk)
        assert (kept.secret, kept.private_key, kept.hub_public_key) == (None, private_key_hex(pending), hub_public)
        assert path.stat().st_mode & 0o777 == 0o600

        async def hmac_key_dropped() -> bool:  # at the node's first heartbeat signed with its key pair
            row = await conn.fetchrow("SELECT signing_key, public_key FROM nodes WHERE code = '64'")
            return row["signing_key"] is None and bytes(row["public_key"]) == public_key_bytes(pending)

        await eventually(hmac_key_dropped)
        body = await graphql(session, hub.graphql_url, COVERAGE)  # the hub's calls reach it, signed anew
        assert body["data"]["stats"]["coverage"] == {"asked": 1, "answered": 1, "failed": []}, body

        status, answer = await _v1_post(session, hub, secret, HEARTBEAT_PATH, beat)
        assert (status, answer["error"]) == (401, "bad signature"), "the secret is dead"
        status, answer = await _v1_post(session, hub, secret, REKEY_PATH, {"public_key": _public_hex(
            new_private_key())})
        assert (status, answer["error"]) == (401, "node has no HMAC key to rekey with")
        audit = await conn.fetch("SELECT target, detail::jsonb ->> 'publicKey' AS key FROM audit_log"
                                 " WHERE action = 'NODE_REKEYED'")
        assert [(a["target"], a["key"]) for a in audit] == [("node 64", _public_hex(pending))], "once"
