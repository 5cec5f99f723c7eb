"""Signed GraphQL calls from the hub to one node, with every failure named."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import aiohttp
from opentelemetry import trace
from pydantic import BaseModel, ValidationError

from hub.federation.breaker import Breakers
from hub.nodes.registry import NodeRecord
from hub.nodes.signatures import HubKey
from simpul.asgi.bodylimit import read_capped
from simpul.asgi.budget import budget_header
from simpul.asgi.tracing import PROPAGATOR
from simpul.endpoints import PublicOnlyResolver, UrlPolicy, node_endpoints
from simpul.errors import InvalidInput
from simpul.report import NodeFailure
from simpul.wire import check_node_code

GRAPHQL_PATH = "/graphql"
MAX_RESPONSE = 20_000_000
MAX_BELOW = 100  # failures below one node that are passed on

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
Reader = Callable[[str, int, bytes], tuple[R, list[NodeFailure]]]
"""Makes a node's answer (node code, HTTP status, body) into data and the failures below it; raises
NodeCallError for an answer that is not good."""

log = logging.getLogger("simpul.hub")

if TYPE_CHECKING:
    from hub.metrics.families import HubMetrics


class NodeCallError(Exception):
    """A node did not give a usable answer; `code` goes to `extensions.code`."""

    UNAVAILABLE = "NODE_UNAVAILABLE"
    TIMEOUT = "NODE_TIMEOUT"
    BAD_RESPONSE = "NODE_BAD_RESPONSE"
    REFUSED = "NODE_REFUSED"
    ERROR = "NODE_ERROR"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NodeSkipped(NodeCallError):
    """The call was not made: the node's breaker is open in this process (hub/federation/breaker.py)."""


def node_session(node_timeout: float, ca_file: Path | None = None) -> aiohttp.ClientSession:
    """The session the hub calls nodes with: certificates verified against the system's CAs and `ca_file` (a
    government-internal CA bundle), names resolved only to addresses a node may have, no global connection cap.
    Make it inside the running event loop."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=16, ssl=context, resolver=PublicOnlyResolver())
    return aiohttp.ClientSession(connector=connector,
                                 timeout=aiohttp.ClientTimeout(total=node_timeout, sock_connect=2))


def failure_text(code: str) -> str:
    """What other callers are told of a node's failure: its class, never the node's own words."""
    return _FAILURE_TEXT.get(code, "failed")


_FAILURE_TEXT = {
    NodeCallError.UNAVAILABLE: "is unreachable", NodeCallError.TIMEOUT: "timed out",
    NodeCallError.BAD_RESPONSE: "gave a bad response", NodeCallError.REFUSED: "refused the hub's signature",
    NodeCallError.ERROR: "answered with an error",
}


class NodeClient:
    """Calls nodes over the process's one pooled aiohttp session; each call is counted in `metrics` and, with a
    `tracer`, made a CLIENT span whose traceparent goes to the node.

    Identical reads in flight to one node are one call whose answer every caller shares (the hub signs them, so
    the node's answer does not depend on who asked); a node that keeps failing to answer is skipped at once
    until a probe finds it answering (hub/federation/breaker.py)."""

    def __init__(self, session: aiohttp.ClientSession, hub_key: HubKey, metrics: HubMetrics | None = None,
                 tracer: trace.Tracer | None = None, endpoints: UrlPolicy | None = None) -> None:
        self.session = session
        self.hub_key = hub_key
        self.metrics = metrics
        self.tracer = tracer
        self.endpoints = endpoints or node_endpoints(allow_insecure=False)
        self.breakers = Breakers(self._probe)
        self._in_flight: dict[tuple[str, str, bytes, Reader[Any]], asyncio.Future[Any]] = {}

    async def query(
        self, node: NodeRecord, document: str, variables: dict[str, Any], shape: type[T]
    ) -> T:
        """Run `document` on `node`; return its `data` validated as `shape`."""
        data, _ = await self.query_partial(node, document, variables, shape)
        return data

    async def query_partial(
        self, node: NodeRecord, document: str, variables: dict[str, Any], shape: type[T]
    ) -> tuple[T, list[NodeFailure]]:
        """As `query`, plus the failures of nodes below `node` that it answered without."""
        return await self.query_with(node, document, variables, reader(shape))

    async def query_with(
        self, node: NodeRecord, document: str, variables: dict[str, Any], read: Reader[R]
    ) -> tuple[R, list[NodeFailure]]:
        """Run `document` on `node`; its answer as `read` makes it of (node code, HTTP status, body)."""
        body = json.dumps({"query": document, "variables": variables}).encode()
        if not document.lstrip().startswith("query"):  # a write is never shared
            return await self._counted(node, document, body, read)
        key = (node.code, node.endpoint, body, read)
        shared = self._in_flight.get(key)
        if shared is None:
            shared = self._in_flight[key] = asyncio.ensure_future(self._counted(node, document, body, read))
            shared.add_done_callback(functools.partial(self._landed, key))
        answer: tuple[R, list[NodeFailure]] = await asyncio.shield(shared)  # one caller's timeout is its own
        return answer

    def _landed(self, key: tuple[str, str, bytes, Reader[Any]], call: asyncio.Future[Any]) -> None:
        self._in_flight.pop(key, None)
        if not call.cancelled():
            call.exception()  # retrieved, even when every caller had stopped waiting

    async def close(self) -> None:
        """Stop the breakers' probes (the process is stopping)."""
        await self.breakers.close()

    async def _counted(self, node: NodeRecord, document: str, body: bytes, read: Reader[R]
                       ) -> tuple[R, list[NodeFailure]]:
        """One signed call, counted, traced and told to the node's breaker."""
        operation = operation_name(document)
        if (skipped := self.breakers.skipped(node)) is not None:
            if self.metrics is not None:
                self.metrics.node_call_skipped(node.code, operation)
            raise NodeSkipped(skipped.code, f"node {node.code} is skipped: it {failure_text(skipped.code)} "
                                              f"{skipped.failures} times in a row; the hub probes it until it answers")
        headers = self.hub_key.sign_to(node, "POST", GRAPHQL_PATH, body)
        headers["content-type"] = "application/json"
        budget_header(headers)  # not signed; see simpul/asgi/budget.py
        started = time.perf_counter()
        error: str | None = None
        try:
            if self.tracer is None:
                answer = read(node.code, *await self._call(node, body, headers))
            else:
                with self.tracer.start_as_current_span(
                        f"node {operation}", kind=trace.SpanKind.CLIENT,
                        attributes={"simpul.node": node.code, "rpc.method": operation}) as span:
                    PROPAGATOR.inject(headers)  # not signed; see simpul/asgi/tracing.py
                    try:
                        answer = read(node.code, *await self._call(node, body, headers))
                    except NodeCallError as exc:
                        span.set_attribute("error.type", exc.code)  # the span records the exception itself
                        raise
        except NodeCallError as exc:
            error = exc.code
            if exc.code in _NOT_ANSWERING:
                self.breakers.failed(node, exc.code)
            raise
        except asyncio.CancelledError:
            error = NodeCallError.TIMEOUT  # cut off by the node's timeout or the request's deadline
            raise
        finally:
            if self.metrics is not None:
                self.metrics.node_call(node.code, operation, time.perf_counter() - started, error)
        self.breakers.succeeded(node)
        return answer

    async def _probe(self, node: NodeRecord) -> None:
        """Whether a skipped node answers: a signed `{ __typename }`, uncounted; raises while it does not."""
        headers = self.hub_key.sign_to(node, "POST", GRAPHQL_PATH, _PROBE)
        headers["content-type"] = "application/json"
        reader(_Probed)(node.code, *await self._call(node, _PROBE, headers))

    async def _call(self, node: NodeRecord, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The node's HTTP status and body, or a NodeCallError for an answer that is not one."""
        try:
            self.endpoints.check(node.endpoint)  # one stored before the rules, or before the hub's flags changed
        except InvalidInput as exc:
            raise NodeCallError(NodeCallError.UNAVAILABLE, f"node {node.code} is not called: {exc}") from None
        try:
            async with self.session.post(node.endpoint + GRAPHQL_PATH, data=body, headers=headers,
                                         allow_redirects=False) as response:
                raw = await read_capped(response.content, MAX_RESPONSE + 1)
                status = response.status
        except TimeoutError as exc:
            raise NodeCallError(NodeCallError.TIMEOUT, f"node {node.code} timed out") from exc
        except aiohttp.ClientError as exc:
            log.info("node %s unreachable: %s", node.code, exc)
            raise NodeCallError(NodeCallError.UNAVAILABLE,
                                f"node {node.code} unreachable: {exc.__class__.__name__}") from exc
        if 300 <= status < 400:  # never followed: the node's endpoint is the one address the hub calls for it
            raise NodeCallError(NodeCallError.BAD_RESPONSE, f"node {node.code} answered HTTP {status} (a redirect)")
        if status == 401:
            raise NodeCallError(NodeCallError.REFUSED, f"node {node.code} refused our signature")
        if len(raw) > MAX_RESPONSE:
            raise NodeCallError(NodeCallError.BAD_RESPONSE, f"node {node.code} answer too large")
        return status, raw


_NOT_ANSWERING = (NodeCallError.UNAVAILABLE, NodeCallError.TIMEOUT)  # what the breakers count
_PROBE = json.dumps({"query": "query Probe { __typename }", "variables": {}}).encode()


class _Probed(BaseModel):
    """Any data at all: the node answered."""


_OPERATION = re.compile(r"\s*(?:query|mutation)\s+(\w+)")


@functools.lru_cache(maxsize=64)
def operation_name(document: str) -> str:
    """The operation a node contract document names (`ListReports`): the documents are the hub's own, few."""
    match = _OPERATION.match(document)
    return match[1] if match else "anonymous"


def failures_below(code: str, errors: Any) -> list[NodeFailure]:
    """Errors naming a node in `extensions.node`: that node, below `code`, failed; anything else is ignored."""
    found: list[NodeFailure] = []
    for error in errors if isinstance(errors, list) else ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if not isinstance(extensions, dict) or len(found) == MAX_BELOW:
            continue
        node, kind, via = extensions.get("node"), extensions.get("code"), extensions.get("via")
        try:
            node = check_node_code(node if isinstance(node, str) else "")
        except InvalidInput:
            continue
        path = code if not isinstance(via, str) or not via else f"{code}/{via[:300]}"
        kind = kind if kind in _FAILURE_TEXT else NodeCallError.ERROR
        found.append(NodeFailure(node=node, code=kind, message=f"node {node} {failure_text(kind)}", via=path))
    return found


class _Answer(BaseModel, Generic[T]):
    """A node's whole answer, parsed and validated in one pass by pydantic (no dicts in between)."""

    data: T | None = None
    errors: Any = None


@functools.cache
def _answer_shape(shape: type[T]) -> type[_Answer[T]]:
    return _Answer[shape]  # type: ignore[valid-type]


@functools.cache
def reader(shape: type[T]) -> Reader[T]:
    """The reader of answers whose data is `shape` (one per shape, so identical reads in flight are shared)."""
    return functools.partial(read_data, shape=shape)


def read_data(code: str, status: int, raw: bytes, shape: type[T]) -> tuple[T, list[NodeFailure]]:
    """The data of a good answer, read at once; any other answer is read step by step to say what is wrong."""
    try:
        good = _answer_shape(shape).model_validate_json(raw)
    except ValidationError:
        good = None
    if good is not None and good.data is not None:
        return good.data, failures_below(code, good.errors)
    try:
        answer = json.loads(raw)
    except ValueError:
        raise NodeCallError(NodeCallError.BAD_RESPONSE,
                            f"node {code} answered HTTP {status} with non-JSON") from None
    if not isinstance(answer, dict):
        raise NodeCallError(NodeCallError.BAD_RESPONSE, f"node {code} answered a non-object")
    errors = answer.get("errors")
    if answer.get("data") is None:
        message = "no data"
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = str(errors[0].get("message", message))[:300]
        log.info("node %s answered HTTP %d with an error: %s", code, status, message)  # the log is redacted
        raise NodeCallError(NodeCallError.ERROR, f"node {code} answered HTTP {status} with an error")
    try:
        return shape.model_validate(answer["data"]), failures_below(code, errors)
    except ValidationError as exc:
        raise NodeCallError(
            NodeCallError.BAD_RESPONSE,
            f"node {code} answered in the wrong shape ({exc.error_count()} problems)",
        ) from None
