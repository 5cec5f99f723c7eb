"""A GeoReport v2 POST requests form as a report and its reporter, for the hub's normal submission path."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from simpul.errors import InvalidInput
from simpul.open311 import split_description
from simpul.report import ReportContent, Reporter
from simpul.wire import Channel, ReportKind

MAX_DESCRIPTION = 4000  # the spec's limit
MAX_FIELD = 200
KNOWN_FIELDS = frozenset({
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id", "email",
    "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
})
_ATTRIBUTE = re.compile(r"attribute\[([^\]]+)\](\[\])?")
_COORDINATES = re.compile(r"(?:^|\()(-?[0-9]+(?:\.[0-9]+)?),(-?[0-9]+(?:\.[0-9]+)?)\)?$")


def _text(form: Mapping[str, str], name: str, most: int = MAX_FIELD) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > most:
        raise InvalidInput(f"{name} must be at most {most} characters")
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters")
    return value or None


def _degrees(form: Mapping[str, str], name: str, limit: float) -> float | None:
    text = _text(form, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number in WGS-84 degrees, not {text!r}") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise InvalidInput(f"{name} must lie between -{limit:g} and {limit:g}")
    return value


def _flag(attributes: Mapping[str, str], code: str) -> bool:
    value = attributes.get(code, "false").strip().lower()
    if value not in ("true", "false"):
        raise InvalidInput(f"attribute[{code}] must be true or false")
    return value == "true"


def attributes_of(form: Mapping[str, str]) -> dict[str, str]:
    """The `attribute[code]` fields; a field neither in the spec nor an attribute is refused, not ignored."""
    found: dict[str, str] = {}
    for name, value in form.items():
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            found[match[1]] = value
        elif name not in KNOWN_FIELDS:
            raise InvalidInput(f"unknown field {name!r}")
    unknown = sorted(set(found) - {"kind", "anonymous", "confidential"})
    if unknown:
        raise InvalidInput(f"unknown attribute {unknown[0]!r}: the attributes are kind, anonymous and confidential "
                           "(GET services/<service_code>.json)")
    return found


def location_of(address: str | None, lat: float | None, long: float | None) -> str | None:
    """The report's location as one text, the coordinates last so that coordinates_in reads them back."""
    if lat is None or long is None:
        return address
    point = f"{lat},{long}"
    return f"{address} ({point})" if address else point


def coordinates_in(location: str | None) -> tuple[float, float] | None:
    """The (lat, long) that location_of put at the end of a location, if any."""
    match = _COORDINATES.search(location or "")
    return (float(match[1]), float(match[2])) if match else None


def submission_of(form: Mapping[str, str], region_code: str, services: set[str]) -> tuple[ReportContent, Reporter]:
    """The report a POST requests form describes, in `region_code` (its jurisdiction). Raises InvalidInput."""
    attributes = attributes_of(form)
    code = _text(form, "service_code")
    if code is None:
        raise InvalidInput("service_code is required (GET services.json lists them)")
    if code not in services:
        raise InvalidInput(f"unknown service_code {code!r} (GET services.json lists them)")
    description = _text(form, "description", MAX_DESCRIPTION)
    if description is None:
        raise InvalidInput("description is required: what happened, where, and when")
    lat, long = _degrees(form, "lat", 90), _degrees(form, "long", 180)
    if (lat is None) != (long is None):
        raise InvalidInput("lat and long are given together")
    address, address_id = _text(form, "address_string"), _text(form, "address_id")
    if lat is None and address is None and address_id is None:
        raise InvalidInput("a location is required: lat and long, address_string or address_id")
    media = _text(form, "media_url", 2000)
    if media is not None and not re.match(r"https?://", media):
        raise InvalidInput("media_url must be an http(s) address")
    try:
        kind = ReportKind(attributes.get("kind", ReportKind.PENGADUAN.value).strip().upper())
    except ValueError:
        raise InvalidInput("attribute[kind] must be PENGADUAN, ASPIRASI or INFORMASI") from None
    name = " ".join(n for n in (_text(form, "first_name"), _text(form, "last_name")) if n) or None
    contact = "; ".join(c for c in (_text(form, "email"), _text(form, "phone")) if c) or None
    title, body = split_description(description)
    if media is not None:
        body = f"{body}\n\nLampiran: {media}"
    content = ReportContent(
        kind=kind, title=title, body=body, category=code, region_code=region_code, channel=Channel.API,
        location=location_of(address or (f"address_id {address_id}" if address_id else None), lat, long),
    )
    return content, Reporter.at_door(_flag(attributes, "anonymous"), _flag(attributes, "confidential"), name, contact)
