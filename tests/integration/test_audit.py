"""The audit log: every write is there with who, what, where and which request, and nobody can change it.

A scripted day at the hub (enrolments, a public report with the reporter's
name and phone, rules, holidays, a disposisi, a re-route, a report from a
parent hub, keys, a user, logins, a status change from a desk) is read back
through auditLog by admins and supervisors in and out of scope.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import pytest

import simpul.asgi.requestid
from hub.api.schema import hub_schema
from tests.federation import (
    Federation,
    bearer,
    create_key,
    eventually,
    graphql,
    hub_ok,
    node_graphql,
    run_cli,
    start_desk,
    start_hub,
)

REPORTER_NAME, REPORTER_PHONE = "Siti Rahmawati", "+62 812-5550-1234"

AUDIT = """query($first: Int!, $region: String) { auditLog(first: $first, regionPrefix: $region) {
  id at actor role action target regionCode requestId detail } }"""

# Entries made outside any HTTP request: the command line, the delivery worker, the feed puller.
OUTSIDE_REQUESTS = {"ENROLMENT_TOKEN_CREATED", "REPORT_DELIVERED", "STATUS_CHANGED", "REPORT_RETURNED",
                    "REPORT_ROUTED"}


async def _audit(session: aiohttp.ClientSession, fed: Federation, headers: dict[str, str] | None = None,
                 region: str | None = None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await hub_ok(session, fed, AUDIT, {"first": 500, "region": region},
                                               headers))["auditLog"]
    return entries


async def _one_day_of_writes(session: aiohttp.ClientSession, fed: Federation) -> dict[str, str]:
    """Writes through the real API, the way people and machines make them; returns what they were about."""
    submitted = await hub_ok(session, fed, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                          "{ trackingNumber } }",
                          {"r": {"kind": "PENGADUAN", "title": "Puskesmas tutup siang", "body": "Tutup pukul 12.",
                                 "category": "kesehatan", "regionCode": "64.08", "reporterName": REPORTER_NAME,
                                 "reporterContact": REPORTER_PHONE}}, headers={})
    tracking = submitted["submitReport"]["trackingNumber"]
    nowhere = await hub_ok(session, fed, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                        "{ trackingNumber } }",
                        {"r": {"kind": "PENGADUAN", "title": "Jalan rusak", "body": "Di Banda Aceh.",
                               "category": "infrastruktur", "regionCode": "11", "reporterName": REPORTER_NAME,
                               "reporterContact": REPORTER_PHONE}})
    unroutable = nowhere["submitReport"]["trackingNumber"]
    await hub_ok(session, fed, "mutation($t: String!) { rerouteReport(trackingNumber: $t) }", {"t": unroutable})
    rule = (await hub_ok(session, fed, 'mutation { addRoutingRule(rule: {regionPrefix: "64", category: "kesehatan", '
                      'targetNode: "64"}) { id } }'))["addRoutingRule"]["id"]
    await hub_ok(session, fed, "mutation($id: Int!) { removeRoutingRule(id: $id) { id } }", {"id": rule})
    await hub_ok(session, fed, 'mutation { addHoliday(day: "2026-08-10", name: "HUT Kutai Timur", '
              'regionPrefix: "64.08") { day } }')
    await hub_ok(session, fed, 'mutation { removeHoliday(day: "2026-08-10", regionPrefix: "64.08") { day } }')
    await hub_ok(session, fed, 'mutation { acceptForwardedReport(idempotencyKey: "nasional-0001", report: {'
              'sourceId: "nasional:1", trackingNumber: "NAS-AUDIT-1", kind: PENGADUAN, title: "Dari pusat", '
              'body: "Diteruskan.", category: "kesehatan", regionCode: "64.08", channel: WEB, '
              'receivedAt: "2026-11-02T09:00:00+08:00", reporter: {}}) { trackingNumber } }')
    key = (await hub_ok(session, fed, 'mutation { issueApiKey(key: {role: INTEGRATOR, name: "Portal Kaltim", '
                     'regionCode: "64", operations: ["reports"]}) { key { id } } }'))["issueApiKey"]["key"]["id"]
    await hub_ok(session, fed, "mutation($id: Int!) { revokeApiKey(id: $id) { id } }", {"id": key})
    await hub_ok(session, fed, 'mutation { createUser(user: {username: "pengawas-64", name: "Ombudsman Kaltim", '
              'role: SUPERVISOR, regionCode: "64", password: "kata sandi panjang"}) { username } }')
    refused = await graphql(session, fed.hub.graphql_url, 'mutation { login(username: "pengawas-64", '
                            'password: "salah sekali ini") { token } }', headers={})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    login = await hub_ok(session, fed, 'mutation { login(username: "pengawas-64", password: "kata sandi panjang") '
                      "{ token } }", headers={})

    kutim = fed.desks["64.08"]

    async def at_kutim() -> dict[str, Any] | None:
        body = await node_graphql(session, kutim, "{ reports(first: 100) { reports { id trackingNumber } } }")
        return next((r for r in body["data"]["reports"]["reports"] if r["trackingNumber"] == tracking), None)

    copy = await eventually(at_kutim)
    async with session.post(f"{kutim.url}/reports/{copy['id'].split(':')[1]}/status", json={"status": "VERIFIED"},
                            headers=bearer(kutim.operator_key)) as response:
        assert response.status == 200, await response.text()

    async def status_fed_back() -> bool:
        return any(e["action"] == "STATUS_CHANGED" for e in await _audit(session, fed))

    await eventually(status_fed_back)
    await hub_ok(session, fed, 'mutation($t: String!) { reassignReport(trackingNumber: $t, node: "64", '
              'note: "Ditangani Biro Kesra") }', {"t": tracking})
    return {"tracking": tracking, "unroutable": unroutable, "rule": str(rule), "key": str(key),
            "supervisor": login["login"]["token"]}


@pytest.mark.timeout(120)
async def test_every_write_is_in_the_audit_log_with_who_what_where_and_request(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    day = await _one_day_of_writes(session, federation)
    tn = day["tracking"]
    entries = await _audit(session, federation)
    seen = {(e["action"], e["target"]): e for e in entries}
    expected = {
        ("ENROLMENT_TOKEN_CREATED", "region 64.08"): ("ADMIN", "64.08"),
        ("NODE_ENROLLED", "node 64.08"): ("NODE", "64.08"),
        ("REPORT_SUBMITTED", f"report {tn}"): ("PUBLIC", "64.08"),
        ("REPORT_DELIVERED", f"report {tn}"): ("SYSTEM", "64.08"),
        ("STATUS_CHANGED", f"report {tn}"): ("NODE", "64.08"),
        ("REPORT_REASSIGNED", f"report {tn}"): ("ADMIN", "64.08"),
        ("REPORT_SUBMITTED", f"report {day['unroutable']}"): ("ADMIN", "11"),
        ("REPORT_REROUTED", f"report {day['unroutable']}"): ("ADMIN", "11"),
        ("ROUTING_RULE_ADDED", f"rule {day['rule']}"): ("ADMIN", "64"),
        ("ROUTING_RULE_REMOVED", f"rule {day['rule']}"): ("ADMIN", "64"),
        ("HOLIDAY_ADDED", "holiday 2026-08-10"): ("ADMIN", "64.08"),
        ("HOLIDAY_REMOVED", "holiday 2026-08-10"): ("ADMIN", "64.08"),
        ("FORWARDED_REPORT_ACCEPTED", "report NAS-AUDIT-1"): ("ADMIN", "64.08"),
        ("KEY_ISSUED", f"key {day['key']}"): ("ADMIN", "64"),
        ("KEY_REVOKED", f"key {day['key']}"): ("ADMIN", "64"),
        ("USER_CREATED", "user pengawas-64"): ("ADMIN", "64"),
        ("LOGIN_FAILED", "user pengawas-64"): ("PUBLIC", None),
        ("LOGIN", "user pengawas-64"): ("SUPERVISOR", "64"),
    }
    missing = [what for what in expected if what not in seen]
    assert not missing, f"not in the audit log: {missing}\n{[(e['action'], e['target']) for e in entries]}"
    for what, (role, region) in expected.items():
        entry = seen[what]
        assert (entry["role"], entry["regionCode"]) == (role, region), entry
        assert entry["actor"] and entry["at"], entry
    assert seen[("STATUS_CHANGED", f"report {tn}")]["actor"] == "node 64.08"
    assert seen[("STATUS_CHANGED", f"report {tn}")]["detail"]["status"] == "VERIFIED"
    assert seen[("REPORT_SUBMITTED", f"report {tn}")]["actor"] == "public"
    assert seen[("ENROLMENT_TOKEN_CREATED", "region 64.08")]["actor"].startswith("cli (")
    assert seen[("REPORT_DELIVERED", f"report {tn}")]["detail"]["node"] == "64.08"

    requests = [e for e in expected if e[0] not in OUTSIDE_REQUESTS]
    if hasattr(simpul.asgi.requestid, "RequestIds"):
        assert all(seen[what]["requestId"] for what in requests), [seen[w] for w in requests]
    ids = [seen[what]["requestId"] for what in requests if seen[what]["requestId"] is not None]
    assert len(ids) == len(set(ids)), "one request id per request"


@pytest.fixture
def hub_as_runtime_role(database: str, tmp_path: Path) -> Iterator[tuple[Federation, str]]:
    """The federation fixture's hub and desks, the hub run as the way docs/operations.md says: migrated by the
    owner of its schema (`simpul migrate --runtime-role`), serving as a role that does not own it; and that role."""
    role = f"simpul_hub_{secrets.token_hex(4)}"
    asyncio.run(_sql(database, f'CREATE ROLE "{role}" LOGIN'))
    migrated = run_cli("migrate", "--database-url", database, "--runtime-role", role)
    assert migrated.returncode == 0, migrated.stderr
    runtime_url = urlunsplit(urlsplit(database)._replace(netloc=f"{role}@{urlsplit(database).netloc.split('@')[-1]}"))
    hub = start_hub(runtime_url, tmp_path)
    running = Federation(hub)
    owner = replace(hub, database_url=database)  # desks keep their own schemas, as their owner
    try:
        running.desks["65"] = start_desk(owner, tmp_path, "65", "65", "PROVINSI")
        running.desks["64"] = start_desk(owner, tmp_path, "64", "64", "PROVINSI")
        running.desks["64.08"] = start_desk(owner, tmp_path, "64.08", "64.08", "KABKOTA", parent="64")
        yield running, runtime_url
    finally:
        running.stop()
        asyncio.run(_sql(database, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"'))


async def _sql(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.mark.timeout(120)
async def test_the_audit_log_is_scoped_append_only_and_keeps_no_reporter_identity(
    hub_as_runtime_role: tuple[Federation, str], database: str, session: aiohttp.ClientSession
) -> None:
    federation, runtime_url = hub_as_runtime_role
    day = await _one_day_of_writes(session, federation)
    kaltara_admin = bearer(await create_key(federation.hub.database_url, "admin", "65"))
    kaltim_supervisor = bearer(day["supervisor"])

    kaltara = await _audit(session, federation, kaltara_admin)
    assert kaltara and all((e["regionCode"] or "").split(".")[0] == "65" for e in kaltara), kaltara
    refused = await graphql(session, federation.hub.graphql_url, AUDIT, {"first": 10, "region": "64"},
                            headers=kaltara_admin)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    kaltim = await _audit(session, federation, kaltim_supervisor)
    assert {"REPORT_SUBMITTED", "NODE_ENROLLED", "HOLIDAY_ADDED", "LOGIN"} <= {e["action"] for e in kaltim}
    assert all((e["regionCode"] or "").split(".")[0] == "64" for e in kaltim), kaltim

    conn = await asyncpg.connect(database, server_settings={"search_path": "hub"})  # as the log's owner
    try:
        # Background work (deliveries, status sync) may add entries meanwhile: compare what was there.
        entries = "SELECT audit_log::text AS entry FROM audit_log WHERE id <= $1 ORDER BY id"
        last = await conn.fetchval("SELECT max(id) FROM audit_log")
        rows = [r["entry"] for r in await conn.fetch(entries, last)]
        # The phone's digits as any form would keep them ("55501234" cannot occur in a timestamp,
        # whose microseconds are six digits; "5550" alone once matched one).
        phone_forms = (REPORTER_PHONE, "5550-1234", "55501234")
        assert rows and not [r for r in rows if REPORTER_NAME in r or any(p in r for p in phone_forms)], \
            "no reporter identity"
        for statement in ("UPDATE hub.audit_log SET actor = 'nobody'", "DELETE FROM hub.audit_log",
                          "TRUNCATE hub.audit_log"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(statement)
        assert [r["entry"] for r in await conn.fetch(entries, last)] == rows, "no entry changed or went"
    finally:
        await conn.close()

    # The hub wrote all of the above as its runtime role, which may neither change the log nor lift its guard.
    conn = await asyncpg.connect(runtime_url, server_settings={"search_path": "hub"})
    try:
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE id <= $1", last) == len(rows)
        for statement in ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                          "ALTER TABLE audit_log DISABLE TRIGGER ALL", "ALTER TABLE audit_log OWNER TO CURRENT_USER",
                          "UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                          "DROP TABLE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
    finally:
        await conn.close()

    mutations = hub_schema()._schema.mutation_type
    assert mutations is not None
    assert not [name for name in mutations.fields if "audit" in name.lower()]
