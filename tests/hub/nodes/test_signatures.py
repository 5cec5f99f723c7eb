"""The hub's key pair: one file outside the database, made once (0600), refused when others can read it; calls to
nodes signed with it, or the old way for a node that has not rekeyed."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.nodes.registry import NodeRecord
from hub.nodes.signatures import HubKey, HubKeyError
from simpul.signing import TO_NODE, MemoryNonceStore, SignedRequest, new_private_key, public_key_bytes, verify
from simpul.signing_v1 import hmac_key, verify_v1
from simpul.wire import NodeLevel
from tests.federation import run_cli

BODY = b'{"query": "{ node { code } }"}'
NODE = NodeRecord(code="64", name="Desk Kaltim", level=NodeLevel.PROVINSI, region_code="64",
                  parent_code=None, categories=(), endpoint="http://127.0.0.1:9", kind="desk", status="ACTIVE",
                  signing_key=None, enrolled_at=datetime.now(UTC), last_heartbeat=None, healthy=None,
                  public_key=public_key_bytes(new_private_key()))


def test_the_key_file_is_made_once_owner_only_and_read_again(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "hub.key"
    made = HubKey.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert HubKey.load_or_create(path) == made and len(made.public_key) == 32
    assert os.listdir(path.parent) == ["hub.key"], "no temporary file left behind"


def test_replicas_starting_at_once_end_with_one_key(tmp_path: Path) -> None:
    path, keys = tmp_path / "hub.key", []
    threads = [threading.Thread(target=lambda: keys.append(HubKey.load_or_create(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


@pytest.mark.parametrize(("content", "mode", "error"), [
    ("not a key\n", 0o600, "hub key file {path}: a private key is 64 hex digits"),
    ("ab" * 31, 0o600, "hub key file {path}: a private key is 64 hex digits"),
    ("ab" * 32, 0o644, "hub key file {path} is readable by other users; chmod 600 (or 640) it"),
])
def test_a_key_file_that_is_no_key_or_readable_by_all_is_refused(tmp_path: Path, content: str, mode: int,
                                                                 error: str) -> None:
    path = tmp_path / "hub.key"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(HubKeyError) as refused:
        HubKey.load_or_create(path)
    assert str(refused.value) == error.format(path=path)


def test_the_hub_command_says_in_one_line_what_is_wrong_with_its_key_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.key"
    path.write_text("rahasia")
    path.chmod(0o600)
    result = run_cli("hub", "--hub-key-file", str(path), "--data-dir", str(tmp_path), timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == f"simpul: error: hub key file {path}: a private key is 64 hex digits"


async def test_calls_are_signed_with_the_hub_key_or_the_old_way_for_a_node_not_rekeyed(tmp_path: Path) -> None:
    hub = HubKey.load_or_create(tmp_path / "hub.key")
    headers = SignedRequest.from_headers(hub.sign_to(NODE, "POST", "/graphql", BODY))
    await verify(hub.public_key, headers, TO_NODE, "POST", "/graphql", BODY, MemoryNonceStore())

    v1 = replace(NODE, public_key=None, signing_key=hmac_key("node-secret"))
    headers = SignedRequest.from_headers(hub.sign_to(v1, "POST", "/graphql", BODY))
    await verify_v1(hmac_key("node-secret"), headers, "POST", "/graphql", BODY, MemoryNonceStore())
