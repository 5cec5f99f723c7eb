"""Rahasia means not published, and every caller acts in its own scope with its own keys.

Kutai Timur's desk holds a confidential (rahasia) report and an open one.
Admins and supervisors of the region read the confidential one; an integrator
key, Open311 and the public see that it exists (status, dates, category,
region), never what it says. Regional admins see and use routing only in their
region, and idempotency keys repeat only their own caller's submissions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.federation import Desk, Federation, bearer, create_key, eventually, graphql, start_desks, start_hub, submit

SECRET = {"title": "Pungutan liar di loket puskesmas", "body": "Petugas loket meminta uang Rp50.000 tanpa kuitansi.",
          "location": "Jl. Mawar 3, Sangatta Utara", "category": "kesehatan"}
ANSWER = "Petugas loket telah diperiksa inspektorat."
FIELDS = "id trackingNumber title body location category status regionCode reporter { confidential } timeline { note }"
REPORTS = "query($f: ReportFilter) { reports(filter: $f, first: 50) { reports { " + FIELDS + " } } }"
REPORT = "query($id: ID!) { report(id: $id) { " + FIELDS + " } }"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Report { " + FIELDS + " } } }"
SUBMIT = """mutation($report: SubmitReportInput!, $key: String) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber } }"""
PORTAL_REPORT = {"kind": "PENGADUAN", "title": "Lampu jalan mati", "body": "Lampu jalan di Jl. Yos Sudarso mati.",
                 "category": "infrastruktur", "regionCode": "64.08"}


@dataclass
class World:
    federation: Federation
    secret: dict[str, Any]  # the confidential report: its id and tracking number
    open: dict[str, Any]

    @property
    def graphql_url(self) -> str:
        return self.federation.hub.graphql_url

    @property
    def database_url(self) -> str:
        return self.federation.hub.database_url


@pytest.fixture(scope="module")
def running(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    folder = tmp_path_factory.mktemp("rahasia")
    with Federation(start_hub(module_database, folder)) as federation:
        start_desks(federation, folder, {"64": "PROVINSI", "64.08": "KABKOTA", "65": "PROVINSI"})
        yield federation


async def _set_status(session: aiohttp.ClientSession, desk: Desk, local_id: str, status: str, note: str) -> None:
    async with session.post(f"{desk.url}/reports/{local_id}/status", json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


@pytest.fixture(scope="module")
async def world(running: Federation) -> AsyncIterator[World]:
    kutim = running.desks["64.08"]
    async with aiohttp.ClientSession() as session:
        secret = await submit(session, kutim, as_operator=True, kind="PENGADUAN", confidential=True, **SECRET)
        opened = await submit(session, kutim, as_operator=True, kind="PENGADUAN", **{**SECRET, "title": "Antrean"})
        local_id = secret["id"].split(":")[1]
        for status in ("VERIFIED", "IN_PROCESS"):
            await _set_status(session, kutim, local_id, status, "Diteruskan ke inspektorat.")
        await _set_status(session, kutim, local_id, "COMPLETED", ANSWER)

        async def indexed() -> bool:
            body = await graphql(session, running.hub.graphql_url, REPORTS, {"f": {"statuses": ["COMPLETED"]}})
            return any(r["trackingNumber"] == secret["trackingNumber"] for r in body["data"]["reports"]["reports"])

        await eventually(indexed)
        yield World(running, secret, opened)


def _ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _as(world: World, session: aiohttp.ClientSession, role: str, region: str) -> dict[str, str]:
    operations = ["reports", "report", "_entities", "submitReport"] if role == "integrator" else None
    return bearer(await create_key(world.database_url, role, region, operations))


async def _reads(world: World, session: aiohttp.ClientSession, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The confidential report as `headers`' caller reads it through reports, report(id) and _entities."""
    listed = _ok(await graphql(session, world.graphql_url, REPORTS, headers=headers))["reports"]["reports"]
    one = _ok(await graphql(session, world.graphql_url, REPORT, {"id": world.secret["id"]}, headers=headers))
    entity = _ok(await graphql(session, world.graphql_url, ENTITIES,
                               {"r": [{"__typename": "Report", "id": world.secret["id"]}]}, headers=headers))
    [in_list] = [r for r in listed if r["trackingNumber"] == world.secret["trackingNumber"]]
    return [in_list, one["report"], entity["_entities"][0]]


async def test_an_integrator_key_sees_that_a_rahasia_report_exists_but_not_what_it_says(
    world: World, session: aiohttp.ClientSession
) -> None:
    integrator = await _as(world, session, "integrator", "")
    for read in await _reads(world, session, integrator):
        assert read["reporter"]["confidential"] and read["status"] == "COMPLETED"
        assert (read["category"], read["regionCode"]) == ("kesehatan", "64.08")
        assert (read["title"], read["body"], read["location"]) == (None, None, None)
        assert all(e["note"] is None for e in read["timeline"])
    listed = _ok(await graphql(session, world.graphql_url, REPORTS, headers=integrator))["reports"]["reports"]
    [opened] = [r for r in listed if r["trackingNumber"] == world.open["trackingNumber"]]
    assert opened["title"] == "Antrean", "an open report is read as before"


async def test_supervisors_and_admins_of_the_region_read_a_rahasia_report(
    world: World, session: aiohttp.ClientSession
) -> None:
    for role, region in (("supervisor", "64"), ("admin", "64.08"), ("supervisor", "")):
        for read in await _reads(world, session, await _as(world, session, role, region)):
            assert (read["title"], read["body"], read["location"]) == (SECRET["title"], SECRET["body"],
                                                                       SECRET["location"]), (role, region)
        assert ANSWER in [e["note"] for e in read["timeline"]]


async def test_open311_publishes_neither_the_content_nor_the_answer_of_a_rahasia_report(
    world: World, session: aiohttp.ClientSession
) -> None:
    open311 = world.federation.hub.url + "/open311/v2"
    admin = await create_key(world.database_url, "admin", "64.08")
    for url in (f"{open311}/requests/{world.secret['trackingNumber']}.json",
                f"{open311}/requests.json?api_key={admin}&jurisdiction_id=64.08"):
        async with session.get(url) as response:
            assert response.status == 200, await response.text()
            found = [r for r in await response.json() if r["service_request_id"] == world.secret["trackingNumber"]]
        assert found and found[0]["status"] == "closed"
        assert (found[0]["description"], found[0]["address"], found[0]["status_notes"]) == (None, None, None)


async def test_a_regional_admin_lists_the_routing_rules_of_its_region_only(
    world: World, session: aiohttp.ClientSession
) -> None:
    rules = "query($p: String) { routingRules(regionPrefix: $p) { regionPrefix targetNode } }"
    add = "mutation($r: RoutingRuleInput!) { addRoutingRule(rule: $r) { id } }"
    for prefix in ("64.08", "65"):
        _ok(await graphql(session, world.graphql_url, add, {"r": {"regionPrefix": prefix, "targetNode": prefix,
                                                                  "category": "perizinan"}}))
    kaltim = await _as(world, session, "admin", "64")
    seen = _ok(await graphql(session, world.graphql_url, rules, headers=kaltim))["routingRules"]
    assert {r["regionPrefix"] for r in seen} == {"64.08"}
    national = _ok(await graphql(session, world.graphql_url, rules))["routingRules"]
    assert {"64.08", "65"} <= {r["regionPrefix"] for r in national}
    refused = await graphql(session, world.graphql_url, rules, {"p": "65"}, headers=kaltim)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_regional_admin_dry_runs_routing_in_its_region_only(
    world: World, session: aiohttp.ClientSession
) -> None:
    route = "query($r: RouteInput!) { routeReport(report: $r) { target } }"
    kaltim = await _as(world, session, "admin", "64")
    here = {"regionCode": "64.08", "category": "pendidikan"}
    assert _ok(await graphql(session, world.graphql_url, route, {"r": here}, headers=kaltim))["routeReport"] == {
        "target": "64.08"}
    elsewhere = await graphql(session, world.graphql_url, route, {"r": {**here, "regionCode": "65"}}, headers=kaltim)
    assert elsewhere["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_regional_admin_sends_a_report_only_to_units_of_its_region(
    world: World, session: aiohttp.ClientSession
) -> None:
    reassign = "mutation($tn: String!, $node: String!) { reassignReport(trackingNumber: $tn, node: $node, " \
               "note: \"disposisi\") }"
    kaltim = await _as(world, session, "admin", "64")
    tn = world.open["trackingNumber"]
    away = await graphql(session, world.graphql_url, reassign, {"tn": tn, "node": "65"}, headers=kaltim)
    assert away["errors"][0]["extensions"]["code"] == "FORBIDDEN", "no disposisi to a unit outside Kaltim"
    assert _ok(await graphql(session, world.graphql_url, reassign, {"tn": tn, "node": "64"}, headers=kaltim))


async def test_an_idempotency_key_repeats_only_its_own_callers_submission(
    world: World, session: aiohttp.ClientSession
) -> None:
    def submitted(body: dict[str, Any]) -> str:
        return str(_ok(body)["submitReport"]["trackingNumber"])

    key = {"key": "portal-form-0001"}
    first = submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": PORTAL_REPORT, **key}, headers={}))
    other = {**PORTAL_REPORT, "body": "Lampu jalan di depan pasar mati.", "reporterName": "Yuliana Tandi"}
    second = submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": other, **key}, headers={}))
    assert second != first, "another member of the public gets their own report, not the first one's number"
    assert submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": PORTAL_REPORT, **key},
                                   headers={})) == first, "a repeat of the same submission"

    portal, ministry = await _as(world, session, "integrator", ""), await _as(world, session, "integrator", "")
    mine = submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": PORTAL_REPORT, **key},
                                   headers=portal))
    assert mine not in (first, second)
    assert submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": PORTAL_REPORT, **key},
                                   headers=portal)) == mine
    theirs = submitted(await graphql(session, world.graphql_url, SUBMIT, {"report": PORTAL_REPORT, **key},
                                     headers=ministry))
    assert theirs != mine, "another key's caller never gets this caller's report"
    changed = await graphql(session, world.graphql_url, SUBMIT, {"report": other, **key}, headers=portal)
    assert changed["data"] is None
    assert changed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "was used before for a different report" in changed["errors"][0]["message"]
    assert mine not in str(changed)

