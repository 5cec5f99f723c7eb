"""GeoReport v2 bodies as the spec shows them, in JSON and XML, whatever text a report holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

from hub.open311.formats import render, render_errors

REQUEST = {"service_request_id": "LPR-2345ABCD", "status": "open", "description": "Antre <3 jam> & panas\x0b",
           "lat": -0.5, "requested_datetime": datetime(2026, 3, 2, 1, 15, tzinfo=UTC), "media_url": None}


def test_lists_are_a_json_array_or_items_under_the_specs_root() -> None:
    as_json = json.loads(render("service_requests", [REQUEST], "json").body)
    assert as_json == [{**REQUEST, "requested_datetime": "2026-03-02T01:15:00+00:00"}]

    root = ElementTree.fromstring(render("service_requests", [REQUEST, REQUEST], "xml").body)
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request", "request"]
    request = root[0]
    assert request.findtext("description") == "Antre <3 jam> & panas\ufffd", "escaped, and XML-safe"
    assert request.findtext("lat") == "-0.5" and request.findtext("media_url") == ""


def test_nested_lists_take_their_singular_element() -> None:
    definition = {"service_code": "kesehatan", "attributes": [{"code": "kind", "required": False,
                                                               "values": [{"key": "PENGADUAN", "name": "P"}]}]}
    root = ElementTree.fromstring(render("service_definition", definition, "xml").body)
    assert root.findtext("attributes/attribute/required") == "false"
    assert root.findtext("attributes/attribute/values/value/key") == "PENGADUAN"


def test_errors_carry_the_http_status_as_their_code() -> None:
    response = render_errors(403, "posting a request needs an api_key", "xml")
    assert response.status_code == 403 and response.media_type.startswith("text/xml")
    root = ElementTree.fromstring(response.body)
    assert (root.tag, root.findtext("error/code")) == ("errors", "403")
    assert json.loads(render_errors(400, "x", "json").body) == [{"code": 400, "description": "x"}]
