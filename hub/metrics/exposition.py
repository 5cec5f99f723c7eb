"""GET /metrics in Prometheus' text format, optionally behind a bearer token, for one process or all workers.

With `simpul hub --workers N` every worker records into files in a folder
named by PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode):
whichever worker a scrape reaches answers for all of them.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.metrics.database import DatabaseGauges
from hub.metrics.families import HubMetrics

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNAUTHORIZED = "/metrics needs the metrics token: Authorization: Bearer <token>"
LOOPBACK_ONLY = "/metrics answers the loopback only (--metrics-loopback-only); set --metrics-token to scrape it"


@contextmanager
def multiprocess_metrics() -> Iterator[None]:
    """Put the hub workers started inside in prometheus-client's multiprocess mode: a fresh folder for their
    files, removed at the end. A PROMETHEUS_MULTIPROC_DIR already set is the operator's and left as it is."""
    if os.environ.get(MULTIPROC_DIR):
        yield
        return
    folder = tempfile.mkdtemp(prefix="simpul-metrics-")
    os.environ[MULTIPROC_DIR] = folder  # read by each worker's prometheus-client as it is imported
    try:
        yield
    finally:
        del os.environ[MULTIPROC_DIR]
        shutil.rmtree(folder, ignore_errors=True)


def _loopback(request: Request) -> bool:
    """Whether the caller (as uvicorn names it: the peer, or the client a trusted proxy forwards) is local."""
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _collect(metrics: HubMetrics) -> bytes:
    folder = os.environ.get(MULTIPROC_DIR)
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(metrics.registry)


class MetricsEndpoint:
    """The /metrics route: refreshes the database gauges, then renders every metric off the event loop."""

    def __init__(self, metrics: HubMetrics, gauges: DatabaseGauges, token: str | None,
                 loopback_only: bool = False) -> None:
        self.metrics = metrics
        self.gauges = gauges
        self.token = token
        self.loopback_only = loopback_only

    async def respond(self, request: Request) -> Response:
        if self.token is not None and not self._authorized(request.headers.get("authorization", "")):
            return JSONResponse({"error": UNAUTHORIZED}, status_code=401, headers={"www-authenticate": "Bearer"})
        if self.token is None and self.loopback_only and not _loopback(request):
            return JSONResponse({"error": LOOPBACK_ONLY}, status_code=403)
        await self.gauges.refresh()
        body = await asyncio.to_thread(_collect, self.metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def _authorized(self, authorization: str) -> bool:
        assert self.token is not None
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())
