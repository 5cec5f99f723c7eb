"""GeoReport v2 answers in both of its wire formats: a JSON array or object, or XML under the spec's root."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The element each item of a list is written as, by the list's own element (the spec's XML examples).
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format"}

Record = dict[str, Any]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, datetime):
        return _text(value)
    return value


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_TAGS[element.tag]), item)
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", _text(value) or "")


def render(root: str, body: list[Record] | Record, format: str, status: int = 200) -> Response:
    """`body` as the JSON the spec shows, or as XML under `root` (a list's items under ITEM_TAGS[root])."""
    if format == "json":
        content = json.dumps(_json_value(body), ensure_ascii=False).encode()
    else:
        element = ElementTree.Element(root)
        _fill(element, body)
        content = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return Response(content, status_code=status, media_type=FORMATS[format])


def render_errors(status: int, description: str, format: str) -> Response:
    """The spec's error answer: [{"code": 403, "description": "..."}], or <errors><error>... in XML."""
    return render("errors", [{"code": status, "description": description}], format, status)
