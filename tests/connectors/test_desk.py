"""The desk connector: a complete small complaint desk, served over the node contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from simpul.tracking import is_federation_number
from tests.federation import Desk, Hub, as_hub, desk_credentials, graphql, node_graphql, start_desk, start_hub, submit

REPORT = """
query One($id: ID!) {
  report(id: $id) {
    id trackingNumber kind status channel regionCode
    reporter { anonymous confidential name contact }
    timeline { status actor note }
  }
}
"""

ACCEPT = """
mutation Accept($key: String!, $report: ForwardedReportInput!) {
  acceptReport(idempotencyKey: $key, report: $report) { id trackingNumber created }
}
"""


@pytest.fixture
def desk(database: str, tmp_path: Path) -> Iterator[tuple[Hub, Desk]]:
    hub = start_hub(database, tmp_path)
    try:
        desk = start_desk(hub, tmp_path, "63.dinkes", "63", "UNIT", name="Dinas Kesehatan Kalsel")
        try:
            yield hub, desk
        finally:
            desk.process.stop()
    finally:
        hub.process.stop()


async def _set_status(session: aiohttp.ClientSession, desk: Desk, report_id: str, status: str,
                      note: str | None = None) -> int:
    async with session.post(f"{desk.url}/reports/{report_id.split(':')[1]}/status",
                            json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        return response.status


async def test_each_kind_of_report_gets_a_tracking_number_and_a_timeline(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    numbers = set()
    for kind in ("PENGADUAN", "ASPIRASI", "INFORMASI"):
        requester = {"reporterName": "Siti", "reporterContact": "Jl. Ahmad Yani 1, Banjarmasin"}  # KIP: no anonymity
        created = await submit(session, dinkes, kind=kind, category="kesehatan",
                               **(requester if kind == "INFORMASI" else {}))
        numbers.add(created["trackingNumber"])
        body = await node_graphql(session, dinkes, REPORT, {"id": created["id"]})
        report = body["data"]["report"]
        assert report["kind"] == kind
        assert report["status"] == "RECEIVED"
        assert report["channel"] == "WEB"
        assert report["regionCode"] == "63", "a report without region takes the desk's region"
        assert [e["status"] for e in report["timeline"]] == ["RECEIVED"]
    assert len(numbers) == 3
    assert all(is_federation_number(n, "63.dinkes") for n in numbers), "the code, then 60 random bits"
    first_parts = {n.removeprefix("63.DINKES-")[:9] for n in numbers}  # consecutive reports, nothing in common
    assert len(first_parts) == 3, numbers


async def test_status_changes_follow_the_lifecycle_and_build_the_timeline(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    created = await submit(session, dinkes, category="kesehatan")
    for status, note in [("VERIFIED", None), ("IN_PROCESS", None), ("COMPLETED", "Antrean BPJS kini dibuka 06.00.")]:
        assert await _set_status(session, dinkes, created["id"], status, note) == 200

    async with session.get(f"{dinkes.url}/track/{created['trackingNumber']}") as response:
        tracked = await response.json()
    assert tracked["status"] == "COMPLETED"
    assert [e["status"] for e in tracked["timeline"]] == ["RECEIVED", "VERIFIED", "IN_PROCESS", "COMPLETED"]
    assert tracked["answer"] == "Antrean BPJS kini dibuka 06.00."

    body = await node_graphql(session, dinkes, "{ changes(first: 10) { changes { reportId status } hasMore } }")
    feed = body["data"]["changes"]
    assert [c["status"] for c in feed["changes"]] == ["RECEIVED", "VERIFIED", "IN_PROCESS", "COMPLETED"]
    assert {c["reportId"] for c in feed["changes"]} == {created["id"]}
    assert feed["hasMore"] is False


async def test_a_rahasia_reports_track_at_the_desk_tells_its_status_only_and_guessing_numbers_meets_a_429(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    secret = await submit(session, dinkes, confidential=True, category="kesehatan", reporterName="Budi",
                          reporterContact="081200000002")
    for status, note in [("VERIFIED", None), ("IN_PROCESS", None), ("COMPLETED", "Petugas loket sudah ditegur.")]:
        assert await _set_status(session, dinkes, secret["id"], status, note) == 200

    async with session.get(f"{dinkes.url}/track/{secret['trackingNumber']}") as response:
        tracked = await response.json()
    assert tracked["status"] == "COMPLETED" and tracked["answer"] is None, tracked

    # Walking through numbers: 30 lookups a minute from one address (one spent above), found or not.
    answers = []
    for n in range(30):
        async with session.get(f"{dinkes.url}/track/63.DINKES-0000-0000-{n:04d}") as response:
            answers.append((response.status, response.headers.get("retry-after")))
    assert answers[:29] == [(404, None)] * 29
    status, retry_after = answers[29]
    assert status == 429 and retry_after is not None and 1 <= int(retry_after) <= 60, answers[29]


async def test_anonymous_reports_keep_no_identity_and_confidential_ones_are_masked_from_the_hub(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession, database: str
) -> None:
    hub, dinkes = desk
    anonymous = await submit(session, dinkes, anonymous=True, reporterName="Siti", reporterContact="081200000001")
    confidential = await submit(session, dinkes, confidential=True, reporterName="Budi",
                                reporterContact="081200000002")
    open_report = await submit(session, dinkes, reporterName="Rina", reporterContact="081200000003")

    conn = await asyncpg.connect(database)
    try:
        stored = {r["local_id"]: (r["reporter_name"], r["reporter_contact"]) for r in await conn.fetch(
            "SELECT local_id, reporter_name, reporter_contact FROM desk_63_dinkes.reports")}
    finally:
        await conn.close()
    assert stored[anonymous["id"].split(":")[1]] == (None, None), "anonymous: identity is never stored"
    assert stored[confidential["id"].split(":")[1]] == ("Budi", "081200000002"), "kept for the handling unit"

    seen = {}
    for created in (anonymous, confidential, open_report):
        body = await node_graphql(session, dinkes, REPORT, {"id": created["id"]})
        seen[created["id"]] = body["data"]["report"]["reporter"]
    assert seen[anonymous["id"]] == {"anonymous": True, "confidential": False, "name": None, "contact": None}
    assert seen[confidential["id"]] == {"anonymous": False, "confidential": True, "name": None, "contact": None}
    assert seen[open_report["id"]]["name"] == "Rina"

    hub_view = await graphql(session, hub.graphql_url, "{ reports(first: 10) { reports { id reporter { anonymous "
                                                       "confidential } } } }")
    assert "Budi" not in str(hub_view) and "Rina" not in str(hub_view)


async def test_a_forwarded_report_accepted_twice_with_one_key_is_created_once(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    forwarded = {
        "sourceId": "65:7", "trackingNumber": "65-000007", "kind": "PENGADUAN", "title": "Puskesmas tutup",
        "body": "Puskesmas tutup pada jam layanan.", "category": "kesehatan", "regionCode": "63.03",
        "channel": "SMS", "reporter": {"anonymous": True}, "receivedAt": "2022-05-02T08:00:00+08:00",
    }
    first = await node_graphql(session, dinkes, ACCEPT, {"key": "delivery-65-7-to-dinkes", "report": forwarded})
    again = await node_graphql(session, dinkes, ACCEPT, {"key": "delivery-65-7-to-dinkes", "report": forwarded})
    assert first["data"]["acceptReport"]["created"] is True
    assert again["data"]["acceptReport"] == {**first["data"]["acceptReport"], "created": False}

    listed = await node_graphql(session, dinkes, "{ reports(first: 10) { reports { trackingNumber } } }")
    assert [r["trackingNumber"] for r in listed["data"]["reports"]["reports"]] == ["65-000007"]


async def test_every_answer_carries_a_request_id_and_an_oversized_report_is_refused_unread(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    async with session.get(dinkes.url + "/healthz", headers={"x-request-id": "portal-7f3a"}) as response:
        assert response.headers["x-request-id"] == "portal-7f3a"

    oversized = b'{"title": "' + b"x" * 100_000 + b'"}'
    async with session.post(dinkes.url + "/reports", data=oversized,
                            headers={"content-type": "application/json"}) as response:
        assert response.status == 413
        assert await response.json() == {"errors": [{"message": "request body is larger than 100000 bytes",
                                                     "extensions": {"code": "BODY_TOO_LARGE"}}]}
        assert len(response.headers["x-request-id"]) == 32

    listed = await node_graphql(session, dinkes, "{ reports(first: 10) { reports { trackingNumber } } }")
    assert listed["data"]["reports"]["reports"] == []


async def test_a_signed_request_whose_body_is_not_a_graphql_request_gets_a_400(
    desk: tuple[Hub, Desk], session: aiohttp.ClientSession
) -> None:
    _, dinkes = desk
    credentials = desk_credentials(dinkes)
    for body in (b"0", b'"query"', b"null", b"[" * 100_000 + b"]" * 100_000, b'{"query": "\xff"}'):
        headers = {**as_hub(credentials, "POST", "/graphql", body), "content-type": "application/json"}
        async with session.post(dinkes.url + "/graphql", data=body, headers=headers) as response:
            assert response.status == 400, (body[:20], response.status, await response.text())
