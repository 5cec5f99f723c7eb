"""A reporter's name and phone never reach a log, and an anonymous report keeps no identity anywhere.

Reports with an identity go in through a desk's public form endpoint (as
JSON and as the HTML form posts them), travel through the hub to the unit
with authority, with every process logging at DEBUG; afterwards every line
any process wrote is searched, and so is every table in the database.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.federation import Desk, Federation, eventually, node_graphql, submit

PLAIN = {"reporterName": "Ratna Kusumawardhani", "reporterContact": "0812-7700-4411"}
CONFIDENTIAL = {"reporterName": "Yohanes Manuhutu", "reporterContact": "+62 857 3310 9264"}
ANONYMOUS = {"reporterName": "Dewi Anggraeni Siregar", "reporterContact": "0896-5521-0078"}
# Sent to Kaltara's desk, but Kutai Timur's health office holds authority: the hub forwards each one.
REPORT = {"kind": "PENGADUAN", "title": "Puskesmas Sangatta tutup siang",
          "body": "Puskesmas di Sangatta Utara tutup pukul 12 padahal jadwal sampai 14.",
          "category": "kesehatan", "regionCode": "64.08"}


@pytest.fixture(autouse=True)
def debug_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `simpul` process the test starts logs at DEBUG (autouse: set before the federation starts)."""
    monkeypatch.setenv("SIMPUL_LOG_LEVEL", "DEBUG")


def _traces(identity: dict[str, str]) -> list[str]:
    """The ways a name and phone could show up: as written, and the phone's digits in any format."""
    digits = re.sub(r"\D", "", identity["reporterContact"])
    national = digits.removeprefix("62").removeprefix("0")
    return [identity["reporterName"], identity["reporterContact"], national]


async def _form_post(session: aiohttp.ClientSession, desk: Desk, fields: dict[str, str]) -> dict[str, Any]:
    """Submit as the desk's HTML form does: url-encoded fields, checkboxes sent as "on"."""
    async with session.post(desk.url + "/reports", data=fields) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
        return body


async def _tracking_numbers(session: aiohttp.ClientSession, desk: Desk) -> set[str]:
    body = await node_graphql(session, desk, "{ reports(first: 100) { reports { trackingNumber } } }")
    return {r["trackingNumber"] for r in body["data"]["reports"]["reports"]}


async def _tables_holding(conn: asyncpg.Connection, trace: str) -> set[str]:
    """Every table in the database with a row whose text holds `trace` (digits compared without separators)."""
    tables = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('pg_catalog', 'information_schema')")
    found = set()
    for t in tables:
        name = f'"{t["table_schema"]}"."{t["table_name"]}"'  # from the catalog, not from input
        if await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {name} r WHERE strpos(r::text, $1) > 0"
            f" OR ($1 ~ '^[0-9]+$' AND strpos(regexp_replace(r::text, '[^0-9]', '', 'g'), $1) > 0))",
            trace,
        ):
            found.add(f"{t['table_schema']}.{t['table_name']}")
    return found


async def test_no_process_logs_a_reporters_identity_and_an_anonymous_report_keeps_none(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    kaltara, kutim = federation.desks["65"], federation.desks["64.08"]
    submitted = [
        await submit(session, kaltara, **REPORT, **PLAIN),
        await _form_post(session, kaltara, {**REPORT, **PLAIN}),
        await submit(session, kaltara, **REPORT, **CONFIDENTIAL, confidential=True),
        await _form_post(session, kaltara, {**REPORT, **CONFIDENTIAL, "confidential": "on"}),
        await submit(session, kaltara, **REPORT, **ANONYMOUS, anonymous=True),
        await _form_post(session, kaltara, {**REPORT, **ANONYMOUS, "anonymous": "on"}),
    ]
    async with session.post(kaltara.url + "/reports", json={**PLAIN, **ANONYMOUS, "kind": "PENGADUAN"}) as refused:
        assert refused.status == 400, "a report without a title is refused, identity and all"
    numbers = {s["trackingNumber"] for s in submitted}
    await eventually(lambda: _arrived(session, kutim, numbers))

    conn = await asyncpg.connect(federation.hub.database_url)
    try:
        anonymous_rows = await conn.fetch(
            "SELECT tracking_number, reporter_name, reporter_contact FROM desk_65.reports WHERE anonymous"
            " UNION ALL SELECT tracking_number, reporter_name, reporter_contact FROM desk_64_08.reports"
            " WHERE anonymous")
        holding = {trace: await _tables_holding(conn, trace) for trace in _traces(ANONYMOUS) + _traces(PLAIN)}
    finally:
        await conn.close()
    assert len(anonymous_rows) == 4, "two anonymous reports, each at the desk it reached and the one holding it"
    assert all(r["reporter_name"] is None and r["reporter_contact"] is None for r in anonymous_rows)
    for trace in _traces(ANONYMOUS):
        assert holding[trace] == set(), f"{trace!r} of an anonymous reporter is stored in {holding[trace]}"
    for trace in _traces(PLAIN):
        assert "desk_65.reports" in holding[trace], "the search finds an identity that is stored"

    federation.stop()
    processes = {"hub": federation.hub.process, **{f"desk {c}": d.process for c, d in federation.desks.items()}}
    assert any(" DEBUG " in p.output for p in processes.values()), "the processes logged at DEBUG"
    for who, process in processes.items():
        for identity in (PLAIN, CONFIDENTIAL, ANONYMOUS):
            for trace in _traces(identity):
                assert trace not in process.output, f"{who} logged {trace!r}:\n{process.output}"


async def _arrived(session: aiohttp.ClientSession, desk: Desk, numbers: set[str]) -> bool:
    return numbers <= await _tracking_numbers(session, desk)
