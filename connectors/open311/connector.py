"""An Open311 GeoReport v2 endpoint served as a Connector.

Reads go to the endpoint every time (so a node whose system is down says
so); what Open311 cannot keep for us — the change feed, idempotency keys,
forwarded tracking numbers — lives in the state file under the node's data
folder.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import ConnectorError, Health, Keyset, NodeIdentity, ReportFilter
from connectors.numbering import FederationNumbers
from connectors.open311.client import NotFound, Open311Client
from connectors.open311.config import Open311Config
from connectors.open311.feed import FeedSync
from connectors.open311.formats import Record
from connectors.open311.mapping import actor_of, field, post_form, to_report
from connectors.open311.scan import Scanner, horizon
from connectors.open311.state import Posted, State, StateFile
from simpul.report import Accepted, Change, ForwardedReport, Report, StatsBucket
from simpul.wire import Dimension, ReportKind, ReportStatus, check_sequence_cursor


def _matches(f: ReportFilter, report: Report) -> bool:
    region = f.region_prefix
    return ((not f.statuses or report.status in f.statuses)
            and (not f.kinds or report.kind in f.kinds)
            and (not f.categories or report.category in f.categories)
            and (not region or report.region_code == region or report.region_code.startswith(region + "."))
            and (f.received_from is None or report.received_at >= f.received_from)
            and (f.received_to is None or report.received_at < f.received_to))


def _after(keyset: Keyset | None, report: Report) -> bool:
    if keyset is None or report.received_at < keyset.received_at:
        return True
    return (report.received_at == keyset.received_at and keyset.after_id is not None
            and report.local_id.encode() > keyset.after_id.encode())


def _order(report: Report) -> tuple[float, bytes]:
    return (-report.received_at.timestamp(), report.local_id.encode())


class Open311Connector:
    def __init__(self, identity: NodeIdentity, config: Open311Config, data_dir: Path) -> None:
        self.identity = identity
        self.config = config
        self.client = Open311Client(config)
        self.scanner = Scanner(self.client, config)
        self.feed = FeedSync(self.client, config, self.scanner, identity.code)
        self.state_file = StateFile(data_dir)
        self.numbers = FederationNumbers.load(identity.code, data_dir)
        self.state = State()
        self._lock = asyncio.Lock()
        self._synced_at = float("-inf")

    async def start(self) -> None:
        self.state = self.state_file.load()
        await self.client.start()

    async def stop(self) -> None:
        await self.client.stop()

    def _tracking(self, local_id: str) -> str:
        """A forwarded request keeps the number it came with; the server's own get a derived one."""
        return self.state.tracking.get(local_id) or self.numbers.of(local_id)

    def _report(self, record: Record, with_timeline: bool = False) -> Report:
        local_id = field(record, "service_request_id")
        return to_report(self.config, record, self._tracking(local_id), actor_of(record, self.identity.code),
                         with_timeline)

    def _list_params(self, f: ReportFilter) -> dict[str, str | None] | None:
        """Server-side narrowing where Open311 has it; None when nothing can match."""
        params: dict[str, str | None] = {"extensions": "true" if self.config.region_attribute else None}
        if f.statuses:
            raws = {raw for raw, status in self.config.statuses.items() if status in f.statuses}
            if not raws:
                return None
            if len(raws) == 1 and raws <= {"open", "closed"}:
                params["status"] = raws.pop()
        return params

    def _bounds(self, f: ReportFilter, after: Keyset | None) -> tuple[datetime, datetime]:
        lower = max(self.config.since, f.received_from or self.config.since)
        uppers = [t for t in (f.received_to, after.received_at if after else None) if t is not None]
        return lower, min(uppers) if uppers else horizon()

    async def list_reports(self, filter: ReportFilter, after: Keyset | None, limit: int) -> list[Report]:
        params = self._list_params(filter)
        if params is None or limit <= 0:
            return []
        lower, upper = self._bounds(filter, after)
        if upper < lower:
            return []
        found: dict[str, Report] = {}
        async for start, records in self.scanner.windows("requests", lower, upper, params):
            for record in records:
                report = self._report(record)
                if _matches(filter, report) and _after(after, report):
                    found[report.local_id] = report
            if sum(1 for r in found.values() if r.received_at > start) >= limit:
                break
        return sorted(found.values(), key=_order)[:limit]

    async def get_report(self, local_id: str) -> Report | None:
        record = await self.client.request(local_id, extensions=self.config.region_attribute is not None)
        return None if record is None else self._report(record, with_timeline=True)

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        reports = await self.list_reports(filter, None, 2**31)
        dims = set(group_by)
        counts: Counter[tuple[ReportStatus | None, ReportKind | None, str | None, str | None]] = Counter()
        for r in reports:
            region = ".".join(r.region_code.split(".")[: max(region_level, 1)])
            key = (r.status if Dimension.STATUS in dims else None, r.kind if Dimension.KIND in dims else None,
                   r.category if Dimension.CATEGORY in dims else None, region if Dimension.REGION in dims else None)
            counts[key] += 1
        return [StatsBucket(count=n, status=status, kind=kind, category=category, region_code=region)
                for (status, kind, category, region), n in counts.items()]

    async def cursor_past_end(self, after: str) -> bool:
        """Whether the state file numbered fewer feed entries than the cursor: it was restored or deleted."""
        last_seen = check_sequence_cursor(after)
        async with self._lock:
            return last_seen > self.state.seq

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        start = check_sequence_cursor(after)
        async with self._lock:
            if time.monotonic() - self._synced_at >= self.config.poll_interval:
                await self.feed.sync(self.state)
                self.state_file.save(self.state)
                self._synced_at = time.monotonic()
            entries = self.state.feed[start:start + max(limit, 0)]
        return [Change(cursor=str(e["seq"]), local_id=e["id"], tracking_number=self._tracking(e["id"]),
                       at=datetime.fromisoformat(e["at"]), status=ReportStatus(e["status"]), actor=e["actor"],
                       note=e["note"]) for e in entries]

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        async with self._lock:
            posted = self.state.posted.get(idempotency_key)
            if posted is None:
                held = next((i for i, t in self.state.tracking.items() if t == report.tracking_number), None)
                if held is not None:  # posted before under another key: one request, both keys
                    self.state.posted[idempotency_key] = Posted(report.tracking_number, held, answered=True)
                    self.state_file.save(self.state)
                    return Accepted(local_id=held, tracking_number=report.tracking_number, created=False)
                posted = await self._post(report)
                self.state.posted[idempotency_key] = posted
                self.state_file.save(self.state)
            if posted.service_request_id is None:
                posted.service_request_id = await self._resolve_token(posted)
            local_id = posted.service_request_id
            created = not posted.answered
            posted.answered = True
            self.state.tracking[local_id] = posted.tracking_number
            self.state_file.save(self.state)
        return Accepted(local_id=local_id, tracking_number=posted.tracking_number, created=created)

    async def _post(self, report: ForwardedReport) -> Posted:
        code = self.config.service_code_for(report.category, report.kind)
        if code is None:
            raise ConnectorError(f"no Open311 service_code for category {report.category!r}; "
                                 "map it under [services] or set forward.default_service_code")
        records = await self.client.post("requests", post_form(self.config, report, code))
        answer = records[0] if records else {}
        request_id, token = answer.get("service_request_id"), answer.get("token")
        if not request_id and not token:
            raise ConnectorError(f"Open311 POST requests answered neither a service_request_id nor a token: {records}")
        return Posted(report.tracking_number, request_id or None, token or None)

    async def _resolve_token(self, posted: Posted) -> str:
        """The request id for a token; until the server assigns one the delivery fails and is retried."""
        try:
            records = await self.client.get(f"tokens/{posted.token}")
        except NotFound:
            records = []
        request_id = next((r["service_request_id"] for r in records if r.get("service_request_id")), None)
        if request_id is None:
            raise ConnectorError(f"Open311 took the report as token {posted.token} but has not assigned "
                                 "a service_request_id yet; retry later")
        return str(request_id)

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """Open311 has no disposisi; the node's own feed records it once."""
        async with self._lock:
            if self.state.forwarded.get(local_id) == target:
                return
            if await self.client.request(local_id, extensions=False) is None:
                raise ConnectorError(f"no Open311 request {local_id!r}")
            self.state.forwarded[local_id] = target
            self.state.append({"id": local_id, "at": datetime.now(UTC).isoformat(),
                               "status": ReportStatus.FORWARDED.value, "actor": "hub",
                               "note": f"diteruskan ke {target}"})
            self.state_file.save(self.state)

    async def health(self) -> Health:
        try:
            services = await self.client.get("services")
        except ConnectorError as exc:
            return Health(False, str(exc))
        return Health(True, f"Open311 endpoint answers with {len(services)} services")
