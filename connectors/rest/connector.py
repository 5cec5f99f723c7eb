"""An agency's JSON API served as a Connector: fetch through the mapping, decide in Python."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import ConnectorError, Health, Keyset, NodeIdentity, ReportFilter
from connectors.numbering import FederationNumbers
from connectors.rest import paths, select
from connectors.rest.client import AgencyClient, Params
from connectors.rest.config import RestConfig
from connectors.rest.feed import Seen, SnapshotFeed, UpdatedSinceFeed
from connectors.rest.mapping import Mapper
from connectors.rest.state import StateFile
from simpul.report import Accepted, Change, ForwardedReport, Report, StatsBucket
from simpul.wire import Dimension, ReportStatus

STATE_FILE = "rest-state.json"


@dataclass(frozen=True)
class Forwarded:
    numbers: set[str]  # tracking numbers of reports the hub forwarded here
    by_id: dict[str, str]  # the agency's id of each one posted -> its tracking number


class RestConnector:
    """One agency API; one aiohttp session from `start` to `stop`; its memory in a JSON state file."""

    def __init__(self, identity: NodeIdentity, config: RestConfig, data_dir: Path) -> None:
        self.identity = identity
        self.config = config
        self.client = AgencyClient(config)
        self.mapper = Mapper(config)
        self.state = StateFile(data_dir / STATE_FILE)
        self.numbers = FederationNumbers.load(identity.code, data_dir)
        self._lock = asyncio.Lock()
        self.feed: UpdatedSinceFeed | SnapshotFeed
        notes = self._note if "timeline" in config.fields and "note" in config.timeline else None
        if config.changes_endpoint is not None:
            self.feed = UpdatedSinceFeed(self._updated_since, notes, config.change_actor)
        else:
            self.feed = SnapshotFeed(self._everything_seen, notes, self.state, self._lock, config.change_actor)

    async def start(self) -> None:
        await self.client.start()

    async def stop(self) -> None:
        await self.client.stop()

    async def list_reports(self, filter: ReportFilter, after: Keyset | None, limit: int) -> list[Report]:
        return select.page(await self._all_reports(), filter, after, limit)

    async def get_report(self, local_id: str) -> Report | None:
        answer = await self.client.get(self.client.report_path(local_id), missing_ok=True)
        if answer is None:
            return None
        path = self.config.answers.report
        item = paths.get(answer, path)
        if item is paths.MISSING or item is None:
            raise ConnectorError(f"the answer to GET {self.client.report_path(local_id)} lacks {path or 'a report'}")
        return await self._federated(self.mapper.report(item, path))

    async def count_reports(
        self, filter: ReportFilter, group_by: Sequence[Dimension], region_level: int
    ) -> list[StatsBucket]:
        return select.count(await self._all_reports(), filter, group_by, region_level)

    async def cursor_past_end(self, after: str) -> bool:
        return await self.feed.past_end(after)

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        return await self.feed.changes(after, limit)

    async def accept_report(self, idempotency_key: str, report: ForwardedReport) -> Accepted:
        """POST once per key: the key is remembered before the POST and the result after it, and a retry first
        looks for the report in the agency's list, so an API that ignores Idempotency-Key gets no twin. The
        report keeps the number it came with, whatever number the agency gives it."""
        if self.config.create_endpoint is None:
            raise ConnectorError("this agency API takes no forwarded reports (no endpoints.create configured)")
        async with self._lock:
            accepted = (await self.state.data())["accepted"]
            entry = accepted.get(idempotency_key)
            if entry is not None and "id" in entry:
                return Accepted(local_id=entry["id"], tracking_number=entry["tracking"], created=False)
            held = self._held(await self._agency_reports(), report, accepted, cut_off=entry is not None)
            if held is not None:
                accepted[idempotency_key] = {"id": held, "tracking": report.tracking_number}
                await self.state.save()
                return Accepted(local_id=held, tracking_number=report.tracking_number, created=False)
            accepted[idempotency_key] = {"pending": report.tracking_number}
            await self.state.save()
            answer = await self.client.post(self.config.create_endpoint, self.mapper.create_body(report),
                                            {self.config.idempotency_header: idempotency_key})
            path = self.config.answers.created
            item = paths.get(answer, path)
            if not isinstance(item, dict):
                raise ConnectorError(f"the answer to POST {self.config.create_endpoint} lacks {path or 'a report'}")
            local_id = self.mapper.local_id(item, path)
            accepted[idempotency_key] = {"id": local_id, "tracking": report.tracking_number}
            await self.state.save()
        return Accepted(local_id=local_id, tracking_number=report.tracking_number, created=True)

    def _held(self, agency: list[Report], report: ForwardedReport, accepted: dict[str, dict[str, str]],
              cut_off: bool) -> str | None:
        """The agency's id of `report` when it already holds it: by the ticket number it came with, or, after a
        POST cut off before its answer was kept, by its title, body and region (an API that numbers reports its
        own way, or not at all), among the reports no other key was answered with."""
        if "tracking_number" in self.config.fields:
            numbered = [r for r in agency if r.tracking_number == report.tracking_number]
            if numbered:
                return numbered[0].local_id
        if not cut_off:
            return None
        taken = {str(entry["id"]) for entry in accepted.values() if "id" in entry}
        alike = [r for r in agency if r.local_id not in taken
                 and (r.title, r.body, r.region_code) == (report.title, report.body, report.region_code)]
        return max(alike, key=lambda r: r.received_at).local_id if alike else None

    async def mark_forwarded(self, local_id: str, target: str) -> None:
        """Agency APIs have no place for a disposition elsewhere, so the node keeps it in its state."""
        async with self._lock:
            forwarded = (await self.state.data())["forwarded"]
            if forwarded.get(local_id) != target:
                forwarded[local_id] = target
                await self.state.save()

    async def health(self) -> Health:
        try:
            await self.state.data()
            async for items, where in self.client.pages(self.config.list_endpoint):
                for i, item in enumerate(items):
                    self.mapper.report(item, _place(self.config.list_endpoint, 1, where, i))
                break
        except ConnectorError as exc:
            return Health(False, str(exc))
        return Health(True, f"agency API answers at {self.config.base_url}")

    async def _agency_reports(self) -> list[Report]:
        """Every report as the agency has it, with the agency's own numbers."""
        return [self.mapper.report(item, where) for item, where in await self._items(self.config.list_endpoint)]

    async def _all_reports(self) -> list[Report]:
        forwarded = await self._forwarded()
        return [r.model_copy(update={"tracking_number": self._number(r.local_id, r.tracking_number, forwarded)})
                for r in await self._agency_reports()]

    async def _federated(self, report: Report) -> Report:
        number = self._number(report.local_id, report.tracking_number, await self._forwarded())
        return report.model_copy(update={"tracking_number": number})

    async def _forwarded(self) -> Forwarded:
        """The reports the hub forwarded here: their numbers (posted, or posting when a crash cut it off) and,
        once posted, the agency's id for each."""
        accepted = (await self.state.data())["accepted"]
        return Forwarded({str(entry.get("tracking") or entry.get("pending")) for entry in accepted.values()},
                         {str(entry["id"]): str(entry["tracking"]) for entry in accepted.values() if "id" in entry})

    def _number(self, local_id: str, agency_number: str, forwarded: Forwarded) -> str:
        """A forwarded report keeps the number it came with; the agency's own numbers count up (or there are
        none), so its own reports get a derived one (the agency's number stays its reference and opens no
        public track)."""
        if local_id in forwarded.by_id:
            return forwarded.by_id[local_id]
        return agency_number if agency_number in forwarded.numbers else self.numbers.of(local_id)

    async def _note(self, local_id: str, status: ReportStatus, at: datetime) -> str | None:
        """The officer's note (tanggapan) on a change, from the report's history: its newest entry of `status` up
        to the change (else after it, its clock being the agency's); None when the report is gone."""
        report = await self.get_report(local_id)
        entries = [e for e in report.timeline if e.status is status] if report is not None else []
        chosen = max([e for e in entries if e.at <= at] or entries, key=lambda e: e.at, default=None)
        return chosen.note if chosen is not None else None

    async def _everything_seen(self, since: datetime | None) -> list[Seen]:
        return await self._seen(await self._items(self.config.list_endpoint))

    async def _updated_since(self, since: datetime | None) -> list[Seen]:
        assert self.config.changes_endpoint is not None
        params = {self.config.since_param: since.astimezone(UTC).isoformat()} if since is not None else None
        return await self._seen(await self._items(self.config.changes_endpoint, params))

    async def _seen(self, items: list[tuple[object, str]]) -> list[Seen]:
        forwarded = await self._forwarded()
        seen = []
        for item, where in items:
            local_id = self.mapper.local_id(item, where)
            agency_number = self.mapper.tracking_number(item, where) or ""
            seen.append(Seen(local_id, self._number(local_id, agency_number, forwarded),
                             self.mapper.status(item, where), self.mapper.updated_at(item, where)))
        return seen

    async def _items(self, endpoint: str, params: Params | None = None) -> list[tuple[object, str]]:
        """Every item of a listing, each with its path for error messages; one copy per id."""
        found: dict[str, tuple[object, str]] = {}
        number = 0
        async for items, where in self.client.pages(endpoint, params):
            number += 1
            fresh = 0
            for i, item in enumerate(items):
                place = _place(endpoint, number, where, i)
                local_id = self.mapper.local_id(item, place)
                if local_id not in found:
                    found[local_id] = (item, place)
                    fresh += 1
            if items and not fresh:
                raise ConnectorError(f"paging GET {endpoint} does not advance: page {number} repeats reports "
                                     "already seen; check [pagination]")
        return list(found.values())


def _place(endpoint: str, page: int, items: str, index: int) -> str:
    """Where an item sits, for error messages: `GET /laporan page 2: data.items.3`."""
    return f"GET {endpoint} page {page}: {items + '.' if items else ''}{index}"
