"""A circuit breaker per node: a node that keeps failing to answer is skipped at once, and probed in the
background until it answers again.

Without it a hung node makes every live query that includes it wait the full node timeout, and the feed puller
and deliveries queue behind it too. After `TRIP_AFTER` calls in a row that found it unreachable or timed out,
calls to the node fail at once with the same code (NODE_UNAVAILABLE, NODE_TIMEOUT) and a message saying it
was skipped; a probe calls it, at growing intervals, until it answers, and the next call goes through. Each
hub process keeps its own breakers: a node is skipped by a process that saw it fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hub.nodes.registry import NodeRecord

log = logging.getLogger("simpul.hub")

TRIP_AFTER = 3  # calls in a row that found the node unreachable or timed out
FIRST_PROBE = 0.5  # seconds before the first probe; doubled after each that fails
LAST_PROBE = 5.0  # the longest wait between probes (the feed round's interval: no more calls than before)


@dataclass(frozen=True)
class Skipped:
    """A call the breaker does not make: the node's last `failures` calls failed, the last with `code`."""

    code: str
    failures: int


@dataclass
class _Node:
    failures: int = 0
    open_with: str | None = None  # the failure code the breaker opened on
    probe: asyncio.Task[None] | None = None


class Breakers:
    """The breakers of one hub process, one per node endpoint (a node that moves starts afresh)."""

    def __init__(self, probe: Callable[[NodeRecord], Awaitable[None]], trip_after: int = TRIP_AFTER,
                 first_probe: float = FIRST_PROBE, last_probe: float = LAST_PROBE) -> None:
        self._probe = probe
        self._trip_after = trip_after
        self._first_probe = first_probe
        self._last_probe = last_probe
        self._nodes: dict[tuple[str, str], _Node] = {}

    def skipped(self, node: NodeRecord) -> Skipped | None:
        """Why calls to `node` are skipped for now, or None: call it."""
        state = self._nodes.get((node.code, node.endpoint))
        if state is None or state.open_with is None:
            return None
        return Skipped(state.open_with, state.failures)

    def succeeded(self, node: NodeRecord) -> None:
        state = self._nodes.pop((node.code, node.endpoint), None)
        if state is not None and state.open_with is not None:
            log.info("node %s answers again: calls to it resume", node.code)
            if state.probe is not None and state.probe is not asyncio.current_task():
                state.probe.cancel()

    def heard(self, code: str) -> bool:
        """Node `code` called the hub (a heartbeat): it is up again, so calls to it resume now rather than at the
        next probe; if it still does not answer them, they open its breaker again. Whether one was open."""
        opened = [node for node in self._nodes if node[0] == code and self._nodes[node].open_with is not None]
        for key in opened:
            state = self._nodes.pop(key)
            if state.probe is not None:
                state.probe.cancel()
            log.info("node %s heard from: calls to it resume", code)
        return bool(opened)

    def failed(self, node: NodeRecord, code: str) -> None:
        """Count a call that found the node unreachable or timed out; open the breaker at the limit."""
        state = self._nodes.setdefault((node.code, node.endpoint), _Node())
        state.failures += 1
        if state.open_with is not None or state.failures < self._trip_after:
            return  # counted; or open already (calls that were under way when it opened)
        state.open_with = code
        log.warning("node %s failed %d calls in a row (%s): skipped until a probe finds it answering",
                    node.code, state.failures, code)
        state.probe = asyncio.get_running_loop().create_task(self._until_it_answers(node, state))

    async def _until_it_answers(self, node: NodeRecord, state: _Node) -> None:
        wait = self._first_probe
        while True:
            await asyncio.sleep(wait)
            try:
                await self._probe(node)
            except Exception:  # noqa: BLE001 - any failure of the probe means: not yet
                wait = min(wait * 2, self._last_probe)
                continue
            if self._nodes.get((node.code, node.endpoint)) is state:
                self.succeeded(node)
            return

    async def close(self) -> None:
        """Stop every probe (the process is stopping)."""
        probes = [s.probe for s in self._nodes.values() if s.probe is not None]
        for probe in probes:
            probe.cancel()
        for probe in probes:
            with contextlib.suppress(asyncio.CancelledError):
                await probe
