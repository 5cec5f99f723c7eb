"""What this connector asks a child hub (its public GraphQL API) and the shapes it accepts back.

The child is a simpul hub like the parent; everything it answers is
validated here, so a child that answers nonsense is a ConnectorError.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from connectors.base import Keyset
from simpul.wire import Channel, ReportKind, ReportStatus

# Sorts after every report id: a keyset position that admits nothing more at its instant.
AFTER_EVERY_ID = "\U0010ffff"

_REPORT_FIELDS = """
  id trackingNumber kind title body category regionCode channel status
  reporter { anonymous confidential } receivedAt updatedAt location
"""

REPORTS = f"""
query Reports($filter: ReportFilter, $first: Int!, $after: String) {{
  reports(filter: $filter, first: $first, after: $after, live: true) {{
    reports {{ {_REPORT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

REPORT = f"""
query Report($id: ID!) {{
  report(id: $id) {{ {_REPORT_FIELDS} timeline {{ at status actor note }} }}
}}
"""

STATS = """
query Stats($filter: ReportFilter, $groupBy: [Dimension!]!, $regionLevel: Int!) {
  stats(filter: $filter, groupBy: $groupBy, regionLevel: $regionLevel, live: true) {
    buckets { count status kind category regionCode }
  }
}
"""

LEDGER_CHANGES = """
query LedgerChanges($after: String, $first: Int!) {
  ledgerChanges(after: $after, first: $first) {
    cursor trackingNumber at type node status note reportId originId
  }
}
"""

ACCEPT_FORWARDED = """
mutation Accept($key: String!, $report: ParentReportInput!) {
  acceptForwardedReport(idempotencyKey: $key, report: $report) { id trackingNumber created }
}
"""


def child_cursor(keyset: Keyset) -> str:
    """The child hub's `after` cursor for a keyset: its (receivedAt, global id) position, encoded as it does."""
    position = {"t": keyset.received_at.isoformat(),
                "id": AFTER_EVERY_ID if keyset.after_id is None else keyset.after_id}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ChildReporter(_Model):
    anonymous: bool
    confidential: bool


class ChildEvent(_Model):
    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None


class ChildReport(_Model):
    id: str = Field(min_length=3, max_length=300, pattern=r"^[^:]+:.+")
    tracking_number: str
    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel
    status: ReportStatus
    reporter: ChildReporter
    received_at: AwareDatetime
    updated_at: AwareDatetime
    location: str | None = None
    timeline: list[ChildEvent] = []


class _PageInfo(_Model):
    has_next_page: bool
    end_cursor: str | None


class _ReportPage(_Model):
    reports: list[ChildReport]
    page_info: _PageInfo


class ReportsData(_Model):
    reports: _ReportPage


class ReportData(_Model):
    report: ChildReport | None


class ChildBucket(_Model):
    count: int = Field(ge=0)
    status: ReportStatus | None = None
    kind: ReportKind | None = None
    category: str | None = None
    region_code: str | None = None


class _Stats(_Model):
    buckets: list[ChildBucket]


class StatsData(_Model):
    stats: _Stats


class ChildLedgerChange(_Model):
    cursor: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    at: AwareDatetime
    type: str
    node: str | None = None
    status: ReportStatus | None = None
    note: str | None = None
    report_id: str | None = None
    origin_id: str


class LedgerChangesData(_Model):
    ledger_changes: list[ChildLedgerChange]


class _Accepted(_Model):
    id: str = Field(min_length=1)
    tracking_number: str
    created: bool


class AcceptData(_Model):
    accept_forwarded_report: _Accepted


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
