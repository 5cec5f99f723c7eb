"""What the hub asks nodes (node contract documents) and the shapes it accepts back.

Anything a node answers is validated against these models; a node that
answers garbage becomes a NODE_BAD_RESPONSE error, never a hub crash.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from simpul.wire import Channel, ReportKind, ReportStatus

_REPORT_FIELDS = """
  id localId trackingNumber kind title body category regionCode channel status
  reporter { anonymous confidential } receivedAt updatedAt location
"""

LIST_REPORTS = f"""
query ListReports($filter: ReportFilter, $first: Int!, $after: ReportKey) {{
  reports(filter: $filter, first: $first, after: $after) {{
    reports {{ {_REPORT_FIELDS} }}
    hasMore
  }}
}}
"""

GET_REPORT = f"""
query GetReport($id: ID!) {{
  report(id: $id) {{ {_REPORT_FIELDS} timeline {{ at status actor note }} }}
}}
"""

COUNT_REPORTS = """
query CountReports($filter: ReportFilter, $groupBy: [Dimension!]!, $regionLevel: Int!) {
  stats(filter: $filter, groupBy: $groupBy, regionLevel: $regionLevel) {
    count status kind category regionCode
  }
}
"""


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class NodeReporter(_Model):
    anonymous: bool
    confidential: bool


class NodeTimelineEvent(_Model):
    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None


class NodeReport(_Model):
    id: str = Field(min_length=3, max_length=300)
    local_id: str
    tracking_number: str
    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel
    status: ReportStatus
    reporter: NodeReporter
    received_at: AwareDatetime
    updated_at: AwareDatetime
    location: str | None = None
    timeline: tuple[NodeTimelineEvent, ...] = ()  # a list default is deep-copied for every report read


class _ReportList(_Model):
    reports: list[NodeReport]
    has_more: bool


class ListReportsData(_Model):
    reports: _ReportList


class GetReportData(_Model):
    report: NodeReport | None


class NodeBucket(_Model):
    count: int = Field(ge=0)
    status: ReportStatus | None = None
    kind: ReportKind | None = None
    category: str | None = None
    region_code: str | None = None


class CountReportsData(_Model):
    stats: list[NodeBucket]


FEED_PAGE = 200  # changes asked for per pull

CHANGES = f"""
query Changes($after: String, $first: Int!) {{
  changes(after: $after, first: $first) {{
    changes {{ cursor reportId trackingNumber at status actor note
      report {{ {_REPORT_FIELDS} timeline {{ at status actor note }} }} }}
    hasMore
    behind
  }}
}}
"""

REPORT_TO_FORWARD = f"""
query ReportToForward($id: ID!) {{
  reportToForward(id: $id) {{ {_REPORT_FIELDS} reporter {{ name contact }} }}
}}
"""

ACCEPT_REPORT = """
mutation Accept($key: String!, $report: ForwardedReportInput!) {
  acceptReport(idempotencyKey: $key, report: $report) { id trackingNumber created }
}
"""

MARK_FORWARDED = """
mutation MarkForwarded($id: ID!, $to: String!) { markForwarded(id: $id, to: $to) }
"""


class NodeChange(_Model):
    cursor: str = Field(min_length=1, max_length=100)
    report_id: str
    tracking_number: str = Field(min_length=1, max_length=100)
    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None
    report: NodeReport | None = None  # the report as it is now, timeline included


class _ChangeList(_Model):
    changes: list[NodeChange]
    has_more: bool
    behind: bool = False


class ChangesData(_Model):
    changes: _ChangeList


class NodeIdentifiedReporter(NodeReporter):
    name: str | None = None
    contact: str | None = None


class ForwardableReport(NodeReport):
    reporter: NodeIdentifiedReporter


class ReportToForwardData(_Model):
    report_to_forward: ForwardableReport | None


class _Accepted(_Model):
    id: str
    tracking_number: str
    created: bool


class AcceptData(_Model):
    accept_report: _Accepted


class MarkForwardedData(_Model):
    mark_forwarded: bool
