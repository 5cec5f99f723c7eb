"""The change feed Open311 lacks, derived and kept in the state file.

Each sync lists the requests and appends an entry for every request seen
for the first time. Later changes come from the server's
`servicerequestupdates` method (the FixMyStreet extension) when it offers
one, with its notes and intermediate steps; otherwise from comparing each
request's status and updated_datetime with what the last sync saw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connectors.open311.client import NotFound, Open311Client, w3c
from connectors.open311.config import Open311Config
from connectors.open311.formats import Record
from connectors.open311.mapping import actor_of, field, moment, status_of
from connectors.open311.scan import Scanner, horizon
from connectors.open311.state import State

UPDATES = "servicerequestupdates"
UPDATE_OVERLAP = timedelta(hours=1)  # updates written late with an earlier time are still caught


class FeedSync:
    def __init__(self, client: Open311Client, config: Open311Config, scanner: Scanner, actor: str) -> None:
        self.client = client
        self.config = config
        self.scanner = scanner
        self.actor = actor
        self._updates: bool | None = {"on": True, "off": False}.get(config.updates)

    async def updates_offered(self) -> bool:
        """Whether the server has `servicerequestupdates`; probed once when configured "auto"."""
        if self._updates is None:
            now = w3c(horizon())
            try:
                await self.client.get(UPDATES, {"start_date": now, "end_date": now})
                self._updates = True
            except NotFound:
                self._updates = False
        return self._updates

    async def sync(self, state: State) -> None:
        """Append to `state` what changed on the server since the last sync."""
        use_updates = await self.updates_offered()
        records = await self.scanner.everything("requests", self.config.since, horizon(), {})
        self._requests(state, records, use_updates)
        if use_updates:
            await self._server_updates(state)

    def _requests(self, state: State, records: list[Record], use_updates: bool) -> None:
        latest: dict[str, tuple[datetime, Record]] = {}
        for record in records:
            updated = moment(record, "updated_datetime" if record.get("updated_datetime") else "requested_datetime")
            latest[field(record, "service_request_id")] = (updated, record)
        for local_id, (updated, record) in sorted(latest.items(), key=lambda item: (item[1][0], item[0])):
            raw = field(record, "status")
            seen = [raw, w3c(updated)]
            previous = state.seen.get(local_id)
            if previous == seen:
                continue
            status = status_of(self.config, raw)
            if previous is None or not use_updates:
                state.append({"id": local_id, "at": updated.isoformat(), "status": status.value,
                              "actor": actor_of(record, self.actor), "note": record.get("status_notes") or None})
            state.seen[local_id] = seen

    async def _server_updates(self, state: State) -> None:
        start = datetime.fromisoformat(state.updates_from) if state.updates_from else self.config.since
        updates = await self.scanner.everything(UPDATES, start, horizon(), {})
        newest = start
        for update in sorted(updates, key=lambda u: (moment(u, "updated_datetime"), str(u.get("update_id")))):
            update_id = field(update, "update_id")
            at = moment(update, "updated_datetime")
            newest = max(newest, at)
            if update_id in state.seen_updates:
                continue
            state.seen_updates[update_id] = at.isoformat()
            state.append({"id": field(update, "service_request_id"), "at": at.isoformat(),
                          "status": status_of(self.config, field(update, "status")).value,
                          "actor": self.actor, "note": update.get("description") or None})
        watermark = max(start, newest - UPDATE_OVERLAP)
        state.updates_from = watermark.isoformat()
        state.seen_updates = {k: v for k, v in state.seen_updates.items()
                              if datetime.fromisoformat(v) >= watermark}

