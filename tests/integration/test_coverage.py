"""Connection coverage over a real hub and desks: the register, connected / expected, and who may change it.

Kaltara (65) expects its province government, five kabupaten/kota governments
and the OPDs its admin declares. Only the province desk is enrolled at first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.federation import Federation, bearer, create_key, eventually, graphql, start_desk, start_hub

COVERAGE = """
query C($region: String, $asOf: DateTime) {
  coverage(regionPrefix: $region, asOf: $asOf) {
    region { regionCode regionName expected connected share notConnected { kind name regionCode nodeCode } }
    provinces { regionCode expected connected share }
  }
}
"""
DECLARE = """
mutation D($u: DeclaredUnitInput!) {
  declareUnit(unit: $u) { id kind name regionCode nodeCode connectedNode skNumber skDate legalBasis declaredBy }
}
"""
WITHDRAW = ("mutation W($id: Int!, $r: String!) "
            "{ withdrawUnit(id: $id, reason: $r) { id withdrawnBy withdrawalReason } }")
DINKES = {"name": "Dinas Kesehatan Provinsi Kalimantan Utara", "regionCode": "65", "nodeCode": "65.dinkes",
          "legalBasis": "Perpres 76/2013", "skNumber": "188.44/K.12/2019", "skDate": "2019-02-01"}
DISHUB = {"name": "Dinas Perhubungan Provinsi Kalimantan Utara", "regionCode": "65", "nodeCode": "65.dishub",
          "legalBasis": "Perpres 76/2013"}


@pytest.fixture
def kaltara(database: str, tmp_path: Path) -> Iterator[Federation]:
    with Federation(start_hub(database, tmp_path)) as running:
        running.desks["65"] = start_desk(running.hub, tmp_path, "65", "65", "PROVINSI")
        yield running


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return body["data"]


def _error(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"], body["errors"][0]["message"]


async def test_a_unit_that_never_enrolled_lowers_coverage_and_enrolling_or_withdrawing_it_raises_it(
    kaltara: Federation, database: str, tmp_path: Path,
) -> None:
    hub = kaltara.hub
    admin = bearer(await create_key(database, "admin", "65"))
    async with aiohttp.ClientSession() as session:
        async def coverage(as_of: datetime | None = None) -> dict[str, Any]:
            body = await graphql(session, hub.graphql_url, COVERAGE,
                                 {"region": "65", "asOf": as_of.isoformat() if as_of else None}, headers=admin)
            return dict(_data(body)["coverage"]["region"])

        before = await coverage()
        started = datetime.now(UTC)
        assert (before["regionName"], before["expected"], before["connected"]) == ("Kalimantan Utara", 6, 1)
        assert [u["regionCode"] for u in before["notConnected"]] == ["65.01", "65.02", "65.03", "65.04", "65.71"]

        dinkes = _data(await graphql(session, hub.graphql_url, DECLARE, {"u": DINKES}, headers=admin))["declareUnit"]
        assert {k: dinkes[k] for k in ("kind", "nodeCode", "connectedNode", "skDate", "declaredBy")} == {
            "kind": "DECLARED", "nodeCode": "65.dinkes", "connectedNode": None, "skDate": "2019-02-01",
            "declaredBy": "key 1 (admin 65)"}
        dishub = _data(await graphql(session, hub.graphql_url, DECLARE, {"u": DISHUB}, headers=admin))["declareUnit"]
        declared = await coverage()
        both_declared = datetime.now(UTC)
        assert (declared["expected"], declared["connected"], declared["share"]) == (8, 1, 1 / 8)
        assert "Dinas Kesehatan Provinsi Kalimantan Utara" in [u["name"] for u in declared["notConnected"]]

        kaltara.desks["65.dinkes"] = start_desk(hub, tmp_path, "65.dinkes", "65", "UNIT", parent="65")

        async def raised() -> bool:
            return (await coverage())["connected"] == 2

        await eventually(raised)
        dinkes_connected = datetime.now(UTC)
        withdrawn = _data(await graphql(session, hub.graphql_url, WITHDRAW,
                                        {"id": dishub["id"], "r": "digabung ke Dinas PUPR"}, headers=admin))
        assert withdrawn["withdrawUnit"]["withdrawalReason"] == "digabung ke Dinas PUPR"
        after = await coverage()
        assert (after["expected"], after["connected"], after["share"]) == (7, 2, 2 / 7)
        assert "Dinas Perhubungan Provinsi Kalimantan Utara" not in [u["name"] for u in after["notConnected"]]

        listed = _data(await graphql(session, hub.graphql_url, "{ declaredUnits(regionPrefix: \"65\", withdrawn: "
                                     "true) { name connectedNode withdrawnAt } }", headers=admin))["declaredUnits"]
        assert [(u["name"], u["connectedNode"], u["withdrawnAt"] is not None) for u in listed] == [
            (DINKES["name"], "65.dinkes", False), (DISHUB["name"], None, True)]
        audit = _data(await graphql(session, hub.graphql_url, "{ auditLog(regionPrefix: \"65\") { action target } }",
                                    headers=admin))["auditLog"]
        assert [a["action"] for a in audit if a["action"].startswith("UNIT_")] == [
            "UNIT_WITHDRAWN", "UNIT_DECLARED", "UNIT_DECLARED"]

        # Coverage as it stood: a past period's report reads the declarations, enrolments and suspensions recorded.
        suspended = await graphql(session, hub.graphql_url, 'mutation { suspendNode(code: "65.dinkes", '
                                  'reason: "aplikasi dipindah ke server baru") { status } }', headers=admin)
        assert _data(suspended)["suspendNode"]["status"] == "SUSPENDED"
        assert ((await coverage())["expected"], (await coverage())["connected"]) == (7, 1)
        for moment, expected, connected in ((started, 6, 1), (both_declared, 8, 1), (dinkes_connected, 8, 2)):
            then = await coverage(moment)
            assert (then["expected"], then["connected"]) == (expected, connected), moment
        assert _error(await graphql(session, hub.graphql_url, COVERAGE, {"region": "65", "asOf": "2026-01-01T00:00"},
                                    headers=admin))[0] == "BAD_USER_INPUT"


async def test_the_register_is_changed_and_read_in_the_callers_region_only_and_bad_declarations_are_named(
    kaltara: Federation, database: str,
) -> None:
    hub = kaltara.hub
    kaltara_admin = bearer(await create_key(database, "admin", "65"))
    kaltim_admin = bearer(await create_key(database, "admin", "64"))
    kaltim_supervisor = bearer(await create_key(database, "supervisor", "64"))
    async with aiohttp.ClientSession() as session:
        async def ask(query: str, variables: dict[str, Any] | None, headers: dict[str, str]) -> dict[str, Any]:
            return await graphql(session, hub.graphql_url, query, variables, headers=headers)

        declared = _data(await ask(DECLARE, {"u": DINKES}, kaltara_admin))["declareUnit"]
        assert _error(await ask(DECLARE, {"u": DINKES}, kaltim_admin)) == (
            "FORBIDDEN", "admin of 64 may not declare units in region 65")
        assert _error(await ask(WITHDRAW, {"id": declared["id"], "r": "salah"}, kaltim_admin))[0] == "FORBIDDEN"
        assert _error(await ask(COVERAGE, {"region": "65"}, kaltim_supervisor))[0] == "FORBIDDEN"
        assert _error(await ask(DECLARE, {"u": DINKES}, kaltim_supervisor))[0] == "FORBIDDEN"
        assert _error(await ask(COVERAGE, {"region": "65"}, {}))[0] in ("FORBIDDEN", "UNAUTHENTICATED")
        own = _data(await ask(COVERAGE, {"region": None}, kaltim_supervisor))["coverage"]
        assert own["region"]["regionCode"] == "64"
        assert [p["regionCode"] for p in own["provinces"]] == ["64"]
        assert own["region"]["expected"] == 1 + 10  # Kaltim's government and its seven kabupaten and three kota

        for changes, message in [
            ({}, f"'{DINKES['name']}' is already declared in region 65"),
            ({"name": "Dinas Baru", "nodeCode": "65.dinkes"}, f"node 65.dinkes is already declared as "
                                                             f"'{DINKES['name']}'"),
            ({"regionCode": "65.99"}, "region 65.99 is not in the Kemendagri region tree"),
            ({"name": "Dinas Baru", "nodeCode": None, "legalBasis": " "},
             "a declared unit needs its legal basis (dasar hukum)"),
            ({"name": "Dinas Baru", "nodeCode": None, "skDate": None},
             "give the SK number and the SK date together, or neither"),
        ]:
            assert _error(await ask(DECLARE, {"u": {**DINKES, **changes}}, kaltara_admin)) == (
                "BAD_USER_INPUT", message), changes
        assert _error(await ask(WITHDRAW, {"id": 999999, "r": "salah"}, kaltara_admin)) == (
            "BAD_USER_INPUT", "no declared unit has id 999999")
        assert _error(await ask(WITHDRAW, {"id": declared["id"], "r": " "}, kaltara_admin)) == (
            "BAD_USER_INPUT", "a declared unit needs its reason for withdrawing")
        assert _error(await ask(COVERAGE, {"region": ""}, kaltara_admin))[0] == "FORBIDDEN"
