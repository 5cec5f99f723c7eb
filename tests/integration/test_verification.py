"""Verifikasi over real processes: an admin retitles, reclassifies and sets anonim or rahasia at the hub; every desk
keeping the report applies it, anonim erases the reporter for good, and a new category can send it to another
unit."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg

from hub.forwarding.verification import ANONIM_FOR_GOOD, NO_EDITS, NOTHING_CHANGES, SETTLED, UNKNOWN_CATEGORY
from hub.settings import SCHEMA
from simpul.report import INFORMATION_REQUEST_NEEDS_IDENTITY
from tests.federation import (
    Desk,
    Federation,
    bearer,
    create_key,
    eventually,
    graphql,
    hub_ok,
    node_graphql,
    submit,
)

VERIFY = """
mutation V($t: String!, $e: VerificationEdits!, $n: String) {
  verifyReport(trackingNumber: $t, edits: $e, note: $n) {
    trackingNumber title category kind anonymous confidential changed rerouted routing { target reason } } }
"""
CHAIN = "query C($t: String!) { reportChain(trackingNumber: $t) { holder routing timeline { event node note } } }"
TRACK = "query T($t: String!) { trackReport(trackingNumber: $t) { status holder } }"
AT_DESK = """
query R($id: ID!) { reportToForward(id: $id) {
  title category kind reporter { anonymous confidential name contact } } }
"""
AUDIT = "{ auditLog(action: \"REPORT_VERIFIED\") { target actor detail } }"


async def verify(session: aiohttp.ClientSession, fed: Federation, number: str, edits: dict[str, Any],
                 note: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return await graphql(session, fed.hub.graphql_url, VERIFY, {"t": number, "e": edits, "n": note}, headers=headers)


def errors(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


async def at_hub(session: aiohttp.ClientSession, fed: Federation, number: str, holder: str) -> None:
    """Wait until the hub knows the report, held by `holder`."""
    async def held() -> bool:
        track = (await hub_ok(session, fed, TRACK, {"t": number}))["trackReport"]
        return bool(track and track["holder"] == holder)
    await eventually(held)


async def desk_copy(session: aiohttp.ClientSession, desk: Desk, number: str,
                    **expected: Any) -> dict[str, Any]:
    """The desk's copy of report `number` (with its reporter, as the hub reads it to forward), once it reads as
    `expected`."""
    async def found() -> dict[str, Any] | None:
        listed = await node_graphql(session, desk, "{ reports(first: 100) { reports { id trackingNumber } } }")
        ids = [r["id"] for r in listed["data"]["reports"]["reports"] if r["trackingNumber"] == number]
        if not ids:
            return None
        copy: dict[str, Any] = (await node_graphql(session, desk, AT_DESK, {"id": ids[0]}))["data"]["reportToForward"]
        return copy if all(copy[k] == v for k, v in expected.items()) else None
    copy: dict[str, Any] = await eventually(found)
    return copy


async def reporter_row(fed: Federation, desk: Desk, number: str) -> asyncpg.Record:
    """The reporter as the desk's own database keeps it."""
    schema = "desk_" + desk.code.replace(".", "_")
    conn = await asyncpg.connect(fed.hub.database_url)
    try:
        row: asyncpg.Record = await conn.fetchrow(
            f"SELECT anonymous, reporter_name, reporter_contact FROM {schema}.reports WHERE tracking_number = $1",
            number)
        return row
    finally:
        await conn.close()


async def test_an_admin_retitles_and_reclassifies_a_desk_report_and_the_desk_shows_it(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    fed, kutim = module_federation, module_federation.desks["64.08"]
    created = await submit(session, kutim, region_code="64.08", title="jln rusak", reporterName="Siti")
    number = created["trackingNumber"]
    await at_hub(session, fed, number, "64.08")
    admin = bearer(await create_key(fed.hub.database_url, "admin", "64"))

    body = await verify(session, fed, number, {"title": "  Jalan berlubang di depan SDN 1 Sangatta  ",
                                               "kind": "ASPIRASI", "confidential": True},
                        note="judul diperjelas", headers=admin)

    assert "errors" not in body, body
    verified = body["data"]["verifyReport"]
    assert verified == {
        "trackingNumber": number, "title": "Jalan berlubang di depan SDN 1 Sangatta", "category": "infrastruktur",
        "kind": "ASPIRASI", "anonymous": False, "confidential": True, "changed": ["title", "kind", "confidential"],
        "rerouted": False, "routing": {"target": "64.08", "reason": verified["routing"]["reason"]}}
    copy = await desk_copy(session, kutim, number, title="Jalan berlubang di depan SDN 1 Sangatta")
    assert copy["kind"] == "ASPIRASI" and copy["category"] == "infrastruktur"
    assert copy["reporter"] == {"anonymous": False, "confidential": True, "name": "Siti", "contact": None}
    # The timeline keeps the verification and where the rules send the report (it stays); the audit log what
    # changed, before and after, and never the reporter.
    entry = next(e for e in (await hub_ok(session, fed, AUDIT))["auditLog"] if e["target"] == f"report {number}")
    assert entry["actor"].endswith("(admin 64)")
    chain = (await hub_ok(session, fed, CHAIN, {"t": number}))["reportChain"]
    assert chain["timeline"][-1]["event"] == "VERIFIED"
    assert chain["timeline"][-1]["note"] == (f"by {entry['actor']}: title, kind, confidential changed; routing: "
                                             "stays with 64.08 (fallback: kab/kota desk of 64.08); judul diperjelas")
    assert entry["detail"]["before"] == {"title": "jln rusak", "kind": "PENGADUAN", "confidential": False}
    assert entry["detail"]["after"] == {"title": "Jalan berlubang di depan SDN 1 Sangatta", "kind": "ASPIRASI",
                                        "confidential": True}
    assert "Siti" not in str(entry)

    again = await verify(session, fed, number, {"kind": "ASPIRASI"}, headers=admin)
    assert errors(again) == [NOTHING_CHANGES.format(number)]


async def test_a_reclassification_that_names_another_unit_reroutes_the_report(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    fed, kutim, kaltim = module_federation, module_federation.desks["64.08"], module_federation.desks["64"]
    rule = await hub_ok(session, fed, 'mutation { addRoutingRule(rule: {regionPrefix: "64", targetNode: "64", '
                        'category: "kesehatan"}) { id } }')
    try:
        created = await submit(session, kutim, region_code="64.08", title="Antrean RSUD panjang",
                               reporterName="Budi", reporterContact="081234567890")
        number = created["trackingNumber"]
        await at_hub(session, fed, number, "64.08")

        body = await verify(session, fed, number, {"category": "kesehatan"})

        assert "errors" not in body, body
        verified = body["data"]["verifyReport"]
        assert verified["rerouted"] and verified["routing"]["target"] == "64"
        # The province's unit takes it as a disposisi would, the reporter with it; Kutim's copy is amended too.
        moved = await desk_copy(session, kaltim, number, category="kesehatan")
        assert moved["reporter"]["name"] == "Budi" and moved["reporter"]["contact"] == "081234567890"
        await desk_copy(session, kutim, number, category="kesehatan")
        await at_hub(session, fed, number, "64")
        events = [(e["event"], e["node"]) for e in (await hub_ok(session, fed, CHAIN, {"t": number}))
                  ["reportChain"]["timeline"]]
        assert events[-3:] == [("VERIFIED", "64.08"), ("REASSIGNED", "64"), ("DELIVERED", "64")]
    finally:
        await hub_ok(session, fed, "mutation($id: Int!) { removeRoutingRule(id: $id) { id } }",
                     {"id": rule["addRoutingRule"]["id"]})


async def test_setting_anonim_erases_the_reporter_at_the_desk_and_in_every_later_forward(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    fed, kaltara, kaltim = module_federation, module_federation.desks["65"], module_federation.desks["64"]
    created = await submit(session, kaltara, region_code="65", title="Pungutan liar di kantor desa",
                           reporterName="Ani", reporterContact="081298765432")
    number = created["trackingNumber"]
    await at_hub(session, fed, number, "65")
    assert (await reporter_row(fed, kaltara, number))["reporter_name"] == "Ani"

    body = await verify(session, fed, number, {"anonymous": True}, note="pelapor khawatir")

    assert "errors" not in body, body
    await desk_copy(session, kaltara, number, reporter={"anonymous": True, "confidential": False, "name": None,
                                                        "contact": None})
    assert dict(await reporter_row(fed, kaltara, number)) == {
        "anonymous": True, "reporter_name": None, "reporter_contact": None}
    # Sent on by hand afterwards: the new unit gets no name, none being left to carry.
    await hub_ok(session, fed, 'mutation($t: String!) { reassignReport(trackingNumber: $t, node: "64", '
                 'note: "kewenangan provinsi") }', {"t": number})
    moved = await desk_copy(session, kaltim, number)
    assert moved["reporter"] == {"anonymous": True, "confidential": False, "name": None, "contact": None}
    assert dict(await reporter_row(fed, kaltim, number)) == {
        "anonymous": True, "reporter_name": None, "reporter_contact": None}

    assert errors(await verify(session, fed, number, {"anonymous": False})) == [ANONIM_FOR_GOOD.format(number)]
    assert errors(await verify(session, fed, number, {"kind": "INFORMASI"})) == [INFORMATION_REQUEST_NEEDS_IDENTITY]


async def test_bad_edits_finished_reports_and_callers_out_of_scope_are_refused(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    fed, kutim = module_federation, module_federation.desks["64.08"]
    created = await submit(session, kutim, region_code="64.08")
    number = created["trackingNumber"]
    await at_hub(session, fed, number, "64.08")

    for edits, message in [
        ({}, NO_EDITS), ({"title": "   "}, "title must be 1 to 200 characters"),
        ({"category": "jalan raya"}, UNKNOWN_CATEGORY.format("jalan raya")),
    ]:
        assert errors(await verify(session, fed, number, edits)) == [message], edits
    assert errors(await verify(session, fed, "LPR-NOSUCH00", {"title": "x"})) == [
        "no report with tracking number 'LPR-NOSUCH00'"]
    kaltara_admin = bearer(await create_key(fed.hub.database_url, "admin", "65"))
    assert errors(await verify(session, fed, number, {"title": "Judul lain"}, headers=kaltara_admin)) == [
        "admin of 65 may not verify reports in region 64.08"]
    integrator = bearer(await create_key(fed.hub.database_url, "integrator", "64", ["reports"]))
    refused = await verify(session, fed, number, {"title": "Judul lain"}, headers=integrator)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused

    conn = await asyncpg.connect(fed.hub.database_url, server_settings={"search_path": SCHEMA})
    try:
        await conn.execute("UPDATE ledger SET settled_at = now() WHERE tracking_number = $1", number)
        settled = await conn.fetchval("SELECT settled_at FROM ledger WHERE tracking_number = $1", number)
    finally:
        await conn.close()
    assert errors(await verify(session, fed, number, {"title": "Judul lain"})) == [
        SETTLED.format(number, settled.isoformat())]


async def test_an_archived_report_is_not_verified_again(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    fed, kutim, status = module_federation, module_federation.desks["64.08"], "ARCHIVED"
    created = await submit(session, kutim, region_code="64.08")
    number = created["trackingNumber"]
    async with session.post(f"{kutim.url}/reports/{created['id'].split(':')[1]}/status",
                            json={"status": status, "note": "duplikat"},
                            headers={"authorization": f"Bearer {kutim.operator_key}"}) as response:
        assert response.status == 200, await response.text()

    async def archived() -> bool:
        track = (await hub_ok(session, fed, TRACK, {"t": number}))["trackReport"]
        return bool(track and track["status"] == status)
    await eventually(archived)

    assert errors(await verify(session, fed, number, {"title": "Judul lain"})) == [
        f"report {number} is {status}: a finished report is not verified again"]
