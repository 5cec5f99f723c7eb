"""Calls to a child hub's GraphQL API with an admin key; every failure becomes a ConnectorError.

A child hub answers a federated read with the data that arrived plus one
error per node of its own that failed (`extensions.node`); those are
passed up with `report_node_failure`, so the parent hub's answer names
the grandchild that failed.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from connectors.base import ConnectorError, report_node_failure
from simpul.asgi.bodylimit import read_capped
from simpul.asgi.budget import SLACK, budget_header, remaining
from simpul.report import NodeFailure

T = TypeVar("T", bound=BaseModel)

MAX_RESPONSE = 20_000_000


class ChildHubClient:
    """One child hub, over one aiohttp session opened by `open` and closed by `close`."""

    def __init__(self, url: str, admin_key: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=3))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise ConnectorError("the child hub connector is not started")
        return self._session

    async def healthz(self) -> None:
        """The child hub's liveness endpoint answers ok, or ConnectorError."""
        status, raw = await self._request("GET", "/healthz", None)
        if status != 200:
            raise ConnectorError(f"child hub at {self.url} answered /healthz with HTTP {status}")
        try:
            ok = json.loads(raw).get("ok")
        except (ValueError, AttributeError):
            ok = None
        if ok is not True:
            raise ConnectorError(f"child hub at {self.url} says it is not ok")

    async def query(self, document: str, variables: dict[str, Any], shape: type[T]) -> T:
        """Run `document`; its data as `shape`. Failures of the child's nodes are reported, not raised."""
        body = json.dumps({"query": document, "variables": variables})
        status, raw = await self._request("POST", "/graphql", body)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ConnectorError(f"child hub at {self.url} answered HTTP {status} with non-JSON") from None
        if not isinstance(answer, dict):
            raise ConnectorError(f"child hub at {self.url} answered HTTP {status} with a non-object")
        errors = answer.get("errors") or []
        if not isinstance(errors, list):
            raise ConnectorError(f"child hub at {self.url} answered malformed errors")
        below, other = _split(errors)
        if answer.get("data") is None or other:
            message = str(other[0].get("message")) if other else f"HTTP {status}, no data"
            raise ConnectorError(f"child hub at {self.url} failed: {message[:300]}")
        try:
            data = shape.model_validate(answer["data"])
        except ValidationError as exc:
            raise ConnectorError(
                f"child hub at {self.url} answered in the wrong shape ({exc.error_count()} problems)") from None
        for failure in below:
            report_node_failure(failure)
        return data

    async def _request(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        """One call, within `timeout` and the parent's budget: the child hub is told what it has left, so it
        cuts its own slow units off and answers in time."""
        headers = {"authorization": f"Bearer {self.admin_key}", "content-type": "application/json"}
        budget_header(headers, slack=SLACK)
        left = remaining()
        timeout = self.timeout if left is None else min(self.timeout, left)
        try:
            async with self.session.request(method, self.url + path, data=body, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=3)) as response:
                raw = await read_capped(response.content, MAX_RESPONSE + 1)
                status = response.status
        except TimeoutError:
            raise ConnectorError(f"child hub at {self.url} did not answer within {timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise ConnectorError(f"child hub at {self.url} unreachable: {exc.__class__.__name__}") from None
        if len(raw) > MAX_RESPONSE:
            raise ConnectorError(f"child hub at {self.url} answered too much")
        return status, raw


def _split(errors: list[Any]) -> tuple[list[NodeFailure], list[dict[str, Any]]]:
    """Errors naming a node of the child (its per-node failures), and every other error."""
    below: list[NodeFailure] = []
    other: list[dict[str, Any]] = []
    for error in errors:
        if not isinstance(error, dict):
            other.append({"message": "malformed error"})
            continue
        extensions = error.get("extensions")
        node = extensions.get("node") if isinstance(extensions, dict) else None
        if not isinstance(node, str) or not node:
            other.append(error)
            continue
        assert isinstance(extensions, dict)
        via = extensions.get("via")
        below.append(NodeFailure(node=node, code=str(extensions.get("code") or "NODE_ERROR"),
                                 message=str(error.get("message", ""))[:300],
                                 via=via if isinstance(via, str) and via else None))
    return below, other
