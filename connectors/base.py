"""The Connector contract: read this file first, it is enough to write a connector.

A connector wraps one unit's complaint system (or, for `desk`, is that
system) and answers in the canonical report model below. The node server
(`connectors.server`) turns any Connector into the node contract of
`schema/node.graphql`, checks the hub's signatures, enrols with the hub and
sends heartbeats. A connector never sees HTTP or GraphQL.

Identifiers: a connector names its reports by a local id (any string). The
federation calls a report `<node code>:<local id>`. Lists are ordered by
`received_at` descending, then local id ascending in byte order (SQL
`COLLATE "C"`), and resumed with a `Keyset`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from simpul.report import (
    Accepted,
    Amendment,
    Change,
    ForwardedReport,
    NodeFailure,
    Report,
    ReportContent,
    Reporter,
    StatsBucket,
    TimelineEvent,
)
from simpul.wire import Channel, Dimension, NodeIdentity, NodeLevel, ReportKind, ReportStatus

__all__ = [
    "Accepted", "Amendment", "Change", "Channel", "Connector", "ConnectorError", "Dimension", "ForwardedReport",
    "Health", "Keyset", "NodeFailure", "NodeIdentity", "NodeLevel", "Report", "ReportContent", "ReportFilter",
    "ReportKind", "ReportStatus", "Reporter", "StatsBucket", "TimelineEvent", "report_node_failure",
]

# The report's shapes are defined once, in simpul/report.py, and re-exported here; they are frozen pydantic
# models, built with keyword arguments:
#
#   Reporter(anonymous, confidential, name, contact)   an anonymous reporter has no name or contact (enforced);
#                                                       `masked()` is what readers see of a confidential one
#   ReportContent(kind, title, body, category, region_code, channel, location)   what the reporter wrote
#   Report(ReportContent + local_id, tracking_number, status, reporter, received_at, updated_at, timeline)
#   TimelineEvent(at, status, actor, note)              one transition; nothing is edited in place
#   ForwardedReport(ReportContent + source_id, tracking_number, reporter, received_at)
#   StatsBucket(count, status, kind, category, region_code), Change(cursor, local_id, tracking_number, at,
#   status, actor, note), Accepted(local_id, tracking_number, created), NodeFailure(node, code, message, via)
#
# Times are timezone-aware. The models validate what a connector builds: a wrong value raises
# pydantic.ValidationError, which the node server reports as an error of this node.


@dataclass(frozen=True)
class ReportFilter:
    """Every field narrows; empty or None means no constraint."""

    statuses: Sequence[ReportStatus] = ()
    kinds: Sequence[ReportKind] = ()
    categories: Sequence[str] = ()
    region_prefix: str | None = None  # "64" matches 64, 64.08, 64.08.01 ...
    received_from: datetime | None = None  # inclusive
    received_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Keyset:
    """Resume a list after a position: reports received before `received_at`,
    plus, when `after_id` is not None, those received exactly at
    `received_at` whose local id sorts after `after_id` ("" admits them all)."""

    received_at: datetime
    after_id: str | None


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str = ""


_failures: ContextVar[list[NodeFailure] | None] = ContextVar("simpul_node_failures", default=None)


def report_node_failure(failure: NodeFailure) -> None:
    """Called by a connector that is itself a federation, while answering a read: the node server
    sends the failure with the data as a GraphQL error carrying `extensions.node`."""
    failures = _failures.get()
    if failures is not None:
        failures.append(failure)


@contextmanager
def collect_node_failures() -> Iterator[list[NodeFailure]]:
    """For the node server: the failures connectors report while one request is answered."""
    failures: list[NodeFailure] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)


class ConnectorError(Exception):
    """The wrapped system failed or answered nonsense; the node reports itself unhealthy."""


class Connector(Protocol):
    """What a backing system must offer to be a node."""

    identity: NodeIdentity

    async def start(self) -> None:
        """Open connections, apply migrations; called once before serving."""

    async def stop(self) -> None:
        """Release what `start` opened."""

    async def list_reports(
        self, filter: ReportFilter, after: Keyset | None, limit: int
    ) -> list[Report]:
        """Up to `limit` reports matching `filter`, in list order, after `after`.
        Timelines may be left empty here."""

    async def get_report(self, local_id: str) -> Report | None:
        """One report with its full timeline, or None."""

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        """Counts of matching reports grouped by `group_by`; region codes cut to
        `region_level` segments (1 province, 2 kab/kota, ...)."""

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        """Up to `limit` change-feed entries after cursor `after`, oldest first."""

    async def cursor_past_end(self, after: str) -> bool:
        """Whether `after` lies past the newest entry of the feed: the system went back (restored from a backup,
        reinstalled) and the hub must read the feed again. A kind that cannot tell answers False."""
        return False

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        """Record a forwarded report once per key; a repeated key returns the first result."""

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """Note that a report received here was forwarded to node `target` (disposisi);
        calling it again changes nothing."""

    async def health(self) -> Health:
        """Whether the wrapped system answers."""


REPLY_LIMIT = 5000  # characters of one reporter's reply, at every door
NO_REPLIES = ("this node's system takes no replies from reporters: the unit reads them in the hub's timeline "
              "(reportChain)")


@runtime_checkable
class TakesReplies(Protocol):
    """A connector whose system can hold a reporter's reply to the unit's answer (tanggapan). A kind without it
    answers takeReply with NO_REPLIES, and the reply waits in the hub's timeline."""

    async def take_reply(self, local_id: str, idempotency_key: str, text: str) -> bool:
        """Record the reply once per key, reopening an answered (COMPLETED) report; False for a repeated key."""


NO_AMENDMENTS = ("this node's system takes no verification edits from the hub: its admin retitles, reclassifies or "
                 "sets anonim/rahasia there, and the hub's ledger keeps the edit")


@runtime_checkable
class TakesAmendments(Protocol):
    """A connector whose system can take an admin's verification edits (retitle, reclassify, anonim, rahasia). A
    kind without it answers amendReport with NO_AMENDMENTS, and the edit lives in the hub's ledger only."""

    async def amend_report(self, local_id: str, idempotency_key: str, amendment: Amendment) -> bool:
        """Apply the amendment once per key: title, category, kind and rahasia as given; anonymous erases the
        reporter's name and contact (and is never undone). False for a repeated key."""
