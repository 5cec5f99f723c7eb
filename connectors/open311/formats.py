"""GeoReport v2 bodies in both wire formats, read into plain records.

Every list the spec returns (`services`, `service_requests`, `errors`,
`service_request_updates`) becomes a list of flat dicts of strings; nested
elements (`extended_attributes`, `attributes`) become dicts of strings.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

Record = dict[str, Any]


class MalformedBody(ValueError):
    """The body is not the GeoReport v2 shape it should have."""


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _scalar(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _from_json(body: bytes) -> list[Record]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedBody(f"not JSON ({exc})") from None
    if isinstance(data, dict):  # a few servers wrap the list: {"service_requests": [...]}
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise MalformedBody("a JSON object where a list of records was expected")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedBody("not a JSON list of records")
    return [_scalar(item) for item in data]


def _element(element: ElementTree.Element) -> Any:
    if len(element) == 0:
        return (element.text or "").strip() or None
    return {child.tag: _element(child) for child in element}


def _from_xml(body: bytes) -> list[Record]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedBody(f"not XML ({exc})") from None
    records = []
    for item in root:
        value = _element(item)
        if not isinstance(value, dict):
            raise MalformedBody(f"<{root.tag}> holds <{item.tag}> with no fields")
        records.append(value)
    return records


def parse(body: bytes, format: str) -> list[Record]:
    """The records of a GeoReport v2 body in `format` ("json" or "xml")."""
    return _from_json(body) if format == "json" else _from_xml(body)


def error_text(body: bytes, format: str) -> str | None:
    """The spec's error list (`[{"code": 403, "description": ...}]`) as one line, if the body is one."""
    try:
        records = parse(body, format)
    except MalformedBody:
        return None
    described = [f"{r.get('code', '?')} {r['description']}" for r in records if r.get("description")]
    return "; ".join(described) or None
