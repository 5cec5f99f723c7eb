"""The nonces a node has accepted from the hub, kept across restarts in its state folder.

A signed request is good for the skew window (minutes) after its timestamp, so a node that forgot its nonces on
restart would take a captured request a second time. Each accepted nonce is appended to a file before the
request runs (opened per line, so nothing stays open; no fsync: the kernel keeps the write if the process dies,
and requests signed before a reboot are refused by `not_before` as well). Two files take turns, each written for
twice the skew window: a nonce is good until its timestamp plus the skew, and its timestamp may lie up to the skew
ahead, so a file is overwritten only once everything in it is stale, and nothing has to be rewritten.
"""

from __future__ import annotations

import time
from pathlib import Path

from simpul.signing import MemoryNonceStore

FILES = ("nonces.a", "nonces.b")


class KeptNonces:
    """A node's NonceStore: remembered in memory, written through to `state_dir`, read back at start."""

    def __init__(self, state_dir: Path, max_skew: float) -> None:
        self._memory = MemoryNonceStore(max_skew)
        self._paths = [state_dir / name for name in FILES]
        self._window = 2 * max_skew  # seconds each file is written for
        horizon = time.time() - 2 * max_skew
        for node, nonce, timestamp in _read(self._paths):
            if timestamp > horizon:
                self._memory.seen(node, nonce, timestamp)
        newest = max(self._paths, key=lambda p: p.stat().st_mtime if p.exists() else 0.0)
        self._turn = self._paths.index(newest)
        self._opened = time.monotonic()

    async def remember(self, node: str, nonce: str, timestamp: int) -> bool:
        if not await self._memory.remember(node, nonce, timestamp):
            return False
        mode = "a"
        if time.monotonic() - self._opened > self._window:  # the other file's nonces are now all stale
            self._turn, self._opened, mode = 1 - self._turn, time.monotonic(), "w"
        path = self._paths[self._turn]
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open(mode, encoding="ascii") as kept:
            kept.write(f"{node} {nonce} {timestamp}\n")
        return True


def _read(paths: list[Path]) -> list[tuple[str, str, int]]:
    """The (node, nonce, timestamp) lines of both files; a line cut short by a crash is skipped."""
    kept = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(encoding="ascii", errors="replace").splitlines():
            parts = line.split(" ")
            if len(parts) == 3 and parts[2].isdigit():
                kept.append((parts[0], parts[1], int(parts[2])))
    return kept
