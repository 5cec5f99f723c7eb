"""Reading a time range from an Open311 list method, within the spec's limits.

GeoReport v2 servers cap a date range (90 days in the spec's wording) and the
records per answer (1000), and offer no paging. So a range is walked newest
first in windows of `window_days`, and a window that comes back full is
halved until each half fits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

from connectors.base import ConnectorError
from connectors.open311.client import Open311Client, w3c
from connectors.open311.config import Open311Config
from connectors.open311.formats import Record

CLOCK_SLACK = timedelta(days=1)  # "now" on the server may be ahead of ours


def floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def ceil_second(moment: datetime) -> datetime:
    return floor_second(moment) + timedelta(seconds=1) if moment.microsecond else moment


def horizon() -> datetime:
    """The latest moment a scan with no upper bound asks for."""
    return floor_second(datetime.now(UTC) + CLOCK_SLACK)


class Scanner:
    def __init__(self, client: Open311Client, config: Open311Config) -> None:
        self.client = client
        self.config = config

    async def windows(
        self, resource: str, lower: datetime, upper: datetime, params: Mapping[str, str | None]
    ) -> AsyncIterator[tuple[datetime, list[Record]]]:
        """(window start, records) from `upper` back to `lower`, both inclusive; ends may repeat a record."""
        lower, hi = floor_second(lower), ceil_second(upper)
        span = timedelta(days=self.config.window_days)
        while True:
            lo = max(lower, hi - span)
            yield lo, await self._window(resource, lo, hi, params)
            if lo <= lower:
                return
            hi = lo

    async def everything(
        self, resource: str, lower: datetime, upper: datetime, params: Mapping[str, str | None]
    ) -> list[Record]:
        records: list[Record] = []
        async for _, batch in self.windows(resource, lower, upper, params):
            records.extend(batch)
        return records

    async def _window(
        self, resource: str, lo: datetime, hi: datetime, params: Mapping[str, str | None]
    ) -> list[Record]:
        records = await self.client.get(resource, {**params, "start_date": w3c(lo), "end_date": w3c(hi)})
        if len(records) < self.config.max_results:
            return records
        if hi - lo <= timedelta(seconds=1):
            raise ConnectorError(f"Open311 holds {len(records)}+ {resource} within one second at {w3c(lo)}; "
                                 "raise max_results to the server's real limit")
        mid = floor_second(lo + (hi - lo) / 2)
        return await self._window(resource, mid, hi, params) + await self._window(resource, lo, mid, params)
