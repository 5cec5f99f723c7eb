"""HTTP for the compliance dashboard: the page, its static files, and the annual report downloads.

The page is plain HTML, CSS and ES modules from this package, served under
a strict Content-Security-Policy (nothing but this origin, no inline script).
It signs in with the `login` mutation and reads /graphql with the session
token; the downloads take the same Bearer token or API key, for the roles
`complianceZones` allows, in the caller's region only.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.access.authn import Credentials, NotAuthenticated
from hub.access.guard import Guard, LimitExceeded, client_address
from hub.access.principal import Role
from hub.coverage.figure import region_coverage
from hub.dashboard.monitoring_report import MonitoringReport, to_csv, to_pdf
from hub.nodes.registry import Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from hub.settings import HubSettings
from hub.sla.clocks import SlaDays
from hub.sla.ombudsman import ScoreBook, scores
from hub.sla.period import Period
from hub.sla.units import unit_zones
from hub.sla.zones import ZoneThresholds
from simpul.errors import InvalidInput, NotAllowed
from simpul.wire import check_region_code

STATIC = Path(__file__).parent / "static"
FIELD = "complianceZones"  # the downloads are this field's figures, for the same roles
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


class _SecurityHeaders:
    """Adds SECURITY_HEADERS to every response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]
            await send(message)

        await self.app(scope, receive, with_headers)


def _number(request: Request, name: str) -> int | None:
    """A whole-number query parameter, e.g. ?year=2026&month=3; InvalidInput when it is something else."""
    text = request.query_params.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, e.g. ?year=2026&month=3") from None


def _error(status: int, message: str) -> Response:
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Dashboard:
    """The dashboard's routes, over the hub's pool, settings and guard (for its authenticator and rate limits)."""

    def __init__(self, pool: asyncpg.Pool, settings: HubSettings, guard: Guard) -> None:
        self.pool = pool
        self.settings = settings
        self.guard = guard

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/dashboard", _SecurityHeaders(self.page), methods=["GET", "HEAD"]),
            Mount("/dashboard/static", _SecurityHeaders(StaticFiles(directory=STATIC)), name="dashboard-static"),
            Route("/dashboard/report/{region}.{format}", _SecurityHeaders(self.report), methods=["GET", "HEAD"]),
        ]

    async def page(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})
        await response(scope, receive, send)

    async def report(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._report(Request(scope, receive))
        await response(scope, receive, send)

    async def _report(self, request: Request) -> Response:
        """A region's monitoring report for a year or a month: 401 without good credentials, 403 for a role or
        region not allowed."""
        form = request.path_params["format"]
        if form not in _MEDIA:
            return _error(404, "the annual report comes as .csv or .pdf")
        credentials = Credentials(authorization=request.headers.get("authorization"), headers=request.headers,
                                  method=request.method, path=request.url.path, body=b"")
        try:
            principal = await self.guard.authenticator.principal(credentials)
        except NotAuthenticated as exc:
            return _error(401, str(exc))
        if principal.role is Role.PUBLIC:
            return _error(401, "send 'Authorization: Bearer <session token or API key>'")
        try:
            await self.guard.admit_call(principal, [FIELD], client_address(request))
        except LimitExceeded as exc:
            return _error(429, str(exc))
        except NotAllowed:
            return _error(403, f"{principal.role.value.lower()} may not download annual reports")
        region = request.path_params["region"]
        now = datetime.now(UTC)
        try:
            check_region_code(region)
            year = _number(request, "year")
            period = Period.asked(now.year if year is None else year, _number(request, "month"), now)
            principal.require(region, "download the annual report")
        except InvalidInput as exc:
            return _error(400, str(exc))
        except NotAllowed as exc:
            return _error(403, str(exc))
        name = region_name(region)
        if name is None:
            return _error(404, f"region {region} is not in the Kemendagri region tree")
        nodes = await Registry(self.pool).select(NodeSelection(region_prefix=region, status=NodeStatus.ACTIVE))
        thresholds = ZoneThresholds.from_settings(self.settings)
        units, _ = await unit_zones(self.pool, SlaDays.from_settings(self.settings), nodes, now,
                                    self.settings.heartbeat_grace, thresholds, period)
        report = MonitoringReport(region, name, period, now, units, thresholds,
                                  coverage=await region_coverage(self.pool, region, min(now, period.end(region))),
                                  ombudsman=ScoreBook.of(await scores(self.pool, region, period.year)))
        # fpdf lays out the whole document in Python: off the event loop, so other requests are not held up
        body = to_csv(report).encode() if form == "csv" else await asyncio.to_thread(to_pdf, report)
        filename = f"{period.file_stem}-{region}-{period.label}.{form}"
        return Response(body, media_type=_MEDIA[form],
                        headers={"content-disposition": f'attachment; filename="{filename}"',
                                 "cache-control": "no-store"})
