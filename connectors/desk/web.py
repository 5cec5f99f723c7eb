"""The desk's own HTTP face: a public form, submission, tracking, and officer status changes.

Citizens submit and track without credentials; tracking is rate-limited per
client address, so nobody walks through numbers. Officers (the unit's admin)
authenticate with the desk's operator key as a bearer token to change a
status or to enter a report with its original channel and time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from html import escape
from importlib import resources
from typing import Any

import limits
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.base import REPLY_LIMIT
from connectors.desk.store import DeskConnector, NewReport
from connectors.forms import posted_fields
from simpul.asgi.bodylimit import BodyLimit
from simpul.errors import InvalidInput
from simpul.report import Report, Reporter, check_information_requester
from simpul.wire import Channel, ReportKind, ReportStatus, check_aware_time

MAX_BODY = 100_000
NO_SUCH_REPORT = "no report with that tracking number at this desk"
REPLY_EARLY = ("this report has no answer (tanggapan) to reply to: it is {status}; a reply is possible once the "
               "unit has posted its answer")
REPLY_ELSEWHERE = ("another unit handles this report now: reply with its tracking number at the hub "
                   "(replyToReport)")
TRACK_RATE = "30/minute"  # public /track lookups per client address, as the hub's public calls


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _enum(cls: type[Any], value: Any, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{field} must be one of {allowed}") from None


def _text(data: dict[str, Any], field: str, required: bool = True) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string")
    return value


def _flag(data: dict[str, Any], field: str) -> bool:
    value = data.get(field, False)
    if isinstance(value, bool):
        return value
    if value in ("on", "true", "1"):
        return True
    if value in ("", "off", "false", "0"):
        return False
    raise InvalidInput(f"{field} must be true or false")


def _time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be an ISO 8601 time with a timezone") from None
    return check_aware_time(parsed, field)


def _public(report: Report) -> dict[str, Any]:
    """What anyone holding the tracking number may see: no identity, no internal notes; of a confidential
    (rahasia) report, not even the unit's answer: its status only."""
    answers = [e.note for e in report.timeline if e.status is ReportStatus.COMPLETED and e.note]
    if report.reporter.confidential:
        answers = []
    return {
        "trackingNumber": report.tracking_number,
        "kind": report.kind.value,
        "status": report.status.value,
        "receivedAt": report.received_at.isoformat(),
        "timeline": [{"at": e.at.isoformat(), "status": e.status.value} for e in report.timeline],
        "answer": answers[-1] if answers else None,
    }


class DeskWeb:
    """HTTP endpoints of one desk."""

    def __init__(
        self, desk: DeskConnector, operator_key: str | None, on_change: Callable[[], None] = lambda: None,
        track_rate: str = TRACK_RATE,
    ) -> None:
        self.desk = desk
        self.on_change = on_change
        self.track_rate = limits.parse(track_rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self._operator_digest = (
            hashlib.sha256(operator_key.encode()).digest() if operator_key else None
        )

    def routes(self) -> list[BaseRoute]:
        small_body = [Middleware(BodyLimit, max_bytes=MAX_BODY)]
        return [
            Route("/", self.form, methods=["GET"]),
            Route("/reports", self.submit, methods=["POST"], middleware=small_body),
            Route("/track/{tracking_number}", self.track, methods=["GET"]),
            Route("/track/{tracking_number}/reply", self.reply, methods=["POST"], middleware=small_body),
            Route("/reports/{ref}/status", self.change_status, methods=["POST"], middleware=small_body),
        ]

    def _is_operator(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if self._operator_digest is None or not header.startswith("Bearer "):
            return False
        given = hashlib.sha256(header.removeprefix("Bearer ").encode()).digest()
        return hmac.compare_digest(given, self._operator_digest)

    async def form(self, request: Request) -> Response:
        page = resources.files("connectors.desk").joinpath("form.html").read_text("utf-8")
        identity = self.desk.identity
        page = page.replace("{{name}}", escape(identity.name))
        page = page.replace("{{region}}", escape(identity.region_code))
        return HTMLResponse(page)

    async def submit(self, request: Request) -> Response:
        """Create a report; a citizen's is received now on the web, an officer may say when and how."""
        try:
            data = await posted_fields(request, InvalidInput)
            operator = self._is_operator(request)
            anonymous = _flag(data, "anonymous")
            report = NewReport(
                kind=_enum(ReportKind, data.get("kind"), "kind"),
                title=_text(data, "title") or "",
                body=_text(data, "body") or "",
                category=_text(data, "category") or "",
                region_code=_text(data, "regionCode", required=False)
                or self.desk.identity.region_code,
                channel=_enum(Channel, data.get("channel", "WEB"), "channel")
                if operator else Channel.WEB,
                reporter=Reporter(
                    anonymous=anonymous,
                    confidential=_flag(data, "confidential"),
                    name=None if anonymous else _text(data, "reporterName", required=False),
                    contact=None if anonymous else _text(data, "reporterContact", required=False),
                ),
                location=_text(data, "location", required=False),
                received_at=_time(_text(data, "receivedAt", required=False), "receivedAt")
                if operator else None,
            )
            check_information_requester(report.kind, report.reporter)
            created = await self.desk.create_report(report, "desk" if operator else "public")
        except InvalidInput as exc:
            return _error(400, str(exc))
        self.on_change()
        answer = {"id": f"{self.desk.identity.code}:{created.local_id}",
                  "trackingNumber": created.tracking_number}
        return JSONResponse(answer, status_code=201)

    async def _too_many(self, request: Request) -> Response | None:
        """The public track limit, shared by looking up and replying: a 429 once an address passes it."""
        address = request.client.host if request.client else "unknown"
        if await self.limiter.hit(self.track_rate, "track", address):
            return None
        reset, _ = await self.limiter.get_window_stats(self.track_rate, "track", address)
        retry = max(1, math.ceil(reset - time.time()))
        return JSONResponse({"error": f"too many tracking requests from this address: the limit is "
                                      f"{self.track_rate}; try again in {retry} s"},
                            status_code=429, headers={"Retry-After": str(retry)})

    async def track(self, request: Request) -> Response:
        if (refused := await self._too_many(request)) is not None:
            return refused
        found = await self.desk.find_by_tracking_number(request.path_params["tracking_number"])
        if found is None:
            return _error(404, NO_SUCH_REPORT)
        return JSONResponse(_public(found))

    async def reply(self, request: Request) -> Response:
        """The reporter answers the unit's tanggapan, by tracking number: the report is open again, and the hub
        hears of it in this desk's feed (so the report is not deemed selesai)."""
        if (refused := await self._too_many(request)) is not None:
            return refused
        found = await self.desk.find_by_tracking_number(request.path_params["tracking_number"])
        if found is None:
            return _error(404, NO_SUCH_REPORT)
        try:
            text = (_text(await posted_fields(request, InvalidInput), "text") or "").strip()
            if not text or len(text) > REPLY_LIMIT:
                raise InvalidInput(f"a reply must be 1 to {REPLY_LIMIT} characters")
            if found.status is ReportStatus.FORWARDED:
                raise InvalidInput(REPLY_ELSEWHERE)
            if found.status is not ReportStatus.COMPLETED:
                raise InvalidInput(REPLY_EARLY.format(status=found.status.value))
            await self.desk.take_reply(found.local_id, f"desk:{secrets.token_hex(16)}", text)
        except InvalidInput as exc:
            return _error(400, str(exc))
        self.on_change()
        reopened = await self.desk.find_by_tracking_number(found.tracking_number)
        assert reopened is not None
        return JSONResponse(_public(reopened))

    async def change_status(self, request: Request) -> Response:
        if not self._is_operator(request):
            return _error(401, "operator key required (Authorization: Bearer <key>)")
        try:
            data = await posted_fields(request, InvalidInput)
            report = await self.desk.change_status(
                await self.desk.local_id_of(request.path_params["ref"]),
                _enum(ReportStatus, data.get("status"), "status"),
                actor=_text(data, "actor", required=False) or "desk",
                note=_text(data, "note", required=False),
                at=_time(_text(data, "at", required=False), "at"),
            )
        except InvalidInput as exc:
            return _error(400, str(exc))
        self.on_change()
        return JSONResponse({"status": report.status.value,
                             "timeline": len(report.timeline)})
