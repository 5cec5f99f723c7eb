"""Count and time every HTTP request by route template, method and status."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.metrics.families import HubMetrics
from simpul.asgi.http import HttpMiddleware, ResponseStatus
from simpul.asgi.tracing import route_of


class CountRequests(HttpMiddleware):
    """ASGI middleware feeding simpul_http_requests_total and simpul_http_request_duration_seconds."""

    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        sent = ResponseStatus(send)
        try:
            await self.app(scope, receive, sent)
        finally:
            self.metrics.http_request(route_of(scope), scope["method"], sent.status, time.perf_counter() - started)
