"""Bad input, at the hub's GraphQL API or a desk's HTTP face, gets a clear error and changes nothing.

Tests that read only what they made share one federation (`module_federation`); those that count or page
through everything the hub indexed start their own."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import asyncpg

from tests.federation import Desk, Federation, eventually, graphql, submit

REPORTS = """
query Reports($scope: Scope, $filter: ReportFilter, $first: Int!, $after: String, $live: Boolean! = false) {
  reports(scope: $scope, filter: $filter, first: $first, after: $after, live: $live) {
    reports { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""

STATS = """
query Stats($scope: Scope, $filter: ReportFilter, $live: Boolean! = false) {
  stats(groupBy: [STATUS], scope: $scope, filter: $filter, live: $live) { total }
}
"""

ONE_REPORT = "query One($id: ID!) { report(id: $id) { id } }"

FROM_PARENT = """mutation FromParent($r: ParentReportInput!) {
  acceptForwardedReport(idempotencyKey: "bad-input-0001", report: $r) { trackingNumber }
}"""
FORWARDED = {"sourceId": "nasional:9", "trackingNumber": "NAS-BAD-1", "kind": "PENGADUAN", "title": "Dari pusat",
             "body": "Diteruskan.", "category": "kesehatan", "regionCode": "64.08", "channel": "WEB",
             "receivedAt": "2026-11-02T09:00:00+08:00", "reporter": {}}

EVERYTHING = """
{
  reports(first: 500) { reports { id status updatedAt title } coverage { asked answered failed } }
  stats(groupBy: [STATUS, KIND]) { total buckets { status kind count } }
}
"""


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# (what is wrong, query, variables, what the error message must say)
HUB_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("letters in a region prefix", REPORTS, {"first": 5, "scope": {"regionPrefix": "6x"}},
     "invalid region code '6x'"),
    ("an undotted region prefix", REPORTS, {"first": 5, "scope": {"regionPrefix": "64.8"}},
     "invalid region code '64.8'"),
    ("a bad region prefix in a filter", REPORTS, {"first": 5, "filter": {"regionPrefix": "64.8"}},
     "invalid region code '64.8'"),
    ("a bad region prefix for stats", STATS, {"scope": {"regionPrefix": "6x"}}, "invalid region code '6x'"),
    ("an empty page", REPORTS, {"first": 0}, "first must be between 1 and 500"),
    ("a page too large", REPORTS, {"first": 10000}, "first must be between 1 and 500"),
    ("a garbage cursor", REPORTS, {"first": 5, "after": "bm90LWEtY3Vyc29y!!"}, "invalid cursor"),
    ("a cursor that is not ours", REPORTS, {"first": 5, "after": _cursor({"t": "kemarin", "id": "65:1"})},
     "invalid cursor"),
    ("a cursor with a time that has no UTC", REPORTS,
     {"first": 5, "after": _cursor({"t": "0001-01-01T00:00:00+01:00", "id": "65:1"})}, "invalid cursor"),
    ("a time range the wrong way round", REPORTS,
     {"first": 5, "filter": {"receivedFrom": "2024-02-01T00:00:00+08:00", "receivedTo": "2024-01-01T00:00:00+08:00"}},
     "receivedFrom must be before receivedTo"),
    ("a time bound without timezone", REPORTS, {"first": 5, "filter": {"receivedFrom": "2024-01-01T00:00:00"}},
     "receivedFrom needs a timezone"),
    ("a time bound past year 9999 in UTC", STATS, {"filter": {"receivedTo": "9999-12-31T23:00:00-02:00"}},
     "years 1 to 9999"),
    ("a report id without its node", ONE_REPORT, {"id": "no-colon"}, "invalid report id 'no-colon'"),
    ("an invalid node code in a scope", REPORTS, {"first": 5, "scope": {"nodeCodes": ["65", "Kaltim!"]}},
     "invalid node code 'Kaltim!'"),
    ("an anonymous report from a parent that names its reporter", FROM_PARENT,
     {"r": {**FORWARDED, "reporter": {"anonymous": True, "name": "Siti Aminah"}}},
     "Invalid input: report.reporter: an anonymous report keeps no name or contact"),
    ("a report from a parent without where it was first received", FROM_PARENT,
     {"r": {**FORWARDED, "sourceId": ""}}, "report.sourceId: String should have at least 1 character"),
]


async def test_the_hub_names_each_bad_argument_and_changes_nothing(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    for desk in federation.desks.values():
        await submit(session, desk)

    async def indexed() -> dict[str, Any] | None:
        """Everything, once the index holds the three reports (so that nothing moves on its own after)."""
        body = await graphql(session, federation.hub.graphql_url, EVERYTHING)
        return body if body.get("data") and body["data"]["stats"]["total"] == 3 else None

    before = await eventually(indexed)
    assert "errors" not in before, before
    assert len(before["data"]["reports"]["reports"]) == 3, before

    # Each list read is refused the same way whether it would read the index or ask the nodes.
    live_too = [(f"{problem} (live)", query, {**variables, "live": True}, message)
                for problem, query, variables, message in HUB_CASES if query in (REPORTS, STATS)]
    for problem, query, variables, message in HUB_CASES + live_too:
        body = await graphql(session, federation.hub.graphql_url, query, variables)  # asserts HTTP 200
        errors = body.get("errors")
        assert errors and len(errors) == 1, (problem, body)
        assert message in errors[0]["message"], (problem, body)
        assert "internal error" not in errors[0]["message"], (problem, body)
        assert "Siti Aminah" not in json.dumps(errors), "an error never quotes a reporter"
        assert "extensions" not in errors[0] or not errors[0]["extensions"].get("code", "").startswith("NODE_"), (
            problem, body)
        field = body["data"] and next(iter(body["data"].values()))
        assert field is None, (problem, body)

    after = await graphql(session, federation.hub.graphql_url, EVERYTHING)
    assert after == before


async def test_a_broken_graphql_document_gets_a_syntax_error_over_http_200(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    url = module_federation.hub.graphql_url
    # strawberry answers a document it cannot parse as a GraphQL result: HTTP 200, data null, one error.
    async with session.post(url, json={"query": "{ reports(first: 5) { reports { id } "}) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        body = await r.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"].startswith("Syntax Error: "), body
    assert error["locations"] == [{"line": 1, "column": 38}]

    # A request body that is not JSON at all is refused before GraphQL: HTTP 400.
    async with session.post(url, data=b"{query: reports",
                            headers={"content-type": "application/json"}) as r:
        assert r.status == 400
        assert "Unable to parse request body as JSON" in await r.text()


async def _post(
    session: aiohttp.ClientSession, url: str, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST JSON (a str is sent as it is, as a JSON body); return the status and the answer."""
    data = payload if isinstance(payload, str) else json.dumps(payload)
    async with session.post(url, data=data, headers={"content-type": "application/json", **(headers or {})}) as r:
        return r.status, await r.json()


async def _desk_reports(session: aiohttp.ClientSession, federation: Federation, desk: Desk) -> list[dict[str, Any]]:
    """What the desk holds now, asked through the hub (live: not as of the hub's last pull)."""
    body = await graphql(session, federation.hub.graphql_url,
                         "query($s: Scope) { reports(first: 500, scope: $s, live: true)"
                         " { reports { id status title } } }",
                         {"s": {"nodeCodes": [desk.code]}})
    assert "errors" not in body, body
    reports: list[dict[str, Any]] = body["data"]["reports"]["reports"]
    return reports


GOOD_REPORT = {"kind": "PENGADUAN", "title": "Lampu jalan mati", "body": "Sudah seminggu gelap.",
               "category": "infrastruktur"}

# (what is wrong, body, sent by the officer, what the error must say)
SUBMIT_CASES: list[tuple[str, Any, bool, str]] = [
    ("an unknown kind", {**GOOD_REPORT, "kind": "KELUHAN"}, False,
     "kind must be one of PENGADUAN, ASPIRASI, INFORMASI"),
    ("no title", {k: v for k, v in GOOD_REPORT.items() if k != "title"}, False, "title is required"),
    ("a blank title", {**GOOD_REPORT, "title": "   "}, False, "title must be 1 to 200 characters"),
    ("a body that is not JSON", '{"kind": "PENGADUAN", "title": ', False, "body is not valid JSON"),
    ("JSON that is not an object", "[1, 2]", False, "body must be a JSON object"),
    ("a region code without dots", {**GOOD_REPORT, "regionCode": "6408"}, False, "invalid region code '6408'"),
    ("a yes-or-no that is neither", {**GOOD_REPORT, "anonymous": "maybe"}, False, "anonymous must be true or false"),
    ("an unknown channel", {**GOOD_REPORT, "channel": "MERPATI"}, True, "channel must be one of"),
    ("a time without timezone", {**GOOD_REPORT, "receivedAt": "2024-03-01T09:00:00"}, True,
     "receivedAt needs a timezone"),
    ("a time past year 9999 in UTC", {**GOOD_REPORT, "receivedAt": "9999-12-31T23:59:59-01:00"}, True,
     "receivedAt must lie within the years 1 to 9999"),
]


async def test_a_desk_refuses_bad_submissions_with_a_reason_and_stores_nothing(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    desk = module_federation.desks["64.08"]
    await submit(session, desk)
    before = await _desk_reports(session, module_federation, desk)
    operator = {"authorization": f"Bearer {desk.operator_key}"}

    for problem, payload, as_operator, message in SUBMIT_CASES:
        status, answer = await _post(session, desk.url + "/reports", payload, operator if as_operator else None)
        assert status == 400, (problem, answer)
        assert message in answer["error"], (problem, answer)

    assert await _desk_reports(session, module_federation, desk) == before


async def test_an_anonymous_report_drops_the_name_and_contact_it_was_given(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    desk = module_federation.desks["65"]
    identity = {"reporterName": "Budi Santoso", "reporterContact": "0812-5555-0101"}
    anonymous = await submit(session, desk, anonymous=True, **identity)
    named = await submit(session, desk, confidential=True, **identity)

    conn = await asyncpg.connect(module_federation.hub.database_url)
    try:
        rows = {r["local_id"]: dict(r) for r in await conn.fetch(
            "SELECT local_id, anonymous, confidential, reporter_name, reporter_contact FROM desk_65.reports")}
    finally:
        await conn.close()
    assert rows[anonymous["id"].split(":")[1]] == {
        "local_id": anonymous["id"].split(":")[1], "anonymous": True, "confidential": False,
        "reporter_name": None, "reporter_contact": None}
    # Confidential is not anonymous: the desk keeps the name, and only hides it from others.
    assert rows[named["id"].split(":")[1]]["reporter_name"] == "Budi Santoso"

    body = await graphql(session, module_federation.hub.graphql_url,
                         "query($id: ID!) { report(id: $id) { reporter { anonymous confidential } } }",
                         {"id": anonymous["id"]})
    assert body["data"]["report"]["reporter"] == {"anonymous": True, "confidential": False}
    async with session.get(f"{desk.url}/track/{anonymous['trackingNumber']}") as r:
        assert r.status == 200
        assert "Budi" not in await r.text()


async def test_a_desk_refuses_bad_status_changes_and_the_report_stays_as_it_was(
    module_federation: Federation, session: aiohttp.ClientSession
) -> None:
    desk = module_federation.desks["64"]
    created = await submit(session, desk)
    status_url = f"{desk.url}/reports/{created['id'].split(':')[1]}/status"
    track_url = f"{desk.url}/track/{created['trackingNumber']}"

    async def tracked() -> dict[str, Any]:
        async with session.get(track_url) as r:
            assert r.status == 200
            answer: dict[str, Any] = await r.json()
            return answer

    before = await tracked()
    assert before["status"] == "RECEIVED" and len(before["timeline"]) == 1
    operator = {"authorization": f"Bearer {desk.operator_key}"}

    # (what is wrong, body, headers, HTTP status, what the error must say)
    cases: list[tuple[str, dict[str, Any], dict[str, str], int, str]] = [
        ("no operator key", {"status": "VERIFIED"}, {}, 401, "operator key required"),
        ("a wrong operator key", {"status": "VERIFIED"}, {"authorization": "Bearer not-the-key"}, 401,
         "operator key required"),
        ("skipping the lifecycle", {"status": "COMPLETED", "note": "Sudah diperbaiki."}, operator, 400,
         "a RECEIVED report cannot become COMPLETED"),
        ("on hold without a note", {"status": "ON_HOLD"}, operator, 400, "needs a note"),
        ("on hold with a blank note", {"status": "ON_HOLD", "note": "  "}, operator, 400, "needs a note"),
        ("an unknown status", {"status": "SELESAI"}, operator, 400, "status must be one of"),
        ("a time without timezone", {"status": "VERIFIED", "at": "2024-03-01T09:00:00"}, operator, 400,
         "at needs a timezone"),
    ]
    for problem, payload, headers, expected, message in cases:
        status, answer = await _post(session, status_url, payload, headers)
        assert status == expected, (problem, answer)
        assert message in answer["error"], (problem, answer)
        assert await tracked() == before, problem

    status, answer = await _post(session, f"{desk.url}/reports/404/status", {"status": "VERIFIED"}, operator)
    assert (status, answer) == (400, {"error": "no report '404' at this desk"})

    # The same change, asked properly, goes through.
    status, answer = await _post(session, status_url, {"status": "ON_HOLD", "note": "Mohon lampirkan foto."},
                                 operator)
    assert (status, answer) == (200, {"status": "ON_HOLD", "timeline": 2})


async def test_a_cursor_is_stateless_and_gives_the_same_page_each_time(
    federation: Federation, session: aiohttp.ClientSession
) -> None:
    desks = list(federation.desks.values())
    for i in range(6):
        await submit(session, desks[i % 3], as_operator=True, receivedAt=f"2024-01-0{i + 1}T08:00:00+08:00",
                     title=f"Laporan {i}")

    async def listed(count: int) -> list[str]:
        body = await graphql(session, federation.hub.graphql_url, REPORTS, {"first": 500})
        ids = [r["id"] for r in body["data"]["reports"]["reports"]]
        return ids if len(ids) == count else []

    await eventually(lambda: listed(6))
    body = await graphql(session, federation.hub.graphql_url, REPORTS, {"first": 2})
    first_page = body["data"]["reports"]
    cursor = first_page["pageInfo"]["endCursor"]

    second = await graphql(session, federation.hub.graphql_url, REPORTS, {"first": 2, "after": cursor})
    assert "errors" not in second, second
    # A new report (newer than every page) arrives between two uses of the same cursor.
    new = await submit(session, desks[0], title="Baru")
    assert (await eventually(lambda: listed(7)))[0] == new["id"], "the new report heads the first page"
    again = await graphql(session, federation.hub.graphql_url, REPORTS, {"first": 2, "after": cursor})
    assert again == second

    first_ids = [r["id"] for r in first_page["reports"]]
    second_ids = [r["id"] for r in second["data"]["reports"]["reports"]]
    assert len(second_ids) == 2 and not set(first_ids) & set(second_ids)
    assert second["data"]["reports"]["pageInfo"]["hasNextPage"] is True
