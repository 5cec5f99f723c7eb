"""A two-level federation of real processes: national hub -> Kaltim hub (node 64) -> Kutai Timur desk.

The Kaltim hub runs on its own database and joins the national hub through
`simpul node hub`; Kaltara's desk (65) joins the national hub directly.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from tests.connectors.hub.conftest import TwoLevels, admin_key
from tests.federation import all_pages, bearer, eventually, graphql, submit

REPORTS = """
query Reports($first: Int!, $after: String, $filter: ReportFilter, $live: Boolean! = false) {
  reports(first: $first, after: $after, filter: $filter, live: $live) {
    reports { id node trackingNumber title }
    pageInfo { hasNextPage endCursor }
    coverage { asked answered failed }
  }
}
"""
STATS = """
query Stats($live: Boolean! = false) {
  stats(groupBy: [REGION], regionLevel: 2, live: $live) { total buckets { regionCode count } }
}
"""
SUBMIT = """
mutation Submit($key: String!) {
  submitReport(idempotencyKey: $key, report: {kind: PENGADUAN, title: "Puskesmas Sangatta tutup siang",
    body: "Puskesmas di Sangatta Utara tutup pukul 12.", category: "kesehatan", regionCode: "64.08"}) {
    trackingNumber
  }
}
"""
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { status routing holder } }"
TIMELINE = "query($id: ID!) { report(id: $id) { timeline { status note } } }"
LEDGER = "{ ledgerChanges(first: 500) { type status note trackingNumber } }"


async def test_the_national_hub_reads_kutai_timur_through_the_kaltim_hub_and_forwards_down_to_it(
    two_levels: TwoLevels, session: aiohttp.ClientSession
) -> None:
    national = two_levels.national
    kutim = [await submit(session, two_levels.kutim, title=f"Jalan rusak {n}") for n in range(3)]
    kaltara = await submit(session, two_levels.kaltara, title="Lampu jalan mati")
    assert [r["id"] for r in kutim] == ["64.08:1", "64.08:2", "64.08:3"]

    async def indexed() -> list[dict[str, Any]]:
        everything = await all_pages(session, national, REPORTS, 50)
        return everything if len(everything) == 4 else []

    everything = await eventually(indexed)
    assert {r["id"] for r in everything} == {"64:64.08:1", "64:64.08:2", "64:64.08:3", kaltara["id"]}
    assert {r["node"] for r in everything} == {"64", "65"}
    for first in (1, 2, 3):
        assert [r["id"] for r in await all_pages(session, national, REPORTS, first)] == [r["id"] for r in everything]
    # Asked now, node 64 pages through the Kaltim hub's answer: the same reports, in the same order.
    through_kaltim = await all_pages(session, national, REPORTS, 2, live=True)
    assert [r["id"] for r in through_kaltim] == [r["id"] for r in everything]

    for live in (False, True):
        stats = (await graphql(session, national.graphql_url, STATS, {"live": live}))["data"]["stats"]
        assert stats["total"] == 4, live
        assert {b["regionCode"]: b["count"] for b in stats["buckets"]} == {"64.08": 3, "65": 1}, live

    # Kutai Timur's reports reach the national ledger through the Kaltim hub's ledger, held by node 64.
    async def tracked_nationally() -> Any:
        body = await graphql(session, national.graphql_url, TRACK, {"t": kutim[0]["trackingNumber"]})
        return body["data"]["trackReport"]
    assert (await eventually(tracked_nationally))["holder"] == "64"

    # A report submitted at the national hub for Kutai Timur goes down through the Kaltim hub, once.
    submitted = await graphql(session, national.graphql_url, SUBMIT, {"key": "nasional-kutim-1"})
    again = await graphql(session, national.graphql_url, SUBMIT, {"key": "nasional-kutim-1"})
    tracking = submitted["data"]["submitReport"]["trackingNumber"]
    assert again["data"]["submitReport"]["trackingNumber"] == tracking

    async def at_kutai_timur() -> list[dict[str, Any]]:
        """The report as the index lists it, once it shows at its holder (until then, at the hub's own door)."""
        body = await graphql(session, national.graphql_url, REPORTS,
                             {"first": 50, "filter": {"regionPrefix": "64.08"}})
        copies = [r for r in body["data"]["reports"]["reports"] if r["trackingNumber"] == tracking]
        return copies if any(r["node"] == "64" for r in copies) else []
    [copy] = await eventually(at_kutai_timur)
    assert copy["id"] == "64:64.08:4"
    async with session.get(f"{two_levels.kutim.url}/track/{tracking}") as response:
        assert response.status == 200  # Kutai Timur's desk holds it under the national tracking number

    async def held_by_kaltim() -> bool:  # the copy can show below before the national worker records the delivery
        held = (await graphql(session, national.graphql_url, TRACK, {"t": tracking}))["data"]["trackReport"]
        return (held["holder"], held["routing"]) == ("64", "HELD")
    await eventually(held_by_kaltim)

    # Kutai Timur's answer flows back up: desk -> Kaltim hub -> national hub.
    async with session.post(f"{two_levels.kutim.url}/reports/4/status",
                            json={"status": "VERIFIED", "note": "Lokasi sudah dicek"},
                            headers={"authorization": f"Bearer {two_levels.kutim.operator_key}"}) as response:
        assert response.status == 200, await response.text()

    async def verified_nationally() -> bool:
        body = await graphql(session, national.graphql_url, TRACK, {"t": tracking})
        return bool(body["data"]["trackReport"]["status"] == "VERIFIED")
    await eventually(verified_nationally)
    # ... with the unit's note, in the national ledger and in the timeline asked through the Kaltim hub.
    changes = await graphql(session, national.graphql_url, LEDGER, headers=bearer(admin_key(national.database_url)))
    assert [(c["status"], c["note"]) for c in changes["data"]["ledgerChanges"]
            if c["trackingNumber"] == tracking and c["type"] == "STATUS"] == [("VERIFIED", "Lokasi sudah dicek")]
    body = await graphql(session, national.graphql_url, TIMELINE, {"id": "64:64.08:4"})
    assert body["data"]["report"]["timeline"][-1] == {"status": "VERIFIED", "note": "Lokasi sudah dicek"}, body


async def test_a_dead_desk_below_the_kaltim_hub_is_named_in_the_national_answer(
    two_levels: TwoLevels, session: aiohttp.ClientSession
) -> None:
    await submit(session, two_levels.kutim, title="Jalan rusak")
    kaltara = await submit(session, two_levels.kaltara, title="Lampu jalan mati")
    two_levels.kutim.process.kill()

    body = await graphql(session, two_levels.national.graphql_url, REPORTS, {"first": 50, "live": True})
    assert [(e["extensions"]["code"], e["extensions"]["node"], e["extensions"].get("via"))
            for e in body.get("errors", [])] == [("NODE_UNAVAILABLE", "64.08", "64")], body
    page = body["data"]["reports"]
    assert [r["id"] for r in page["reports"]] == [kaltara["id"]]
    assert page["coverage"] == {"asked": 2, "answered": 2, "failed": ["64.08"]}

    body = await graphql(session, two_levels.national.graphql_url, STATS, {"live": True})
    assert [e["extensions"]["node"] for e in body.get("errors", [])] == ["64.08"], body
    assert body["data"]["stats"]["total"] == 1


async def test_a_hung_desk_below_the_kaltim_hub_is_cut_off_there_and_the_province_answers_in_time(
    two_levels: TwoLevels, session: aiohttp.ClientSession
) -> None:
    """Both hubs run with the default limits: node timeout 5 s, deadline 10 s. The national hub tells node 64 it
    waits 5 s; the Kaltim hub, told what is left, cuts Kutai Timur off before then and answers with the rest."""
    kaltara = await submit(session, two_levels.kaltara, title="Lampu jalan mati")
    two_levels.kutim.process.pause()
    try:
        started = time.monotonic()
        body = await graphql(session, two_levels.national.graphql_url, REPORTS, {"first": 50, "live": True})
        took = time.monotonic() - started
    finally:
        two_levels.kutim.process.resume()
    assert [(e["extensions"]["code"], e["extensions"]["node"], e["extensions"].get("via"))
            for e in body.get("errors", [])] == [("NODE_TIMEOUT", "64.08", "64")], body
    page = body["data"]["reports"]
    assert [r["id"] for r in page["reports"]] == [kaltara["id"]]
    assert page["coverage"] == {"asked": 2, "answered": 2, "failed": ["64.08"]}
    assert took < 5.5, f"the national answer took {took:.1f} s"


async def test_a_budget_that_is_not_seconds_is_refused(two_levels: TwoLevels, session: aiohttp.ClientSession) -> None:
    for bad in ("soon", "0", "-1", "nan", "inf", "7200"):
        async with session.post(two_levels.kaltim.hub.graphql_url, json={"query": "{ __typename }"},
                                headers={"simpul-budget": bad}) as response:
            assert response.status == 400, bad
            assert "simpul-budget must be a number of seconds" in (await response.json())["errors"][0]["message"]
