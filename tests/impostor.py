"""A node that answers whatever a test wants: enrolled like any other, but not one of ours.

The impostor stands in for a broken or hostile system behind a node address;
it speaks HTTP and GraphQL-shaped JSON, and records what the hub asked it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simpul.signing import new_private_key, public_key_bytes
from tests.federation import Hub, create_token


@dataclass
class Impostor:
    """A node endpoint that is enrolled like any other but answers whatever `mode` says."""

    url: str
    mode: str = "wrong-shape"  # or "not-json", "forged", "refuse-contact" (acceptReport fails quoting the contact)
    calls: list[str] = field(default_factory=list)
    # mode "scripted": a well-formed node whose answers a test writes.
    feed: list[dict[str, Any]] = field(default_factory=list)  # its change feed, cursors "1", "2", ...
    stats: list[dict[str, Any]] = field(default_factory=list)  # the buckets it counts
    accept_id: str = ""  # the id it says it took a forwarded report as

    def add_change(self, report_id: str, tracking_number: str, title: str) -> None:
        """One more change in the feed: a new report `report_id` numbered `tracking_number`."""
        report = {**_forged_report(report_id, title), "trackingNumber": tracking_number}
        self.feed.append({"cursor": str(len(self.feed) + 1), "reportId": report_id, "trackingNumber": tracking_number,
                          "at": report["updatedAt"], "status": "RECEIVED", "actor": "public", "note": None,
                          "report": report})


def _forged_report(report_id: str, title: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"id": report_id, "localId": report_id.partition(":")[2], "trackingNumber": f"PALSU-{title}",
            "kind": "PENGADUAN", "title": title, "body": "Bukan laporan sungguhan.", "category": "lain",
            "regionCode": "63", "channel": "WEB", "status": "RECEIVED",
            "reporter": {"anonymous": True, "confidential": False}, "receivedAt": now, "updatedAt": now,
            "location": None, "timeline": []}


def _impostor_answer(mode: str, query: str) -> web.Response:
    if mode == "not-json":
        return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    if mode == "wrong-shape":
        return web.json_response({"data": {"reports": {"reports": [{"id": 5}]}}})
    # "forged": well-formed answers, but speaking for other nodes.
    if "ListReports" in query:
        reports = [_forged_report("63:7", "milik sendiri"), _forged_report("65:1", "palsu 65"),
                   _forged_report("64:999", "palsu 64")]
        return web.json_response({"data": {"reports": {"reports": reports, "hasMore": False}}})
    if "GetReport" in query:
        return web.json_response({"data": {"report": _forged_report("65:1", "palsu 65")}})
    return web.json_response({"data": {"stats": []}})


def _scripted_answer(state: Impostor, query: str, variables: dict[str, Any]) -> web.Response:
    if "changes(" in query:
        after = int(variables.get("after") or 0)
        return web.json_response({"data": {"changes": {"changes": state.feed[after:], "hasMore": False,
                                                       "behind": after > len(state.feed)}}})
    if "CountReports" in query:
        return web.json_response({"data": {"stats": state.stats}})
    if "acceptReport" in query:
        tracking = variables["report"]["trackingNumber"]
        return web.json_response({"data": {"acceptReport": {"id": state.accept_id, "trackingNumber": tracking,
                                                            "created": True}}})
    return web.json_response({"data": {"reports": {"reports": [], "hasMore": False}}})


@pytest.fixture
async def impostor() -> AsyncIterator[Impostor]:
    """An aiohttp server on a free 127.0.0.1 port, inside the test process."""
    state = Impostor(url="")

    async def answer(request: web.Request) -> web.Response:
        asked = await request.json()
        query = str(asked.get("query", ""))
        state.calls.append(query)
        if state.mode == "scripted":
            return _scripted_answer(state, query, asked.get("variables") or {})
        if state.mode == "refuse-contact" and "acceptReport" in query:  # an agency quoting the reporter back
            contact = asked["variables"]["report"]["reporter"]["contact"]
            return web.json_response({"data": None, "errors": [{"message": f"kontak '{contact}' tidak valid"}]})
        return _impostor_answer(state.mode, query)

    app = web.Application()
    app.router.add_post("/graphql", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert runner.addresses
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


async def enrol_endpoint(session: aiohttp.ClientSession, hub: Hub, endpoint: str, code: str, region: str) -> None:
    """Enrol an endpoint over the hub's public POST /enrol, as any node would."""
    request = {"token": create_token(hub.database_url, region), "code": code, "name": f"Node {code}",
               "level": "PROVINSI", "region_code": region, "parent_code": None, "categories": [],
               "kind": "custom", "endpoint": endpoint, "public_key": public_key_bytes(new_private_key()).hex()}
    async with session.post(hub.url + "/enrol", data=json.dumps(request),
                            headers={"content-type": "application/json"}) as response:
        assert response.status == 200, await response.text()
