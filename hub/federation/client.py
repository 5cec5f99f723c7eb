"""Signed GraphQL calls from the hub to one node, with every failure named."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from hub.registry import NodeRecord
from simpul.signing import sign
from simpul.wire import InvalidInput, check_node_code

GRAPHQL_PATH = "/graphql"
MAX_RESPONSE = 20_000_000
MAX_BELOW = 100  # failures below one node that are passed on

T = TypeVar("T", bound=BaseModel)


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


@dataclass(frozen=True)
class BelowFailure:
    """A node below the node asked (a child hub's node) that did not answer, as that hub reported it."""

    node: str
    code: str
    message: str
    via: str  # the hubs it was reached through, '/'-separated, nearest first


class NodeClient:
    """Calls nodes over the process's one pooled aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def query(
        self, node: NodeRecord, document: str, variables: dict[str, Any], shape: type[T]
    ) -> T:
        """Run `document` on `node`; return its `data` validated as `shape`."""
        data, _ = await self.query_partial(node, document, variables, shape)
        return data

    async def query_partial(
        self, node: NodeRecord, document: str, variables: dict[str, Any], shape: type[T]
    ) -> tuple[T, list[BelowFailure]]:
        """As `query`, plus the failures of nodes below `node` that it answered without."""
        body = json.dumps({"query": document, "variables": variables}).encode()
        headers = sign(node.signing_key, node.code, "POST", GRAPHQL_PATH, body)
        headers["content-type"] = "application/json"
        try:
            async with self.session.post(node.endpoint + GRAPHQL_PATH, data=body,
                                         headers=headers) as response:
                raw = await response.content.read(MAX_RESPONSE + 1)
                status = response.status
        except TimeoutError as exc:
            raise NodeCallError(NodeCallError.TIMEOUT, f"node {node.code} timed out") from exc
        except aiohttp.ClientError as exc:
            raise NodeCallError(NodeCallError.UNAVAILABLE,
                                f"node {node.code} unreachable: {exc.__class__.__name__}") from exc
        if status == 401:
            raise NodeCallError(NodeCallError.REFUSED, f"node {node.code} refused our signature")
        if len(raw) > MAX_RESPONSE:
            raise NodeCallError(NodeCallError.BAD_RESPONSE, f"node {node.code} answer too large")
        return _data(node.code, status, raw, shape)


def _below(code: str, errors: Any) -> list[BelowFailure]:
    """Errors naming a node in `extensions.node`: that node, below `code`, failed; anything else is ignored."""
    found: list[BelowFailure] = []
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
        found.append(BelowFailure(node=node, code=str(kind or NodeCallError.ERROR)[:40],
                                  message=str(error.get("message", ""))[:300], via=path))
    return found


class _Answer(BaseModel, Generic[T]):
    """A node's whole answer, parsed and validated in one pass by pydantic (no dicts in between)."""

    data: T | None = None
    errors: Any = None


@functools.cache
def _answer_shape(shape: type[T]) -> type[_Answer[T]]:
    return _Answer[shape]  # type: ignore[valid-type]


def _data(code: str, status: int, raw: bytes, shape: type[T]) -> tuple[T, list[BelowFailure]]:
    """The data of a good answer, read at once; any other answer is read step by step to say what is wrong."""
    try:
        good = _answer_shape(shape).model_validate_json(raw)
    except ValidationError:
        good = None
    if good is not None and good.data is not None:
        return good.data, _below(code, good.errors)
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
        raise NodeCallError(NodeCallError.ERROR, f"node {code} failed: {message}")
    try:
        return shape.model_validate(answer["data"]), _below(code, errors)
    except ValidationError as exc:
        raise NodeCallError(
            NodeCallError.BAD_RESPONSE,
            f"node {code} answered in the wrong shape ({exc.error_count()} problems)",
        ) from None
