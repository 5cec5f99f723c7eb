"""Portal: a province's figures kept live on many open pages, by the `stats` subscription.

One hub and Kaltim's desk. Each side opens as many subscriptions as a busy portal has open pages, waits until
every page shows the counts, then submits reports one at a time (each after the pages have counted the one before)
and measures the hub's CPU (user + system, psutil) and the time until the last page shows each new count. Each
report comes STATS_EVERY (2 s) after the last count, so no page holds it back to keep its pace.
"one scope": every page asks the same counts, as a portal's pages do, so a count begun after a change serves them
all. "a scope each": every page asks with its own `receivedTo` filter (the same reports), so nothing is shared:
what each change cost before counts were shared.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psutil

from bench.common import Hub, database, deadline, enrolment_tokens, hub, table
from bench.desks import desks
from hub.api.subscriptions import STATS_EVERY

PAGES, QUICK_PAGES = 300, 50
CHANGES, QUICK_CHANGES = 15, 5
FIGURES = ("subscription ($filter: ReportFilter) {"
           " stats(groupBy: [STATUS], scope: {regionPrefix: \"64\"}, filter: $filter) { total } }")
SUBMIT = "mutation ($r: SubmitReportInput!) { submitReport(report: $r) { trackingNumber } }"


@dataclass
class Page:
    """One open page: the last total it was sent, and when."""

    total: int = -1
    at: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)


async def _open(session: aiohttp.ClientSession, running: Hub, variables: dict[str, Any], page: Page,
                visitor: int) -> None:
    """Subscribe and keep `page` up to date until cancelled, as visitor number `visitor` (an address of its own,
    named in X-Forwarded-For, which the hub takes from 127.0.0.1: sockets are capped per key and address)."""
    address = f"10.0.{visitor // 250}.{visitor % 250 + 1}"
    async with session.ws_connect(running.graphql_url.replace("http", "ws", 1), protocols=("graphql-transport-ws",),
                                  headers={"x-forwarded-for": address}) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {running.key}"}})
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": FIGURES, "variables": variables}})
        async for message in ws:
            data = json.loads(message.data)
            if data["type"] == "ping":
                await ws.send_json({"type": "pong"})
            elif data["type"] == "next":
                page.total, page.at = data["payload"]["data"]["stats"]["total"], time.monotonic()
                page.changed.set()
            elif data["type"] in ("error", "complete"):
                raise RuntimeError(f"subscription ended: {data}")
        raise RuntimeError(f"the hub closed a page's socket: {ws.close_code}")


async def _all_show(pages: list[Page], readers: list[asyncio.Task[None]], total: int) -> float:
    """When the last page was sent `total` (monotonic)."""
    async with deadline(60, f"every page showing {total}"):
        while any(p.total < total for p in pages):
            await asyncio.sleep(0.01)
            for reader in readers:
                if reader.done():
                    reader.result()  # a page's subscription ended: say why
    return max(p.at for p in pages)


async def _side(running: Hub, pages_open: int, changes: int, shared: bool) -> tuple[float, list[float]]:
    """(hub CPU ms per change, seconds from each submission until the last page showed it)."""
    pages = [Page() for _ in range(pages_open)]

    def variables(i: int) -> dict[str, Any]:
        return {"filter": None} if shared else {"filter": {"receivedTo": f"2100-01-01T00:00:{i % 60:02d}.{i:06d}Z"}}

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:  # a socket per page
        readers = [asyncio.create_task(_open(session, running, variables(i), page, i)) for i, page in enumerate(pages)]
        try:
            await _all_show(pages, readers, 0)
            first = min(p.total for p in pages)
            process = psutil.Process(running.pid)
            before = process.cpu_times()
            waits = []
            for n in range(changes):
                await asyncio.sleep(STATS_EVERY)  # past the pace of one update per page: a change after a quiet spell
                report = {"kind": "PENGADUAN", "title": f"Jalan rusak {n}", "body": "Berlubang.",
                          "category": "infrastruktur", "regionCode": "64"}
                submitted = time.monotonic()
                await _post(session, running, SUBMIT, {"r": report})
                waits.append(await _all_show(pages, readers, first + n + 1) - submitted)
            after = process.cpu_times()  # the hub's CPU while idle between changes is in it too (small)
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    cpu = after.user + after.system - before.user - before.system
    return cpu / changes * 1000, waits


async def _post(session: aiohttp.ClientSession, running: Hub, query: str, variables: dict[str, Any]) -> None:
    async with session.post(running.graphql_url, json={"query": query, "variables": variables},
                            headers=running.headers) as response:
        body = await response.json()
    if "errors" in body:
        raise RuntimeError(f"the hub refused a submission: {body['errors']}")


def _measured(side: Callable[[], Coroutine[Any, Any, tuple[float, list[float]]]], name: str) -> list[str]:
    cpu, waits = asyncio.run(side())
    p95 = statistics.quantiles(waits, n=20)[-1]
    print(f"portal, {name}: hub CPU {cpu:.0f} ms a change; every page shows it within "
          f"{statistics.median(waits):.2f} s (p50), {p95:.2f} s (p95)", flush=True)
    return [name, f"{cpu:.0f}", f"{statistics.median(waits):.2f}", f"{p95:.2f}"]


def run(quick: bool = False) -> list[str]:
    pages, changes = (QUICK_PAGES, QUICK_CHANGES) if quick else (PAGES, CHANGES)
    with database("portal") as db, hub(db) as running:
        [token] = asyncio.run(enrolment_tokens(db, ["64"]))
        with desks(running, {"64": token}):
            rows = [_measured(lambda: _side(running, pages, changes, shared=True), "one scope (shared counts)"),
                    _measured(lambda: _side(running, pages, changes, shared=False), "a scope each (nothing shared)")]
    header = ["pages' subscriptions", "hub CPU, ms a change", "every page updated, p50 s", "p95 s"]
    return [table(f"Portal, {pages} open pages counting Kaltim live, {changes} reports submitted one at a time",
                  header, rows)]


if __name__ == "__main__":
    print("\n".join(run()))
