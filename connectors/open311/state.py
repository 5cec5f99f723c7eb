"""The node's own durable memory of its Open311 endpoint, in one JSON file.

Open311 keeps no change feed and no idempotency keys, so the node keeps
them: the feed entries it derived (cursor = a monotonic sequence), the last
status it saw per request, the keys of forwarded reports it posted and the
tracking numbers they came with. Every save replaces the file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import ConnectorError

FILE_NAME = "open311-state.json"


@dataclass
class Posted:
    """A forwarded report we posted: its id, or only a token until the server assigns one."""

    tracking_number: str
    service_request_id: str | None = None
    token: str | None = None
    answered: bool = False  # whether a caller has been told it was created


@dataclass
class State:
    seq: int = 0
    feed: list[dict[str, Any]] = field(default_factory=list)  # {"seq", "id", "at", "status", "actor", "note"}
    seen: dict[str, list[str]] = field(default_factory=dict)  # request id -> [raw status, updated_datetime]
    posted: dict[str, Posted] = field(default_factory=dict)  # idempotency key -> what we posted
    tracking: dict[str, str] = field(default_factory=dict)  # request id -> forwarded tracking number
    forwarded: dict[str, str] = field(default_factory=dict)  # request id -> node it was forwarded to
    updates_from: str | None = None  # servicerequestupdates watermark (W3C)
    seen_updates: dict[str, str] = field(default_factory=dict)  # update_id -> its updated_datetime

    def append(self, entry: dict[str, Any]) -> None:
        self.seq += 1
        self.feed.append({"seq": self.seq, **entry})


class StateFile:
    """Load and atomically save a State under the node's data folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME

    def load(self) -> State:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return State()
        except (OSError, ValueError) as exc:
            raise ConnectorError(f"cannot read the open311 state file {self.path}: {exc}") from None
        try:
            posted = {key: Posted(**value) for key, value in data.pop("posted", {}).items()}
            return State(**data, posted=posted)
        except TypeError as exc:
            raise ConnectorError(f"the open311 state file {self.path} is not one this version wrote: {exc}") from None

    def save(self, state: State) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".open311-state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(state), f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
