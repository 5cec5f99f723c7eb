"""`simpul hub --workers 2`: two hub processes on one port, started, used and stopped as one hub."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import psutil

from tests.federation import Hub, graphql, start_hub


def connections(process: psutil.Process, port: int, status: str) -> int:
    return sum(1 for c in process.net_connections("tcp") if c.status == status and c.laddr and c.laddr.port == port)


def workers_of(hub: Hub) -> list[psutil.Process]:
    """The hub's child processes listening on its port."""
    port = int(hub.url.rsplit(":", 1)[1])
    children = psutil.Process(hub.process.popen.pid).children()
    return [child for child in children if connections(child, port, psutil.CONN_LISTEN)]


async def test_two_workers_listen_on_one_port_and_both_answer(database: str, tmp_path: Path) -> None:
    hub = start_hub(database, tmp_path, "--workers", "2")
    port = int(hub.url.rsplit(":", 1)[1])
    clients = [aiohttp.ClientSession() for _ in range(16)]
    try:
        workers = workers_of(hub)
        assert len(workers) == 2
        answers = await asyncio.gather(*(graphql(client, hub.graphql_url, "{ nodes { code } }") for client in clients))
        assert answers == [{"data": {"nodes": []}}] * 16
        # Each client keeps its connection open: the kernel handed some to each worker.
        served = [connections(worker, port, psutil.CONN_ESTABLISHED) for worker in workers]
        assert sum(served) == 16 and all(served), served
        for client in clients:
            await client.close()
        hub.process.stop()  # SIGTERM to the hub: every worker goes with it
        assert hub.process.popen.returncode == 128 + signal.SIGTERM
        _, alive = psutil.wait_procs(workers, timeout=5)
        assert not alive
    finally:
        for client in clients:
            await client.close()
        hub.process.stop()


def test_a_worker_that_dies_stops_the_hub_with_an_error(database: str, tmp_path: Path) -> None:
    hub = start_hub(database, tmp_path, "--workers", "2")
    try:
        first, second = workers_of(hub)
        first.send_signal(signal.SIGKILL)
        assert hub.process.wait_exit(15) == 1
        assert f"hub worker {first.pid} exited with status -9" in hub.process.output
        second.wait(5)
    finally:
        hub.process.stop()
