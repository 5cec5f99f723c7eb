"""Agency JSON <-> canonical reports, through the field paths and value maps of the config.

Anything that does not fit — a missing field, a wrong type, a status the
status_map does not know — is a ConnectorError naming the field's full path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import ConnectorError
from connectors.rest import paths
from connectors.rest.config import RestConfig
from simpul.errors import InvalidInput
from simpul.report import ForwardedReport, Report, Reporter, TimelineEvent
from simpul.wire import Channel, ReportKind, ReportStatus, check_region_code


def _at(where: str, path: str) -> str:
    return f"{where}.{path}" if where else path


class Mapper:
    """Reads agency items as Reports and writes forwarded reports as agency bodies."""

    def __init__(self, config: RestConfig) -> None:
        self.config = config
        self.fields = config.fields

    def local_id(self, item: Any, where: str) -> str:
        value = self._required(item, "id", where)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise ConnectorError(f"{_at(where, self.fields['id'])} must be a non-empty string or integer, "
                                 f"not {value!r}")
        return str(value)

    def status(self, item: Any, where: str) -> ReportStatus:
        return self._status(self._text(item, "status", where), _at(where, self.fields["status"]))

    def updated_at(self, item: Any, where: str) -> datetime:
        return self._time(self._required(item, "updated_at", where), _at(where, self.fields["updated_at"]))

    def tracking_number(self, item: Any, where: str) -> str | None:
        """The agency's own number for the report; None for an API without ticket numbers."""
        if "tracking_number" not in self.fields:
            return None
        value = self._required(item, "tracking_number", where)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self._check_text(value, _at(where, self.fields["tracking_number"]))

    def report(self, item: Any, where: str) -> Report:
        """The canonical report for one agency item found at `where` (for error messages)."""
        if not isinstance(item, dict):
            raise ConnectorError(f"{where or 'the answer'} must be a JSON object, not {type(item).__name__}")
        region = self._text(item, "region", where)
        try:
            check_region_code(region)
        except InvalidInput:
            raise ConnectorError(f"{_at(where, self.fields['region'])} is not a dotted Kemendagri region code: "
                                 f"{region!r}") from None
        received = self._time(self._required(item, "received_at", where), _at(where, self.fields["received_at"]))
        category = self._text(item, "category", where)
        return Report(
            local_id=self.local_id(item, where),
            tracking_number=self.tracking_number(item, where) or "",  # the connector gives the federation's
            kind=self._enum(item, "kind", where, self.config.kind_map, ReportKind, self.config.default_kind),
            title=self._text(item, "title", where),
            body=self._text(item, "body", where),
            category=self.config.category_map.get(category, category),
            region_code=region,
            channel=self._enum(item, "channel", where, self.config.channel_map, Channel,
                               self.config.default_channel),
            status=self.status(item, where),
            reporter=self._reporter(item, where),
            received_at=received,
            updated_at=self.updated_at(item, where),
            location=self._maybe_text(item, "location", where),
            timeline=self._timeline(item, where, received),
        )

    def _reporter(self, item: dict[str, Any], where: str) -> Reporter:
        """The reporter an item names; of one the agency flags anonymous, any name or contact it still holds is
        not passed on (an anonymous reporter keeps no identity)."""
        if self._flag(item, "anonymous", where):
            return Reporter(anonymous=True, confidential=self._flag(item, "confidential", where))
        return Reporter(confidential=self._flag(item, "confidential", where),
                        name=self._maybe_text(item, "reporter_name", where),
                        contact=self._maybe_text(item, "reporter_contact", where))

    def create_body(self, report: ForwardedReport) -> dict[str, Any]:
        """The JSON the create endpoint takes: mapped fields only; the agency sets id, status and times it owns."""
        body: dict[str, Any] = {}
        values: dict[str, Any] = {
            "title": report.title, "body": report.body, "region": report.region_code,
            "category": _reverse(self.config.category_map, report.category),
            "received_at": report.received_at.isoformat(), "tracking_number": report.tracking_number,
            "kind": _reverse(self.config.kind_map, report.kind), "channel": _reverse(self.config.channel_map,
                                                                                     report.channel),
            "location": report.location,
            # a reporter who gave neither name nor contact is anonymous to the agency too, not "anonim: false"
            "anonymous": report.reporter.anonymous or not report.reporter.has_identity(),
            "confidential": report.reporter.confidential, "reporter_name": report.reporter.name,
            "reporter_contact": report.reporter.contact,
        }
        for key, value in values.items():
            if key in self.fields and value is not None:  # what the report does not have is left out, not null
                paths.put(body, self.fields[key], value)
        return body

    def _timeline(self, item: dict[str, Any], where: str, received: datetime) -> tuple[TimelineEvent, ...]:
        """The agency's history when mapped; else what the item itself shows: received, then now."""
        if "timeline" not in self.fields:
            status, updated = self.status(item, where), self.updated_at(item, where)
            first = TimelineEvent(at=received, status=ReportStatus.RECEIVED, actor=self.config.change_actor)
            if status is ReportStatus.RECEIVED:
                return (first,)
            return first, TimelineEvent(at=max(updated, received), status=status, actor=self.config.change_actor)
        path = _at(where, self.fields["timeline"])
        entries = paths.get(item, self.fields["timeline"])
        if entries is paths.MISSING or entries is None:
            return ()
        if not isinstance(entries, list):
            raise ConnectorError(f"{path} must be a list, not {type(entries).__name__}")
        spec = self.config.timeline
        events = []
        for i, entry in enumerate(entries):
            at = f"{path}.{i}"
            if not isinstance(entry, dict):
                raise ConnectorError(f"{at} must be a JSON object")
            actor = paths.get(entry, spec["actor"]) if "actor" in spec else None
            note = paths.get(entry, spec["note"]) if "note" in spec else None
            events.append(TimelineEvent(
                at=self._time(_found(entry, spec["at"], at), f"{at}.{spec['at']}"),
                status=self._status(self._check_text(_found(entry, spec["status"], at), f"{at}.{spec['status']}"),
                                    f"{at}.{spec['status']}"),
                actor=self._check_text(actor, f"{at}.{spec['actor']}") if actor not in (None, paths.MISSING)
                else self.config.change_actor,
                note=self._check_text(note, f"{at}.{spec['note']}", empty=True)
                if note not in (None, paths.MISSING) else None,
            ))
        return tuple(sorted(events, key=lambda e: e.at))

    def _required(self, item: Any, key: str, where: str) -> Any:
        return _found(item, self.fields[key], where)

    def _text(self, item: Any, key: str, where: str) -> str:
        return self._check_text(self._required(item, key, where), _at(where, self.fields[key]))

    def _maybe_text(self, item: Any, key: str, where: str) -> str | None:
        if key not in self.fields:
            return None
        value = paths.get(item, self.fields[key])
        if value is paths.MISSING or value is None:
            return None
        return self._check_text(value, _at(where, self.fields[key]), empty=True)

    def _flag(self, item: Any, key: str, where: str) -> bool:
        if key not in self.fields:
            return False
        value = paths.get(item, self.fields[key])
        if value is paths.MISSING or value is None:
            return False
        if not isinstance(value, bool):
            raise ConnectorError(f"{_at(where, self.fields[key])} must be true or false, not {value!r}")
        return value

    def _enum(self, item: Any, key: str, where: str, mapping: Mapping[str, Any], enum: type[Any],
              default: Any) -> Any:
        if key not in self.fields:
            return default
        value = paths.get(item, self.fields[key])
        if value is paths.MISSING or value is None:
            return default
        path = _at(where, self.fields[key])
        text = self._check_text(value, path)
        if text in mapping:
            return mapping[text]
        try:
            return enum(text.upper())
        except ValueError:
            raise ConnectorError(f"{path} has the unknown value {text!r}; map it in [{key}_map]") from None

    def _status(self, value: str, path: str) -> ReportStatus:
        try:
            return self.config.status_map[value]
        except KeyError:
            known = ", ".join(self.config.status_map)
            raise ConnectorError(f"{path} has the unknown status {value!r}; [status_map] knows {known}") from None

    def _time(self, value: Any, path: str) -> datetime:
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                raise ConnectorError(f"{path} is not a usable epoch time: {value!r}") from None
        if not isinstance(value, str):
            raise ConnectorError(f"{path} must be an ISO 8601 time or epoch seconds, not {type(value).__name__}")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ConnectorError(f"{path} is not an ISO 8601 time: {value!r}") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.config.timezone)

    @staticmethod
    def _check_text(value: Any, path: str, empty: bool = False) -> str:
        if not isinstance(value, str):
            raise ConnectorError(f"{path} must be a string, not {type(value).__name__}")
        if not empty and not value.strip():
            raise ConnectorError(f"{path} must not be empty")
        return value


def _found(item: Any, path: str, where: str) -> Any:
    value = paths.get(item, path)
    if value is paths.MISSING or value is None:
        raise ConnectorError(f"{_at(where, path)} is missing from the agency's answer")
    return value


def _reverse(mapping: Mapping[str, Any], canonical: Any) -> Any:
    """The agency's value for a canonical one: the first map entry naming it, else the canonical value."""
    for agency, value in mapping.items():
        if value == canonical:
            return agency
    return str(canonical)
