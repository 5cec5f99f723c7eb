"""The federation's list cursor: a position (receivedAt, global id) in the order every list is read in.

A hub hands it out as `endCursor`; a parent hub's connector builds one to resume a child hub's list. It is
stateless, so any hub replica can serve the next page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from simpul.errors import InvalidInput
from simpul.wire import check_aware_time

# Sorts after every report id: a position that admits nothing more at its instant.
AFTER_EVERY_ID = "\U0010ffff"


@dataclass(frozen=True)
class Position:
    received_at: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps({"t": self.received_at.isoformat(), "id": self.id}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
            received_at = datetime.fromisoformat(data["t"])
            report_id = data["id"]
            if not isinstance(report_id, str):
                raise ValueError
            check_aware_time(received_at, "cursor time")
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested too deep
            raise InvalidInput("invalid cursor: pass endCursor of a previous page") from None
        return cls(received_at, report_id)
