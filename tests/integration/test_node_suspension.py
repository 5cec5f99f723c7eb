"""An admin cuts a node off through the API and lets it back in, and the federation sees both at once.

A suspended node is not asked by live federated reads, not routed or delivered
to, and its own signed calls to the hub are refused (the federation index keeps
its reports as last read); reactivated, it is all of that again with the secret
it had. Both changes are in the audit log with who
and why. The federation is Kaltara (65), Kaltim (64) and Kutai Timur (64.08)
under Kaltim; the admin who suspends is Kaltim's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest.mock import ANY

import aiohttp

from connectors.hublink import HEARTBEAT_PATH, POKE_PATH
from tests.federation import (
    Desk,
    Federation,
    as_node,
    bearer,
    create_key,
    desk_credentials,
    eventually,
    graphql,
    hub_ok,
    submit,
)

SUSPEND = "mutation($c: String!, $why: String!) { suspendNode(code: $c, reason: $why) { code status } }"
REACTIVATE = "mutation($c: String!) { reactivateNode(code: $c) { code status } }"
REPORTS = "{ reports(first: 100, live: true) { reports { id } coverage { asked answered failed } } }"
INDEXED = "{ reports(first: 100) { reports { id } coverage { asked answered failed stale { node } } } }"
ROUTE = ('{ routeReport(report: {regionCode: "64.08", category: "kesehatan"}) '
         "{ target rule reason passedOver } }")
NODE = 'query($c: String!) { node(code: $c) { status lastHeartbeat } }'
AUDIT = 'query($a: String!) { auditLog(action: $a) { actor role action target regionCode detail at } }'
REASON = "Rahasia node diduga bocor; menunggu pendaftaran ulang"
HEALTH_REPORT = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang", "body": "Tutup pukul 12.",
                 "category": "kesehatan", "regionCode": "64.08"}


async def _refused(session: aiohttp.ClientSession, fed: Federation, query: str, variables: dict[str, Any],
                   headers: dict[str, str] | None = None) -> tuple[str, str]:
    """The code and message of a refused operation, which must have changed nothing (`data` null)."""
    body = await graphql(session, fed.hub.graphql_url, query, variables, headers=headers)
    assert body["data"] is None and len(body["errors"]) == 1, body
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def _as_the_node(session: aiohttp.ClientSession, fed: Federation, desk: Desk, path: str,
                       payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST to the hub signed with the desk's own secret, as the desk itself does; (status, JSON body)."""
    body = json.dumps(payload).encode()
    headers = {**as_node(desk_credentials(desk), "POST", path, body), "content-type": "application/json"}
    async with session.post(fed.hub.url + path, data=body, headers=headers) as response:
        answer: dict[str, Any] = await response.json()
        return response.status, answer


async def _heartbeat(session: aiohttp.ClientSession, fed: Federation, desk: Desk) -> tuple[int, dict[str, Any]]:
    return await _as_the_node(session, fed, desk, HEARTBEAT_PATH, {"endpoint": desk.url, "healthy": True})


async def _last_heartbeat(session: aiohttp.ClientSession, fed: Federation, code: str) -> datetime:
    return datetime.fromisoformat((await hub_ok(session, fed, NODE, {"c": code}))["node"]["lastHeartbeat"])


def _heartbeats_refused(desk: Desk) -> int:
    return sum("hub answered heartbeat with HTTP 403" in line for line in list(desk.process.lines))


async def _at_least(count: int, wanted: int) -> bool:
    return count >= wanted


async def test_a_suspended_node_is_not_asked_routed_to_or_heard_until_it_is_reactivated(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kutim = federation.desks["64.08"]
    kaltim_admin = bearer(await create_key(federation.hub.database_url, "admin", "64"))
    actor = (await hub_ok(session, federation, "{ me { name } }", headers=kaltim_admin))["me"]["name"]
    rule = (await hub_ok(session, federation, 'mutation { addRoutingRule(rule: {regionPrefix: "64.08", '
                      'category: "kesehatan", targetNode: "64.08"}) { id } }'))["addRoutingRule"]["id"]
    entered = await submit(session, kutim, title="Jalan ke Sangatta rusak")

    async def indexed() -> bool:
        page = (await hub_ok(session, federation, INDEXED))["reports"]
        return entered["id"] in {r["id"] for r in page["reports"]}

    await eventually(indexed)
    suspended = await hub_ok(session, federation, SUSPEND, {"c": "64.08", "why": f"  {REASON} "}, kaltim_admin)
    assert suspended["suspendNode"] == {"code": "64.08", "status": "SUSPENDED"}

    # The desk's own signed calls: heartbeat and poke refused, its GraphQL calls unauthenticated.
    assert await _heartbeat(session, federation, kutim) == (403, {"error": "node is suspended"})
    assert await _as_the_node(session, federation, kutim, POKE_PATH, {}) == (403, {"error": "node is suspended"})
    status, refused = await _as_the_node(session, federation, kutim, "/graphql", {"query": "{ me { role } }"})
    assert status == 200 and refused["data"] is None, refused
    assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
        ("UNAUTHENTICATED", "node 64.08 is suspended")]
    # The desk sends one heartbeat at a time and logs each one refused: once it logs one more, a heartbeat under
    # way when the suspension committed has landed; three more refused after that, and none was heard.
    refused_before = _heartbeats_refused(kutim)
    await eventually(lambda: _at_least(_heartbeats_refused(kutim), refused_before + 1))
    heard = await _last_heartbeat(session, federation, "64.08")
    await eventually(lambda: _at_least(_heartbeats_refused(kutim), refused_before + 4))
    assert await _last_heartbeat(session, federation, "64.08") == heard

    # Live reads ask the active nodes only: no failure, the suspended desk is just not asked.
    page = (await hub_ok(session, federation, REPORTS))["reports"]
    assert page["coverage"] == {"asked": 2, "answered": 2, "failed": []}
    assert entered["id"] not in {r["id"] for r in page["reports"]}
    only_kutim = await hub_ok(session, federation, '{ reports(scope: {nodeCodes: ["64.08"]}, live: true) '
                           "{ reports { id } coverage { asked } } }")
    assert only_kutim["reports"] == {"reports": [], "coverage": {"asked": 0}}
    # The index keeps its reports as last read (they are reports of the federation); it is not pulled, so its
    # freshness is not counted.
    page = (await hub_ok(session, federation, INDEXED))["reports"]
    assert entered["id"] in {r["id"] for r in page["reports"]}
    assert page["coverage"] == {"asked": 2, "answered": 2, "failed": [], "stale": []}
    listed = await hub_ok(session, federation, "{ nodes(filter: {status: SUSPENDED}) { code } }")
    assert listed["nodes"] == [{"code": "64.08"}]

    # Routing passes over the rule that names it and falls back up the tree to Kaltim's desk.
    route = (await hub_ok(session, federation, ROUTE))["routeReport"]
    assert route == {"target": "64", "rule": None, "reason": "fallback: province desk of 64",
                     "passedOver": [f"rule #{rule}: node 64.08 is not active"]}
    submitted = await hub_ok(session, federation, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                          "{ trackingNumber routing { target } } }", {"r": HEALTH_REPORT}, headers={})
    tracking = submitted["submitReport"]["trackingNumber"]
    assert submitted["submitReport"]["routing"]["target"] == "64"

    async def held_by_kaltim() -> bool:
        track = await hub_ok(session, federation, 'query($t: String!) { trackReport(trackingNumber: $t) '
                          "{ routing holder } }", {"t": tracking}, headers={})
        return bool(track["trackReport"] == {"routing": "HELD", "holder": "64"})

    await eventually(held_by_kaltim)
    to_kutim = await hub_ok(session, federation, '{ deliveries(nodeCode: "64.08") { trackingNumber } }')
    assert tracking not in {d["trackingNumber"] for d in to_kutim["deliveries"]}

    # Reactivated with the secret it had: heard, asked and routed to again.
    reactivated = await hub_ok(session, federation, REACTIVATE, {"c": "64.08"}, kaltim_admin)
    assert reactivated["reactivateNode"] == {"code": "64.08", "status": "ACTIVE"}
    assert await _heartbeat(session, federation, kutim) == (200, {"ok": True, "feedCursor": ANY})
    ours = await _last_heartbeat(session, federation, "64.08")

    async def heard_again() -> bool:  # the desk's own next heartbeat, after ours
        return await _last_heartbeat(session, federation, "64.08") > ours

    await eventually(heard_again)
    page = (await hub_ok(session, federation, REPORTS))["reports"]
    assert page["coverage"] == {"asked": 3, "answered": 3, "failed": []}
    assert entered["id"] in {r["id"] for r in page["reports"]}
    route = (await hub_ok(session, federation, ROUTE))["routeReport"]
    assert (route["target"], route["rule"], route["passedOver"]) == ("64.08", rule, [])

    [suspension] = (await hub_ok(session, federation, AUDIT, {"a": "NODE_SUSPENDED"}, kaltim_admin))["auditLog"]
    [reactivation] = (await hub_ok(session, federation, AUDIT, {"a": "NODE_REACTIVATED"}, kaltim_admin))["auditLog"]
    assert {k: v for k, v in suspension.items() if k != "at"} == {
        "actor": actor, "role": "ADMIN", "action": "NODE_SUSPENDED", "target": "node 64.08",
        "regionCode": "64.08", "detail": {"reason": REASON, "renewalTokensWithdrawn": 0}}
    assert {k: v for k, v in reactivation.items() if k != "at"} == {
        "actor": actor, "role": "ADMIN", "action": "NODE_REACTIVATED", "target": "node 64.08",
        "regionCode": "64.08", "detail": None}
    assert datetime.fromisoformat(suspension["at"]) < datetime.fromisoformat(reactivation["at"])


async def test_only_an_admin_of_the_nodes_region_may_suspend_it_and_only_sensibly(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    db = federation.hub.database_url
    callers = {
        "supervisor": bearer(await create_key(db, "supervisor", "64")),
        "integrator": bearer(await create_key(db, "integrator", "64", ["reports"])),
        "kaltara admin": bearer(await create_key(db, "admin", "65")),
        "public": {},
    }
    suspend = {"c": "64.08", "why": REASON}
    assert await _refused(session, federation, SUSPEND, suspend, callers["supervisor"]) == (
        "FORBIDDEN", "supervisor may not use suspendNode")
    assert await _refused(session, federation, SUSPEND, suspend, callers["integrator"]) == (
        "FORBIDDEN", "integrator may not use suspendNode")
    assert await _refused(session, federation, SUSPEND, suspend, callers["kaltara admin"]) == (
        "FORBIDDEN", "admin of 65 may not suspend nodes in region 64.08")
    code, message = await _refused(session, federation, SUSPEND, suspend, callers["public"])
    assert code == "UNAUTHENTICATED" and message.startswith("suspendNode needs an API key or a session")

    assert await _refused(session, federation, SUSPEND, {"c": "64.99", "why": REASON}) == (
        "BAD_USER_INPUT", "no node '64.99' is enrolled")
    assert await _refused(session, federation, SUSPEND, {"c": "Kutim!", "why": REASON}) == (
        "BAD_USER_INPUT", "invalid node code 'Kutim!': use a-z, 0-9, '.', '_' or '-'")
    for reason in ("", "   \n", "x" * 501):
        assert await _refused(session, federation, SUSPEND, {"c": "64.08", "why": reason}) == (
            "BAD_USER_INPUT", "a suspension needs a reason of 1 to 500 characters")
    assert await _refused(session, federation, SUSPEND, {"c": "64.08", "why": "bocor\x00"}) == (
        "BAD_USER_INPUT", "strings must not contain NUL characters (\\u0000)")
    assert await _refused(session, federation, REACTIVATE, {"c": "64.08"}) == (
        "BAD_USER_INPUT", "node 64.08 is ACTIVE, not SUSPENDED; only a suspended node can be reactivated")
    assert await _refused(session, federation, REACTIVATE, {"c": "64.99"}) == (
        "BAD_USER_INPUT", "no node '64.99' is enrolled")
    assert (await hub_ok(session, federation, NODE, {"c": "64.08"}))["node"]["status"] == "ACTIVE"
    assert (await hub_ok(session, federation, AUDIT, {"a": "NODE_SUSPENDED"}))["auditLog"] == []

    await hub_ok(session, federation, SUSPEND, {"c": "64.08", "why": "x" * 500})
    assert await _refused(session, federation, SUSPEND, suspend) == (
        "BAD_USER_INPUT", "node 64.08 is already suspended")
    assert await _refused(session, federation, REACTIVATE, {"c": "64.08"}, callers["kaltara admin"]) == (
        "FORBIDDEN", "admin of 65 may not reactivate nodes in region 64.08")
    assert await _refused(session, federation, REACTIVATE, {"c": "64.08"}, callers["supervisor"]) == (
        "FORBIDDEN", "supervisor may not use reactivateNode")
    assert len((await hub_ok(session, federation, AUDIT, {"a": "NODE_SUSPENDED"}))["auditLog"]) == 1
    assert (await hub_ok(session, federation, NODE, {"c": "64.08"}))["node"]["status"] == "SUSPENDED"
