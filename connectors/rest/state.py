"""What the rest connector must remember between runs, in one small JSON file written atomically.

The agency's API cannot remember for us which status we last saw per report
(the derived change feed) or which idempotency keys it already took, so the
node keeps them beside its credentials: write to a temporary file, fsync,
rename over the old one — a crash leaves the old file or the new, never half.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from connectors.base import ConnectorError

VERSION = 1


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "seq": 0, "seen": {}, "accepted": {}, "forwarded": {}}


class StateFile:
    """The connector's state document; load once, change in memory, `save` after each change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    async def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = await asyncio.to_thread(self._load)
        return self._data

    def _load(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _empty()
        except OSError as exc:
            raise ConnectorError(f"cannot read the rest connector state {self.path}: {exc}") from None
        try:
            data = json.loads(raw)
        except ValueError:
            raise ConnectorError(f"the rest connector state {self.path} is not JSON; restore it from a backup "
                                 "(deleting it re-announces every report and forgets accepted keys)") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ConnectorError(f"the rest connector state {self.path} has an unknown shape")
        return {**_empty(), **data}

    async def save(self) -> None:
        data = await self.data()
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        try:
            await asyncio.to_thread(self._write, text)
        except OSError as exc:
            self._data = None  # what is on disk is the truth again
            raise ConnectorError(f"cannot write the rest connector state {self.path}: {exc}") from None

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
