"""Who may do what: every role x every root field of the hub x in scope / out of scope.

The expected table is written here, not read from the hub's policy, so a
change that opens a field to a new role fails this test until it is
written down. In scope is Kaltim (64) and Kutai Timur (64.08); out of
scope is Kaltara (65). A caller refused out of scope, or answered with
nothing from there, passes; a caller shown anything from 65 fails.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.api.schema import hub_schema
from simpul.signing import TO_HUB, new_private_key, sign
from tests.federation import Desk, Federation, as_node, bearer, create_key, desk_credentials, graphql, run_cli, submit
from tests.graphql_ws import Subscription

DENIED = {"FORBIDDEN", "UNAUTHENTICATED"}

# Who may use each root field (A admin, S supervisor, I integrator, N node, P public).
WHO_MAY = {
    "submitReport": "ASIP", "trackReport": "ASINP", "replyToReport": "ASIP", "login": "ASINP", "logout": "AS",
    "me": "ASINP", "changePassword": "AS",
    "nodes": "ASIN", "node": "ASIN", "reports": "ASIN", "report": "ASIN", "stats": "ASIN", "deliveries": "ASN",
    "routeReport": "ASI", "routingRules": "ASI", "ppids": "ASI", "overdueReports": "ASI", "compliance": "ASI",
    "holidays": "ASIN",
    "complianceZones": "AS", "complianceSeries": "AS", "zoneThresholds": "ASI", "ombudsmanScores": "ASI",
    "coverage": "ASI", "declaredUnits": "ASI",
    "reportChain": "AS", "deadLetters": "AS", "ledgerChanges": "AS", "auditLog": "AS", "apiKeys": "A",
    "events": "ASI",
    "addRoutingRule": "A", "removeRoutingRule": "A", "designatePpid": "A", "reassignReport": "A", "verifyReport": "A",
    "retryDelivery": "A",
    "rerouteReport": "A", "addHoliday": "A", "removeHoliday": "A", "acceptForwardedReport": "A",
    "issueApiKey": "A", "revokeApiKey": "A", "createUser": "A", "suspendNode": "A", "reactivateNode": "A",
    "extendInformationRequest": "A", "answerInformationRequest": "A",
    "objectToInformationAnswer": "A", "answerInformationObjection": "A",
    "declareUnit": "A", "withdrawUnit": "A", "enterOmbudsmanScore": "A",
    "_service": "ASINP", "_entities": "ASIN",
}


@dataclass
class World:
    """What the matrix needs: report ids, tracking numbers, rule, delivery and key ids in and out of scope."""

    report_in: str
    report_out: str
    tracking_in: str
    tracking_out: str
    rule_in: int
    rule_out: int
    delivery_in: int
    delivery_out: int
    key_in: int
    key_out: int
    unit_in: int  # a declared unit (connection coverage)
    unit_out: int


Outcome = dict[str, Any]  # the GraphQL response body
Check = Callable[[dict[str, Any]], bool]  # on `data`: True when nothing from outside the scope is in it
REFUSED = "refused"  # out of scope, the field must be refused
UNSCOPED = "unscoped"  # the field has no scope: out of scope it is allowed exactly as in scope


def cases(w: World) -> dict[str, tuple[str, dict[str, Any], dict[str, Any], Check | str]]:
    """field -> (document, variables in scope, variables out of scope, expectation out of scope): REFUSED,
    UNSCOPED, or a check that an allowed answer shows nothing from outside (a refusal always passes it)."""
    def report(region: str) -> dict[str, Any]:
        return {"kind": "PENGADUAN", "title": "Uji akses", "body": "Matriks akses.", "category": "uji",
                "regionCode": region}

    return {
        "submitReport": ("mutation($r: SubmitReportInput!) { submitReport(report: $r) { trackingNumber } }",
                         {"r": report("64.08")}, {"r": report("65")}, UNSCOPED),
        "trackReport": ("query($t: String!) { trackReport(trackingNumber: $t) { status } }",
                        {"t": w.tracking_in}, {"t": w.tracking_out}, UNSCOPED),
        # Neither report is answered yet: the reply is refused as premature, never as out of scope.
        "replyToReport": ('mutation($t: String!) { replyToReport(trackingNumber: $t, text: "Uji") { status } }',
                          {"t": w.tracking_in}, {"t": w.tracking_out}, UNSCOPED),
        "login": ('mutation { login(username: "pengawas", password: "kata sandi panjang") { token } }',
                  {}, {}, UNSCOPED),
        "logout": ("mutation { logout }", {}, {}, UNSCOPED),
        "changePassword": ('mutation { changePassword(currentPassword: "kata sandi panjang", '
                           'newPassword: "kata sandi baru panjang") }', {}, {}, UNSCOPED),
        "me": ("{ me { role } }", {}, {}, UNSCOPED),
        "nodes": ("query($r: String) { nodes(filter: {regionPrefix: $r}) { code } }", {"r": "64"}, {"r": "65"},
                  lambda d: d["nodes"] == []),
        "node": ("query($c: String!) { node(code: $c) { code } }", {"c": "64.08"}, {"c": "65"},
                 lambda d: d["node"] is None),
        "reports": ("query($r: String) { reports(scope: {regionPrefix: $r}) { reports { id } coverage { asked } } }",
                    {"r": "64.08"}, {"r": "65"}, lambda d: d["reports"] == {"reports": [], "coverage": {"asked": 0}}),
        "report": ("query($id: ID!) { report(id: $id) { id } }", {"id": w.report_in}, {"id": w.report_out},
                   lambda d: d["report"] is None),
        "stats": ("query($r: String) { stats(groupBy: [STATUS], scope: {regionPrefix: $r}) "
                  "{ total coverage { asked } } }",
                  {"r": "64.08"}, {"r": "65"}, lambda d: d["stats"] == {"total": 0, "coverage": {"asked": 0}}),
        "deliveries": ("query($n: String) { deliveries(nodeCode: $n) { targetNode } }", {"n": "64.08"}, {"n": "65"},
                       lambda d: d["deliveries"] == []),
        "routeReport": ('query($r: String!) { routeReport(report: {regionCode: $r, category: "uji"}) { target } }',
                        {"r": "64.08"}, {"r": "65"}, REFUSED),
        "routingRules": ("{ routingRules { id regionPrefix } }", {}, {},
                         lambda d: all(not r["regionPrefix"].startswith("65") for r in d["routingRules"])),
        "ppids": ("query($r: String) { ppids(regionPrefix: $r) { node } }", {"r": "64"}, {"r": "65"}, REFUSED),
        "designatePpid": ('mutation($r: String!) { designatePpid(regionCode: $r, node: "64.08") { node } }',
                          {"r": "64.08"}, {"r": "65"}, REFUSED),
        "overdueReports": ("query($r: String) { overdueReports(regionPrefix: $r) { trackingNumber } }",
                           {"r": "64.08"}, {"r": "65"}, lambda d: d["overdueReports"] == []),
        "compliance": ("query($r: String) { compliance(regionPrefix: $r) { node } }", {"r": "64"}, {"r": "65"},
                       lambda d: d["compliance"] == []),
        "complianceZones": ("query($r: String) { complianceZones(regionPrefix: $r) { regionCode } }",
                            {"r": "64"}, {"r": "65"}, lambda d: d["complianceZones"] == []),
        "complianceSeries": ("query($r: String) { complianceSeries(regionPrefix: $r, year: 2026) { month } }",
                             {"r": "64"}, {"r": "65"}, REFUSED),
        "zoneThresholds": ("{ zoneThresholds { greenReachable } }", {}, {}, UNSCOPED),
        "ombudsmanScores": ("query($r: String) { ombudsmanScores(regionPrefix: $r) { unit } }", {"r": "64"},
                            {"r": "65"}, REFUSED),
        "holidays": ("{ holidays(year: 2026) { day } }", {}, {}, UNSCOPED),
        "coverage": ("query($r: String) { coverage(regionPrefix: $r) { region { expected } } }", {"r": "64"},
                     {"r": "65"}, REFUSED),
        "declaredUnits": ("query($r: String) { declaredUnits(regionPrefix: $r) { name } }", {"r": "64"},
                          {"r": "65"}, REFUSED),
        "reportChain": ("query($t: String!) { reportChain(trackingNumber: $t) { holder } }",
                        {"t": w.tracking_in}, {"t": w.tracking_out}, lambda d: d["reportChain"] is None),
        "deadLetters": ("{ deadLetters { targetNode } }", {}, {},
                        lambda d: all(x["targetNode"] != "65" for x in d["deadLetters"])),
        "ledgerChanges": ("{ ledgerChanges { trackingNumber node } }", {}, {},
                          lambda d: w.tracking_out not in json.dumps(d)),
        "auditLog": ("query($r: String) { auditLog(regionPrefix: $r) { regionCode } }", {"r": "64"}, {"r": "65"},
                     lambda d: d["auditLog"] == []),
        "apiKeys": ("{ apiKeys { regionCode } }", {}, {},
                    lambda d: all(k["regionCode"].startswith("64") for k in d["apiKeys"])),
        "events": ("subscription($r: String) { events(regionPrefix: $r) { type } }", {"r": "64"}, {"r": "65"}, REFUSED),
        "addRoutingRule": ("mutation($r: String!, $n: String!) { addRoutingRule(rule: {regionPrefix: $r, "
                           'targetNode: $n, category: "uji-matriks"}) { id } }',
                           {"r": "64.08", "n": "64.08"}, {"r": "65", "n": "65"}, REFUSED),
        "removeRoutingRule": ("mutation($id: Int!) { removeRoutingRule(id: $id) { id } }",
                              {"id": w.rule_in}, {"id": w.rule_out}, REFUSED),
        "reassignReport": ('mutation($t: String!, $n: String!) { reassignReport(trackingNumber: $t, node: $n, '
                           'note: "uji") }', {"t": w.tracking_in, "n": "64"}, {"t": w.tracking_out, "n": "65"},
                           REFUSED),
        "verifyReport": ('mutation($t: String!) { verifyReport(trackingNumber: $t, edits: {title: "Diverifikasi"}) '
                         '{ title } }', {"t": w.tracking_in}, {"t": w.tracking_out}, REFUSED),
        "extendInformationRequest": ('mutation($t: String!) { extendInformationRequest(trackingNumber: $t, '
                                     'workingDays: 3, reason: "uji") }', {"t": w.tracking_in},
                                     {"t": w.tracking_out}, REFUSED),
        "answerInformationRequest": ('mutation($t: String!) { answerInformationRequest(trackingNumber: $t, '
                                     'outcome: GRANTED, text: "uji") }', {"t": w.tracking_in},
                                     {"t": w.tracking_out}, REFUSED),
        "objectToInformationAnswer": ('mutation($t: String!) { objectToInformationAnswer(trackingNumber: $t, '
                                      'reason: "uji") }', {"t": w.tracking_in}, {"t": w.tracking_out}, REFUSED),
        "answerInformationObjection": ('mutation($t: String!) { answerInformationObjection(trackingNumber: $t, '
                                       'text: "uji") }', {"t": w.tracking_in}, {"t": w.tracking_out}, REFUSED),
        "retryDelivery": ("mutation($id: Int!) { retryDelivery(deliveryId: $id) }",
                          {"id": w.delivery_in}, {"id": w.delivery_out}, REFUSED),
        "rerouteReport": ("mutation($t: String!) { rerouteReport(trackingNumber: $t) }",
                          {"t": w.tracking_in}, {"t": w.tracking_out}, REFUSED),
        "addHoliday": ('mutation($r: String) { addHoliday(day: "2026-12-30", name: "Uji", regionPrefix: $r) '
                       '{ day } }',
                       {"r": "64.08"}, {"r": "65"}, REFUSED),
        "removeHoliday": ('mutation($r: String) { removeHoliday(day: "2026-12-30", regionPrefix: $r) { day } }',
                          {"r": "64.08"}, {"r": "65"}, REFUSED),
        "acceptForwardedReport": (
            "mutation($r: ParentReportInput!) { acceptForwardedReport(idempotencyKey: \"matriks-0001\", report: $r)"
            " { trackingNumber } }",
            {"r": {**report("64.08"), "sourceId": "nasional:1", "trackingNumber": "NAS-UJI-1",
                   "receivedAt": "2026-11-02T09:00:00+08:00", "channel": "WEB", "reporter": {}}},
            {"r": {**report("65"), "sourceId": "nasional:2", "trackingNumber": "NAS-UJI-2",
                   "receivedAt": "2026-11-02T09:00:00+08:00", "channel": "WEB", "reporter": {}}}, REFUSED),
        "issueApiKey": ("mutation($r: String!) { issueApiKey(key: {role: SUPERVISOR, name: \"Uji\", regionCode: $r})"
                        " { secret } }", {"r": "64.08"}, {"r": "65"}, REFUSED),
        "revokeApiKey": ("mutation($id: Int!) { revokeApiKey(id: $id) { id } }", {"id": w.key_in}, {"id": w.key_out},
                         REFUSED),
        "createUser": ("mutation($r: String!, $u: String!) { createUser(user: {username: $u, name: \"Uji\", "
                       "role: SUPERVISOR, regionCode: $r, password: \"kata sandi panjang\"}) { username } }",
                       {"r": "64.08", "u": "uji-dalam"}, {"r": "65", "u": "uji-luar"}, REFUSED),
        # Kaltim's desk is suspended, then reactivated by the next field, so the fields after them find it active.
        "suspendNode": ('mutation($c: String!) { suspendNode(code: $c, reason: "Uji matriks") { status } }',
                        {"c": "64"}, {"c": "65"}, REFUSED),
        "reactivateNode": ("mutation($c: String!) { reactivateNode(code: $c) { status } }",
                           {"c": "64"}, {"c": "65"}, REFUSED),
        "declareUnit": ("mutation($r: String!) { declareUnit(unit: {name: \"Dinas Uji\", regionCode: $r, "
                        "legalBasis: \"Perpres 76/2013\"}) { id } }", {"r": "64.08"}, {"r": "65"}, REFUSED),
        "enterOmbudsmanScore": ("mutation($r: String!) { enterOmbudsmanScore(score: {unitKind: REGION, unit: $r, "
                                "year: 2021, score: 72.5, source: \"Ombudsman RI 2021\"}) { zone } }",
                                {"r": "64.08"}, {"r": "65"}, REFUSED),
        "withdrawUnit": ('mutation($id: Int!) { withdrawUnit(id: $id, reason: "Uji matriks") { id } }',
                         {"id": w.unit_in}, {"id": w.unit_out}, REFUSED),
        "_service": ("{ _service { sdl } }", {}, {}, UNSCOPED),
        "_entities": ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Report { id } } }",
                      {"r": [{"__typename": "Report", "id": w.report_in}]},
                      {"r": [{"__typename": "Report", "id": w.report_out}]}, lambda d: d["_entities"] == [None]),
    }


Caller = Callable[[str, dict[str, Any]], Awaitable[Outcome]]


def _denied(body: Outcome) -> bool:
    return any((e.get("extensions") or {}).get("code") in DENIED for e in body.get("errors") or [])


async def _subscribe(session: aiohttp.ClientSession, url: str, headers: dict[str, str], query: str,
                     variables: dict[str, Any]) -> Outcome:
    """A subscription's first answer: its error if refused, else an empty success after a short wait."""
    subscription = await Subscription.open(session, url, query, variables, headers=headers)
    try:
        try:
            await subscription.wait_for(lambda s: s.ended, timeout=1.0)
        except AssertionError:
            return {"data": {}}
        errors = [e for m in subscription.messages if m["type"] == "error" for e in m["payload"]]
        return {"data": None, "errors": errors}
    finally:
        await subscription.close()


def _node_caller(session: aiohttp.ClientSession, federation: Federation, desk: Desk) -> Caller:
    credentials = desk_credentials(desk)

    async def call(query: str, variables: dict[str, Any]) -> Outcome:
        if query.startswith("subscription"):
            return await _subscribe(session, federation.hub.graphql_url, {}, query, variables)
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = {**as_node(credentials, "POST", "/graphql", body), "content-type": "application/json"}
        async with session.post(federation.hub.graphql_url, data=body, headers=headers) as response:
            assert response.status == 200, await response.text()
            answer: Outcome = await response.json()
            return answer

    return call


def _bearer_caller(session: aiohttp.ClientSession, federation: Federation, headers: dict[str, str]) -> Caller:
    async def call(query: str, variables: dict[str, Any]) -> Outcome:
        if query.startswith("subscription"):
            return await _subscribe(session, federation.hub.graphql_url, headers, query, variables)
        return await graphql(session, federation.hub.graphql_url, query, variables, headers=headers)

    return call


async def _world(session: aiohttp.ClientSession, federation: Federation) -> World:
    url, db = federation.hub.graphql_url, federation.hub.database_url
    at_64 = await submit(session, federation.desks["64.08"])
    at_65 = await submit(session, federation.desks["65"])
    tracking = {}
    for region in ("64.08", "65"):
        body = await graphql(session, url, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                             "{ trackingNumber } }", {"r": {"kind": "PENGADUAN", "title": "Dunia uji", "body": "x",
                                                            "category": "uji", "regionCode": region}})
        tracking[region] = body["data"]["submitReport"]["trackingNumber"]
    rules = {}
    for region in ("64", "65"):
        body = await graphql(session, url, "mutation($r: String!) { addRoutingRule(rule: {regionPrefix: $r, "
                             "targetNode: $r, category: \"hapus\"}) { id } }", {"r": region})
        rules[region] = body["data"]["addRoutingRule"]["id"]
    deliveries = {d["targetNode"]: d["id"] for d in
                  (await graphql(session, url, "{ deliveries { id targetNode } }"))["data"]["deliveries"]}
    keys = {}
    for region in ("64.08", "65"):
        body = await graphql(session, url, "mutation($r: String!) { issueApiKey(key: {role: INTEGRATOR, "
                             "name: \"Dicabut\", regionCode: $r, operations: [\"reports\"]}) { key { id } } }",
                             {"r": region})
        keys[region] = body["data"]["issueApiKey"]["key"]["id"]
    units = {}
    for region in ("64.08", "65"):
        body = await graphql(session, url, "mutation($r: String!) { declareUnit(unit: {name: \"Dinas Ditarik\", "
                             "regionCode: $r, legalBasis: \"Perpres 76/2013\"}) { id } }", {"r": region})
        units[region] = body["data"]["declareUnit"]["id"]
    result = run_cli("user", "create", "--username", "pengawas", "--name", "Ombudsman Kaltim", "--role",
                     "supervisor", "--region", "64", "--password-stdin", "--database-url", db,
                     input="kata sandi panjang\n")
    assert result.returncode == 0, result.stderr
    return World(report_in=at_64["id"], report_out=at_65["id"], tracking_in=tracking["64.08"],
                 tracking_out=tracking["65"], rule_in=rules["64"], rule_out=rules["65"],
                 delivery_in=deliveries["64.08"], delivery_out=deliveries["65"], key_in=keys["64.08"],
                 key_out=keys["65"], unit_in=units["64.08"], unit_out=units["65"])


def test_the_matrix_names_every_root_field_of_the_schema() -> None:
    schema = hub_schema()._schema
    fields = {name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root
              for name in root.fields}
    assert fields == set(WHO_MAY)


@pytest.mark.timeout(240)
async def test_every_role_every_field_in_and_out_of_scope(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    db = federation.hub.database_url
    world = await _world(session, federation)
    all_integrator_ops = [f for f, who in WHO_MAY.items() if "I" in who]
    callers: dict[str, Caller] = {
        "A": _bearer_caller(session, federation, bearer(await create_key(db, "admin", "64"))),
        "S": _bearer_caller(session, federation, bearer(await create_key(db, "supervisor", "64"))),
        "I": _bearer_caller(session, federation, bearer(await create_key(db, "integrator", "64",
                                                                         all_integrator_ops))),
        "N": _node_caller(session, federation, federation.desks["64.08"]),
        "P": _bearer_caller(session, federation, {}),
    }
    wrong = []
    for field, (query, inside, outside, expect) in cases(world).items():
        for role, call in callers.items():
            allowed = role in WHO_MAY[field]
            body = await call(query, inside)
            if _denied(body) == allowed:
                wrong.append(f"{field} by {role} in scope: expected {'allowed' if allowed else 'denied'}, got {body}")
            if not allowed:
                continue
            body = await call(query, outside)
            if expect == UNSCOPED:
                if _denied(body):
                    wrong.append(f"{field} by {role} (no scope) refused: {body}")
            elif expect == REFUSED:
                if not _denied(body):
                    wrong.append(f"{field} by {role} out of scope: not refused: {body}")
            elif callable(expect) and not _denied(body) and not (body.get("data") is not None
                                                                 and expect(body["data"])):
                wrong.append(f"{field} by {role} out of scope: neither refused nor empty: {body}")
    assert not wrong, "\n".join(wrong)


async def test_a_node_reads_its_own_reports_and_is_refused_anothers_and_replays_and_forgeries(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    own, other = await submit(session, federation.desks["64.08"]), await submit(session, federation.desks["65"])
    desk = federation.desks["64.08"]
    credentials = desk_credentials(desk)

    async def post(body: bytes, headers: dict[str, str]) -> Outcome:
        async with session.post(federation.hub.graphql_url, data=body,
                                headers={**headers, "content-type": "application/json"}) as response:
            assert response.status == 200, await response.text()
            answer: Outcome = await response.json()
            return answer

    def signed(query: str, variables: dict[str, Any], key: Ed25519PrivateKey = credentials.key
               ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        return body, sign(key, TO_HUB, desk.code, "POST", "/graphql", body)

    read = "query($id: ID!) { report(id: $id) { id } }"
    body, headers = signed(read, {"id": own["id"]})
    assert (await post(body, headers))["data"] == {"report": {"id": own["id"]}}
    replayed = await post(body, headers)
    assert replayed["errors"][0]["message"] == "node signature refused: replayed request"

    refused = await post(*signed(read, {"id": other["id"]}))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] == {"report": None}
    everyone = await post(*signed("{ reports(live: true) { reports { id } coverage { asked } } }", {}))
    assert {r["id"].partition(":")[0] for r in everyone["data"]["reports"]["reports"]} == {"64.08"}

    forged = await post(*signed(read, {"id": own["id"]}, key=new_private_key()))
    assert forged["errors"][0]["message"] == "node signature refused: bad signature"
    body, headers = signed(read, {"id": own["id"]})
    stale = {**headers, "x-simpul-timestamp": str(int(headers["x-simpul-timestamp"]) - 3600)}
    assert (await post(body, stale))["errors"][0]["message"] == "node signature refused: stale signature timestamp"
