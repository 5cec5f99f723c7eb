"""A node's nonces outlive its process: read back at start, two files taking turns by the skew window."""

from __future__ import annotations

import time
from pathlib import Path

from connectors.nonces import FILES, KeptNonces


async def test_a_nonce_taken_before_a_restart_is_refused_after_it(tmp_path: Path) -> None:
    now = int(time.time())
    before = KeptNonces(tmp_path, max_skew=300)
    assert await before.remember("64", "a" * 32, now + 120)
    assert not await before.remember("64", "a" * 32, now + 120)
    with (tmp_path / FILES[0]).open("a") as kept:
        kept.write("64 cut-short-by-a-cra")  # the process died mid-line

    after = KeptNonces(tmp_path, max_skew=300)
    assert not await after.remember("64", "a" * 32, now + 120)
    assert await after.remember("64", "b" * 32, now)
    assert await after.remember("65", "a" * 32, now), "a nonce is another node's to use"


async def test_the_files_take_turns_each_window_and_stale_nonces_are_not_read_back(tmp_path: Path) -> None:
    now = int(time.time())
    nonces = KeptNonces(tmp_path, max_skew=0.025)
    assert await nonces.remember("64", "old" * 8, now - 3600)  # long past any window: kept but never read back
    time.sleep(0.06)  # a file's turn (twice the skew) passes
    assert await nonces.remember("64", "new" * 8, now + 10)
    assert [(tmp_path / name).read_text().split(" ")[1] for name in FILES] == ["old" * 8, "new" * 8]

    restarted = KeptNonces(tmp_path, max_skew=0.025)
    assert not await restarted.remember("64", "new" * 8, now + 10)
    assert await restarted.remember("64", "old" * 8, now - 3600), "stale: the timestamp check refuses it instead"
    assert (tmp_path / FILES[1]).read_text().count("\n") == 2, "the newest file is written on"
