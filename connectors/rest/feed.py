"""The change feed of an agency API, in one of two ways.

- `UpdatedSinceFeed`: the API lists reports updated since a time; the
  cursor is the last (updated time, id) handed out, so ties are resumed.
- `SnapshotFeed`: the API cannot say what changed; each pull lists every
  report and compares its status with the last one seen, which the state
  file keeps per report with the sequence number that made the cursor.

A listing shows statuses, not the officer's note (tanggapan) that came with
one, so each change handed out asks `Notes` for it (the report's own
history), as the desk's and the sql feeds carry theirs; the snapshot feed
asks once per change and keeps the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.rest.state import StateFile
from simpul.errors import InvalidInput
from simpul.report import Change
from simpul.wire import ReportStatus, check_sequence_cursor


@dataclass(frozen=True)
class Seen:
    """One report's place in the feed: what a listing showed of it."""

    local_id: str
    tracking_number: str
    status: ReportStatus
    updated_at: datetime


Listing = Callable[[datetime | None], Awaitable[list[Seen]]]  # reports updated since a time (None: all)
Notes = Callable[[str, ReportStatus, datetime], Awaitable[str | None]]  # a report's note on its entry of a status


async def _notes(notes: Notes | None, wanted: list[tuple[str, ReportStatus, datetime]]) -> list[str | None]:
    """The notes of these (report, status, time) changes, asked together; none for a report's first status (the
    reporter's text, not an officer's answer) or when the mapping has no notes."""
    async def one(local_id: str, status: ReportStatus, at: datetime) -> str | None:
        return None if notes is None or status is ReportStatus.RECEIVED else await notes(local_id, status, at)
    return list(await asyncio.gather(*(one(*w) for w in wanted)))


class UpdatedSinceFeed:
    def __init__(self, listing: Listing, notes: Notes | None, actor: str) -> None:
        self.listing = listing
        self.notes = notes
        self.actor = actor

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        since, after_id = _split_cursor(after) if after else (None, "")
        seen = await self.listing(since)
        later = [s for s in seen if since is None or (s.updated_at, s.local_id.encode()) > (since, after_id.encode())]
        later.sort(key=lambda s: (s.updated_at, s.local_id.encode()))
        page = later[:limit]
        notes = await _notes(self.notes, [(s.local_id, s.status, s.updated_at) for s in page])
        return [Change(cursor=f"{s.updated_at.astimezone(UTC).isoformat()}|{s.local_id}", local_id=s.local_id,
                       tracking_number=s.tracking_number, at=s.updated_at, status=s.status, actor=self.actor,
                       note=note)
                for s, note in zip(page, notes, strict=True)]

    async def past_end(self, after: str) -> bool:
        """Whether the API lists nothing at or after the cursor: its data went back (or it deleted the
        report it changed last, which costs the hub a re-read)."""
        since, after_id = _split_cursor(after)
        return not any((s.updated_at, s.local_id.encode()) >= (since, after_id.encode())
                       for s in await self.listing(since))


def _split_cursor(cursor: str) -> tuple[datetime, str]:
    at, bar, local_id = cursor.partition("|")
    try:
        when = datetime.fromisoformat(at)
        when.astimezone(UTC)  # the agency API is asked for changes since this time in UTC
    except (ValueError, OverflowError):
        when = None
    if not bar or when is None or when.tzinfo is None:
        raise InvalidInput(f"invalid change cursor {cursor!r}")
    return when, local_id


class SnapshotFeed:
    def __init__(self, listing: Listing, notes: Notes | None, state: StateFile, lock: asyncio.Lock,
                 actor: str) -> None:
        self.listing = listing
        self.notes = notes
        self.state = state
        self.lock = lock
        self.actor = actor

    async def changes(self, after: str | None, limit: int) -> list[Change]:
        last_seen = check_sequence_cursor(after)
        current = await self.listing(None)
        async with self.lock:
            data = await self.state.data()
            known: dict[str, dict[str, Any]] = data["seen"]
            news = [s for s in current if s.local_id not in known or known[s.local_id]["status"] != s.status]
            news.sort(key=lambda s: (s.updated_at, s.local_id.encode()))
            for s in news:
                data["seq"] += 1
                known[s.local_id] = {"seq": data["seq"], "status": s.status.value, "tracking": s.tracking_number,
                                     "at": s.updated_at.isoformat()}
            if news:
                await self.state.save()
            entries = sorted(((int(v["seq"]), k, dict(v)) for k, v in known.items() if int(v["seq"]) > last_seen),
                             key=lambda e: e[0])[:limit]
        asked = [(seq, local_id, v) for seq, local_id, v in entries if "note" not in v]
        if asked:  # the agency is asked outside the lock; a note is kept only while its change is the latest
            notes = await _notes(self.notes, [(local_id, ReportStatus(v["status"]), datetime.fromisoformat(v["at"]))
                                              for _, local_id, v in asked])
            async with self.lock:
                known = (await self.state.data())["seen"]
                for (seq, local_id, v), note in zip(asked, notes, strict=True):
                    v["note"] = note
                    if known.get(local_id, {}).get("seq") == seq:
                        known[local_id]["note"] = note
                await self.state.save()
        return [Change(cursor=str(seq), local_id=local_id, tracking_number=v["tracking"],
                       at=datetime.fromisoformat(v["at"]), status=ReportStatus(v["status"]), actor=self.actor,
                       note=v["note"])
                for seq, local_id, v in entries]

    async def past_end(self, after: str) -> bool:
        """Whether the state file numbered fewer changes than the cursor: it was restored or deleted."""
        last_seen = check_sequence_cursor(after)
        async with self.lock:
            data = await self.state.data()
            return last_seen > int(data["seq"])
