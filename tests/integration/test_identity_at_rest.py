"""A reporter's name and contact live at the unit holding the report; the hub carries them only in flight.

A report submitted at the hub waits for its unit sealed (never in clear),
across a hub restart, and the seal is erased once the unit has it; a report
first seen in a desk's feed is never stored with its reporter at all. A dump of
the hub's schema names no reporter, while the desks holding the reports do.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.deploy.test_backup_restore import postgres_program
from tests.federation import (
    Desk,
    Federation,
    eventually,
    graphql,
    hub_ok,
    restart_desk,
    start_hub,
    submit,
)
from tests.impostor import Impostor, enrol_endpoint

SUBMIT = """
mutation Submit($report: SubmitReportInput!) { submitReport(report: $report) { trackingNumber routing { target } } }
"""
AT_HUB = {"reporterName": "Bonifasius Lahagu", "reporterContact": "0813-4520-7781"}
AT_DESK = {"reporterName": "Halimatus Sa'diyah", "reporterContact": "+62 852 9914 3306"}
HEALTH = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang",
          "body": "Puskesmas di Sangatta Utara tutup pukul 12 padahal jadwal sampai 14.",
          "category": "kesehatan", "regionCode": "64.08"}


def national_digits(contact: str) -> str:
    """A phone number's digits without the 0 or 62 prefix: what any formatting of it still contains."""
    return re.sub(r"\D", "", contact).removeprefix("62").removeprefix("0")


def identity_traces(text: str, *identities: dict[str, str]) -> list[str]:
    """The lines of `text` holding a reporter's name, or their phone's digits in any formatting."""
    found = []
    for line in text.splitlines():
        digits = re.sub(r"\D", "", line)
        for identity in identities:
            if identity["reporterName"] in line or national_digits(identity["reporterContact"]) in digits:
                found.append(line)
    return found


def dump_hub_schema(database_url: str) -> str:
    """`pg_dump --schema=hub`: what a backup of the hub holds."""
    result = subprocess.run([postgres_program("pg_dump"), "--schema=hub", f"--dbname={database_url}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "COPY hub.ledger" in result.stdout
    return result.stdout


async def _reporter_at(conn: asyncpg.Connection, desk: Desk, tn: str) -> tuple[str, str] | None:
    schema = "desk_" + desk.code.replace(".", "_")  # the desk's own schema, from its code
    row = await conn.fetchrow(f"SELECT reporter_name, reporter_contact FROM {schema}.reports"
                              " WHERE tracking_number = $1", tn)
    return (row["reporter_name"], row["reporter_contact"]) if row else None


async def _set_status(session: aiohttp.ClientSession, desk: Desk, conn: asyncpg.Connection, tn: str,
                      status: str, note: str) -> None:
    schema = "desk_" + desk.code.replace(".", "_")
    local_id = await conn.fetchval(f"SELECT local_id FROM {schema}.reports WHERE tracking_number = $1", tn)
    async with session.post(f"{desk.url}/reports/{local_id}/status", json={"status": status, "note": note},
                            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def test_the_hub_keeps_no_reporter_in_clear_while_waiting_across_a_restart_or_after_delivery(
    federation: Federation, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    kaltara, kaltim, kutim = federation.desks["65"], federation.desks["64"], federation.desks["64.08"]
    kutim.process.stop()  # Kutai Timur's desk is down: the hub's delivery must wait
    submitted = await hub_ok(session, federation, SUBMIT, {"report": {**HEALTH, **AT_HUB}}, headers={})
    tn = submitted["submitReport"]["trackingNumber"]
    assert submitted["submitReport"]["routing"]["target"] == "64.08"
    conn = await asyncpg.connect(federation.hub.database_url)
    try:
        await eventually(lambda: conn.fetchval(
            "SELECT attempts > 0 FROM hub.deliveries WHERE tracking_number = $1 AND purpose = 'ACCEPT'", tn))
        assert identity_traces(dump_hub_schema(federation.hub.database_url), AT_HUB) == []
        assert await conn.fetchval("SELECT sealed_identity IS NOT NULL FROM hub.ledger WHERE tracking_number = $1",
                                   tn), "the reporter waits, sealed"

        port = federation.hub.url.rsplit(":", 1)[1]
        federation.hub.process.stop()
        federation.hub = start_hub(federation.hub.database_url, tmp_path, "--port", port)  # same key file
        federation.desks["64.08"] = kutim = restart_desk(federation.hub, kutim)
        assert await eventually(lambda: _reporter_at(conn, kutim, tn)) == (
            AT_HUB["reporterName"], AT_HUB["reporterContact"]), "nothing lost across the restart"
        await eventually(lambda: conn.fetchval(
            "SELECT sealed_identity IS NULL AND routing = 'HELD' FROM hub.ledger WHERE tracking_number = $1", tn))

        from_feed = await submit(session, kaltara, **HEALTH, **AT_DESK)  # the wrong door: forwarded from 65
        assert await eventually(lambda: _reporter_at(conn, kutim, from_feed["trackingNumber"])) == (
            AT_DESK["reporterName"], AT_DESK["reporterContact"])

        # Not Kutai Timur's authority after all: returned, the report goes on to Kaltim's desk, its reporter with it,
        # fetched from Kutai Timur (the hub no longer has it).
        await _set_status(session, kutim, conn, tn, "RETURNED", "Bukan wewenang kabupaten.")
        assert await eventually(lambda: _reporter_at(conn, kaltim, tn)) == (
            AT_HUB["reporterName"], AT_HUB["reporterContact"])
        await eventually(lambda: conn.fetchval(
            "SELECT routing = 'HELD' AND holder_node = '64' FROM hub.ledger WHERE tracking_number = $1", tn))
    finally:
        await conn.close()

    dump = dump_hub_schema(federation.hub.database_url)
    assert tn in dump and from_feed["trackingNumber"] in dump, "the dump holds both reports"
    assert identity_traces(dump, AT_HUB, AT_DESK) == []
    assert identity_traces(federation.hub.process.output, AT_HUB, AT_DESK) == []


async def test_an_agency_quoting_the_contact_in_its_error_leaves_no_trace_of_it_at_the_hub(
    database: str, tmp_path: Path, session: aiohttp.ClientSession, impostor: Impostor
) -> None:
    hub = start_hub(database, tmp_path, "--delivery-max-attempts", "2")
    try:
        impostor.mode = "refuse-contact"
        await enrol_endpoint(session, hub, impostor.url, "63", "63")
        report = {**HEALTH, "regionCode": "63", **AT_HUB}
        body = await graphql(session, hub.graphql_url, SUBMIT, {"report": report}, headers={})
        tn = body["data"]["submitReport"]["trackingNumber"]

        async def dead() -> list[dict[str, Any]]:
            letters = await graphql(session, hub.graphql_url, "{ deadLetters { trackingNumber lastError } "
                                    "deliveries(first: 10) { trackingNumber lastError } }")
            return [d for d in letters["data"]["deadLetters"] if d["trackingNumber"] == tn] and letters["data"]

        served = await eventually(dead)
        chain = await graphql(session, hub.graphql_url, "query($tn: String!) { reportChain(trackingNumber: $tn) "
                              "{ timeline { event note } } }", {"tn": tn})
    finally:
        hub.process.stop()
    # Readers of deliveries learn the class of the failure; the agency's own words go to the hub's redacted log.
    assert any("with an error" in (d["lastError"] or "") for d in served["deadLetters"]), served
    notes = [e["note"] or "" for e in chain["data"]["reportChain"]["timeline"] if e["event"] == "DEAD_LETTER"]
    assert notes and "with an error" in notes[0], notes
    texts = [d["lastError"] or "" for d in served["deadLetters"] + served["deliveries"]] + notes
    assert identity_traces("\n".join(texts), AT_HUB) == []
    assert "tidak valid" in hub.process.output, "the hub logged the failure"
    assert identity_traces(hub.process.output, AT_HUB) == []
    assert identity_traces(dump_hub_schema(database), AT_HUB) == []
