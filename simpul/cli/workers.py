"""`simpul hub --workers N`: N hub processes on one port, as uvicorn's workers.

Each worker binds host:port itself with SO_REUSEPORT, so the kernel spreads
new connections over the workers' own accept queues. Each also runs the
hub's background workers: they are made for replicas on one database
(deliveries and feeds are claimed with SKIP LOCKED, events come by NOTIFY).
Rate limits are counted per process, so N workers admit up to N times a limit.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event

from hub.settings import HubSettings
from simpul.cli.args import CommandError
from simpul.cli.process import configure_logging, serve_forever, terminate

STARTUP_TIMEOUT = 60.0
STOP_GRACE = 10.0
NO_REUSE_PORT = "--workers needs SO_REUSEPORT, which this system lacks; run one worker per port instead"
WORKER_DIED = "hub worker {pid} exited with status {code}"
WORKER_SILENT = "hub workers did not listen within {seconds:g} s"


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port that other processes of this user may bind too."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise CommandError(NO_REUSE_PORT)
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def run_workers(settings: HubSettings, database_url: str, workers: int, log_level: str,
                log_format: str = "text") -> None:
    """Start `workers` hub processes on one port; announce the hub once all listen; stop them all when
    this process is stopped or one of them ends (then exit non-zero). Their metrics are kept in files
    that any of them serves at /metrics (hub/metrics/exposition.py)."""
    from hub.app import announce
    from hub.db.migrate import migrate_hub
    from hub.metrics.exposition import multiprocess_metrics

    spawn = multiprocessing.get_context("spawn")
    # Held, never listening, until the end: it learns the port for --port 0 and keeps it ours meanwhile.
    with reuse_port_socket(settings.host, settings.port) as held, multiprocess_metrics():
        settings = replace(settings, port=held.getsockname()[1])
        asyncio.run(migrate_hub(database_url))  # once here, not N times racing for the lock
        ready = [spawn.Event() for _ in range(workers)]
        processes = [spawn.Process(target=_worker, args=(settings, database_url, log_level, log_format, event),
                                   name=f"simpul hub worker {n + 1}") for n, event in enumerate(ready)]
        try:
            for process in processes:
                process.start()
            _wait_listening(processes, ready)
            announce(f"http://{settings.host}:{settings.port}")
            ended = wait([process.sentinel for process in processes])
            dead = next(process for process in processes if process.sentinel in ended)
            dead.join()
            raise CommandError(WORKER_DIED.format(pid=dead.pid, code=dead.exitcode))
        finally:
            _stop(processes)


def _wait_listening(processes: Sequence[BaseProcess], ready: list[Event]) -> None:
    sentinels = [process.sentinel for process in processes]
    end = time.monotonic() + STARTUP_TIMEOUT
    while not all(event.is_set() for event in ready):
        ended = wait(sentinels, timeout=0.05)
        if ended:
            dead = next(process for process in processes if process.sentinel in ended)
            dead.join()
            raise CommandError(WORKER_DIED.format(pid=dead.pid, code=dead.exitcode))
        if time.monotonic() > end:
            raise CommandError(WORKER_SILENT.format(seconds=STARTUP_TIMEOUT))


def _stop(processes: Sequence[BaseProcess]) -> None:
    """SIGTERM every worker still running, then SIGKILL whichever outlives the grace period."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        if process.pid is None:
            continue
        process.join(STOP_GRACE)
        if process.is_alive():
            process.kill()
            process.join()


def _worker(settings: HubSettings, database_url: str, log_level: str, log_format: str, ready: Event) -> None:
    """One hub process: the same logging and signals as `simpul hub`, serving on the shared port."""
    from hub.app import serve

    configure_logging(log_level, log_format)
    signal.signal(signal.SIGTERM, terminate)
    try:
        serve_forever(serve(settings, database_url, reuse_port_socket(settings.host, settings.port),
                          lambda url: ready.set()))
    except KeyboardInterrupt:
        sys.exit(130)
