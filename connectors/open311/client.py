"""HTTP calls to one GeoReport v2 endpoint, with every failure turned into a ConnectorError."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp

from connectors.base import ConnectorError
from connectors.open311.config import Open311Config
from connectors.open311.formats import MalformedBody, Record, error_text, parse

NOT_FOUND = 404


class NotFound(ConnectorError):
    """The endpoint answered 404: no such request, token, or optional method."""


def w3c(moment: datetime) -> str:
    """A date-time in the spec's W3C form, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Open311Client:
    """GET and POST GeoReport v2 resources in the configured format."""

    def __init__(self, config: Open311Config) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, resource: str) -> str:
        return f"{self.config.endpoint}/{resource}.{self.config.format}"

    def _params(self, params: Mapping[str, str | None]) -> dict[str, str]:
        base = {"jurisdiction_id": self.config.jurisdiction_id, **params}
        return {k: v for k, v in base.items() if v is not None}

    async def get(self, resource: str, params: Mapping[str, str | None] | None = None) -> list[Record]:
        return await self._call("GET", resource, self._params(params or {}), None)

    async def post(self, resource: str, form: Mapping[str, str | None]) -> list[Record]:
        if self.config.api_key is None:
            raise ConnectorError("this open311 node has no api_key (set api_key_env), so it cannot post requests")
        return await self._call("POST", resource, {}, self._params({**form, "api_key": self.config.api_key}))

    async def request(self, service_request_id: str, extensions: bool) -> Record | None:
        """One service request, or None when the endpoint has no such id."""
        params = {"extensions": "true"} if extensions else {}
        try:
            records = await self.get(f"requests/{quote(service_request_id, safe='')}", params)
        except NotFound:
            return None
        return records[0] if records else None

    async def _call(
        self, method: str, resource: str, params: dict[str, str], form: dict[str, str] | None
    ) -> list[Record]:
        if self._session is None:
            raise ConnectorError("the open311 connector is not started")
        url = self._url(resource)
        try:
            async with self._session.request(method, url, params=params, data=form) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise ConnectorError(f"Open311 endpoint {self.config.endpoint} unreachable: {reason}") from None
        if status >= 400:
            detail = error_text(body, self.config.format) or body[:200].decode(errors="replace").strip()
            error = NotFound if status == NOT_FOUND else ConnectorError
            raise error(f"Open311 {method} {resource}.{self.config.format} answered {status}: {detail}")
        try:
            return parse(body, self.config.format)
        except MalformedBody as exc:
            raise ConnectorError(f"Open311 {method} {resource}.{self.config.format} answered malformed data: "
                                 f"{exc}") from None
