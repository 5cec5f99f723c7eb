"""Real desk nodes for scenarios that measure real work: `simpul node desk`, enrolled with a token.

The throughput and forwarding scenarios need a node that stores reports in
PostgreSQL and answers the contract as in production, not a simulated one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.common import BENCH_DIR, Hub
from simpul.processes import ChildProcess


@dataclass
class Desk:
    process: ChildProcess
    url: str
    code: str
    hub: Hub

    def signed(self, body: bytes) -> dict[str, str]:
        """Headers of a contract call as the hub makes it: signed with the hub's key for this node."""
        return self.hub.sign_to(self.code, body)


@contextlib.contextmanager
def desks(hub: Hub, tokens: dict[str, str]) -> Iterator[list[Desk]]:
    """One provincial desk per region code (its node code), enrolled with its token; all stopped on exit."""
    folder = BENCH_DIR / f"desks-{secrets.token_hex(3)}"  # fresh: a stored credential would skip enrolment
    processes: list[ChildProcess] = []
    started: list[Desk] = []
    try:
        for code, token in tokens.items():
            process = ChildProcess(["--log-level", "WARNING", "node", "desk", "--code", code, "--name", f"Bench {code}",
                                    "--level", "PROVINSI", "--region", code, "--hub-url", hub.url,
                                    "--database-url", hub.database_url, "--data-dir", str(folder),
                                    "--heartbeat", "5", "--port", "0", "--token", token])
            processes.append(process)
            url = process.wait_for(r"node \S+ serving on (http://\S+)")[1]
            started.append(Desk(process, url, code, hub))
        yield started
    finally:
        for process in processes:
            process.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def seed(session: aiohttp.ClientSession, desk: Desk, count: int, concurrency: int = 8) -> None:
    """`count` reports entered at the desk's public form endpoint, as citizens do."""
    numbers = iter(range(count))

    async def enter() -> None:
        for n in numbers:
            report: dict[str, Any] = {"kind": "PENGADUAN", "title": f"Jalan rusak {n}", "category": "infrastruktur",
                                      "body": f"Jalan berlubang nomor {n} di depan sekolah.", "regionCode": desk.code}
            async with session.post(desk.url + "/reports", data=json.dumps(report),
                                    headers={"content-type": "application/json"}) as response:
                if response.status != 201:
                    raise RuntimeError(f"desk {desk.code} refused a seed report: {await response.text()}")

    await asyncio.gather(*(enter() for _ in range(concurrency)))
