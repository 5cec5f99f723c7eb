"""Idle: the hub's CPU with 1,000 enrolled nodes and nothing happening, with and without the nodes' feed checks.

Each side gets a fresh database, hub (default settings: a feed round every
5 s, heartbeat grace 60 s) and farm of 1,000 nodes heartbeating every 15 s.
Once every node's feed has been read to its end and a heartbeat period has
passed, the hub's CPU time (user + system, psutil) is measured over a window
and given as a share of one core, with the node calls the hub made meanwhile
(its own /metrics). "without feed checks" is the farm's `--no-feed-check`:
heartbeats as nodes sent them before, so the rounds pull every node.
Target: < 5% of a core with feed checks.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import asyncpg
import psutil

from bench.common import database, deadline, hub, table
from bench.farm import farm, farm_tokens

NODES, QUICK_NODES = 1000, 100
WINDOW, QUICK_WINDOW = 60.0, 20.0  # seconds of idle measured
HEARTBEAT = 15.0
TARGET = 5.0  # percent of one core


async def _synced(db: str, nodes: int) -> None:
    """Return once every node's feed has been read to its end."""
    conn = await asyncpg.connect(db, server_settings={"search_path": "hub"})
    try:
        async with deadline(300, f"{nodes} feeds read"):
            while await conn.fetchval("SELECT count(*) FROM feed_watermarks WHERE synced_at IS NOT NULL") < nodes:
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _node_calls(url: str) -> float:
    """Calls the hub has made to nodes so far, by its own counter."""
    async with aiohttp.ClientSession() as session, session.get(url + "/metrics") as response:
        text = await response.text()
    return sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
               if line.startswith("simpul_node_call_duration_seconds_count{"))


def side(checks: bool, nodes: int, window: float) -> tuple[float, float]:
    """(hub CPU as % of one core, node calls per second) while idle."""
    name = "checks" if checks else "rounds"
    with database(f"idle{name}") as db, hub(db) as running:
        tokens = asyncio.run(farm_tokens(db, nodes))
        options = ["--latency-ms", "5", "--heartbeat", str(HEARTBEAT), "--ports", "4", "--reports", "10",
                   *([] if checks else ["--no-feed-check"])]
        with farm(running.url, tokens, *options):
            asyncio.run(_synced(db, nodes))
            time.sleep(HEARTBEAT + 5)  # every node has checked its feed at a heartbeat (or, without, nothing)
            process = psutil.Process(running.pid)
            calls, cpu, start = asyncio.run(_node_calls(running.url)), process.cpu_times(), time.monotonic()
            time.sleep(window)
            after, elapsed = process.cpu_times(), time.monotonic() - start
            made = asyncio.run(_node_calls(running.url)) - calls
    share = (after.user + after.system - cpu.user - cpu.system) / elapsed * 100
    print(f"idle: {nodes} nodes, {'with' if checks else 'without'} feed checks: hub CPU {share:.1f}% of a core, "
          f"{made / elapsed:.1f} node calls/s", flush=True)
    return share, made / elapsed


def run(quick: bool = False) -> list[str]:
    nodes, window = (QUICK_NODES, QUICK_WINDOW) if quick else (NODES, WINDOW)
    before, after = side(False, nodes, window), side(True, nodes, window)
    rows = [["without feed checks (rounds pull every node)", f"{before[0]:.1f}", f"{before[1]:.1f}", "—"],
            ["with feed checks at heartbeats", f"{after[0]:.1f}", f"{after[1]:.1f}",
             "yes" if after[0] < TARGET else "no"]]
    header = ["nodes' heartbeats", "hub CPU, % of one core", "node calls/s", f"< {TARGET:g}%"]
    return [table(f"Idle hub, {nodes} nodes heartbeating every {HEARTBEAT:g} s, {window:g} s measured", header,
                  rows)]


if __name__ == "__main__":
    print("\n".join(run()))
