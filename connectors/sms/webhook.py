"""The gateway's webhook: `POST /sms/inbound` with a form or JSON body, authenticated by a shared secret.

Field names are configurable (gateways disagree); in JSON a dotted name
reaches into nested objects (`message.from`). Answers: 200 once the message
is handled (also for a retried message id, and when the gateway's send API
did not take the reply: `replySent: false`, and the node sends it again
itself), 401 for a wrong secret, 400 for a body the gateway should not have
sent, 503 when the node's database does not answer (deliver it again).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.forms import posted_fields
from connectors.sms.door import Inbound, SmsDoor

log = logging.getLogger("simpul.sms")

MAX_BODY = 64_000


class BadDelivery(ValueError):
    """A webhook call the gateway should not have made; the message names the field."""


@dataclass(frozen=True)
class WebhookSettings:
    path: str
    secret_header: str
    secret: str
    sender_field: str
    text_field: str
    message_id_field: str
    received_at_field: str | None
    utc_offset_hours: float  # for gateway times without a zone


def _field(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return data.get(path)
        value = value[part]
    return value


def _string(value: Any, name: str, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise BadDelivery(f"field {name!r} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadDelivery(f"field {name!r} must be a string")
    return str(value)


def _time(value: str | None, name: str, offset: timezone) -> datetime:
    """The gateway's receipt time: ISO 8601 (zone optional) or Unix seconds/milliseconds; now if absent."""
    if value is None:
        return datetime.now(UTC)
    try:
        if value.replace(".", "", 1).isdigit():
            seconds = float(value)
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        raise BadDelivery(f"field {name!r} must be an ISO 8601 time or Unix seconds, not {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=offset)


class SmsWebhook:
    def __init__(self, door: SmsDoor, settings: WebhookSettings) -> None:
        self.door = door
        self.settings = settings
        self._secret = hashlib.sha256(settings.secret.encode()).digest()
        self._offset = timezone(timedelta(hours=settings.utc_offset_hours))

    def routes(self) -> list[BaseRoute]:
        return [Route(self.settings.path, self.inbound, methods=["POST"])]

    def _authentic(self, request: Request) -> bool:
        given = hashlib.sha256(request.headers.get(self.settings.secret_header, "").encode()).digest()
        return hmac.compare_digest(given, self._secret)

    async def _data(self, request: Request) -> dict[str, Any]:
        if len(await request.body()) > MAX_BODY:
            raise BadDelivery("request body too large")
        return await posted_fields(request, BadDelivery)

    async def _inbound(self, request: Request) -> Inbound:
        s = self.settings
        data = await self._data(request)
        return Inbound(
            message_id=_string(_field(data, s.message_id_field), s.message_id_field, True) or "",
            sender=_string(_field(data, s.sender_field), s.sender_field, True) or "",
            text=_string(_field(data, s.text_field), s.text_field, False) or "",
            received_at=_time(_string(_field(data, s.received_at_field), s.received_at_field, False)
                              if s.received_at_field else None, s.received_at_field or "", self._offset),
        )

    async def inbound(self, request: Request) -> Response:
        if not self._authentic(request):
            return JSONResponse({"error": f"wrong or missing {self.settings.secret_header} header"}, status_code=401)
        try:
            inbound = await self._inbound(request)
        except BadDelivery as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            outcome = await self.door.receive(inbound)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.error("SMS %s not handled: database unavailable (%s)", inbound.message_id, exc.__class__.__name__)
            return JSONResponse({"error": "database unavailable; deliver the message again later"}, status_code=503)
        answer = {"messageId": inbound.message_id, "reply": outcome.reply,
                  "trackingNumber": outcome.tracking_number, "duplicate": outcome.duplicate,
                  "replySent": outcome.delivery_error is None}
        if outcome.delivery_error is not None:  # the message is handled: the node sends the reply again itself
            log.warning("SMS reply for %s not delivered, to be retried: %s", inbound.message_id,
                        outcome.delivery_error)
            answer["replyError"] = outcome.delivery_error
        return JSONResponse(answer)
