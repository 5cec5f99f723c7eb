"""Server spans: they continue the caller's trace, are named by route template, and keep no path values."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from simpul.asgi.tracing import Tracing, start_tracing, traced

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def _track(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _fail(request: Request) -> Response:
    return PlainTextResponse("no", status_code=503)


async def _crash(request: Request) -> Response:
    raise ValueError("input_value='Siti Aminah 081277004411'")  # as a pydantic error quotes what it was given


APP = Starlette(routes=[Route("/track/{number}", _track), Route("/fail", _fail), Route("/crash", _crash),
                        Mount("/v2", routes=[Route("/requests/{id}.json", _track)])])


def _traced_app() -> tuple[Any, InMemorySpanExporter]:
    """APP traced by a tracer of its own, and the exporter that keeps the spans it finished."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return traced(APP, Tracing(provider.get_tracer("test"), provider)), exporter


async def _get(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1), "http_version": "1.1", "asgi": {"version": "3.0"}}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def test_a_request_is_a_server_span_in_the_callers_trace_named_by_its_route() -> None:
    app, exporter = _traced_app()
    assert await _get(app, "/track/65-000015", [(b"traceparent", CALLER.encode())]) == 200
    [span] = exporter.get_finished_spans()
    assert span.name == "GET /track/{number}"
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert span.parent is not None and format(span.parent.span_id, "016x") == "b7ad6b7169203331"
    assert dict(span.attributes or {}) == {"http.request.method": "GET", "http.route": "/track/{number}",
                                           "http.response.status_code": 200}
    assert "65-000015" not in str(span.to_json()), "a tracking number in the path is not exported"


async def test_a_server_error_marks_the_span_and_an_unknown_path_is_unmatched() -> None:
    app, exporter = _traced_app()
    assert await _get(app, "/fail", []) == 503
    assert await _get(app, "/secret/path", []) == 404
    failed, unknown = exporter.get_finished_spans()
    assert failed.status.is_ok is False and failed.parent is None
    assert unknown.name == "GET unmatched" and unknown.status.is_ok


async def test_an_exception_is_kept_by_its_type_never_its_text() -> None:
    app, exporter = _traced_app()
    try:
        await _get(app, "/crash", [])
    except ValueError:
        pass
    [span] = exporter.get_finished_spans()
    assert span.status.is_ok is False and span.attributes is not None
    assert span.attributes["error.type"] == "ValueError" and span.attributes["http.response.status_code"] == 500
    assert "081277004411" not in str(span.to_json()), "the exception's text is not exported"


async def test_a_route_in_a_mount_is_named_with_the_mounts_path_and_a_miss_in_it_by_the_mount() -> None:
    app, exporter = _traced_app()
    assert await _get(app, "/v2/requests/42.json", []) == 200
    assert await _get(app, "/v2/secret", []) == 404
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /v2/requests/{id}.json", "GET /v2/*"]


def test_tracing_off_leaves_the_app_as_it_is(monkeypatch: Any) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert start_tracing("simpul-test", None) is None
    assert traced(APP, None) is APP
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert start_tracing("simpul-test", "http://127.0.0.1:9") is None
