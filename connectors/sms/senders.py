"""How replies reach the citizen: through the gateway's send API (`http`), or only into the node's log (`log`).

The `log` sender is for trying the channel out and for gateways that take
the reply from the webhook's answer; it writes the text, never the number.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp

from connectors.kinds import ConfigError, optional, require
from connectors.sms.numbers import masked

log = logging.getLogger("simpul.sms")


class SendError(Exception):
    """The gateway did not take the reply; the message log keeps it for the gateway's retry."""


class ReplySender(Protocol):
    async def send(self, to: str, text: str) -> None:
        """Deliver `text` to `to` (the sender address as the gateway gave it) or raise SendError."""

    async def close(self) -> None: ...


class LogSender:
    """Writes each reply to the node's log, with the number masked."""

    async def send(self, to: str, text: str) -> None:
        log.info("SMS reply to %s: %s", masked(to), text)

    async def close(self) -> None:
        return None


class HttpSender:
    """POSTs each reply to the gateway's send URL, as JSON or a form, with the gateway's credentials."""

    def __init__(self, url: str, body_format: str, to_field: str, text_field: str,
                 extra: Mapping[str, str], headers: Mapping[str, str], timeout: float,
                 success: tuple[str, str] | None = None) -> None:
        self.url = url
        self.body_format = body_format
        self.to_field = to_field
        self.text_field = text_field
        self.extra = dict(extra)
        self.headers = dict(headers)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.success = success  # (JSON field, value) a gateway sets when it took the message
        self._session: aiohttp.ClientSession | None = None

    async def send(self, to: str, text: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        fields = {**self.extra, self.to_field: to, self.text_field: text}
        body: dict[str, Any] = {"json": fields} if self.body_format == "json" else {"data": fields}
        try:
            async with self._session.post(self.url, headers=self.headers, **body) as response:
                if response.status >= 300:
                    detail = (await response.text())[:200]
                    raise SendError(f"SMS gateway answered HTTP {response.status}: {detail}")
                if self.success is not None:
                    _check(await response.read(), *self.success)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendError(f"SMS gateway unreachable at {self.url}: {exc.__class__.__name__}") from None
        log.info("SMS reply to %s handed to the gateway", masked(to))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _check(body: bytes, field: str, value: str) -> None:
    """Gateways that answer 200 to a refused message say so in a status field of their JSON."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise SendError(f"SMS gateway answered malformed data, not JSON: {body[:80]!r}") from None
    if not isinstance(answer, dict) or field not in answer:
        raise SendError(f"SMS gateway answer has no {field!r}: {body[:80]!r}")
    if str(answer[field]) != value:
        raise SendError(f"SMS gateway refused the reply: {body[:200].decode('utf-8', 'replace')}")


def _secret(env: str) -> str:
    value = os.environ.get(env)
    if not value:
        raise ConfigError(f"environment variable {env} (named in [sender]) is not set")
    return value


def build_sender(config: Mapping[str, Any]) -> ReplySender:
    """The sender a `[sender]` table describes; `log` when there is none."""
    kind = optional(config, "type", "log")
    if kind == "log":
        return LogSender()
    if kind != "http":
        raise ConfigError(f"[sender] type must be 'log' or 'http', not {kind!r}")
    url = require(config, "url")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"[sender] url must be an http(s) URL, not {url!r}")
    body_format = optional(config, "format", "json")
    if body_format not in ("json", "form"):
        raise ConfigError(f"[sender] format must be 'json' or 'form', not {body_format!r}")
    headers: dict[str, str] = {}
    auth_header = optional(config, "auth_header", None)
    if auth_header is not None:
        headers[auth_header] = optional(config, "auth_prefix", "") + _secret(require(config, "auth_env"))
    extra = optional(config, "fields", {}, dict)
    extra_env = optional(config, "fields_env", {}, dict)
    fields = {str(k): str(v) for k, v in extra.items()} | {str(k): _secret(str(v)) for k, v in extra_env.items()}
    timeout = optional(config, "timeout", 10.0, object)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"[sender] timeout must be a positive number of seconds, not {timeout!r}")
    success_field = optional(config, "success_field", None)
    success = (success_field, str(optional(config, "success_value", "1", object))) if success_field else None
    return HttpSender(url, body_format, optional(config, "to_field", "to"), optional(config, "text_field", "text"),
                      fields, headers, float(timeout), success)
