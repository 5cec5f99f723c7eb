"""What this connector asks a child hub (its public GraphQL API) and the shapes it accepts back.

The child is a simpul hub like the parent; everything it answers is
validated here, so a child that answers nonsense is a ConnectorError.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from connectors.base import Keyset
from simpul.cursor import AFTER_EVERY_ID, Position
from simpul.report import AcceptResult, Report, StatsBucket, WireModel, selection
from simpul.wire import ReportStatus


class ChildReport(Report):
    """A report as the child hub's API serves it: its global id there is the local id here."""

    local_id: str = Field(validation_alias="id", min_length=3, max_length=300, pattern=r"^[^:]+:.+")


_LISTED = selection(ChildReport, omit=("timeline", "reporter.name", "reporter.contact"))
_READ = selection(ChildReport, omit=("reporter.name", "reporter.contact"))

REPORTS = f"""
query Reports($filter: ReportFilter, $first: Int!, $after: String) {{
  reports(filter: $filter, first: $first, after: $after, live: true) {{
    reports {{ {_LISTED} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

REPORT = f"""
query Report($id: ID!) {{
  report(id: $id) {{ {_READ} }}
}}
"""

STATS = f"""
query Stats($filter: ReportFilter, $groupBy: [Dimension!]!, $regionLevel: Int!) {{
  stats(filter: $filter, groupBy: $groupBy, regionLevel: $regionLevel, live: true) {{
    buckets {{ {selection(StatsBucket)} }}
  }}
}}
"""


class ChildLedgerChange(WireModel):
    cursor: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    at: AwareDatetime
    type: str
    node: str | None = None
    status: ReportStatus | None = None
    note: str | None = None
    report_id: str | None = None
    origin_id: str


LEDGER_CHANGES = f"""
query LedgerChanges($after: String, $first: Int!) {{
  ledgerChanges(after: $after, first: $first) {{ {selection(ChildLedgerChange)} }}
}}
"""

ACCEPT_FORWARDED = f"""
mutation Accept($key: String!, $report: ParentReportInput!) {{
  acceptForwardedReport(idempotencyKey: $key, report: $report) {{ {selection(AcceptResult)} }}
}}
"""


def child_cursor(keyset: Keyset) -> str:
    """The child hub's `after` cursor for a keyset: its (receivedAt, global id) position."""
    return Position(keyset.received_at, AFTER_EVERY_ID if keyset.after_id is None else keyset.after_id).encode()


class _PageInfo(WireModel):
    has_next_page: bool
    end_cursor: str | None


class _ReportPage(WireModel):
    reports: list[ChildReport]
    page_info: _PageInfo


class ReportsData(WireModel):
    reports: _ReportPage


class ReportData(WireModel):
    report: ChildReport | None


class _Stats(WireModel):
    buckets: list[StatsBucket]


class StatsData(WireModel):
    stats: _Stats


class LedgerChangesData(WireModel):
    ledger_changes: list[ChildLedgerChange]


class AcceptData(WireModel):
    accept_forwarded_report: AcceptResult


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
