"""Connectors under test: started in-process, or as a `simpul node` process that enrolls with a real hub; and the
contract suite's harness for the desk and the kinds built on its store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol, TypeVar

import aiohttp

from connectors.base import Channel, Reporter, ReportStatus
from connectors.desk import DeskConnector, NewReport
from connectors.testing import SeedReport
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


class DeskHarness:
    """Seeds a desk's store (the desk's own, or a kind's built on it) as its officers enter and follow up reports:
    through `channel`, from `reporter`, entered by `actor`."""

    accepts_forwarded = True
    STEPS = (ReportStatus.VERIFIED, ReportStatus.IN_PROCESS, ReportStatus.COMPLETED)

    def __init__(self, desk: DeskConnector, channel: Channel, reporter: Reporter, actor: str) -> None:
        self.connector = self.desk = desk
        self.channel, self.reporter, self.actor = channel, reporter, actor

    async def add_report(self, report: SeedReport) -> str:
        created = await self.desk.create_report(NewReport(
            kind=report.kind, title=report.title, body=report.body, category=report.category,
            region_code=report.region_code, channel=self.channel, reporter=self.reporter,
            received_at=report.received_at), self.actor)
        return created.local_id

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        for step in self.STEPS[: self.STEPS.index(status) + 1]:
            await self.desk.change_status(local_id, step, "desk", note)


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
