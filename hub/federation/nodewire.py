"""What the hub asks nodes (node contract documents) and the envelopes their answers come in.

The reports, buckets and timelines inside are the shared models of simpul/report.py, and every document asks
for exactly their fields. Anything a node answers is validated against them; a node that answers garbage
becomes a NODE_BAD_RESPONSE error, never a hub crash.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from simpul.report import AcceptResult, ServedReport, StatsBucket, WireModel, selection
from simpul.wire import ReportStatus

NodeReport = ServedReport
"""A report as a node answered it, by its global id; its reporter without identity unless forwarded."""

_LISTED = selection(NodeReport, omit=("timeline", "reporter.name", "reporter.contact"))
_READ = selection(NodeReport, omit=("reporter.name", "reporter.contact"))

LIST_REPORTS = f"""
query ListReports($filter: ReportFilter, $first: Int!, $after: ReportKey) {{
  reports(filter: $filter, first: $first, after: $after) {{
    reports {{ {_LISTED} }}
    hasMore
  }}
}}
"""

GET_REPORT = f"""
query GetReport($id: ID!) {{
  report(id: $id) {{ {_READ} }}
}}
"""

COUNT_REPORTS = f"""
query CountReports($filter: ReportFilter, $groupBy: [Dimension!]!, $regionLevel: Int!) {{
  stats(filter: $filter, groupBy: $groupBy, regionLevel: $regionLevel) {{ {selection(StatsBucket)} }}
}}
"""


class _ReportList(WireModel):
    reports: list[NodeReport]
    has_more: bool


class ListReportsData(WireModel):
    reports: _ReportList


class GetReportData(WireModel):
    report: NodeReport | None


class CountReportsData(WireModel):
    stats: list[StatsBucket]


FEED_PAGE = 200  # changes asked for per pull


class NodeChange(WireModel):
    """One change of a node's feed, with the report as it is now (timeline included)."""

    cursor: str = Field(min_length=1, max_length=100)
    report_id: str
    tracking_number: str = Field(min_length=1, max_length=100)
    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None
    report: NodeReport | None = None

    @property
    def said(self) -> str | None:
        """The unit's note on this change; from a feed that carries none (one made by comparing listings), the
        note the report's own timeline gives its newest entry of this status, up to the change."""
        if self.note is not None or self.report is None:
            return self.note
        entries = [e for e in self.report.timeline if e.status is self.status and e.at <= self.at]
        return max(entries, key=lambda e: e.at).note if entries else None


CHANGES = f"""
query Changes($after: String, $first: Int!) {{
  changes(after: $after, first: $first) {{
    changes {{ {selection(NodeChange, omit=("report.reporter.name", "report.reporter.contact"))} }}
    hasMore
    behind
  }}
}}
"""

REPORT_TO_FORWARD = f"""
query ReportToForward($id: ID!) {{
  reportToForward(id: $id) {{ {selection(NodeReport, omit=("timeline",))} }}
}}
"""

ACCEPT_REPORT = f"""
mutation Accept($key: String!, $report: ForwardedReportInput!) {{
  acceptReport(idempotencyKey: $key, report: $report) {{ {selection(AcceptResult)} }}
}}
"""

MARK_FORWARDED = """
mutation MarkForwarded($id: ID!, $to: String!) { markForwarded(id: $id, to: $to) }
"""

TAKE_REPLY = """
mutation TakeReply($id: ID!, $key: String!, $text: String!) { takeReply(id: $id, idempotencyKey: $key, text: $text) }
"""

AMEND_REPORT = """
mutation AmendReport($id: ID!, $key: String!, $amendment: AmendmentInput!) {
  amendReport(id: $id, idempotencyKey: $key, amendment: $amendment) }
"""


class _ChangeList(WireModel):
    changes: list[NodeChange]
    has_more: bool
    behind: bool = False


class ChangesData(WireModel):
    changes: _ChangeList


class ReportToForwardData(WireModel):
    report_to_forward: NodeReport | None


class AcceptData(WireModel):
    accept_report: AcceptResult


class MarkForwardedData(WireModel):
    mark_forwarded: bool


class TakeReplyData(WireModel):
    take_reply: bool


class AmendReportData(WireModel):
    amend_report: bool
