"""A virtual node's reports, generated deterministically and answered from memory, already serialised.

The farm must be much cheaper than the hub it loads, so a virtual node never
runs a GraphQL executor: it knows the hub's documents by operation name
(hub/federation/nodewire.py) and answers each from rows prepared at start,
each report kept as the JSON text the hub's selection asks for.

What it honours: `first`/`after` paging in (receivedAt desc, id) order, every
ReportFilter field, `groupBy` and `regionLevel`, report lookup by global or
local id, idempotent acceptReport, and a change feed whose changes carry the
report as it is now (`behind` when `after` lies past its end). What it
ignores: the selection set (it answers the fields of the hub's documents,
whatever is asked) and input validation (a bad `first` or region is not
refused). The feed holds the reports accepted since start and the status
changes made with `change_status`; with `feed=True` it also starts with one
RECEIVED change per generated report (which are then all RECEIVED), so a hub
that indexes feeds reads every report, as from a desk that has been in use.
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simpul.wire import Channel, ReportKind, ReportStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEWEST = datetime(2026, 1, 31, tzinfo=UTC)
CATEGORIES = ("infrastruktur", "kesehatan", "pendidikan", "kependudukan", "lingkungan", "perizinan")
_TITLES = ("Jalan rusak", "Lampu jalan mati", "Antrean puskesmas", "Sampah menumpuk", "KTP belum jadi",
           "Guru tidak hadir", "Banjir di permukiman", "Izin usaha lambat")
_DIMENSIONS = {"STATUS": "status", "KIND": "kind", "CATEGORY": "category", "REGION": "regionCode"}
_CACHED_STATS = 64  # distinct stats questions remembered per node
# What a unit does next with a report it holds; any other status goes back to being worked on.
_NEXT_STATUS = {ReportStatus.RECEIVED: ReportStatus.IN_PROCESS, ReportStatus.IN_PROCESS: ReportStatus.COMPLETED,
                ReportStatus.COMPLETED: ReportStatus.CLOSED}


class UnknownDocument(Exception):
    """The hub sent an operation the farm does not answer."""


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class _Row:
    key: tuple[int, str]  # (-receivedAt in microseconds, global id): the federation-wide order
    local_id: str
    tracking_number: str
    received_at: str
    fields: dict[str, str]  # status, kind, category, regionCode, as the filters and stats see them
    listed: str  # the report as ListReports selects it
    full: str  # with its timeline, as GetReport selects it
    identified: str  # with the reporter's identity, as ReportToForward selects it


def _generate(code: str, region: str, count: int, seed: int, received_only: bool,
              categories: tuple[str, ...]) -> list[_Row]:
    rng = random.Random(f"{seed}:{code}")
    rows = []
    at = _NEWEST
    for i in range(1, count + 1):
        at -= timedelta(seconds=rng.randint(1, 7200), microseconds=rng.randint(0, 999_999))
        local = f"L{i:06d}"
        status = ReportStatus.RECEIVED if received_only else rng.choice(list(ReportStatus))
        anonymous, confidential = rng.random() < 0.2, rng.random() < 0.1
        report: dict[str, Any] = {
            "id": f"{code}:{local}", "localId": local, "trackingNumber": f"{code.upper()}-{i:06d}",
            "kind": rng.choice(list(ReportKind)).value, "title": rng.choice(_TITLES),
            "body": f"Laporan nomor {i} dari simpul {code}. " * rng.randint(1, 4),
            "category": rng.choice(categories), "regionCode": region,
            "channel": rng.choice(list(Channel)).value, "status": status.value,
            "reporter": {"anonymous": anonymous, "confidential": confidential},
            "receivedAt": at.isoformat(), "updatedAt": (at + timedelta(hours=rng.randint(0, 48))).isoformat(),
            "location": rng.choice((None, f"RT {rng.randint(1, 20):02d}/RW {rng.randint(1, 9):02d}")),
        }
        timeline = [{"at": at.isoformat(), "status": "RECEIVED", "actor": "farm", "note": None}]
        if status is not ReportStatus.RECEIVED:
            timeline.append({"at": report["updatedAt"], "status": status.value, "actor": "farm", "note": None})
        hidden = anonymous or confidential
        reporter = {**report["reporter"], "name": None if hidden else f"Pelapor {i}",
                    "contact": None if hidden else f"08{rng.randint(10**9, 10**10 - 1)}"}
        fields = {name: report[name] for name in ("status", "kind", "category", "regionCode")}
        rows.append(_Row((-_micros(at), report["id"]), local, report["trackingNumber"], report["receivedAt"],
                         fields, _dumps(report), _dumps({**report, "timeline": timeline}),
                         _dumps({**report, "reporter": reporter})))
    rows.sort(key=lambda r: r.key)
    return rows


def _matches(row: _Row, filter: dict[str, Any]) -> bool:
    fields = row.fields
    for name, field in (("statuses", "status"), ("kinds", "kind"), ("categories", "category")):
        if filter.get(name) and fields[field] not in filter[name]:
            return False
    prefix = filter.get("regionPrefix")
    if prefix and not (fields["regionCode"] == prefix or fields["regionCode"].startswith(prefix + ".")):
        return False
    received = -row.key[0]
    if filter.get("receivedFrom") and received < _micros(datetime.fromisoformat(filter["receivedFrom"])):
        return False
    return not (filter.get("receivedTo") and received >= _micros(datetime.fromisoformat(filter["receivedTo"])))


class NodeData:
    """One virtual node's reports and feed; each method returns the JSON text of a response's `data`."""

    def __init__(self, code: str, region: str, reports: int, seed: int = 0, feed: bool = False,
                 categories: tuple[str, ...] = CATEGORIES) -> None:
        self.code = code
        self.rows = _generate(code, region, reports, seed, feed, categories)
        self._keys = [r.key for r in self.rows]
        self._by_id = {r.local_id: r for r in self.rows}
        self._stats: dict[str, str] = {}
        self._accepted: dict[str, tuple[str, str]] = {}  # idempotency key -> (local id, tracking number)
        self._accepted_reports: dict[str, str] = {}  # local id -> the accepted report as JSON, with its timeline
        # The feed (cursor = position + 1): first one RECEIVED change per generated report, oldest first, when
        # `feed`; then changes made since start, each the JSON of a change without its report and closing brace.
        self._received = len(self.rows) if feed else 0
        self._changes: list[tuple[str, str]] = []  # (change without report, local id of its report)
        self._changed = 0  # status changes made: the next one takes the report after the last one's

    def answer(self, operation: str, variables: dict[str, Any]) -> str:
        handlers = {"ListReports": self.list_reports, "GetReport": self.get_report,
                    "ReportToForward": self.report_to_forward, "CountReports": self.count_reports,
                    "Changes": self.changes, "Accept": self.accept, "MarkForwarded": self.mark_forwarded}
        if operation not in handlers:
            raise UnknownDocument(f"the farm does not answer {operation or 'anonymous operations'}")
        return handlers[operation](variables)

    def list_reports(self, variables: dict[str, Any]) -> str:
        first, after, filter = variables["first"], variables.get("after"), variables.get("filter") or {}
        start = 0
        if after:
            start = bisect.bisect_right(self._keys, (-_micros(datetime.fromisoformat(after["receivedAt"])),
                                                     after["id"]))
        page = []
        for row in self.rows[start:]:
            if not filter or _matches(row, filter):
                page.append(row.listed)
                if len(page) > first:
                    break
        more = len(page) > first
        return f'{{"reports":{{"reports":[{",".join(page[:first])}],"hasMore":{"true" if more else "false"}}}}}'

    def _row(self, report_id: str) -> _Row | None:
        return self._by_id.get(report_id.removeprefix(f"{self.code}:"))

    def get_report(self, variables: dict[str, Any]) -> str:
        row = self._row(variables["id"])
        return f'{{"report":{row.full if row else "null"}}}'

    def report_to_forward(self, variables: dict[str, Any]) -> str:
        row = self._row(variables["id"])
        return f'{{"reportToForward":{row.identified if row else "null"}}}'

    def count_reports(self, variables: dict[str, Any]) -> str:
        question = _dumps(variables)
        if question not in self._stats:
            if len(self._stats) >= _CACHED_STATS:
                self._stats.clear()
            self._stats[question] = self._count(variables.get("filter") or {}, variables["groupBy"],
                                                variables.get("regionLevel", 1))
        return self._stats[question]

    def _count(self, filter: dict[str, Any], group_by: list[str], region_level: int) -> str:
        counts: dict[tuple[str | None, ...], int] = {}
        for row in self.rows:
            if filter and not _matches(row, filter):
                continue
            bucket = tuple(row.fields[field] if name in group_by else None for name, field in _DIMENSIONS.items())
            if bucket[3] is not None:
                bucket = (*bucket[:3], ".".join(bucket[3].split(".")[:region_level]))
            counts[bucket] = counts.get(bucket, 0) + 1
        stats = [{"count": n, **dict(zip(_DIMENSIONS.values(), bucket, strict=True))} for bucket, n in counts.items()]
        return _dumps({"stats": stats})

    def changes(self, variables: dict[str, Any]) -> str:
        after, first = int(variables.get("after") or 0), variables["first"]
        end = self._received + len(self._changes)
        page = [self._change(position) for position in range(after, min(end, after + first))]
        more, behind = "true" if end > after + first else "false", "true" if after > end else "false"
        return f'{{"changes":{{"changes":[{",".join(page)}],"hasMore":{more},"behind":{behind}}}}}'

    def news_after(self, cursor: str | None) -> bool:
        """Whether the feed holds changes after `cursor`, or no longer reaches it (a heartbeat's feed check)."""
        return int(cursor or 0) != self._received + len(self._changes)

    def _change(self, position: int) -> str:
        """The change at `position` of the feed, with its report as it is now."""
        if position < self._received:
            row = self.rows[len(self.rows) - 1 - position]  # rows are newest first, the feed oldest first
            change = (f'{{"cursor":"{position + 1}","reportId":"{self.code}:{row.local_id}",'
                      f'"trackingNumber":"{row.tracking_number}","at":"{row.received_at}","status":"RECEIVED",'
                      f'"actor":"farm","note":null')
            return f'{change},"report":{row.full}}}'
        change, local = self._changes[position - self._received]
        changed = self._by_id.get(local)
        return f'{change},"report":{changed.full if changed else self._accepted_reports[local]}}}'

    def _append(self, local: str, tracking_number: str, at: datetime, status: ReportStatus) -> None:
        cursor = self._received + len(self._changes) + 1
        change = _dumps({"cursor": str(cursor), "reportId": f"{self.code}:{local}", "trackingNumber": tracking_number,
                         "at": at.isoformat(), "status": status.value, "actor": "farm", "note": None})
        self._changes.append((change[:-1], local))

    def change_status(self, at: datetime) -> tuple[str, ReportStatus]:
        """A unit's next step on one of its reports, newest first, added to the feed: (global id, new status)."""
        position = self._changed % len(self.rows)
        row = self.rows[position]
        self._changed += 1
        status = _NEXT_STATUS.get(ReportStatus(row.fields["status"]), ReportStatus.IN_PROCESS)
        full, identified = json.loads(row.full), json.loads(row.identified)
        for report in (full, identified):
            report["status"], report["updatedAt"] = status.value, at.isoformat()
        full["timeline"].append({"at": at.isoformat(), "status": status.value, "actor": "farm", "note": None})
        listed = {name: value for name, value in full.items() if name != "timeline"}
        changed = replace(row, fields={**row.fields, "status": status.value}, listed=_dumps(listed),
                          full=_dumps(full), identified=_dumps(identified))
        self.rows[position] = changed
        self._by_id[row.local_id] = changed
        self._stats.clear()
        self._append(row.local_id, row.tracking_number, at, status)
        return f"{self.code}:{row.local_id}", status

    def accept(self, variables: dict[str, Any]) -> str:
        key, report = variables["key"], variables["report"]
        created = key not in self._accepted
        if created:
            local = f"F{len(self._accepted) + 1:06d}"
            now = datetime.now(UTC)
            self._accepted[key] = (local, report["trackingNumber"])
            self._accepted_reports[local] = _dumps({
                "id": f"{self.code}:{local}", "localId": local, "trackingNumber": report["trackingNumber"],
                **{name: report[name] for name in ("kind", "title", "body", "category", "regionCode", "channel")},
                "status": "RECEIVED", "reporter": {name: report["reporter"].get(name, False)
                                                   for name in ("anonymous", "confidential")},
                "receivedAt": report["receivedAt"], "updatedAt": now.isoformat(), "location": report.get("location"),
                "timeline": [{"at": now.isoformat(), "status": "RECEIVED", "actor": "farm", "note": None}]})
            self._append(local, report["trackingNumber"], now, ReportStatus.RECEIVED)
        local, tracking = self._accepted[key]
        return _dumps({"acceptReport": {"id": f"{self.code}:{local}", "trackingNumber": tracking, "created": created}})

    def mark_forwarded(self, variables: dict[str, Any]) -> str:
        return '{"markForwarded":true}'
