"""Connectors under test: started in-process, or as a `simpul node` process that enrolls with a real hub."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol, TypeVar

import aiohttp

from simpul.processes import ChildProcess
from tests.federation import Hub, eventually, graphql


class _Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


C = TypeVar("C", bound=_Startable)


@asynccontextmanager
async def started(connector: C) -> AsyncIterator[C]:
    """The connector, started for the block and stopped after it."""
    await connector.start()
    try:
        yield connector
    finally:
        await connector.stop()


@contextmanager
def node_process(code: str, args: list[str], env: dict[str, str]) -> Iterator[ChildProcess]:
    """`simpul <args>`: node `code`, serving when the block starts, stopped after it."""
    node = ChildProcess(args, env=env)
    try:
        node.wait_for(rf"node {re.escape(code)} serving on http://")
        yield node
    finally:
        node.stop()


async def indexed(session: aiohttp.ClientSession, hub: Hub, query: str, count: int) -> dict[str, Any]:
    """The hub's answer to `query` once its `reports` list holds `count` reports."""

    async def ready() -> dict[str, Any] | None:
        body = await graphql(session, hub.graphql_url, query)
        assert "errors" not in body, body
        return body if len(body["data"]["reports"]["reports"]) == count else None

    answer: dict[str, Any] = await eventually(ready)
    return answer
