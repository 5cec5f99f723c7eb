"""One GeoReport v2 service request as a canonical Report, and back as a POST form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import ConnectorError
from connectors.open311.config import Open311Config
from connectors.open311.formats import Record
from simpul.errors import InvalidInput
from simpul.open311 import split_description
from simpul.report import ForwardedReport, Report, Reporter, TimelineEvent
from simpul.wire import ReportStatus, check_region_code


def field(record: Record, name: str) -> str:
    """A required field of a record, as a non-empty string."""
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError(f"Open311 answered a record without {name!r}: {_short(record)}")
    return value.strip()


def _short(record: Record) -> str:
    text = repr(record)
    return text if len(text) <= 160 else text[:157] + "..."


def moment(record: Record, name: str) -> datetime:
    """A W3C date-time field; the spec requires an offset, a missing one is read as UTC."""
    text = field(record, name)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConnectorError(f"Open311 answered {name}={text!r}, which is not a W3C date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def status_of(config: Open311Config, raw: str) -> ReportStatus:
    try:
        return config.statuses[raw.lower()]
    except KeyError:
        known = ", ".join(sorted(config.statuses))
        raise ConnectorError(f"Open311 status {raw!r} is not in the [status] map (known: {known})") from None


def _region(config: Open311Config, record: Record) -> str:
    if config.region_attribute is None:
        return config.region
    value: Any = None
    for holder in ("extended_attributes", "attributes"):
        attributes = record.get(holder)
        if isinstance(attributes, dict) and attributes.get(config.region_attribute):
            value = attributes[config.region_attribute]
            break
    if value is None:
        return config.region
    try:
        return check_region_code(str(value).strip())
    except InvalidInput as exc:
        raise ConnectorError(f"Open311 request {record.get('service_request_id')}: {exc}") from None


def title_and_body(record: Record) -> tuple[str, str]:
    """The description's first line is the title; a request with no text is titled by its service."""
    description = (record.get("description") or "").strip()
    if not description:
        name = record.get("service_name") or record.get("service_code") or "Laporan"
        return str(name), str(name)
    return split_description(description)


def _location(record: Record) -> str | None:
    if record.get("address"):
        return str(record["address"])
    if record.get("lat") and record.get("long"):
        return f"{record['lat']},{record['long']}"
    return None


def to_report(config: Open311Config, record: Record, tracking_number: str, actor: str,
              with_timeline: bool = False) -> Report:
    local_id = field(record, "service_request_id")
    received = moment(record, "requested_datetime")
    updated = moment(record, "updated_datetime") if record.get("updated_datetime") else received
    status = status_of(config, field(record, "status"))
    service = config.service(str(record.get("service_code") or ""))
    title, body = title_and_body(record)
    timeline: tuple[TimelineEvent, ...] = ()
    if with_timeline:
        events = [TimelineEvent(at=received, status=ReportStatus.RECEIVED, actor=actor)]
        notes = record.get("status_notes") or None
        if status is not ReportStatus.RECEIVED or notes:
            events.append(TimelineEvent(at=max(updated, received), status=status, actor=actor, note=notes))
        timeline = tuple(events)
    return Report(
        local_id=local_id, tracking_number=tracking_number, kind=service.kind, title=title, body=body,
        category=service.category, region_code=_region(config, record), channel=config.channel,
        status=status, reporter=Reporter(), received_at=received, updated_at=updated,
        location=_location(record), timeline=timeline,
    )


def actor_of(record: Record, default: str) -> str:
    """Who acts on a request: the agency the server names, else this node."""
    return str(record.get("agency_responsible") or default)


def post_form(config: Open311Config, report: ForwardedReport, service_code: str) -> dict[str, str | None]:
    """The POST requests form for a forwarded report; personal fields only when not anonymous."""
    form: dict[str, str | None] = {
        "service_code": service_code,
        "description": f"{report.title.strip()}\n\n{report.body.strip()}",
        "address_string": report.location,
    }
    if config.region_attribute:
        form[f"attribute[{config.region_attribute}]"] = report.region_code
    who = report.reporter
    if not who.anonymous:
        form["first_name"] = who.name
        if who.contact and "@" in who.contact:
            form["email"] = who.contact
        elif who.contact:
            form["phone"] = who.contact
    return form
