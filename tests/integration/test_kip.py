"""Permintaan informasi under UU 14/2008 (KIP) over real processes: no anonymous requests at any door, the one
extension with its reason, the answer with its outcome, the objection, and the KIP clock in the overdue list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simpul.report import INFORMATION_REQUEST_NEEDS_IDENTITY
from tests.federation import Federation, eventually, graphql, start_desk, submit

REQUESTER = {"reporterName": "Siti Aminah", "reporterContact": "Jl. Pendidikan 2, Sangatta"}
SUBMIT = "mutation($r: SubmitReportInput!) { submitReport(report: $r) { trackingNumber } }"
EXTEND = """mutation($t: String!, $d: Int!, $r: String!) {
  extendInformationRequest(trackingNumber: $t, workingDays: $d, reason: $r) }"""
ANSWER = """mutation($t: String!, $o: InformationOutcome!, $x: String!, $e: String) {
  answerInformationRequest(trackingNumber: $t, outcome: $o, text: $x, exemption: $e) }"""
OVERDUE = """query($asOf: DateTime) { overdueReports(regionPrefix: "64", asOf: $asOf) {
  trackingNumber stage deadline } }"""
OBJECT = 'mutation($t: String!, $r: String!) { objectToInformationAnswer(trackingNumber: $t, reason: $r) }'
ANSWER_OBJECTION = 'mutation($t: String!, $x: String!) { answerInformationObjection(trackingNumber: $t, text: $x) }'
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { status } }"


@pytest.fixture
def kutim(bare_federation: Federation, tmp_path: Path) -> Federation:
    """A hub and Kutai Timur's desk, where information requests about Kutai Timur are answered."""
    bare_federation.desks["64.08"] = start_desk(bare_federation.hub, tmp_path, "64.08", "64.08", "KABKOTA")
    return bare_federation


def _request(**fields: Any) -> dict[str, Any]:
    return {"kind": "INFORMASI", "title": "Data anggaran puskesmas", "body": "Mohon salinan DPA Dinkes 2026.",
            "category": "kesehatan", "regionCode": "64.08", **fields}


async def test_an_anonymous_information_request_is_refused_at_the_hub_and_at_the_desk(
    kutim: Federation, session: aiohttp.ClientSession
) -> None:
    for reporter in ({"anonymous": True}, {"reporterName": "Siti"}, {}):
        body = await graphql(session, kutim.hub.graphql_url, SUBMIT, {"r": _request(**reporter)}, headers={})
        assert body["errors"][0]["message"] == INFORMATION_REQUEST_NEEDS_IDENTITY, reporter

    async with session.post(kutim.desks["64.08"].url + "/reports",
                            json={**_request(), "anonymous": True}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == INFORMATION_REQUEST_NEEDS_IDENTITY

    named = await graphql(session, kutim.hub.graphql_url, SUBMIT, {"r": _request(**REQUESTER)}, headers={})
    assert "errors" not in named, named


async def test_an_information_request_is_extended_once_answered_with_its_outcome_and_objected_to(
    kutim: Federation, session: aiohttp.ClientSession
) -> None:
    request = await submit(session, kutim.desks["64.08"], **{k: v for k, v in _request(**REQUESTER).items()
                                                              if k != "regionCode"})
    complaint = await submit(session, kutim.desks["64.08"])
    number = request["trackingNumber"]

    async def known() -> bool:
        for t in (number, complaint["trackingNumber"]):
            body = await graphql(session, kutim.hub.graphql_url, TRACK, {"t": t})
            if body["data"]["trackReport"] is None:
                return False
        return True
    await eventually(known)
    url = kutim.hub.graphql_url

    async def error_of(query: str, variables: dict[str, Any]) -> str:
        body = await graphql(session, url, query, variables)
        return str(body["errors"][0]["message"])

    assert "nothing to object to yet" in await error_of(OBJECT, {"t": number, "r": "Belum dijawab"})
    assert "needs a written reason" in await error_of(EXTEND, {"t": number, "d": 7, "r": "  "})
    assert "1 to 7 working days, not 8" in await error_of(EXTEND, {"t": number, "d": 8, "r": "Data di arsip"})
    assert "not a permintaan informasi" in await error_of(
        EXTEND, {"t": complaint["trackingNumber"], "d": 3, "r": "Data di arsip"})
    assert (await graphql(session, url, EXTEND, {"t": number, "d": 7, "r": "Data di arsip kecamatan"}))[
        "data"] == {"extendInformationRequest": True}
    assert "KIP allows one extension" in await error_of(EXTEND, {"t": number, "d": 2, "r": "Lagi"})

    # 17 working days later and unanswered: late by the extended deadline, and only by the KIP clock.
    later = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    overdue = (await graphql(session, url, OVERDUE, {"asOf": later}))["data"]["overdueReports"]
    assert [r["stage"] for r in overdue if r["trackingNumber"] == number] == ["INFORMATION"]

    assert "names the exemption" in await error_of(ANSWER, {"t": number, "o": "REFUSED", "x": "Ditolak"})
    answered = await graphql(session, url, ANSWER, {"t": number, "o": "REFUSED", "x": "Ditolak",
                                                    "e": "Pasal 17 huruf j"})
    assert answered["data"] == {"answerInformationRequest": True}
    assert "answered already (REFUSED)" in await error_of(ANSWER, {"t": number, "o": "GRANTED", "x": "Ya"})
    overdue = (await graphql(session, url, OVERDUE, {"asOf": later}))["data"]["overdueReports"]
    assert number not in {r["trackingNumber"] for r in overdue}


    # The requester objects (keberatan): the PPID's superior owes a written response.
    assert "states its reason" in await error_of(OBJECT, {"t": number, "r": " "})
    assert (await graphql(session, url, OBJECT, {"t": number, "r": "Pengecualian tidak berlaku"}))["data"] == {
        "objectToInformationAnswer": True}
    assert "has an objection already" in await error_of(OBJECT, {"t": number, "r": "Lagi"})
    much_later = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    overdue = (await graphql(session, url, OVERDUE, {"asOf": much_later}))["data"]["overdueReports"]
    assert [r["stage"] for r in overdue if r["trackingNumber"] == number] == ["OBJECTION"]
    assert (await graphql(session, url, ANSWER_OBJECTION, {"t": number, "x": "Keberatan ditolak"}))["data"] == {
        "answerInformationObjection": True}
    overdue = (await graphql(session, url, OVERDUE, {"asOf": much_later}))["data"]["overdueReports"]
    assert number not in {r["trackingNumber"] for r in overdue}


ROUTE = """query($k: ReportKind!, $r: String!) {
  routeReport(report: {regionCode: $r, category: "kesehatan", kind: $k}) { target rule reason passedOver } }"""
DESIGNATE = """mutation($r: String!, $n: String!) { designatePpid(regionCode: $r, node: $n) {
  regionCode node designatedBy } }"""
ADD_RULE = "mutation($r: RoutingRuleInput!) { addRoutingRule(rule: $r) { id targetNode targetPpid } }"


async def test_an_information_request_goes_to_the_ppid_of_its_region_and_a_rule_may_name_the_ppid(
    kutim: Federation, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    kutim.desks["64.ppid"] = start_desk(kutim.hub, tmp_path / "ppid", "64.ppid", "64", "UNIT", name="PPID Utama Kaltim")
    url = kutim.hub.graphql_url

    async def route(kind: str, region: str = "64.08") -> dict[str, Any]:
        body = await graphql(session, url, ROUTE, {"k": kind, "r": region})
        assert "errors" not in body, body
        return dict(body["data"]["routeReport"])

    assert (await route("INFORMASI"))["target"] == "64.08", "no PPID designated: the kab/kota desk, as before"
    for region, node, reason in (("", "64.ppid", "a PPID is designated for a province or kabupaten/kota"),
                                 ("64", "64.nope", "no node '64.nope' is enrolled"),
                                 ("64.08", "64.ppid", "node 64.ppid serves region 64, outside 64.08")):
        body = await graphql(session, url, DESIGNATE, {"r": region, "n": node})
        assert reason in body["errors"][0]["message"], body

    designated = await graphql(session, url, DESIGNATE, {"r": "64", "n": "64.ppid"})
    assert designated["data"]["designatePpid"]["node"] == "64.ppid", designated
    routed = await route("INFORMASI")
    assert (routed["target"], routed["reason"]) == ("64.08", "fallback: kab/kota desk of 64.08"), (
        "Kutai Timur's own government answers before the province's PPID")
    assert routed["passedOver"] == []
    province = await route("INFORMASI", "64")
    assert (province["target"], province["reason"]) == ("64.ppid", "fallback: PPID of 64"), province
    assert (await route("PENGADUAN"))["target"] == "64.08"

    # A rule names "the PPID" of the report's region rather than one node: Kaltim's PPID for all of Kaltim.
    refused = await graphql(session, url, ADD_RULE, {"r": {"regionPrefix": "64", "kind": "INFORMASI",
                                                           "targetNode": "64.08", "targetPpid": True}})
    assert "either one node (targetNode) or the PPID" in refused["errors"][0]["message"], refused
    added = await graphql(session, url, ADD_RULE, {"r": {"regionPrefix": "64", "kind": "INFORMASI",
                                                         "targetPpid": True}})
    assert added["data"]["addRoutingRule"]["targetNode"] is None, added
    routed = await route("INFORMASI")
    assert (routed["target"], routed["reason"]) == (
        "64.ppid", f"rule #{added['data']['addRoutingRule']['id']} (region 64, to the PPID, kind INFORMASI)")
    assert (await route("PENGADUAN"))["target"] == "64.08", "complaints are not the PPID's"

    ppids = await graphql(session, url, "{ ppids { regionCode node } }")
    assert ppids["data"]["ppids"] == [{"regionCode": "64", "node": "64.ppid"}]
    audit = await graphql(session, url, '{ auditLog(action: "PPID_DESIGNATED") { target } }')
    assert [e["target"] for e in audit["data"]["auditLog"]] == ["region 64"], audit
