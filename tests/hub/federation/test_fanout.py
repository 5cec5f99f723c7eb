"""Fan-out: every node at once, a timeout each, one deadline for all."""

from __future__ import annotations

import asyncio
import time

from hub.federation.client import NodeCallError
from hub.federation.fanout import fan_out
from hub.nodes.registry import NodeRecord
from tests.hub.federation.nodes import node_record


async def test_slow_and_failing_nodes_do_not_hold_back_the_others() -> None:
    delays = {"fast": 0.0, "slow": 5.0, "broken": 0.0}
    started = []

    async def call(node: NodeRecord) -> str:
        started.append(node.code)
        if node.code == "broken":
            raise NodeCallError(NodeCallError.BAD_RESPONSE, "garbage")
        await asyncio.sleep(delays[node.code])
        return node.code.upper()

    begin = time.monotonic()
    outcomes = await fan_out([node_record(c) for c in delays], call, timeout=0.3, deadline=1.0)
    elapsed = time.monotonic() - begin

    assert sorted(started) == sorted(delays), "all nodes are called concurrently"
    assert elapsed < 0.9
    by_code = {o.node.code: o for o in outcomes}
    assert by_code["fast"].value == "FAST" and by_code["fast"].error is None
    assert by_code["slow"].error is not None and by_code["slow"].error.code == NodeCallError.TIMEOUT
    assert by_code["broken"].error is not None and by_code["broken"].error.code == NodeCallError.BAD_RESPONSE


async def test_the_overall_deadline_cancels_calls_still_running() -> None:
    cancelled = []

    async def call(node: NodeRecord) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(node.code)
            raise
        return "never"

    begin = time.monotonic()
    outcomes = await fan_out([node_record("a"), node_record("b")], call, timeout=5.0, deadline=0.2)
    assert time.monotonic() - begin < 1.0
    assert sorted(cancelled) == ["a", "b"]
    assert all(o.error is not None and "deadline" in str(o.error) for o in outcomes)


async def test_no_nodes_in_scope_means_no_calls() -> None:
    async def call(node: NodeRecord) -> str:
        raise AssertionError("called")

    assert await fan_out([], call, timeout=1, deadline=1) == []
