"""Federated reports: one ordered, paginated list across real desk nodes, from the federation index by default
and from the nodes themselves with `live: true`."""

from __future__ import annotations

import asyncio
from datetime import datetime

import aiohttp

from tests.federation import Federation, all_pages, eventually, graphql, submit

PAGE = """
query Page($first: Int!, $after: String, $scope: Scope, $filter: ReportFilter, $live: Boolean! = false) {
  reports(first: $first, after: $after, scope: $scope, filter: $filter, live: $live) {
    reports { id node trackingNumber receivedAt status regionCode }
    pageInfo { hasNextPage endCursor }
    coverage { asked answered failed }
  }
}
"""


def _order_key(report: dict) -> tuple[float, str]:
    return (-datetime.fromisoformat(report["receivedAt"]).timestamp(), report["id"])


async def test_pages_merge_every_node_in_order_without_duplicates_or_gaps_while_reports_arrive(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    desks = list(federation.desks.values())
    # Reports entered by officers with their original times, several at the very same
    # instant on different nodes, so the id tie-break decides the order.
    same_instant = "2024-03-01T09:00:00+08:00"
    existing = set()
    for i in range(12):
        for desk in desks:
            at = same_instant if i % 3 == 0 else f"2024-02-{i + 1:02d}T10:{len(desk.code):02d}:00+08:00"
            created = await submit(session, desk, as_operator=True, receivedAt=at, title=f"Laporan {i}")
            existing.add(created["id"])

    async def indexed() -> bool:
        return {r["id"] for r in await all_pages(session, federation.hub, PAGE, first=500)} == existing

    await eventually(indexed)

    async def keep_inserting() -> set[str]:
        added = set()
        for i in range(10):
            created = await submit(session, desks[i % len(desks)], title=f"Baru {i}")
            added.add(created["id"])
            await asyncio.sleep(0.02)
        return added

    inserting = asyncio.create_task(keep_inserting())
    from_index, from_nodes = await asyncio.gather(all_pages(session, federation.hub, PAGE, first=5),
                                                  all_pages(session, federation.hub, PAGE, first=5, live=True))
    added = await inserting

    for seen in (from_index, from_nodes):
        ids = [r["id"] for r in seen]
        assert len(ids) == len(set(ids)), "a report appeared on two pages"
        assert existing <= set(ids), f"missing: {existing - set(ids)}"
        assert set(ids) <= existing | added
        assert seen == sorted(seen, key=_order_key)
        assert {r["node"] for r in seen} == {"65", "64", "64.08"}


async def test_filters_and_node_scope_narrow_the_list(federation: Federation, session: aiohttp.ClientSession) -> None:
    kaltara, kaltim, kutim = federation.desks["65"], federation.desks["64"], federation.desks["64.08"]
    await submit(session, kaltara, regionCode="65.01", kind="ASPIRASI")
    await submit(session, kaltim, regionCode="64.72")
    await submit(session, kutim, regionCode="64.08")
    await submit(session, kutim, regionCode="64.08", kind="INFORMASI", reporterName="Siti",
                 reporterContact="Jl. Pendidikan 2, Sangatta")

    async def indexed() -> bool:
        return len(await all_pages(session, federation.hub, PAGE, first=10)) == 4

    await eventually(indexed)
    in_kaltim = await all_pages(session, federation.hub, PAGE, first=10, scope={"regionPrefix": "64"})
    assert {r["node"] for r in in_kaltim} == {"64", "64.08"}

    kabkota = await all_pages(session, federation.hub, PAGE, first=10, scope={"level": "KABKOTA"})
    assert {r["node"] for r in kabkota} == {"64.08"}

    by_codes = await all_pages(session, federation.hub, PAGE, first=10, scope={"nodeCodes": ["65"]})
    assert [r["regionCode"] for r in by_codes] == ["65.01"]

    aspirations = await all_pages(session, federation.hub, PAGE, first=10, filter={"kinds": ["ASPIRASI"]})
    assert [r["node"] for r in aspirations] == ["65"]

    in_kutim_region = await all_pages(session, federation.hub, PAGE, first=10, filter={"regionPrefix": "64.08"})
    assert len(in_kutim_region) == 2


async def test_stats_count_every_report_from_the_index_as_each_node_counts_its_own_live(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    per_node = {"65": 3, "64": 2, "64.08": 4}
    for code, count in per_node.items():
        for i in range(count):
            created = await submit(session, federation.desks[code], category="kesehatan" if i % 2 else "jalan")
            if i == 0:
                desk = federation.desks[code]
                async with session.post(
                    f"{desk.url}/reports/{created['id'].split(':')[1]}/status",
                    json={"status": "VERIFIED"},
                    headers={"authorization": f"Bearer {desk.operator_key}"},
                ) as response:
                    assert response.status == 200

    query = """
      query($live: Boolean!) {
        stats(groupBy: [STATUS], live: $live) { total buckets { status count } coverage { asked answered source } }
        kaltim: stats(groupBy: [CATEGORY, REGION], scope: {regionPrefix: "64"}, live: $live) {
          total buckets { category regionCode count } } }
    """

    async def counted(live: bool) -> dict | None:
        body = await graphql(session, federation.hub.graphql_url, query, {"live": live})
        assert "errors" not in body, body
        statuses = {b["status"]: b["count"] for b in body["data"]["stats"]["buckets"]}
        return body["data"] if statuses == {"VERIFIED": 3, "RECEIVED": 6} else None

    from_index = await eventually(lambda: counted(False))
    from_nodes = await counted(True)
    assert from_nodes is not None, "each node counts what it holds now"
    for data, source in ((from_index, "INDEX"), (from_nodes, "LIVE")):
        stats = data["stats"]
        assert stats["total"] == 9
        assert stats["coverage"] == {"asked": 3, "answered": 3, "source": source}
        kaltim = data["kaltim"]
        assert kaltim["total"] == 6
        # Kaltim's desk has jalan 1, kesehatan 1; Kutai Timur's jalan 2, kesehatan 2 -- all in region 64.
        assert sorted((b["category"], b["regionCode"], b["count"]) for b in kaltim["buckets"]) == [
            ("jalan", "64", 3), ("kesehatan", "64", 3)]
