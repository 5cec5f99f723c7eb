"""GraphQL over HTTP (graphql.github.io/graphql-over-http) on strawberry's ASGI view, for the hub and the nodes.

strawberry answers every GraphQL result as `application/json` with 200. This view
adds what the specification asks beyond that: the `Accept` header chooses between
`application/json` (the legacy type: every GraphQL response is a 200) and
`application/graphql-response+json` (a request error, which has no `data`, gets a
4xx), 406 when neither is acceptable, 415 for a body that is not UTF-8 JSON, 405
with `Allow` for a mutation sent with GET, and `documentId` read as a request
parameter (the persisted documents appendix). Requests strawberry would fail with
a 500 (a body that is not UTF-8, nests too deep, or is JSON but not an object) get
a 400; every refusal before GraphQL is JSON in the usual `errors` shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

NOT_A_REQUEST = "a GraphQL request is a JSON object (a list is a batch)"
NOT_ACCEPTABLE = f"the answer is {GRAPHQL_RESPONSE_JSON} or {JSON}; the Accept header allows neither"
UNSUPPORTED_MEDIA_TYPE = f"send the request as Content-Type: {JSON} (UTF-8)"
MUTATION_OVER_GET = "mutations are sent with POST; GET runs queries only"
DOCUMENT_ID_NOT_A_STRING = "documentId must be a string"

# The status of a request error (a response without `data`) answered as application/graphql-response+json,
# by the first error's extensions.code; any other request error is a 400.
REQUEST_ERROR_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "RATE_LIMITED": 429,
                        "PERSISTED_QUERY_NOT_FOUND": 404, "UNAVAILABLE": 503}
_REFUSAL_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE",
                  415: "UNSUPPORTED_MEDIA_TYPE"}


class Refused(HTTPException):
    """An HTTP refusal before GraphQL, with the headers it needs (Allow for a 405)."""

    def __init__(self, status_code: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status_code, reason)
        self.headers = dict(headers or {})


@dataclass
class RequestData(GraphQLRequestData):
    """A GraphQL-over-HTTP request, or a persisted document request (`documentId` instead of `query`)."""

    document_id: str | None = None


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in: application/json when Accept is absent or only wildcards match,
    application/graphql-response+json when it is named at least as high, None when neither is acceptable."""
    if not accept or not accept.strip():
        return JSON
    best = {GRAPHQL_RESPONSE_JSON: (-1, 0.0), JSON: (-1, 0.0)}  # (specificity, quality) of the closest range
    for part in accept.split(","):
        media_range, _, parameters = part.partition(";")
        media_range = media_range.strip().lower()
        quality = _quality(parameters)
        for media_type, (specificity, _) in best.items():
            closeness = _closeness(media_range, media_type)
            if closeness > specificity:
                best[media_type] = (closeness, quality)
    (named, graphql_quality), (_, json_quality) = best[GRAPHQL_RESPONSE_JSON], best[JSON]
    if graphql_quality > json_quality or (graphql_quality == json_quality > 0 and named == 2):
        return GRAPHQL_RESPONSE_JSON
    return JSON if json_quality > 0 else None


def _closeness(media_range: str, media_type: str) -> int:
    if media_range == media_type:
        return 2
    if media_range == "application/*":
        return 1
    return 0 if media_range == "*/*" else -1


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def is_request_error(result: ExecutionResult) -> bool:
    """Whether GraphQL refused the request before execution (parse, validation, variables, admission):
    no data, and no error belongs to a field."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


def request_error_status(errors: object) -> int:
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = first.get("extensions", {}).get("code") if isinstance(first, dict) else None
    return REQUEST_ERROR_STATUS.get(code, 400) if isinstance(code, str) else 400


def refusal(exc: HTTPException, allow: str) -> Response:
    """An HTTP refusal as JSON in the GraphQL `errors` shape (never as application/graphql-response+json,
    which promises a GraphQL response)."""
    headers = dict(exc.headers) if isinstance(exc, Refused) else {}
    if exc.status_code == 405:
        headers.setdefault("allow", allow)
    code = _REFUSAL_CODES.get(exc.status_code, "BAD_REQUEST")
    return JSONResponse({"errors": [{"message": exc.reason, "extensions": {"code": code}}]},
                        status_code=exc.status_code, headers=headers)


class StrictJsonGraphQL(GraphQL[Any, None]):
    """strawberry's ASGI GraphQL app, speaking GraphQL over HTTP as the specification asks (module docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            request.state.media_type = media_type = response_media_type(request.headers.get("accept"))
            if media_type is None and request.method in ("GET", "POST") \
                    and not self.should_render_graphql_ide(StarletteRequestAdapter(request)):
                raise Refused(406, NOT_ACCEPTABLE)
            response = await self.run(request)
        except HTTPException as exc:
            response = refusal(exc, "GET, POST" if self.allow_queries_via_get else "POST")
        await response(scope, receive, send)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """GraphiQL for a browser's plain GET; a GET naming a persisted document runs it."""
        params = request.query_params
        return super().should_render_graphql_ide(request) and not params.get("documentId") \
            and not params.get("extensions")

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """GET parameters; an empty one is as if left out, as the specification says."""
        return super().parse_query_params({name: value for name, value in params.items() if value})

    def decode_json(self, data: str | bytes) -> object:
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, RecursionError):
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, NOT_A_REQUEST)
        return parsed

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            media_type, parameters = parse_content_type(request.content_type or "")
            if media_type.lower() != JSON or parameters.get("charset", "utf-8").lower() != "utf-8":
                raise Refused(415, UNSUPPORTED_MEDIA_TYPE)
        data = await super().parse_http_body(request)
        if not isinstance(data, GraphQLRequestData) or data.query:
            return data
        raw = request.query_params if request.method == "GET" else self.parse_json(await request.get_body())
        document_id = raw.get("documentId") or None
        if document_id is not None and not isinstance(document_id, str):
            raise HTTPException(400, DOCUMENT_ID_NOT_A_STRING)
        return RequestData(query=None, variables=data.variables, operation_name=data.operation_name,
                           extensions=data.extensions, protocol=data.protocol, document_id=document_id)

    async def execute_single(  # noqa: PLR0917
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter, sub_response: Response,
        context: Any, root_value: None, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                request_data)
        except HTTPException as exc:
            cause = exc.__cause__
            if request_adapter.method == "GET" and isinstance(cause, InvalidOperationTypeError) \
                    and cause.operation_type is OperationType.MUTATION:
                raise Refused(405, MUTATION_OVER_GET, {"allow": "POST"}) from exc
            raise

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = getattr(request.state, "media_type", None) or JSON
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if getattr(request.state, "media_type", JSON) == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            processed.pop("data", None)  # a request error has no data entry
        return processed

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        media_type = sub_response.media_type or JSON
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        if media_type == GRAPHQL_RESPONSE_JSON and isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = request_error_status(response_data.get("errors"))
            if response.status_code == 401:
                response.headers["www-authenticate"] = "Bearer"
        retry_after = _retry_after(response_data)
        if retry_after is not None:
            response.headers["retry-after"] = str(retry_after)
        return response


def _retry_after(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> int | None:
    """The wait an UNAVAILABLE error asks for (a database outage), for the Retry-After header."""
    errors = response_data.get("errors") if isinstance(response_data, dict) else None
    for error in errors or ():
        extensions = error.get("extensions") or {} if isinstance(error, dict) else {}
        if extensions.get("code") == "UNAVAILABLE" and isinstance(extensions.get("retryAfter"), int):
            return int(extensions["retryAfter"])
    return None


def graphql_error(message: str, code: str) -> ExecutionResult:
    """A request error of our own, answered like GraphQL's own (no data, one error with a code)."""
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])
