"""A trace collector for tests that speaks OTLP/HTTP as a real one does: protobuf on POST /v1/traces."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class Span:
    """One received span, with what its resource said about the process that made it."""

    service: str
    instance: str | None
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, object]


@dataclass
class Collector:
    url: str
    spans: list[Span] = field(default_factory=list)

    def trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.spans if s.trace_id == trace_id]


def _value(any_value: object) -> object:
    kind = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(any_value, kind) if kind else None


def _decode(request: ExportTraceServiceRequest) -> list[Span]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(Span(
                    service=str(resource.get("service.name")), instance=resource.get("service.instance.id"),
                    name=span.name, kind=span.kind, trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex(), attributes={a.key: _value(a.value) for a in span.attributes},
                ))
    return spans


@contextmanager
def running_collector() -> Iterator[Collector]:
    """Serve on a free 127.0.0.1 port, in a thread of its own: processes that flush their spans while they stop
    must be answered even while the test waits for them synchronously."""
    collector = Collector(url="")
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def traces(request: web.Request) -> web.Response:
        if request.content_type != PROTOBUF:
            return web.Response(status=415)
        body = await request.read()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        collector.spans.extend(_decode(message))
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(), content_type=PROTOBUF)

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/v1/traces", traces)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        collector.url = f"http://127.0.0.1:{port}"
        return runner

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = loop.run_until_complete(start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="otlp collector", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield collector
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
