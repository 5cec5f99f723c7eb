"""HTTP to the agency's API: one aiohttp session, its auth header, its paging, its errors.

Every way the agency can fail — unreachable, slow, refusing our key, an
HTTP error, an answer that is not JSON — comes out as one ConnectorError
that says what happened and where.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from connectors.base import ConnectorError
from connectors.rest import paths
from connectors.rest.config import RestConfig

Params = Mapping[str, str | int]


def _snippet(raw: bytes) -> str:
    return " ".join(raw[:200].decode("utf-8", "replace").split())


def _message(raw: bytes) -> str:
    """What an error answer says: its JSON message when it has one, else the start of its text."""
    try:
        body = json.loads(raw)
    except ValueError:
        return _snippet(raw)
    for path in ("error.message", "error.pesan", "message", "pesan", "error", "errors.0.message"):
        found = paths.get(body, path)
        if isinstance(found, str):
            return found
    return _snippet(raw)


class AgencyClient:
    def __init__(self, config: RestConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        headers = {"accept": "application/json"}
        if self.config.auth is not None:
            headers[self.config.auth.header] = self.config.auth.value
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout), headers=headers)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def report_path(self, local_id: str) -> str:
        return self.config.report_endpoint.replace("{id}", quote(local_id, safe=""))

    async def get(self, path: str, params: Params | None = None, missing_ok: bool = False) -> Any:
        """The JSON answer to GET `path`; None for a 404 when `missing_ok`."""
        return await self._call("GET", path, params=params, missing_ok=missing_ok)

    async def post(self, path: str, body: Any, headers: Mapping[str, str]) -> Any:
        return await self._call("POST", path, body=body, headers=headers)

    async def pages(self, path: str, params: Params | None = None) -> AsyncIterator[tuple[list[Any], str]]:
        """Each page's items with the items' path, following the configured pagination to the end."""
        paging, answers = self.config.paging, self.config.answers
        page, offset, cursor = paging.first_page, 0, None
        fetched = 0
        while True:
            query: dict[str, str | int] = {**(params or {}), paging.size_param: paging.size}
            if paging.style == "page":
                query[paging.page_param] = page
            elif paging.style == "offset":
                query[paging.offset_param] = offset
            elif cursor is not None:
                query[paging.cursor_param] = cursor
            answer = await self.get(path, query)
            items = paths.get(answer, answers.items)
            where = f"the answer to GET {path}"
            if items is paths.MISSING:
                raise ConnectorError(f"{where} lacks {answers.items or 'its item list'}")
            if not isinstance(items, list):
                raise ConnectorError(f"{answers.items or 'the answer'} in {where} must be a list, "
                                     f"not {type(items).__name__}")
            yield items, answers.items
            fetched += len(items)
            if paging.style == "cursor":
                cursor = self._next_cursor(answer, where)
                if cursor is None:
                    return
                continue
            if not items or len(items) < paging.size or self._total_reached(answer, fetched, where):
                return
            page, offset = page + 1, offset + len(items)

    def _total_reached(self, answer: Any, fetched: int, where: str) -> bool:
        path = self.config.answers.total
        if path is None:
            return False
        total = paths.get(answer, path)
        if isinstance(total, bool) or not isinstance(total, int):
            raise ConnectorError(f"{path} in {where} must be an integer, not {total!r}")
        return bool(fetched >= total)

    def _next_cursor(self, answer: Any, where: str) -> str | None:
        path = self.config.answers.next_cursor
        assert path is not None
        value = paths.get(answer, path)
        if value is paths.MISSING or value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ConnectorError(f"{path} in {where} must be a string or integer, not {value!r}")
        return str(value)

    async def _call(self, method: str, path: str, params: Params | None = None, body: Any = None,
                    headers: Mapping[str, str] | None = None, missing_ok: bool = False) -> Any:
        if self._session is None:
            raise ConnectorError("the rest connector is not started")
        url = self.config.base_url + path
        what = f"{method} {path}"
        try:
            async with self._session.request(method, url, params=params, json=body, headers=headers) as response:
                raw = await response.read()
                status = response.status
                content_type = response.content_type
        except TimeoutError:
            raise ConnectorError(f"the agency API did not answer {what} within {self.config.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise ConnectorError(f"the agency API at {self.config.base_url} is unreachable ({what}): "
                                 f"{exc.__class__.__name__}: {exc}") from None
        if status == 404 and missing_ok:
            return None
        if status in (401, 403):
            raise ConnectorError(f"the agency API refused our credentials (HTTP {status} for {what}): "
                                 f"{_message(raw)}")
        if status >= 400:
            raise ConnectorError(f"the agency API answered HTTP {status} for {what}: {_message(raw)}")
        try:
            return json.loads(raw)
        except ValueError:
            raise ConnectorError(f"the agency API answered {what} with something that is not JSON "
                                 f"({content_type}): {_snippet(raw)[:80]!r}") from None
