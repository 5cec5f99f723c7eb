"""Ask many nodes at once, each with its own timeout, all within one deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub.federation.client import NodeCallError
from hub.nodes.registry import NodeRecord
from simpul.asgi.budget import SLACK, remaining, spend_at_most

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One node's answer, or why there is none."""

    node: NodeRecord
    value: T | None = None
    error: NodeCallError | None = None


async def fan_out(
    nodes: Sequence[NodeRecord],
    call: Callable[[NodeRecord], Awaitable[T]],
    timeout: float,
    deadline: float,
) -> list[Outcome[T]]:
    """Call every node concurrently; a slow or failing node never fails the others.

    A node gets at most `timeout` seconds; calls still running when `deadline`
    seconds have passed are cancelled and reported as timed out. When this hub's
    caller named a budget (a parent hub, simpul/asgi/budget.py), both end in time
    for the answer to reach it; each node is told what it has.
    """
    if (left := remaining()) is not None:
        deadline = min(deadline, max(left - SLACK, 0.001))
        timeout = min(timeout, deadline)

    async def one(node: NodeRecord) -> Outcome[T]:
        spend_at_most(min(timeout, deadline))  # this task's own context: what the node is told it has
        try:
            async with asyncio.timeout(timeout):
                return Outcome(node, value=await call(node))
        except TimeoutError:
            return Outcome(node, error=NodeCallError(
                NodeCallError.TIMEOUT, f"node {node.code} did not answer within {timeout:g} s"))
        except NodeCallError as exc:
            return Outcome(node, error=exc)

    if not nodes:
        return []
    tasks = [asyncio.create_task(one(node)) for node in nodes]
    await asyncio.wait(tasks, timeout=deadline)
    outcomes = []
    for node, task in zip(nodes, tasks, strict=True):
        if task.done():
            outcomes.append(task.result())
        else:
            task.cancel()
            outcomes.append(Outcome(node, error=NodeCallError(
                NodeCallError.TIMEOUT, f"node {node.code} cut off by the {deadline:g} s deadline")))
    await asyncio.gather(*tasks, return_exceptions=True)
    return outcomes
