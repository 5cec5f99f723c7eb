"""A fake Open311 GeoReport v2 server, run as a real process for the open311 connector's tests.

It follows the spec (wiki.open311.org/GeoReport_v2): `services`,
`requests` with start_date/end_date/status/service_code/service_request_id,
one request, POST requests with api_key, tokens, the `[{"code", "description"}]`
error list, and every resource in both `.json` and `.xml`. It also offers
the FixMyStreet `servicerequestupdates` method and the `extensions=true`
`extended_attributes` some servers add, when switched on.

    python -m tests.connectors.open311.fake_server --port 0

prints `open311 fake serving on <base URL>`. The `/_test/...` routes (not
Open311) let a test add and close requests and switch on failure modes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree

from aiohttp import web

from tests.connectors.fake_serving import serve_forever

BASE = "/open311/v2"
JURISDICTION = "kutaitimurkab.go.id"
WIB = timezone(timedelta(hours=7))
SPAN = timedelta(days=90)
SERVICES = [
    ("JLN", "Jalan rusak", "jalan"), ("JLN-ASP", "Usulan pembangunan", "jalan"),
    ("JLN-INF", "Permintaan informasi", "jalan"), ("PJU", "Lampu jalan mati", "penerangan"),
    ("KES", "Layanan kesehatan", "kesehatan"), ("SMP", "Sampah", "kebersihan"),
    ("AIR", "Air bersih", "air"), ("KTP", "Administrasi kependudukan", "kependudukan"),
]
ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
         "service_request_updates": "request_update"}


def w3c(moment: datetime) -> str:
    """Times are given in WIB, with their offset, as the spec requires."""
    return moment.astimezone(WIB).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no timezone")
    return value


class Problem(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code, self.description = code, description


@dataclass
class Fake:
    api_key: str
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, list[Any]] = field(default_factory=dict)  # token -> [request id, lookups before assigned]
    posted: int = 0
    next_id: int = 1000
    offers_updates: bool = False
    tokens_mode: bool = False
    token_delay: int = 0
    max_results: int = 1000
    failure: str = "none"

    def add(self, service_code: str, description: str, requested: datetime, attributes: dict[str, str],
            address: str | None = None) -> str:
        self.next_id += 1
        request_id = str(self.next_id)
        name = next(s[1] for s in SERVICES if s[0] == service_code)
        self.requests[request_id] = {
            "service_request_id": request_id, "status": "open", "status_notes": None, "service_name": name,
            "service_code": service_code, "description": description, "agency_responsible": "DPUPR Kutai Timur",
            "service_notice": None, "requested_datetime": requested, "updated_datetime": requested,
            "expected_datetime": None, "address": address, "address_id": None, "zipcode": None,
            "lat": 0.5071, "long": 117.5533, "media_url": None, "attributes": attributes,
        }
        return request_id

    def change(self, request_id: str, status: str, notes: str | None) -> None:
        request = self.requests[request_id]
        now = datetime.now(UTC).replace(microsecond=0)
        request.update(status=status, status_notes=notes, updated_datetime=now)
        self.updates.append({"update_id": f"u{len(self.updates) + 1}", "service_request_id": request_id,
                             "status": status, "updated_datetime": now, "description": notes, "media_url": None})


def _out(request: dict[str, Any], extensions: bool) -> dict[str, Any]:
    record = {k: v for k, v in request.items() if k != "attributes"}
    record["requested_datetime"] = w3c(request["requested_datetime"])
    record["updated_datetime"] = w3c(request["updated_datetime"])
    if extensions:
        record["extended_attributes"] = dict(request["attributes"])
    return record


def _xml(root: str, records: list[dict[str, Any]]) -> bytes:
    top = ElementTree.Element(root)
    for record in records:
        _fill(ElementTree.SubElement(top, ITEMS[root]), record)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(top)


def _fill(element: ElementTree.Element, record: dict[str, Any]) -> None:
    for key, value in record.items():
        child = ElementTree.SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def answer(fmt: str, root: str, records: list[dict[str, Any]], status: int = 200) -> web.Response:
    if fmt == "xml":
        return web.Response(body=_xml(root, records), status=status, content_type="text/xml", charset="utf-8")
    return web.Response(text=json.dumps(records), status=status, content_type="application/json")


def build_app(fake: Fake) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def spec_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        fmt = request.match_info.get("fmt", "json")
        if request.path.startswith(BASE):
            if fake.failure == "malformed":
                return web.Response(text="<html>Gateway sedang pemeliharaan" if fmt == "xml" else "{'oops'",
                                    content_type="text/html")
            if fake.failure == "error":
                return answer(fmt, "errors", [{"code": 500, "description": "database connection lost"}], 500)
            if fake.failure == "slow":
                await asyncio.sleep(5)
            jurisdiction = request.query.get("jurisdiction_id")
            if jurisdiction is not None and jurisdiction != JURISDICTION:
                return answer(fmt, "errors", [{"code": 404, "description": "jurisdiction_id not found"}], 404)
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except Problem as problem:
            return answer(fmt, "errors", [{"code": problem.code, "description": problem.description}], problem.code)

    @routes.get(BASE + "/services.{fmt:(json|xml)}")
    async def services(request: web.Request) -> web.Response:
        return answer(request.match_info["fmt"], "services", [
            {"service_code": code, "service_name": name, "description": f"Laporan {name.lower()}",
             "metadata": False, "type": "realtime", "keywords": group, "group": group}
            for code, name, group in SERVICES])

    def window(query: Any) -> tuple[datetime, datetime]:
        try:
            start = parse_time(query["start_date"]) if "start_date" in query else None
            end = parse_time(query["end_date"]) if "end_date" in query else None
        except ValueError:
            raise Problem(400, "start_date and end_date must be W3C date-times with a timezone") from None
        end = end or datetime.now(UTC)
        start = start or end - SPAN
        if end - start > SPAN:
            raise Problem(400, "start_date and end_date may not span more than 90 days")
        return start, end

    @routes.get(BASE + "/requests.{fmt:(json|xml)}")
    async def list_requests(request: web.Request) -> web.Response:
        query = request.query
        if "service_request_id" in query:  # the spec: other parameters are then ignored
            wanted = query["service_request_id"].split(",")
            found = [fake.requests[i] for i in wanted if i in fake.requests]
        else:
            start, end = window(query)
            statuses = set(query["status"].split(",")) if "status" in query else {"open", "closed"}
            codes = set(query["service_code"].split(",")) if "service_code" in query else None
            found = [r for r in fake.requests.values() if start <= r["requested_datetime"] <= end
                     and r["status"] in statuses and (codes is None or r["service_code"] in codes)]
            found.sort(key=lambda r: r["requested_datetime"], reverse=True)
        records = [_out(r, query.get("extensions") == "true") for r in found[: fake.max_results]]
        if fake.failure == "bad_record" and records:
            records[0]["requested_datetime"] = "kemarin sore"
        return answer(request.match_info["fmt"], "service_requests", records)

    @routes.get(BASE + r"/requests/{id:[^/]+?}.{fmt:(json|xml)}")
    async def one_request(request: web.Request) -> web.Response:
        found = fake.requests.get(request.match_info["id"])
        if found is None:
            raise Problem(404, f"service_request_id {request.match_info['id']} not found")
        return answer(request.match_info["fmt"], "service_requests",
                      [_out(found, request.query.get("extensions") == "true")])

    @routes.post(BASE + "/requests.{fmt:(json|xml)}")
    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("api_key") != fake.api_key:
            raise Problem(403, "Invalid api_key received -- can't proceed with create_request.")
        code = str(form.get("service_code", ""))
        if code not in {s[0] for s in SERVICES}:
            raise Problem(400, f"Service Code {code or '(none)'} is missing or not found")
        attributes = {key[len("attribute["):-1]: str(value) for key, value in form.items()
                      if key.startswith("attribute[") and key.endswith("]")}
        fake.posted += 1
        request_id = fake.add(code, str(form.get("description", "")), datetime.now(UTC).replace(microsecond=0),
                              attributes, str(form["address_string"]) if form.get("address_string") else None)
        if fake.tokens_mode:
            token = secrets.token_hex(6)
            fake.tokens[token] = [request_id, fake.token_delay]
            return answer(request.match_info["fmt"], "service_requests", [{"token": token}], 201)
        return answer(request.match_info["fmt"], "service_requests",
                      [{"service_request_id": request_id, "service_notice": "Laporan diterima", "account_id": None}],
                      201)

    @routes.get(BASE + r"/tokens/{token:[^/]+?}.{fmt:(json|xml)}")
    async def token(request: web.Request) -> web.Response:
        entry = fake.tokens.get(request.match_info["token"])
        if entry is None:
            raise Problem(404, "token not found")
        if entry[1] > 0:
            entry[1] -= 1
            return answer(request.match_info["fmt"], "service_requests", [{"token": request.match_info["token"]}])
        return answer(request.match_info["fmt"], "service_requests",
                      [{"service_request_id": entry[0], "token": request.match_info["token"]}])

    @routes.get(BASE + "/servicerequestupdates.{fmt:(json|xml)}")
    async def updates(request: web.Request) -> web.Response:
        if not fake.offers_updates:
            raise Problem(404, "method not supported")
        start, end = window(request.query)
        found = [{**u, "updated_datetime": w3c(u["updated_datetime"])} for u in fake.updates
                 if start <= u["updated_datetime"] <= end]
        return answer(request.match_info["fmt"], "service_request_updates", found)

    @routes.post("/_test/reset")
    async def reset(request: web.Request) -> web.Response:
        options = await request.json()
        fake.requests.clear()
        fake.updates.clear()
        fake.tokens.clear()
        fake.posted = 0
        fake.offers_updates = bool(options.get("updates", False))
        fake.tokens_mode = bool(options.get("tokens", False))
        fake.token_delay = int(options.get("token_delay", 0))
        fake.max_results = int(options.get("max_results", 1000))
        fake.failure = "none"
        return web.json_response({"ok": True})

    @routes.post("/_test/requests")
    async def add(request: web.Request) -> web.Response:
        body = await request.json()
        request_id = fake.add(body["service_code"], body["description"], parse_time(body["requested_datetime"]),
                              body.get("attributes", {}))
        return web.json_response({"service_request_id": request_id})

    @routes.post("/_test/requests/{id}")
    async def change(request: web.Request) -> web.Response:
        body = await request.json()
        fake.change(request.match_info["id"], body["status"], body.get("status_notes"))
        return web.json_response({"ok": True})

    @routes.post("/_test/failure")
    async def failure(request: web.Request) -> web.Response:
        fake.failure = (await request.json())["mode"]
        return web.json_response({"ok": True})

    @routes.get("/_test/posted")
    async def posted(request: web.Request) -> web.Response:
        return web.json_response({"posted": fake.posted})

    app = web.Application(middlewares=[spec_errors])
    app.add_routes(routes)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="kunci-uji-open311")
    args = parser.parse_args()
    try:
        asyncio.run(serve_forever(build_app(Fake(args.api_key)), args.host, args.port,
                                  "open311 fake serving on {url}" + BASE))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
