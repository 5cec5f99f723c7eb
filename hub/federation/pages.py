"""A node's page of reports, read lean: each report's place in the merged order now, the report itself only
if it makes the merged page.

A federated page over N nodes reads N pages of `first` reports and shows `first` of them; validating every
report of every page was a quarter of the hub's CPU per node call. msgspec reads each node's answer into its
reports' raw JSON and, per report, only its id and receivedAt (the sort key); pydantic validates the few that
reach the merged page (`read_report`). An answer msgspec cannot read that way is read whole by the strict
reader (`read_data`), which names what is wrong or, if it finds the answer good, gives validated reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from pydantic import ValidationError

from hub.federation.client import NodeCallError, failures_below, read_data
from hub.federation.merge import Key, order_key
from hub.federation.nodewire import ListReportsData, NodeReport
from simpul.report import NodeFailure

Unread = NodeReport | msgspec.Raw  # a report validated, or its JSON not yet validated


class _Key(msgspec.Struct, rename="camel"):
    id: str
    received_at: datetime


class _List(msgspec.Struct, rename="camel"):
    reports: list[msgspec.Raw]
    has_more: bool


class _Data(msgspec.Struct):
    reports: _List


class _Answer(msgspec.Struct):
    data: _Data | None = None
    errors: Any = None


_ANSWER = msgspec.json.Decoder(_Answer)
_KEY = msgspec.json.Decoder(_Key)


@dataclass(frozen=True)
class ReportPage:
    """One node's page: its reports by their place in the merged order, and whether it has more."""

    reports: Sequence[tuple[Key, Unread]]
    has_more: bool


def read_report_page(code: str, status: int, raw: bytes) -> tuple[ReportPage, list[NodeFailure]]:
    """A ListReports answer as a ReportPage (a `client.Reader`)."""
    try:
        answer = _ANSWER.decode(raw)
        if answer.data is not None:
            keyed: list[tuple[Key, Unread]] = []
            for report in answer.data.reports.reports:
                key = _KEY.decode(report)
                if key.received_at.tzinfo is None:
                    raise msgspec.ValidationError("receivedAt without a time zone")
                keyed.append((order_key(key.received_at, key.id), report))
            return ReportPage(keyed, answer.data.reports.has_more), failures_below(code, answer.errors)
    except msgspec.MsgspecError:
        pass
    data, below = read_data(code, status, raw, ListReportsData)  # raises, naming what is wrong, or reads it all
    return ReportPage([(order_key(r.received_at, r.id), r) for r in data.reports.reports],
                      data.reports.has_more), below


def read_report(code: str, report: Unread) -> NodeReport:
    """The report, validated; a NodeCallError naming the node if it is not a report."""
    if isinstance(report, NodeReport):
        return report
    try:
        return NodeReport.model_validate_json(bytes(report))
    except ValidationError as exc:
        raise NodeCallError(NodeCallError.BAD_RESPONSE,
                            f"node {code} answered in the wrong shape ({exc.error_count()} problems)") from None
