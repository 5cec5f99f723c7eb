"""Reports of the hub's ledger as GeoReport v2 service requests, and who may see which of their fields.

The ledger holds every report of the federation by tracking number (submitted at the hub or first seen
in a node's change feed), so reads are answered from the hub's database without calling any node.
No answer carries the reporter: GeoReport v2 has no field for them, and none is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hub.access.principal import Principal
from hub.access.rahasia import shows_content
from hub.forwarding.ledger import PUBLIC_NOTES
from hub.open311.services import service_name
from hub.open311.submission import coordinates_in
from hub.sla.calendar import SlaCalendarMissing, load_calendar, local_zone
from hub.sla.clocks import CLOCKS, UNIT_STAGES, ReportClock, SlaDays, stage_clocks
from simpul.open311 import join_description
from simpul.wire import ReportStatus

MAX_RESULTS = 1000  # the spec's usual cap on one answer
CLOSED = frozenset({ReportStatus.COMPLETED, ReportStatus.CLOSED, ReportStatus.REJECTED, ReportStatus.ARCHIVED})

_SELECT = """
SELECT l.tracking_number, l.category, l.title, l.body, l.region_code, l.location, l.confidential, l.status,
       l.received_at, l.updated_at, n.name AS holder_name,
       CASE WHEN last.status = l.status AND last.status = ANY($1::text[]) THEN last.note END AS status_note
FROM ledger l
LEFT JOIN nodes n ON n.code = l.holder_node
LEFT JOIN LATERAL (SELECT e.status, e.note FROM ledger_events e WHERE e.tracking_number = l.tracking_number
                   AND e.type = 'STATUS' AND e.public ORDER BY e.seq DESC LIMIT 1) last ON true
"""


@dataclass(frozen=True)
class Query:
    """GET requests' filters; `ids` overrides the others, as the spec says."""

    ids: tuple[str, ...] | None = None
    region_prefix: str = ""
    categories: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[ReportStatus] | None = None


@dataclass(frozen=True)
class ServiceRequest:
    tracking_number: str
    category: str
    title: str
    body: str
    region_code: str
    location: str | None
    confidential: bool
    status: ReportStatus
    received_at: datetime
    updated_at: datetime
    agency: str | None
    status_note: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ServiceRequest:
        return cls(tracking_number=row["tracking_number"], category=row["category"], title=row["title"],
                   body=row["body"], region_code=row["region_code"], location=row["location"],
                   confidential=row["confidential"], status=ReportStatus(row["status"]),
                   received_at=row["received_at"], updated_at=row["updated_at"], agency=row["holder_name"],
                   status_note=row["status_note"])

    def record(self, reader: Principal, expected: datetime | None) -> dict[str, object]:
        """The spec's fields. What was reported (description, place) only for a reader whose region covers it;
        of a confidential (rahasia) report, Open311 being a publication, neither that nor its notes (access/rahasia.py),
        and its category (which can say what it is about: corruption, say) only to readers in its region. The rest
        is what trackReport tells anyone."""
        in_scope = reader.covers(self.region_code)
        published = shows_content(reader, self.region_code, self.confidential, None, published=True)
        shown = in_scope and published
        status_only = self.confidential and not in_scope  # rahasia, as trackReport tells it: no notes, no unit
        category = self.category if in_scope or not self.confidential else None
        point = coordinates_in(self.location) if shown else None
        zone = local_zone(self.region_code)
        return {
            "service_request_id": self.tracking_number,
            "status": "closed" if self.status in CLOSED else "open",
            "status_notes": self.status_note if published else None,
            "service_name": service_name(category) if category else None,
            "service_code": category,
            "description": join_description(self.title, self.body) if shown else None,
            "agency_responsible": None if status_only else self.agency,
            "service_notice": None,
            "requested_datetime": self.received_at.astimezone(zone),
            "updated_datetime": self.updated_at.astimezone(zone),
            "expected_datetime": expected.astimezone(zone) if expected else None,
            "address": self.location if shown else None,
            "address_id": None,
            "zipcode": None,
            "lat": point[0] if point else None,
            "long": point[1] if point else None,
            "media_url": None,
        }


async def find(pool: asyncpg.Pool, query: Query) -> list[ServiceRequest]:
    """The requests a query asks for, newest first, at most MAX_RESULTS."""
    notes = [s.value for s in PUBLIC_NOTES]
    if query.ids is not None:
        rows = await pool.fetch(_SELECT + " WHERE l.tracking_number = ANY($2::text[])"
                                " ORDER BY l.received_at DESC, l.tracking_number", notes, list(query.ids))
    else:
        rows = await pool.fetch(
            _SELECT + " WHERE ($2 = '' OR l.region_code = $2 OR l.region_code LIKE $2 || '.%')"
            " AND ($3::text[] IS NULL OR l.category = ANY($3)) AND ($4::timestamptz IS NULL OR l.received_at >= $4)"
            " AND ($5::timestamptz IS NULL OR l.received_at <= $5) AND ($6::text[] IS NULL OR l.status = ANY($6))"
            " ORDER BY l.received_at DESC, l.tracking_number LIMIT $7",
            notes, query.region_prefix, list(query.categories) if query.categories is not None else None,
            query.start, query.end, sorted(s.value for s in query.statuses) if query.statuses is not None else None,
            MAX_RESULTS)
    return [ServiceRequest.from_row(r) for r in rows]


async def expected_times(pool: asyncpg.Pool, days: SlaDays, tracking_numbers: list[str]) -> dict[str, datetime]:
    """When the unit's open stage (verification, then follow-up) is due, by tracking number; none for a report
    whose unit stages are done, or in a year the holiday calendar lacks."""
    if not tracking_numbers:
        return {}
    calendar = await load_calendar(pool, days.cuti_bersama_days_off)
    rows = await pool.fetch(CLOCKS + " WHERE l.tracking_number = ANY($1::text[])", tracking_numbers)
    due: dict[str, datetime] = {}
    for row in rows:
        report = ReportClock.from_row(row)
        if report.status in CLOSED:
            continue
        try:
            clocks = stage_clocks(report, calendar, days)
        except SlaCalendarMissing:
            continue
        open_stages = [c for c in clocks if c.stage in UNIT_STAGES and c.done_at is None]
        if open_stages:
            due[report.tracking_number] = open_stages[-1].deadline
    return due
