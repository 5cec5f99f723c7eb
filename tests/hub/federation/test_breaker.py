"""The breaker per node: open after calls in a row that found the node not answering, closed by a probe."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hub.federation.breaker import Breakers, Skipped
from tests.hub.federation.nodes import node_record


async def test_a_node_is_skipped_after_failures_in_a_row_until_a_probe_finds_it_answering() -> None:
    answering = asyncio.Event()
    probes: list[str] = []

    async def probe(node: object) -> None:
        probes.append("probe")
        if not answering.is_set():
            raise ConnectionRefusedError

    breakers = Breakers(probe, trip_after=3, first_probe=0.01, last_probe=0.04)
    node = node_record("64")
    breakers.failed(node, "NODE_TIMEOUT")
    breakers.succeeded(node)  # an answer between failures: the count starts again
    breakers.failed(node, "NODE_TIMEOUT")
    breakers.failed(node, "NODE_TIMEOUT")
    assert breakers.skipped(node) is None, "two in a row are not yet three"
    breakers.failed(node, "NODE_UNAVAILABLE")
    assert breakers.skipped(node) == Skipped("NODE_UNAVAILABLE", 3)
    assert breakers.skipped(replace(node, endpoint="http://127.0.0.1:10")) is None, "a node that moved is called"
    assert breakers.skipped(node_record("65")) is None, "other nodes are called"

    while len(probes) < 3:  # probes that fail keep it open
        await asyncio.sleep(0.01)
    assert breakers.skipped(node) is not None
    answering.set()
    while breakers.skipped(node) is not None:
        await asyncio.sleep(0.01)
    await breakers.close()


async def test_closing_stops_the_probes_of_nodes_that_never_answer() -> None:
    async def probe(node: object) -> None:
        raise ConnectionRefusedError

    breakers = Breakers(probe, trip_after=1, first_probe=0.01)
    breakers.failed(node_record("64"), "NODE_UNAVAILABLE")
    await breakers.close()
    assert all(task.done() for task in asyncio.all_tasks() if task is not asyncio.current_task())


async def test_a_node_heard_from_is_called_again_at_once() -> None:
    async def probe(node: object) -> None:
        raise ConnectionRefusedError

    breakers = Breakers(probe, trip_after=1, first_probe=60)
    breakers.failed(node_record("64"), "NODE_UNAVAILABLE")
    assert breakers.skipped(node_record("64")) is not None
    assert breakers.heard("65") is False, "another node's heartbeat changes nothing"
    assert breakers.heard("64") is True and breakers.skipped(node_record("64")) is None
    assert breakers.heard("64") is False
    await breakers.close()
