"""Memory: the hub's resident set with 10, 100 and 1,000 enrolled farm nodes, idle and under load.

Idle is measured once the hub has pulled every node's feed at least once;
under load, clients send federated `reports` and `stats` queries over every
node concurrently for a few seconds while RSS is sampled, and the peak is
kept. Target: at most 250 MB at 1,000 nodes.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp

from bench.common import Hub, database, deadline, hub, rss_mb, table
from bench.fanout import REPORTS, STATS, hub_call
from bench.farm import farm, farm_tokens

SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
SETTLE = 7.0  # seconds: more than the hub's 5 s feed round, so every node has been pulled
LOAD_SECONDS = 8.0
QUICK_LOAD_SECONDS = 3.0
CLIENTS = 4
TARGET_MB = 250.0


async def under_load(running: Hub, nodes: int, seconds: float) -> tuple[float, int]:
    """Peak RSS while CLIENTS clients query all nodes for `seconds`; and how many queries completed."""
    peak, done = rss_mb(running.pid), 0
    end = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        calls = itertools.cycle([hub_call(session, running, REPORTS, nodes), hub_call(session, running, STATS, nodes)])

        async def client() -> None:
            nonlocal done
            while time.monotonic() < end:
                await next(calls)()
                done += 1

        async def sample() -> None:
            nonlocal peak
            while time.monotonic() < end:
                peak = max(peak, rss_mb(running.pid))
                await asyncio.sleep(0.2)

        async with deadline(seconds + 60, f"memory under load with {nodes} nodes"):
            await asyncio.gather(sample(), *(client() for _ in range(CLIENTS)))
    return max(peak, rss_mb(running.pid)), done


def step(nodes: int, quick: bool) -> tuple[float, float, int]:
    """Idle and loaded RSS of a fresh hub with `nodes` farm nodes."""
    with database(f"memory{nodes}") as db, hub(db) as running:
        tokens = asyncio.run(farm_tokens(db, nodes))
        with farm(running.url, tokens, "--latency-ms", "20", "--ports", str(nodes)):
            time.sleep(SETTLE)
            idle = rss_mb(running.pid)
            print(f"memory: {nodes} nodes: hub idle {idle:.0f} MB", flush=True)
            loaded, done = asyncio.run(under_load(running, nodes, QUICK_LOAD_SECONDS if quick else LOAD_SECONDS))
            print(f"memory: {nodes} nodes: hub peak under load {loaded:.0f} MB ({done} queries)", flush=True)
            return idle, loaded, done


def run(quick: bool = False) -> list[str]:
    measured = {nodes: step(nodes, quick) for nodes in (QUICK_SIZES if quick else SIZES)}
    base_idle, base_loaded, _ = measured[min(measured)]
    rows = [[str(nodes), f"{idle:.0f}", f"{idle / base_idle:.2f}", f"{loaded:.0f}", f"{loaded / base_loaded:.2f}",
             str(done), "yes" if loaded <= TARGET_MB else "no"] for nodes, (idle, loaded, done) in measured.items()]
    header = ["nodes", "hub RSS idle MB", f"idle / {min(measured)} nodes", "hub RSS peak under load MB",
              f"peak / {min(measured)} nodes",
              "queries under load", f"<= {TARGET_MB:.0f} MB"]
    return [table(f"Hub memory ({CLIENTS} clients querying every node)", header, rows)]


if __name__ == "__main__":
    print("\n".join(run()))
