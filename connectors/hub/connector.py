"""A child hub (a province's own simpul hub) as one node of its parent hub.

Local ids are the child's global ids, so Kutai Timur's report `64.08:3`
under the Kaltim hub (node `64`) is `64:64.08:3` in the parent. Reads pass
through to the child's public API; forwarded reports go down through its
admin-only `acceptForwardedReport`; the change feed is its ledger.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.base import ConnectorError, Health, Keyset, NodeIdentity, ReportFilter
from connectors.hub.client import ChildHubClient
from connectors.hub.events import LedgerEvents
from connectors.hub.wire import (
    ACCEPT_FORWARDED,
    LEDGER_CHANGES,
    REPORT,
    REPORTS,
    STATS,
    AcceptData,
    ChildLedgerChange,
    LedgerChangesData,
    ReportData,
    ReportsData,
    StatsData,
    child_cursor,
    iso,
)
from simpul.report import Accepted, Change, ForwardedReport, Report, StatsBucket
from simpul.wire import HUB_ORIGIN, MAX_PAGE, PARENT_ORIGIN, Dimension, ReportStatus, check_sequence_cursor

# Origin ids in the child's ledger: a report forwarded from above, or submitted at the child hub itself.
FROM_ABOVE = PARENT_ORIGIN
AT_CHILD_HUB = HUB_ORIGIN


class ChildHubConnector:
    def __init__(self, identity: NodeIdentity, client: ChildHubClient, accept_wait: float,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.identity = identity
        self.client = client
        self.accept_wait = accept_wait
        self.events = LedgerEvents(client.url, client.admin_key, on_change)

    async def start(self) -> None:
        await self.client.open()
        self.events.start()

    async def stop(self) -> None:
        await self.events.stop()
        await self.client.close()

    async def list_reports(self, filter: ReportFilter, after: Keyset | None, limit: int) -> list[Report]:
        reports: list[Report] = []
        cursor = child_cursor(after) if after is not None else None
        while len(reports) < limit:
            page = await self.client.query(REPORTS, {
                "filter": _filter(filter), "first": min(MAX_PAGE, limit - len(reports)), "after": cursor,
            }, ReportsData)
            reports.extend(page.reports.reports)
            cursor = page.reports.page_info.end_cursor
            if not page.reports.page_info.has_next_page or cursor is None:
                break
        return reports

    async def get_report(self, local_id: str) -> Report | None:
        node, _, local = local_id.partition(":")
        if not node or not local:
            return None  # not a child's global id: no such report
        found = await self.client.query(REPORT, {"id": local_id}, ReportData)
        return found.report

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        stats = await self.client.query(STATS, {
            "filter": _filter(filter), "groupBy": [d.value for d in group_by], "regionLevel": region_level,
        }, StatsData)
        return stats.stats.buckets

    async def cursor_past_end(self, after: str) -> bool:
        """Whether the child's ledger no longer holds the event the cursor names, nor any later one: the child
        hub was restored or reinstalled. The first event from just before the cursor answers it."""
        seq = check_sequence_cursor(after)
        if seq == 0:
            return False
        page = await self.client.query(LEDGER_CHANGES, {"after": str(seq - 1), "first": 1}, LedgerChangesData)
        return not page.ledger_changes

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        changes: list[Change] = []
        while len(changes) < limit:
            first = min(MAX_PAGE, limit - len(changes))
            page = await self.client.query(LEDGER_CHANGES, {"after": after, "first": first}, LedgerChangesData)
            changes.extend(c for c in map(_change, page.ledger_changes) if c is not None)
            if len(page.ledger_changes) < first:
                break
            after = page.ledger_changes[-1].cursor
        return changes[:limit]

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        """Hand the report to the child hub, which routes it on; wait briefly to name the copy its unit holds."""
        variables = {"key": idempotency_key, "report": _forwarded(report)}
        first = (await self.client.query(ACCEPT_FORWARDED, variables, AcceptData)).accept_forwarded_report
        answer = first
        deadline = time.monotonic() + self.accept_wait
        while answer.id.startswith(FROM_ABOVE) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            answer = (await self.client.query(ACCEPT_FORWARDED, variables, AcceptData)).accept_forwarded_report
        if answer.tracking_number != report.tracking_number:
            raise ConnectorError(f"child hub took {report.tracking_number} as {answer.tracking_number}")
        return Accepted(local_id=answer.id, tracking_number=answer.tracking_number, created=first.created)

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """The parent's ledger holds the disposisi; the child hub has no call to note it (see README)."""

    async def health(self) -> Health:
        try:
            await self.client.healthz()
            await self.client.query(LEDGER_CHANGES, {"after": None, "first": 1}, LedgerChangesData)
        except ConnectorError as exc:
            return Health(False, str(exc))
        return Health(True, f"child hub at {self.client.url} answers")


def _filter(filter: ReportFilter) -> dict[str, Any]:
    return {
        "statuses": [s.value for s in filter.statuses] or None,
        "kinds": [k.value for k in filter.kinds] or None,
        "categories": list(filter.categories) or None,
        "regionPrefix": filter.region_prefix,
        "receivedFrom": iso(filter.received_from),
        "receivedTo": iso(filter.received_to),
    }


def _change(row: ChildLedgerChange) -> Change | None:
    """The parent's view of one ledger event, or None for events that stay inside the child.

    A report is named by where it is at the child now (a node's global id), or by its origin when it
    came from above (the parent knows it by tracking number). Reports submitted at the child hub
    itself appear once delivered to a unit, so the parent can always fetch what it is told of; those
    from above are not announced again.
    """
    local_id = row.report_id or (row.origin_id if row.origin_id.startswith(FROM_ABOVE) else None)
    if local_id is None:
        return None
    from_a_unit = not row.origin_id.startswith((AT_CHILD_HUB, FROM_ABOVE))
    if row.type == "RECEIVED" and from_a_unit:
        status, note = ReportStatus.RECEIVED, None
    elif row.type == "DELIVERED" and row.origin_id.startswith(AT_CHILD_HUB):
        status, note = ReportStatus.RECEIVED, None
    elif row.type == "STATUS" and row.status is not None:
        status, note = row.status, row.note
    elif row.type == "UNROUTABLE":
        status, note = ReportStatus.RETURNED, row.note  # no unit here has authority: the parent routes again
    else:
        return None
    return Change(cursor=row.cursor, local_id=local_id, tracking_number=row.tracking_number, at=row.at,
                  status=status, actor=row.node or "hub", note=note)


def _forwarded(report: ForwardedReport) -> dict[str, Any]:
    """The report as the child's `ParentReportInput` takes it: the shared model, as on the wire."""
    return report.model_dump(mode="json", by_alias=True)
