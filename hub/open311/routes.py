"""GeoReport v2 endpoints under /open311/v2, admitted by the hub's Guard as the GraphQL fields they stand for:
POST requests is `submitReport` (with an api_key, as the spec asks), GET requests/<id> is `trackReport`, and
listing requests is `reports`. See docs/open311.md."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

import asyncpg
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.access.authn import Credentials
from hub.access.guard import Guard, LimitExceeded, client_address
from hub.access.principal import PUBLIC, Principal, Role
from hub.forwarding.routing import Decision, Router
from hub.forwarding.submit import Forwarding
from hub.open311.formats import FORMATS, render, render_errors
from hub.open311.service_requests import CLOSED, Query, expected_times, find
from hub.open311.services import catalogue
from hub.open311.submission import submission_of
from hub.regions import region_name
from hub.sla.clocks import SlaDays
from simpul.db.outage import is_outage
from simpul.errors import InvalidInput, NotAllowed, PublicError
from simpul.wire import ReportStatus, check_aware_time, check_idempotency_key, check_region_code

log = logging.getLogger("simpul.open311")

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 23, tzinfo=UTC)  # when these endpoints last changed, for discovery
MAX_IDS = 100
MAX_KEY = 150  # characters of an Idempotency-Key header, a limit of this door (GraphQL takes 200)
MAX_WINDOW = timedelta(days=90)  # the spec's longest start_date..end_date range, and the default window
Handler = Callable[[Request, str], Awaitable[Response]]


class NotFound(PublicError):
    code = "NOT_FOUND"


def _status_code(error: Exception) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, LimitExceeded):
        return 429
    return 400


def _jurisdiction(params: Mapping[str, str]) -> str | None:
    """jurisdiction_id is a Kemendagri region code: 64 (Kalimantan Timur), 64.08 (Kutai Timur), ..."""
    value = (params.get("jurisdiction_id") or "").strip()
    if not value:
        return None
    check_region_code(value)
    if region_name(value) is None:
        raise InvalidInput(f"jurisdiction_id {value} is not in the Kemendagri region tree")
    return value


def _moment(params: Mapping[str, str], name: str) -> datetime | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be a W3C date-time such as 2026-01-31T00:00:00+08:00") from None
    return check_aware_time(value if value.tzinfo else value.replace(tzinfo=UTC), name)


def _text(value: str, name: str) -> str:
    """A value from the URL, refused when PostgreSQL could not hold it as text."""
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters")
    return value


def _list(params: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    values = tuple(v.strip() for v in _text(params.get(name) or "", name).split(",") if v.strip())
    return values or None


def _statuses(params: Mapping[str, str]) -> frozenset[ReportStatus] | None:
    asked = _list(params, "status")
    if asked is None:
        return None
    unknown = [s for s in asked if s not in ("open", "closed")]
    if unknown:
        raise InvalidInput(f"status is open or closed, not {unknown[0]!r}")
    return frozenset(s for s in ReportStatus if ("closed" if s in CLOSED else "open") in asked)


def _window(params: Mapping[str, str]) -> tuple[datetime, datetime | None]:
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None:
        try:
            start = (end or datetime.now(UTC)) - MAX_WINDOW
        except OverflowError:
            raise InvalidInput("end_date is too early: the window before it would start before the year 1") from None
    if end is not None and end < start:
        raise InvalidInput("end_date is before start_date")
    if end is not None and end - start > MAX_WINDOW:
        raise InvalidInput("start_date to end_date may span at most 90 days")
    return start, end


def _notice(decision: Decision | None) -> str:
    if decision is None:
        return "Sudah diterima sebelumnya dengan Idempotency-Key ini (already submitted with this key)."
    if decision.target is None:
        return "Belum ada unit berwenang; admin akan meneruskannya (no unit found yet; an admin will route it)."
    return f"Diteruskan ke {decision.target.name} ({decision.target.code})."


class Open311Facade:
    """The hub as a GeoReport v2 server over the whole federation."""

    def __init__(self, pool: asyncpg.Pool, guard: Guard, forwarding: Forwarding, router: Router,
                 sla_days: SlaDays) -> None:
        self.pool = pool
        self.guard = guard
        self.forwarding = forwarding
        self.router = router
        self.sla_days = sla_days

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/discovery.{format}", self._answer(self.discovery)),
            Route("/services.{format}", self._answer(self.services)),
            Route("/services/{service_code}.{format}", self._answer(self.service)),
            Route("/requests.{format}", self._answer(self.requests), methods=["GET", "POST"]),
            Route("/requests/{service_request_id}.{format}", self._answer(self.request)),
            Route("/{call:path}", self._no_such_call, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    @staticmethod
    async def _no_such_call(request: Request) -> Response:
        return render_errors(404, f"no Open311 call {request.method} /open311/v2/{request.path_params['call']}; "
                             "see GET discovery.json", "xml" if request.url.path.endswith(".xml") else "json")

    def _answer(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Run a handler in the format the path names; every refusal in the spec's error shape."""
        async def endpoint(request: Request) -> Response:
            format = request.path_params["format"]
            if format not in FORMATS:
                return render_errors(404, f"unknown format {format!r}: use .json or .xml", "json")
            try:
                return await handler(request, format)
            except PublicError as exc:
                return render_errors(_status_code(exc), str(exc), format)
            except HTTPException as exc:  # a form Starlette could not read
                return render_errors(exc.status_code, str(exc.detail), format)
            except Exception as exc:
                if is_outage(exc):
                    raise  # the hub answers 503 (hub/unavailable.py)
                error_id = secrets.token_hex(6)
                log.exception("internal error %s at %s %s", error_id, request.method, request.url.path)
                return render_errors(500, f"internal error (id {error_id})", format)
        return endpoint

    async def _principal(self, request: Request, form: FormData | None = None) -> Principal:
        """The api_key (query or form, as clients send it) or a Bearer header; the public without either."""
        key = request.query_params.get("api_key") or (form.get("api_key") if form is not None else None)
        authorization = request.headers.get("authorization") or (f"Bearer {key}" if isinstance(key, str) else None)
        credentials = Credentials(authorization, {}, request.method, request.url.path, b"")
        return await self.guard.authenticator.principal(credentials)

    async def discovery(self, request: Request, format: str) -> Response:
        url = str(request.base_url).rstrip("/") + "/open311/v2"
        return render("discovery", {
            "changeset": CHANGESET, "contact": "Admin of this simpul hub", "key_service": "simpul key create",
            "endpoints": [{"specification": SPEC, "url": url, "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json", "text/xml"]}],
        }, format)

    async def services(self, request: Request, format: str) -> Response:
        found = await catalogue(self.router.registry, self.router, _jurisdiction(request.query_params))
        return render("services", [s.record() for s in found], format)

    async def service(self, request: Request, format: str) -> Response:
        code = request.path_params["service_code"]
        found = next((s for s in await catalogue(self.router.registry, self.router) if s.code == code), None)
        if found is None:
            raise NotFound(f"no service {code!r} (GET services.{format} lists them)")
        return render("service_definition", found.definition(), format)

    async def requests(self, request: Request, format: str) -> Response:
        return await (self.submit(request, format) if request.method == "POST" else self.search(request, format))

    async def submit(self, request: Request, format: str) -> Response:
        form = await request.form(max_files=0, max_fields=100)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        principal = await self._principal(request, form)
        if principal.role is Role.PUBLIC:
            raise NotAllowed("posting a request needs an api_key (an API key of the hub: `simpul key create`)")
        await self.guard.admit_call(principal, ["submitReport"], client_address(request))
        params = {**request.query_params, **fields}
        region = _jurisdiction(params) or principal.region_code
        if not region:
            raise InvalidInput("jurisdiction_id is required: the region code of the report, e.g. 64.08")
        principal.require(region, "submit reports")
        known = {s.code for s in await catalogue(self.router.registry, self.router)}
        content, reporter = submission_of(fields, region, known)
        key = request.headers.get("idempotency-key")
        if key is not None:
            check_idempotency_key(key.strip(), most=MAX_KEY, name="Idempotency-Key")
        submit_key = key.strip() if key else None  # scoped to its caller by Forwarding.submit, as GraphQL's are
        tracking, decision = await self.forwarding.submit(principal, content, reporter, submit_key)
        return render("service_requests", [{"service_request_id": tracking, "service_notice": _notice(decision),
                                            "account_id": None}], format, status=201)

    async def search(self, request: Request, format: str) -> Response:
        params = request.query_params
        principal = await self._principal(request)
        ids = _list(params, "service_request_id")
        if ids is not None:
            if len(ids) > MAX_IDS:
                raise InvalidInput(f"at most {MAX_IDS} service_request_id at once")
            await self.guard.admit_call(principal, ["trackReport"] * len(ids), client_address(request))
            query = Query(ids=ids)
        else:
            if principal.role is Role.PUBLIC:
                raise NotAllowed(f"listing requests needs an api_key that may read reports; one request is "
                                 f"public at requests/<service_request_id>.{format}")
            await self.guard.admit_call(principal, ["reports"], client_address(request))
            region = principal.region_asked(_jurisdiction(params), "read reports")
            start, end = _window(params)
            query = Query(region_prefix=region, categories=_list(params, "service_code"), start=start, end=end,
                          statuses=_statuses(params))
        return render("service_requests", await self._records(principal, query), format)

    async def request(self, request: Request, format: str) -> Response:
        tracking = _text(request.path_params["service_request_id"], "service_request_id")
        principal = await self._principal(request)
        await self.guard.admit_call(principal, ["trackReport"], client_address(request))
        _jurisdiction(request.query_params)
        found = await self._records(principal, Query(ids=(tracking,)))
        if not found:
            raise NotFound(f"no service request {tracking!r}")
        return render("service_requests", found, format)

    async def _records(self, principal: Principal, query: Query) -> list[dict[str, object]]:
        found = await find(self.pool, query)
        reader = principal if self.guard.allowed(principal, "reports") else PUBLIC
        due = await expected_times(self.pool, self.sla_days, [r.tracking_number for r in found])
        return [r.record(reader, due.get(r.tracking_number)) for r in found]
