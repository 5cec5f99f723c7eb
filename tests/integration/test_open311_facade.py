"""The hub speaks Open311 GeoReport v2 under /open311/v2: an ordinary Open311 client lists its services, posts a
request that the federation routes to the unit with authority, and follows it until the unit completes it.

The client is `georeport` (PyPI), a GeoReport v2 client independent of simpul. It reads but cannot post, and
sends no api_key on reads, so posts and keyed reads go through `requests` with the spec's form fields.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import xmltodict
from georeport import GeoReport

from simpul.processes import ChildProcess
from tests.federation import (
    Desk,
    Federation,
    create_key,
    create_token,
    desk_args,
    eventually,
    graphql,
    node_graphql,
    start_desk,
    start_hub,
)

HEALTH = {"service_code": "kesehatan", "jurisdiction_id": "64.08.04", "lat": "0.5112", "long": "117.6492",
          "description": "Puskesmas Sangatta Utara tutup siang\nPadahal jadwal layanan sampai pukul 14.00.",
          "first_name": "Siti", "last_name": "Rahayu", "email": "siti.rahayu@example.id", "phone": "081234567890"}
IDENTITY = ("Siti", "Rahayu", "siti.rahayu@example.id", "081234567890")


@dataclass
class Open311:
    federation: Federation
    endpoint: str  # .../open311/v2
    kaltim_key: str  # integrator of 64: submits and lists reports
    kaltim_submit_only: str  # integrator of 64 that may submit but not list
    dinkes: Desk
    kutim: Desk

    def client(self, format: str = "json", jurisdiction: str | None = None) -> GeoReport:
        return GeoReport(self.endpoint, jurisdiction=jurisdiction, output_format=format)

    def post(self, form: dict[str, str], format: str = "json", key: str | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        fields = {**form, "api_key": key} if key else form
        return requests.post(f"{self.endpoint}/requests.{format}", data=fields, headers=headers, timeout=10)

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(f"{self.endpoint}/{path}", params=params, timeout=10)


@pytest.fixture(scope="module")
def running(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A hub, the Kutai Timur desk (64.08) and its health office (64.08.dinkes, authority over kesehatan)."""
    data_dir: Path = tmp_path_factory.mktemp("open311")
    hub = start_hub(module_database, data_dir)
    federation = Federation(hub)
    try:
        federation.desks["64.08"] = start_desk(hub, data_dir, "64.08", "64.08", "KABKOTA")
        token = create_token(module_database, "64.08", categories=["kesehatan"])
        args = desk_args(hub, data_dir, "64.08.dinkes", "64.08", "UNIT", token,
                         name="Dinas Kesehatan Kutai Timur")
        operator_key = secrets.token_urlsafe(16)
        process = ChildProcess([*args, "--categories", "kesehatan"], env={"SIMPUL_DESK_OPERATOR_KEY": operator_key})
        url = process.wait_for(r"node \S+ serving on (http://\S+)")[1]
        federation.desks["64.08.dinkes"] = Desk(process, url, "64.08.dinkes", "64.08", operator_key, data_dir, "UNIT")
        yield federation
    finally:
        federation.stop()


@pytest.fixture(scope="module")
async def o311(running: Federation) -> Open311:
    async with aiohttp.ClientSession() as session:
        added = await graphql(session, running.hub.graphql_url, """mutation {
            addRoutingRule(rule: {regionPrefix: "64.08", category: "infrastruktur", targetNode: "64.08"}) { id } }""")
        assert "errors" not in added, added
    database = running.hub.database_url
    return Open311(
        federation=running, endpoint=running.hub.url + "/open311/v2",
        kaltim_key=await create_key(database, "integrator", "64", ["reports", "submitReport"]),
        kaltim_submit_only=await create_key(database, "integrator", "64", ["submitReport"]),
        dinkes=running.desks["64.08.dinkes"], kutim=running.desks["64.08"],
    )


def _error(response: requests.Response, status: int) -> str:
    """The spec's error body in the response's format; returns its description."""
    assert response.status_code == status, (response.status_code, response.text)
    if response.headers["content-type"].startswith("text/xml"):
        error = xmltodict.parse(response.content)["errors"]["error"]
    else:
        [error] = response.json()
    assert error["code"] in (status, str(status)) and error["description"], error
    description: str = error["description"]
    return description


async def _at_desk(desk: Desk, tracking: str) -> dict[str, Any] | None:
    async with aiohttp.ClientSession() as session:
        body = await node_graphql(session, desk, "{ reports(first: 100) { reports { id trackingNumber status } } }")
    return next((r for r in body["data"]["reports"]["reports"] if r["trackingNumber"] == tracking), None)


async def _set_status(desk: Desk, local_id: str, status: str, note: str | None = None) -> None:
    async with aiohttp.ClientSession() as session, session.post(
            f"{desk.url}/reports/{local_id}/status", json={"status": status, "note": note},
            headers={"authorization": f"Bearer {desk.operator_key}"}) as response:
        assert response.status == 200, await response.text()


async def test_the_service_list_and_definitions_are_the_federations_categories_in_json_and_xml(o311: Open311) -> None:
    services = await asyncio.to_thread(o311.client().get_service_list)
    codes = [s["service_code"] for s in services]
    assert codes == ["infrastruktur", "kesehatan", "pelayanan-publik"], "a rule's and a unit's category, the general"
    health = services[1]
    assert health["service_name"] == "Kesehatan" and health["type"] == "realtime" and health["metadata"] is True
    assert health["group"] and health["keywords"] and health["description"]

    as_xml = await asyncio.to_thread(o311.client("xml").get_service_list)
    assert [s["service_code"] for s in as_xml] == codes and as_xml[1]["metadata"] == "true"

    elsewhere = await asyncio.to_thread(o311.client(jurisdiction="65").get_service_list)
    assert [s["service_code"] for s in elsewhere] == ["pelayanan-publik"], "Kaltara has no unit or rule of its own"

    definition = await asyncio.to_thread(o311.client().get_service_definition, "kesehatan")
    assert definition["service_code"] == "kesehatan"
    assert [a["code"] for a in definition["attributes"]] == ["kind", "anonymous", "confidential"]
    xml_definition = await asyncio.to_thread(o311.client("xml").get_service_definition, "kesehatan")
    kinds = xml_definition["attributes"]["attribute"][0]["values"]["value"]
    assert [v["key"] for v in kinds] == ["PENGADUAN", "ASPIRASI", "INFORMASI"]

    with pytest.raises(requests.HTTPError) as missing:
        await asyncio.to_thread(o311.client().get_service_definition, "sulap")
    _error(missing.value.response, 404)
    _error(await asyncio.to_thread(o311.get, "services.csv"), 404)
    _error(await asyncio.to_thread(o311.post, {}, "json", o311.kaltim_key), 400)
    _error(await asyncio.to_thread(requests.post, f"{o311.endpoint}/services.json", timeout=10), 404)
    _error(await asyncio.to_thread(o311.get, "tokens/abc.xml"), 404)

    discovery = (await asyncio.to_thread(o311.get, "discovery.json")).json()
    assert discovery["endpoints"][0]["url"] == o311.endpoint
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    _error(await asyncio.to_thread(o311.get, "services.json", jurisdiction_id="99.99"), 400)


async def test_a_posted_request_reaches_the_unit_with_authority_and_closes_when_it_completes(o311: Open311) -> None:
    posted = await asyncio.to_thread(o311.post, HEALTH, key=o311.kaltim_key)
    assert posted.status_code == 201, posted.text
    [answer] = posted.json()
    tracking = answer["service_request_id"]
    assert answer["account_id"] is None
    assert "Dinas Kesehatan Kutai Timur" in answer["service_notice"]

    at_unit = await eventually(lambda: _at_desk(o311.dinkes, tracking))

    public = await asyncio.to_thread(o311.client().get_service_request, tracking)
    assert public["service_request_id"] == tracking and public["status"] == "open"
    assert public["service_code"] == "kesehatan" and public["expected_datetime"]
    assert public["description"] is None and public["address"] is None, "the public sees no report text"

    mine = (await asyncio.to_thread(o311.get, f"requests/{tracking}.json", api_key=o311.kaltim_key)).json()[0]
    assert mine["description"] == HEALTH["description"].replace("\n", "\n\n")
    assert (mine["lat"], mine["long"]) == (0.5112, 117.6492)

    local_id = at_unit["id"].split(":")[1]
    for status in ("VERIFIED", "IN_PROCESS"):
        await _set_status(o311.dinkes, local_id, status)
    await _set_status(o311.dinkes, local_id, "COMPLETED", "Jam layanan dikembalikan sampai pukul 14.00.")

    async def closed() -> dict[str, Any] | None:
        found = await asyncio.to_thread(o311.client("xml").get_service_request, tracking)
        return found if found["status"] == "closed" else None

    done = await eventually(closed)
    assert done["agency_responsible"] == "Dinas Kesehatan Kutai Timur"
    assert done["status_notes"] == "Jam layanan dikembalikan sampai pukul 14.00."
    assert done["expected_datetime"] is None, "nothing is owed once completed"

    listed = await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_key, status="closed",
                                     service_code="kesehatan", jurisdiction_id="64.08")
    assert [r["service_request_id"] for r in listed.json()] == [tracking]
    still_open = await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_key, status="open")
    assert tracking not in [r["service_request_id"] for r in still_open.json()]
    by_id = await asyncio.to_thread(o311.client().get_service_requests, service_request_id=tracking)
    assert [r["service_request_id"] for r in by_id] == [tracking], "tracking numbers are public, as trackReport"


async def test_posting_needs_a_valid_key_in_scope_and_the_spec_fields(o311: Open311, running: Federation) -> None:
    assert "api_key" in _error(await asyncio.to_thread(o311.post, HEALTH), 403)
    _error(await asyncio.to_thread(o311.post, HEALTH, "xml"), 403)
    _error(await asyncio.to_thread(o311.post, HEALTH, key="smp_not-a-key"), 403)

    revoked = await create_key(running.hub.database_url, "integrator", "64", ["submitReport"], name="old portal")
    async with aiohttp.ClientSession() as session:
        keys = await graphql(session, running.hub.graphql_url, "{ apiKeys { id name } }")
        [key_id] = [k["id"] for k in keys["data"]["apiKeys"] if k["name"] == "old portal"]
        gone = await graphql(session, running.hub.graphql_url, f"mutation {{ revokeApiKey(id: {key_id}) {{ id }} }}")
        assert "errors" not in gone, gone
    _error(await asyncio.to_thread(o311.post, HEALTH, key=revoked), 403)

    kaltara = {**HEALTH, "jurisdiction_id": "65.01"}
    assert "65.01" in _error(await asyncio.to_thread(o311.post, kaltara, key=o311.kaltim_key), 403)

    for missing in ("service_code", "description"):
        form = {k: v for k, v in HEALTH.items() if k != missing}
        assert missing in _error(await asyncio.to_thread(o311.post, form, key=o311.kaltim_key), 400)
    unknown = {**HEALTH, "service_code": "sulap"}
    _error(await asyncio.to_thread(o311.post, unknown, "xml", o311.kaltim_key), 400)
    nowhere = {k: v for k, v in HEALTH.items() if k not in ("lat", "long")}
    _error(await asyncio.to_thread(o311.post, nowhere, key=o311.kaltim_key), 400)


async def test_reading_requests_lists_only_for_readers_in_scope_and_unknown_ids_are_404(o311: Open311) -> None:
    with pytest.raises(requests.HTTPError) as listing:
        await asyncio.to_thread(o311.client().get_service_requests)
    _error(listing.value.response, 403)
    _error(await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_submit_only), 403)
    _error(await asyncio.to_thread(o311.get, "requests.xml", api_key=o311.kaltim_key, jurisdiction_id="65"), 403)
    _error(await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_key, status="lost"), 400)

    with pytest.raises(requests.HTTPError) as unknown:
        await asyncio.to_thread(o311.client().get_service_request, "LPR-NOSUCH00")
    _error(unknown.value.response, 404)
    _error(await asyncio.to_thread(o311.get, "requests/LPR-NOSUCH00.xml"), 404)
    _error(await asyncio.to_thread(o311.get, "requests/LPR%00.json"), 400)
    _error(await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_key, service_code="a\x00"), 400)
    for moment in ({"end_date": "0001-01-05T00:00:00Z"}, {"start_date": "9999-12-31T23:00:00-05:00"}):
        _error(await asyncio.to_thread(o311.get, "requests.json", api_key=o311.kaltim_key, **moment), 400)


async def test_no_answer_shows_a_confidential_or_anonymous_reporter(o311: Open311) -> None:
    confidential = await asyncio.to_thread(o311.post, {**HEALTH, "attribute[confidential]": "true"},
                                           key=o311.kaltim_key)
    anonymous_form = {k: v for k, v in HEALTH.items() if k not in ("first_name", "last_name", "email", "phone")}
    anonymous = await asyncio.to_thread(o311.post, {**anonymous_form, "attribute[anonymous]": "true"},
                                        "xml", o311.kaltim_key)
    assert confidential.status_code == anonymous.status_code == 201, (confidential.text, anonymous.text)
    secret = confidential.json()[0]["service_request_id"]
    await eventually(lambda: _at_desk(o311.dinkes, secret))

    named = {**HEALTH, "attribute[anonymous]": "true"}
    assert "anonymous" in _error(await asyncio.to_thread(o311.post, named, key=o311.kaltim_key), 400)

    answers = [confidential, anonymous]
    for format in ("json", "xml"):
        answers += [await asyncio.to_thread(o311.get, f"requests/{secret}.{format}"),
                    await asyncio.to_thread(o311.get, f"requests/{secret}.{format}", api_key=o311.kaltim_key),
                    await asyncio.to_thread(o311.get, f"requests.{format}", api_key=o311.kaltim_key)]
    for response in answers:
        assert response.status_code in (200, 201), response.text
        assert not any(part in response.text for part in IDENTITY), response.text
    mine, public = answers[3].json()[0], answers[2].json()[0]
    assert mine["description"] is None and mine["lat"] is None, "a confidential report's text is not published"
    assert mine["service_code"] == HEALTH["service_code"], "the region's own readers see what it is about"
    assert public["service_code"] is None and public["service_name"] is None, "the public does not"
    assert "<service_code>" + HEALTH["service_code"] not in answers[5].text, answers[5].text


async def test_a_retried_post_with_the_same_idempotency_key_is_one_report(o311: Open311) -> None:
    form = {**HEALTH, "service_code": "infrastruktur", "description": "Jalan poros Sangatta berlubang"}
    headers = {"Idempotency-Key": f"portal-{secrets.token_hex(6)}"}
    first = await asyncio.to_thread(o311.post, form, key=o311.kaltim_key, headers=headers)
    again = await asyncio.to_thread(o311.post, form, key=o311.kaltim_key, headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    tracking = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == tracking
    await eventually(lambda: _at_desk(o311.kutim, tracking))
    other = await asyncio.to_thread(o311.post, form, key=o311.kaltim_submit_only, headers=headers)
    assert other.json()[0]["service_request_id"] != tracking, "another key's retry is another client's report"
