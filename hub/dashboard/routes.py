"""HTTP for the compliance dashboard: the page, its static files, its charts and the monitoring report downloads.

The page is plain HTML, CSS and ES modules from this package, served under
a strict Content-Security-Policy (nothing but this origin, no inline script;
images from this origin or from blobs the page made of the charts it fetched).
It signs in with the `login` mutation and reads /graphql with the session
token; the charts (SVG) and the downloads take the same Bearer token or API
key, for the roles `complianceZones` allows, in the caller's region only.
The page asks its three charts in one request (/dashboard/charts.json), drawn
from one read of the year's ledger; /dashboard/chart/{name}.svg serves one.
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
from hub.access.principal import Principal, Role
from hub.coverage.figure import region_coverage
from hub.dashboard.charts import CHARTS, compared, received_chart, stages_chart, units_chart
from hub.dashboard.monitoring_report import MonitoringReport, to_csv, to_pdf
from hub.dashboard.tilemap import tile_map
from hub.nodes.registry import NodeRecord, Registry
from hub.nodes.selection import NodeSelection
from hub.nodes.status import NodeStatus
from hub.regions import region_name
from hub.settings import HubSettings
from hub.sla.clocks import SlaDays
from hub.sla.compliance import Untimed, YearOfLedger
from hub.sla.ombudsman import ScoreBook, scores
from hub.sla.period import Period
from hub.sla.series import MonthFigures, series_of, year_series
from hub.sla.units import UnitZone, unit_zones, zoned
from hub.sla.zones import ZoneThresholds
from simpul.errors import InvalidInput, NotAllowed

STATIC = Path(__file__).parent / "static"
FIELD = "complianceZones"  # the downloads are this field's figures, for the same roles
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
_MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
SVG = "image/svg+xml"


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


def _period(request: Request, now: datetime) -> Period:
    """The period the downloads and charts are asked for: ?year= (default this year) and ?month=, checked."""
    year = _number(request, "year")
    return Period.asked(now.year if year is None else year, _number(request, "month"), now)


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
            Route("/dashboard/chart/{chart}.svg", _SecurityHeaders(self.chart), methods=["GET", "HEAD"]),
            Route("/dashboard/charts.json", _SecurityHeaders(self.charts), methods=["GET", "HEAD"]),
            Route("/dashboard/tilemap.json", _SecurityHeaders(JSONResponse(tile_map())), methods=["GET", "HEAD"]),
        ]

    async def page(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})
        await response(scope, receive, send)

    async def report(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._report(Request(scope, receive))
        await response(scope, receive, send)

    async def chart(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._chart(Request(scope, receive))
        await response(scope, receive, send)

    async def charts(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._charts(Request(scope, receive))
        await response(scope, receive, send)

    async def _admitted(self, request: Request, action: str) -> Principal | Response:
        """The caller, admitted as FIELD by the guard; or the answer refusing them: 401 without good credentials,
        403 for a role not allowed, 429 over a limit."""
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
            return _error(403, f"{principal.role.value.lower()} may not {action}")
        return principal

    async def _report(self, request: Request) -> Response:
        """A region's monitoring report for a year or a month: 403 also for a region not allowed."""
        form = request.path_params["format"]
        if form not in _MEDIA:
            return _error(404, "the annual report comes as .csv or .pdf")
        principal = await self._admitted(request, "download annual reports")
        if isinstance(principal, Response):
            return principal
        now = datetime.now(UTC)
        asked = self._asked(principal, request.path_params["region"], "download the annual report", request, now)
        if isinstance(asked, Response):
            return asked
        region, name, period = asked
        nodes = await Registry(self.pool).select(NodeSelection(region_prefix=region, status=NodeStatus.ACTIVE))
        units, series = await self._year(nodes, period, now)
        report = MonitoringReport(region, name, period, now, units, ZoneThresholds.from_settings(self.settings),
                                  coverage=await region_coverage(self.pool, region, min(now, period.end(region))),
                                  ombudsman=ScoreBook.of(await scores(self.pool, region, period.year)), series=series)
        # fpdf lays out the whole document in Python: off the event loop, so other requests are not held up
        body = to_csv(report).encode() if form == "csv" else await asyncio.to_thread(to_pdf, report)
        filename = f"{period.file_stem}-{region}-{period.label}.{form}"
        return Response(body, media_type=_MEDIA[form],
                        headers={"content-disposition": f'attachment; filename="{filename}"',
                                 "cache-control": "no-store"})

    async def _charted(self, request: Request) -> tuple[str, str, Period, list[NodeRecord], datetime] | Response:
        """(region, its name, period, the active nodes charted, now) a chart request asks for, or the answer
        refusing it."""
        principal = await self._admitted(request, "read the dashboard's charts")
        if isinstance(principal, Response):
            return principal
        now = datetime.now(UTC)
        asked = self._asked(principal, request.query_params.get("region"), "read the dashboard's charts", request,
                            now)
        if isinstance(asked, Response):
            return asked
        region, place, period = asked
        nodes = await Registry(self.pool).select(
            principal.narrow(NodeSelection(region_prefix=region or None, status=NodeStatus.ACTIVE)))
        return region, place, period, nodes, now

    @staticmethod
    def _asked(principal: Principal, region_prefix: str | None, action: str, request: Request, now: datetime
               ) -> tuple[str, str, Period] | Response:
        """The region (the caller's own scope when none is named), its name and the period a download or a chart
        asks for; or the answer refusing it: 400 malformed, 403 outside the caller's scope, 404 not a region."""
        try:
            region = principal.region_asked(region_prefix, action)
            period = _period(request, now)
        except InvalidInput as exc:
            return _error(400, str(exc))
        except NotAllowed as exc:
            return _error(403, str(exc))
        place = region_name(region)
        if place is None:
            return _error(404, f"region {region} is not in the Kemendagri region tree")
        return region, place, period

    async def _year(self, nodes: list[NodeRecord], period: Period, now: datetime
                    ) -> tuple[list[UnitZone], list[MonthFigures]]:
        """The units' zones over `period` and its year's months up to it, from one read of the year's ledger."""
        year = await YearOfLedger.read(self.pool, SlaDays.from_settings(self.settings), nodes, period.year)
        units = zoned(year.per_node(now, period, Untimed()), now, self.settings.heartbeat_grace,
                      ZoneThresholds.from_settings(self.settings))
        series, _ = series_of(year, now, period.month or 12)
        return units, series

    def _units_chart(self, units: list[UnitZone], region: str, place: str, period: Period) -> str:
        national = region == ""
        return units_chart(compared(units, ZoneThresholds.from_settings(self.settings), national), place, period,
                           national)

    async def _chart(self, request: Request) -> Response:
        """One of the dashboard's charts as SVG, for a region (default: the caller's own scope) and a year, or a
        month of it: the months up to it, and the units compared over it."""
        name = request.path_params["chart"]
        if name not in CHARTS:
            return _error(404, f"the charts are {', '.join(CHARTS)}")
        asked = await self._charted(request)
        if isinstance(asked, Response):
            return asked
        region, place, period, nodes, now = asked
        days = SlaDays.from_settings(self.settings)
        if name == "units":
            thresholds = ZoneThresholds.from_settings(self.settings)
            units, _ = await unit_zones(self.pool, days, nodes, now, self.settings.heartbeat_grace, thresholds,
                                        period)
            body = self._units_chart(units, region, place, period)
        else:
            series, _ = await year_series(self.pool, days, nodes, now, period.year, period.month or 12)
            draw = received_chart if name == "received" else stages_chart
            body = draw(series, place, period.year)
        return Response(body, media_type=SVG, headers={"cache-control": "no-store"})

    async def _charts(self, request: Request) -> JSONResponse | Response:
        """Every chart the page shows, {name: SVG}, asked as /dashboard/chart/{name}.svg is, from one read of the
        year: the page's charts share their figures, so they are read and timed once, not once a chart."""
        asked = await self._charted(request)
        if isinstance(asked, Response):
            return asked
        region, place, period, nodes, now = asked
        units, series = await self._year(nodes, period, now)
        drawn = {"received": received_chart(series, place, period.year),
                 "stages": stages_chart(series, place, period.year),
                 "units": self._units_chart(units, region, place, period)}
        return JSONResponse(drawn, headers={"cache-control": "no-store"})
