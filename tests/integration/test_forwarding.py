"""No wrong door: a report entered anywhere reaches the unit with authority, and its follow-up comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.federation import (
    Desk,
    Federation,
    eventually,
    graphql,
    node_graphql,
    restart_desk,
    run_cli,
    start_desk,
    submit,
)
from tests.impostor import Impostor, enrol_endpoint

TRACK = """
query Track($tn: String!) {
  trackReport(trackingNumber: $tn) { status routing holder timeline { event node status note } }
}
"""
CHAIN = """
query Chain($tn: String!) {
  reportChain(trackingNumber: $tn) { status routing holder timeline { event node status note } }
}
"""
SUBMIT = """
mutation Submit($report: SubmitReportInput!, $key: String) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber routing { target rule reason } }
}
"""
HEALTH_REPORT = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang",
                 "body": "Puskesmas di Sangatta Utara tutup pukul 12 padahal jadwal sampai 14.",
                 "category": "kesehatan", "regionCode": "64.08"}


async def _track(session: aiohttp.ClientSession, fed: Federation, tn: str, query: str = TRACK,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    async with session.post(fed.hub.graphql_url, json={"query": query, "variables": {"tn": tn}},
                            headers=headers or {}) as response:
        body = await response.json()
    assert "errors" not in body, body
    return body["data"]["reportChain" if query is CHAIN else "trackReport"]


async def _set_status(session: aiohttp.ClientSession, desk: Desk, local_id: str, status: str,
                      note: str | None = None) -> None:
    async with session.post(f"{desk.url}/reports/{local_id}/status", json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def _desk_copy(session: aiohttp.ClientSession, desk: Desk, tn: str) -> dict[str, Any] | None:
    body = await node_graphql(session, desk, "{ reports(first: 100) { reports { id trackingNumber status } } }")
    return next((r for r in body["data"]["reports"]["reports"] if r["trackingNumber"] == tn), None)


def _admin_key(fed: Federation, region: str) -> dict[str, str]:
    result = run_cli("key", "create", "--role", "admin", "--name", f"admin {region}", "--region", region,
                     "--database-url", fed.hub.database_url)
    assert result.returncode == 0, result.stderr
    return {"authorization": f"Bearer {result.stdout.strip()}"}


async def test_a_report_at_the_wrong_door_reaches_the_unit_with_authority_and_its_answer_comes_back(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    """... to its reporter; of a rahasia (confidential) one, only where it stands; and no number but the
    federation's opens a track."""
    kaltara, kutim = federation.desks["65"], federation.desks["64.08"]
    created = await submit(session, kaltara, **HEALTH_REPORT)
    tn = created["trackingNumber"]
    secret = await submit(session, kaltara, **HEALTH_REPORT, confidential=True, reporterName="Budi")

    at_kutim = await eventually(lambda: _desk_copy(session, kutim, tn))
    assert at_kutim["status"] == "RECEIVED"

    async def origin_forwarded() -> dict[str, Any] | None:
        copy = await _desk_copy(session, kaltara, tn)
        return copy if copy and copy["status"] == "FORWARDED" else None

    await eventually(origin_forwarded)

    await _set_status(session, kutim, at_kutim["id"].split(":")[1], "VERIFIED")
    await _set_status(session, kutim, at_kutim["id"].split(":")[1], "IN_PROCESS")
    await _set_status(session, kutim, at_kutim["id"].split(":")[1], "COMPLETED",
                      "Jam layanan puskesmas dikembalikan sampai pukul 14.00.")

    async def completed() -> dict[str, Any] | None:
        track = await _track(session, federation, tn)
        return track if track["status"] == "COMPLETED" else None

    track = await eventually(completed)
    assert track["holder"] == "64.08" and track["routing"] == "HELD"
    events = [(e["event"], e["node"], e["status"]) for e in track["timeline"]]
    assert events[:3] == [("RECEIVED", "65", "RECEIVED"), ("ROUTED", "64.08", None), ("DELIVERED", "64.08", None)]
    assert ("STATUS", "64.08", "COMPLETED") in events
    answer = [e["note"] for e in track["timeline"] if e["status"] == "COMPLETED"]
    assert answer == ["Jam layanan puskesmas dikembalikan sampai pukul 14.00."]
    assert all(e["note"] is None for e in track["timeline"] if e["event"] == "ROUTED"), "no internal notes"

    at_kutim = await eventually(lambda: _desk_copy(session, kutim, secret["trackingNumber"]))
    for status in ("VERIFIED", "IN_PROCESS", "COMPLETED"):
        await _set_status(session, kutim, at_kutim["id"].split(":")[1], status, "Petugas loket sudah ditegur.")

    async def secret_completed() -> dict[str, Any] | None:
        track = await _track(session, federation, secret["trackingNumber"])
        return track if track["status"] == "COMPLETED" else None

    track = await eventually(secret_completed)
    assert track["holder"] is None and track["timeline"], track
    assert all(e["node"] is None and e["note"] is None for e in track["timeline"]), "a rahasia report: status only"

    # The desk's local ids count up (65:1, 65:2), but numbers in the old sequential form open nothing.
    local = int(created["id"].split(":")[1])
    for guess in (f"65-{local:06d}", f"65-{local + 1:06d}", created["id"]):
        async with session.post(federation.hub.graphql_url, json={"query": TRACK, "variables": {"tn": guess}},
                                headers={}) as response:
            assert (await response.json())["data"]["trackReport"] is None, guess


async def test_a_report_submitted_at_the_hub_is_delivered_once_even_when_submitted_twice(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    variables = {"report": HEALTH_REPORT, "key": "portal-7f3a9c21"}
    first = await graphql(session, federation.hub.graphql_url, SUBMIT, variables)
    again = await graphql(session, federation.hub.graphql_url, SUBMIT, variables)
    assert "errors" not in first and "errors" not in again, (first, again)
    tn = first["data"]["submitReport"]["trackingNumber"]
    assert first["data"]["submitReport"]["routing"] == {
        "target": "64.08", "rule": None, "reason": "fallback: kab/kota desk of 64.08"}
    assert again["data"]["submitReport"] == {"trackingNumber": tn, "routing": None}

    kutim = federation.desks["64.08"]
    await eventually(lambda: _desk_copy(session, kutim, tn))

    async def settled() -> list[tuple[str, str]] | None:  # no delivery of it is waiting: none can follow
        conn = await asyncpg.connect(federation.hub.database_url)
        try:
            rows = await conn.fetch("SELECT purpose, state FROM hub.deliveries WHERE tracking_number = $1", tn)
        finally:
            await conn.close()
        states = [(row["purpose"], row["state"]) for row in rows]
        return None if ("ACCEPT", "PENDING") in states else states

    assert await eventually(settled) == [("ACCEPT", "DONE")], "one delivery, done"
    body = await node_graphql(session, kutim, "{ reports(first: 100) { reports { trackingNumber } } }")
    assert [r["trackingNumber"] for r in body["data"]["reports"]["reports"]].count(tn) == 1


async def test_a_returned_report_is_rerouted_and_a_return_loop_stops_in_a_clear_state(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kutim, kaltim = federation.desks["64.08"], federation.desks["64"]
    submitted = await graphql(session, federation.hub.graphql_url, SUBMIT, {"report": HEALTH_REPORT})
    tn = submitted["data"]["submitReport"]["trackingNumber"]

    at_kutim = await eventually(lambda: _desk_copy(session, kutim, tn))
    await _set_status(session, kutim, at_kutim["id"].split(":")[1], "RETURNED", "Bukan wewenang kabupaten.")
    at_kaltim = await eventually(lambda: _desk_copy(session, kaltim, tn))
    await _set_status(session, kaltim, at_kaltim["id"].split(":")[1], "RETURNED", "Bukan wewenang provinsi.")

    admin = _admin_key(federation, "64")

    async def stuck() -> dict[str, Any] | None:
        chain = await _track(session, federation, tn, CHAIN, admin)
        return chain if chain["routing"] == "UNROUTABLE" else None

    chain = await eventually(stuck)
    steps = [(e["event"], e["node"]) for e in chain["timeline"]]
    assert steps == [("RECEIVED", None), ("ROUTED", "64.08"), ("DELIVERED", "64.08"), ("RETURNED", "64.08"),
                     ("ROUTED", "64"), ("DELIVERED", "64"), ("RETURNED", "64"), ("UNROUTABLE", None)]
    returned = [e["note"] for e in chain["timeline"] if e["event"] == "RETURNED"]
    assert returned == ["Bukan wewenang kabupaten.", "Bukan wewenang provinsi."]
    assert chain["holder"] is None

    public = await _track(session, federation, tn)
    assert all(e["note"] is None for e in public["timeline"]), "return reasons are internal"

    # An admin of the province settles it by hand (disposisi) to the province desk after all.
    reassign = {"query": "mutation R($tn: String!) { reassignReport(trackingNumber: $tn, node: \"64\","
                         " note: \"Ditangani Biro Organisasi\") }", "variables": {"tn": tn}}
    body = await graphql(session, federation.hub.graphql_url, reassign["query"], reassign["variables"], headers={})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with session.post(federation.hub.graphql_url, headers=admin, json=reassign) as response:
        assert (await response.json()) == {"data": {"reassignReport": True}}
    chain = await _track(session, federation, tn, CHAIN, admin)
    assert chain["timeline"][-1]["event"] == "REASSIGNED"


async def test_routing_rules_are_managed_by_admins_of_the_region_and_bad_rules_are_refused(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kaltim_admin, kaltara_admin = _admin_key(federation, "64"), _admin_key(federation, "65")
    add = """mutation Add($rule: RoutingRuleInput!) { addRoutingRule(rule: $rule) { id targetNode createdBy } }"""

    async def add_rule(rule: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        async with session.post(federation.hub.graphql_url, headers=headers,
                                json={"query": add, "variables": {"rule": rule}}) as response:
            body: dict[str, Any] = await response.json()
            return body

    good = await add_rule({"regionPrefix": "64", "category": "kesehatan", "targetNode": "64"}, kaltim_admin)
    assert good["data"]["addRoutingRule"]["targetNode"] == "64"

    refusals = [
        ({"regionPrefix": "64", "category": "kesehatan", "targetNode": "64"}, kaltim_admin, "exists"),
        ({"regionPrefix": "64", "targetNode": "99.nowhere"}, kaltim_admin, "no node '99.nowhere'"),
        ({"regionPrefix": "64.99", "targetNode": "64"}, kaltim_admin, "not in the Kemendagri region tree"),
        ({"regionPrefix": "6x", "targetNode": "64"}, kaltim_admin, "invalid region code"),
        ({"regionPrefix": "64", "targetNode": "65"}, kaltim_admin, "neither covers nor lies in 64"),
        ({"regionPrefix": "64", "targetNode": "64", "level": "UNIT"}, kaltim_admin, "PROVINSI or KABKOTA"),
        ({"regionPrefix": "64.08", "targetNode": "64.08"}, kaltara_admin, "admin of 65 may not"),
        ({"regionPrefix": "64", "targetNode": "64"}, {}, "addRoutingRule needs an API key or a session"),
        ({"regionPrefix": "64", "targetNode": "64"}, {"authorization": "Bearer adm_forged"}, "unknown or revoked"),
    ]
    for rule, headers, message in refusals:
        body = await add_rule(rule, headers)
        assert body.get("data") is None and message in body["errors"][0]["message"], (rule, body)

    route = await graphql(session, federation.hub.graphql_url, """
      { kes: routeReport(report: {regionCode: "64.08.01", category: "kesehatan"}) { target rule reason }
        jalan: routeReport(report: {regionCode: "64.08.01", category: "jalan"}) { target rule reason }
        kaltara: routeReport(report: {regionCode: "65.01", category: "jalan"}) { target rule reason }
        rules: routingRules(regionPrefix: "64") { id regionPrefix category targetNode } }""")
    data = route["data"]
    rule_id = good["data"]["addRoutingRule"]["id"]
    reason = f"rule #{rule_id} (region 64, category kesehatan)"
    assert data["kes"] == {"target": "64", "rule": rule_id, "reason": reason}
    assert data["jalan"] == {"target": "64.08", "rule": None, "reason": "fallback: kab/kota desk of 64.08"}
    assert data["kaltara"] == {"target": "65", "rule": None, "reason": "fallback: province desk of 65"}
    assert data["rules"] == [{"id": rule_id, "regionPrefix": "64", "category": "kesehatan", "targetNode": "64"}]


async def test_a_node_offline_gets_its_report_when_it_comes_back(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kutim = federation.desks["64.08"]
    kutim.process.kill()
    submitted = await graphql(session, federation.hub.graphql_url, SUBMIT, {"report": HEALTH_REPORT})
    tn = submitted["data"]["submitReport"]["trackingNumber"]

    conn = await asyncpg.connect(federation.hub.database_url)
    try:
        async def retried() -> int:
            attempts: int = await conn.fetchval(
                "SELECT attempts FROM hub.deliveries WHERE tracking_number = $1 AND purpose = 'ACCEPT'", tn)
            return attempts if attempts >= 2 else 0

        await eventually(retried)
        error = await conn.fetchval("SELECT last_error FROM hub.deliveries WHERE tracking_number = $1", tn)
        assert error.startswith("NODE_UNAVAILABLE")
    finally:
        await conn.close()

    back = federation.desks["64.08"] = restart_desk(federation.hub, kutim)
    await eventually(lambda: _desk_copy(session, back, tn), timeout=20)


async def _sent_again(session: aiohttp.ClientSession, fed: Federation, admin: dict[str, str], mutation: str,
                     variables: dict[str, Any], tn: str, code: str) -> None:
    """An admin's `mutation` on a dead letter answers true, and report `tn` reaches desk `code`, which holds it."""
    async with session.post(fed.hub.graphql_url, headers=admin, json={"query": mutation, "variables": variables}
                            ) as response:
        body = await response.json()
    assert list(body) == ["data"] and list(body["data"].values()) == [True], body
    await eventually(lambda: _desk_copy(session, fed.desks[code], tn))

    async def held() -> dict[str, Any] | None:  # the desk commits before the hub records it
        track = await _track(session, fed, tn)
        return track if (track["routing"], track["holder"]) == ("HELD", code) else None

    await eventually(held)


@pytest.mark.hub_flags("--delivery-max-attempts", "2")
async def test_a_delivery_that_keeps_failing_goes_to_dead_letter_where_an_admin_reroutes_it(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    fed, hub = bare_federation, bare_federation.hub
    fed.desks["64"] = start_desk(hub, tmp_path, "64", "64", "PROVINSI")
    fed.desks["64.08"] = start_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA", parent="64")
    fed.desks["64.08"].process.kill()
    submitted = await graphql(session, hub.graphql_url, SUBMIT, {"report": HEALTH_REPORT})
    tn = submitted["data"]["submitReport"]["trackingNumber"]
    admin = _admin_key(fed, "64")

    async def dead_letters() -> list[dict[str, Any]]:
        async with session.post(hub.graphql_url, headers=admin, json={
                "query": "{ deadLetters { deliveryId trackingNumber targetNode attempts lastError } }"}) as r:
            body = await r.json()
        return [d for d in body["data"]["deadLetters"] if d["trackingNumber"] == tn]

    [dead] = await eventually(dead_letters)
    assert dead["targetNode"] == "64.08" and dead["attempts"] == 2
    assert dead["lastError"].startswith("NODE_UNAVAILABLE")
    assert (await _track(session, fed, tn))["routing"] == "DEAD"

    outsider = _admin_key(fed, "65")
    async with session.post(hub.graphql_url, headers=outsider, json={
            "query": "{ deadLetters { trackingNumber } }"}) as response:
        assert (await response.json())["data"]["deadLetters"] == [], "out of the admin's region"

    reroute = "mutation R($tn: String!) { rerouteReport(trackingNumber: $tn) }"
    await _sent_again(session, fed, admin, reroute, {"tn": tn}, tn, "64")
    assert await dead_letters() == []


@pytest.mark.hub_flags("--delivery-max-attempts", "2")
async def test_a_node_answering_garbage_to_deliveries_ends_in_dead_letter_and_a_retry_delivers_once_it_is_back(
    bare_federation: Federation, tmp_path: Path, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    fed, hub = bare_federation, bare_federation.hub
    await enrol_endpoint(session, hub, impostor.url, "63", "63")  # Kalsel's address answers nonsense
    kalsel = {**HEALTH_REPORT, "regionCode": "63.03"}
    garbage = await graphql(session, hub.graphql_url, SUBMIT, {"report": kalsel})
    tn = garbage["data"]["submitReport"]["trackingNumber"]
    admin = _admin_key(fed, "national")

    async def dead(tracking: str) -> dict[str, Any] | None:
        async with session.post(hub.graphql_url, headers=admin, json={
                "query": "{ deadLetters { deliveryId trackingNumber attempts lastError } }"}) as response:
            body = await response.json()
        return next((d for d in body["data"]["deadLetters"] if d["trackingNumber"] == tracking), None)

    letter = await eventually(lambda: dead(tn))
    assert letter["lastError"].startswith("NODE_BAD_RESPONSE") and letter["attempts"] == 2
    assert any("acceptReport" in call for call in impostor.calls)

    # A real desk that was down for longer than the retries, then back: an admin retries.
    fed.desks["64.08"] = start_desk(hub, tmp_path, "64.08", "64.08", "KABKOTA")
    kutim = fed.desks["64.08"]
    kutim.process.kill()
    offline = await graphql(session, hub.graphql_url, SUBMIT, {"report": HEALTH_REPORT})
    tn = offline["data"]["submitReport"]["trackingNumber"]
    letter = await eventually(lambda: dead(tn))
    fed.desks["64.08"] = restart_desk(hub, kutim)
    retry = "mutation R($id: Int!) { retryDelivery(deliveryId: $id) }"
    await _sent_again(session, fed, admin, retry, {"id": letter["deliveryId"]}, tn, "64.08")
