"""A reporter's reply at a desk: the unit's answer (tanggapan) is required, a reply reopens the report, and the
hub's takeReply records each reply once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.federation import Desk, Hub, node_graphql, start_desk, start_hub, submit

REPORT = "query One($id: ID!) { report(id: $id) { status timeline { status actor note } } }"
TAKE_REPLY = """
mutation Reply($id: ID!, $key: String!, $text: String!) { takeReply(id: $id, idempotencyKey: $key, text: $text) }
"""


@pytest.fixture
def desk(database: str, tmp_path: Path) -> Iterator[Desk]:
    hub: Hub = start_hub(database, tmp_path)
    try:
        desk = start_desk(hub, tmp_path, "63.dinkes", "63", "UNIT", name="Dinas Kesehatan Kalsel")
        try:
            yield desk
        finally:
            desk.process.stop()
    finally:
        hub.process.stop()


async def set_status(session: aiohttp.ClientSession, desk: Desk, report_id: str, status: str,
                     note: str | None = None) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{desk.url}/reports/{report_id.split(':')[1]}/status",
                            json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        return response.status, await response.json()


async def reply(session: aiohttp.ClientSession, desk: Desk, number: str, text: str) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{desk.url}/track/{number}/reply", data={"text": text}) as response:
        return response.status, await response.json()


async def answered(session: aiohttp.ClientSession, desk: Desk) -> dict[str, Any]:
    created = await submit(session, desk, category="kesehatan")
    for status in ("VERIFIED", "IN_PROCESS"):
        assert (await set_status(session, desk, created["id"], status))[0] == 200
    assert (await set_status(session, desk, created["id"], "COMPLETED", "Antrean dibuka 06.00."))[0] == 200
    return created


async def test_an_answer_needs_its_text(desk: Desk, session: aiohttp.ClientSession) -> None:
    created = await submit(session, desk, category="kesehatan")
    for status in ("VERIFIED", "IN_PROCESS"):
        await set_status(session, desk, created["id"], status)

    assert await set_status(session, desk, created["id"], "COMPLETED", "  ") == (
        400, {"error": "moving a report to COMPLETED needs a note (the reason or the answer)"})


async def test_a_reply_on_the_track_page_reopens_the_report(desk: Desk, session: aiohttp.ClientSession) -> None:
    waiting = await submit(session, desk, category="kesehatan")
    assert await reply(session, desk, waiting["trackingNumber"], "Kapan?") == (400, {"error": (
        "this report has no answer (tanggapan) to reply to: it is RECEIVED; a reply is possible once the unit has "
        "posted its answer")})
    created = await answered(session, desk)
    number = created["trackingNumber"]
    assert await reply(session, desk, "63.dinkes-ZZZZ-ZZZZ-ZZZZ", "Halo") == (
        404, {"error": "no report with that tracking number at this desk"})
    for bad in ("   ", "x" * 5001):
        assert await reply(session, desk, number, bad) == (400, {"error": "a reply must be 1 to 5000 characters"})

    status, tracked = await reply(session, desk, number, "Antrean masih panjang.")

    assert status == 200 and tracked["status"] == "IN_PROCESS"
    found = (await node_graphql(session, desk, REPORT, {"id": created["id"]}))["data"]["report"]
    assert found["timeline"][-1] == {"status": "IN_PROCESS", "actor": "pelapor", "note": "Antrean masih panjang."}
    # The reporter's reply is not published on the track page: only the unit's answer is.
    assert tracked["answer"] == "Antrean dibuka 06.00."


async def test_the_hubs_reply_is_recorded_once_per_key(desk: Desk, session: aiohttp.ClientSession) -> None:
    created = await answered(session, desk)
    variables = {"id": created["id"], "key": "LPR-X:reply:7", "text": "Belum ada perubahan."}

    for _ in range(2):
        assert await node_graphql(session, desk, TAKE_REPLY, variables) == {"data": {"takeReply": True}}

    found = (await node_graphql(session, desk, REPORT, {"id": created["id"]}))["data"]["report"]
    assert found["status"] == "IN_PROCESS"
    assert [e["actor"] for e in found["timeline"]].count("pelapor") == 1
    empty = await node_graphql(session, desk, TAKE_REPLY, {**variables, "key": "LPR-X:reply:8", "text": " "})
    assert [e["message"] for e in empty["errors"]] == ["a reply must be 1 to 5000 characters"]
