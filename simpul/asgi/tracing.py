"""OpenTelemetry traces across the hub and its nodes, off (and free) unless an OTLP endpoint is configured.

Tracing starts when `--otlp-endpoint` or the standard OTEL_EXPORTER_OTLP_ENDPOINT /
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_SDK_DISABLED is not true): spans go
in batches to that collector over OTLP/HTTP. Off, no middleware is installed and no span
is made. The caller's W3C `traceparent` is read on the way in and written on calls out,
so one trace follows a request from the hub into every node it asks. `traceparent` is not
part of the signed request (simpul/signing.py): whoever alters it on the way only moves
the node's span into another trace, and the node reads nothing else from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.datastructures import Headers
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from simpul.asgi.http import HttpMiddleware, ResponseStatus

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
TRACES_PATH = "/v1/traces"
PROPAGATOR = TraceContextTextMapPropagator()
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Tracing:
    """A process's tracer and the provider that batches its spans to the collector."""

    tracer: trace.Tracer
    provider: TracerProvider

    def shutdown(self) -> None:
        """Send the spans still queued and stop; blocks up to the exporter's timeout."""
        self.provider.shutdown()


def start_tracing(service: str, endpoint: str | None, attributes: Mapping[str, str] | None = None) -> Tracing | None:
    """Tracing to `endpoint` (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT) or the collector the environment names;
    None when neither is set. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override `service` and `attributes`."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if not endpoint and not any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service, **(attributes or {})}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + TRACES_PATH if endpoint else None)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider.get_tracer("simpul"), provider)


def route_of(scope: Scope) -> str:
    """The matched route's template (`/graphql`, `/reports/{id}/status`, `/open311/v2/requests.json` in a Mount),
    never the raw path with its values."""
    route = scope.get("route")
    root: str = scope.get("root_path", "")
    if isinstance(route, Mount):  # the mount matched, none of its routes did; root_path ends with the mount's path
        return root + "/*"
    path = getattr(route, "path", None)
    return root + path if isinstance(path, str) else UNMATCHED


class TraceRequests(HttpMiddleware):
    """ASGI middleware: a SERVER span for each HTTP request, continuing the caller's trace when it sent one."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        super().__init__(app)
        self.tracer = tracer

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        parent = PROPAGATOR.extract(Headers(scope=scope))
        method = scope["method"]
        sent = ResponseStatus(send)
        # An exception's text may hold what the request carried (a pydantic error quotes its input), so the span
        # keeps its type only, not the exception event and status description the SDK would record.
        with self.tracer.start_as_current_span(method, context=parent, kind=trace.SpanKind.SERVER,
                                               attributes={"http.request.method": method},
                                               record_exception=False, set_status_on_exception=False) as span:
            try:
                await self.app(scope, receive, sent)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                raise
            finally:
                route = route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", sent.status)
                if sent.status >= 500:
                    span.set_status(trace.StatusCode.ERROR)


def traced(app: ASGIApp, tracing: Tracing | None) -> ASGIApp:
    """`app` with a server span per request when tracing is on; `app` itself when it is off."""
    return app if tracing is None else TraceRequests(app, tracing.tracer)
