"""Build and run the hub: Starlette routes over one pool and one aiohttp session, plus its workers."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import uvicorn
from cross_web import AsyncHTTPRequestAdapter
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from hub.access.authn import Authenticator, Credentials
from hub.access.guard import Guard, client_address
from hub.access.limits import Limits, QueryLimits
from hub.access.parse import check_document_size
from hub.access.passwords import PasswordChecks
from hub.access.sockets import OpenSockets
from hub.access.trusted import TrustedDocuments, load_trusted_documents
from hub.api.context import Context
from hub.api.persisted import trusted_query
from hub.api.schema import hub_schema
from hub.api.websockets import GuardedWSHandler, SocketUnavailable
from hub.dashboard.routes import Dashboard
from hub.db.migrate import migrate_hub
from hub.events.broadcast import Broadcaster
from hub.federation.client import NodeClient, node_session
from hub.federation.queries import Federation
from hub.forwarding.delivery import Backoff, DeliveryWorker, listen_for_deliveries
from hub.forwarding.feeds import POKED_PULLS_AT_ONCE, PULLS_AT_ONCE, FeedPuller
from hub.forwarding.ledger import Ledger
from hub.forwarding.routing import Router
from hub.forwarding.sealing import IdentitySeal, seal_clear_identities
from hub.forwarding.submit import Forwarding
from hub.index.counts import run_folding
from hub.index.reads import FederationIndex
from hub.jobs import Jobs
from hub.metrics.database import DatabaseGauges
from hub.metrics.exposition import MetricsEndpoint
from hub.metrics.families import HubMetrics
from hub.metrics.http import CountRequests
from hub.nodes.nodeapi import NodeApi
from hub.nodes.nonces import PgNonceStore, forget_old_nonces
from hub.nodes.reachability import ReachabilityWatch
from hub.nodes.registry import Registry
from hub.nodes.signatures import HubKey
from hub.open311.routes import Open311Facade
from hub.readiness import Readiness
from hub.settings import SCHEMA, HubSettings
from hub.sla.clocks import SlaDays
from hub.sla.deadlines import DeadlineWatch
from hub.sla.selesai import SelesaiWatch
from hub.unavailable import outage_handlers
from simpul.asgi.bodylimit import BodyLimit
from simpul.asgi.budget import Budgets
from simpul.asgi.cors import BrowserOrigins
from simpul.asgi.requestid import RequestIds
from simpul.asgi.tracing import Tracing, start_tracing, traced
from simpul.db.outage import DatabaseOutage, OutageLogFilter, is_outage
from simpul.db.pool import create_pool
from simpul.endpoints import node_endpoints
from simpul.errors import PublicError, answer_outage, unavailable
from simpul.graphql_json import StrictJsonGraphQL, graphql_error
from simpul.signing import DEFAULT_MAX_SKEW, request_target

log = logging.getLogger("simpul.hub")

# Idle keep-alive connections are kept longer than the idle timeout of what stands in front (ingress controllers,
# load balancers, federation gateways: 60 s is common), so they close first; with uvicorn's 5 s, a gateway reusing
# a connection just as the hub closed it gets a "socket hang up".
KEEP_ALIVE = 75
BROWSER_PATHS = ("/graphql", "/open311/v2/", "/dashboard/report/")  # what apps on other origins may call


@dataclass(frozen=True)
class Services:
    """The hub's parts, built once per process over one pool and one HTTP session."""

    settings: HubSettings
    pool: asyncpg.Pool
    hub_key: HubKey
    trusted_documents: TrustedDocuments | None
    federation: Federation
    router: Router
    forwarding: Forwarding
    feeds: FeedPuller
    index: FederationIndex
    delivery: DeliveryWorker
    events: Broadcaster
    guard: Guard
    passwords: PasswordChecks
    sockets: OpenSockets
    metrics: HubMetrics
    tracing: Tracing | None
    jobs: Jobs
    outage: DatabaseOutage

    @classmethod
    def build(cls, pool: asyncpg.Pool, session: aiohttp.ClientSession, settings: HubSettings, hub_key: HubKey,
              tracing: Tracing | None = None) -> Services:
        metrics = HubMetrics()
        client = NodeClient(session, hub_key, metrics, tracing.tracer if tracing else None,
                            node_endpoints(settings.allow_insecure_nodes))
        router = Router(pool)
        ledger = Ledger(router, settings.max_hops)
        backoff = Backoff(settings.backoff_base, settings.backoff_cap, settings.delivery_max_attempts)
        limits = Limits.from_settings(settings)
        sockets = OpenSockets(pool, limits.max_sockets)
        seal = IdentitySeal.from_file(settings.identity_key_path)
        return cls(
            settings=settings, pool=pool, hub_key=hub_key,
            trusted_documents=load_trusted_documents(settings.trusted_documents, settings.trusted_documents_only),
            federation=Federation(Registry(pool), client, settings.node_timeout, settings.deadline),
            router=router, forwarding=Forwarding(pool, router, ledger, seal),
            feeds=FeedPuller(pool, client, ledger, settings.heartbeat_grace),
            index=FederationIndex(pool, settings.stale_after),
            delivery=DeliveryWorker(pool, client, backoff, seal),
            events=Broadcaster(counted=metrics.event_subscribers.set),
            guard=Guard(Authenticator(pool, DEFAULT_MAX_SKEW), Registry(pool), limits, sockets),
            passwords=PasswordChecks(limits.password_checks, limits.password_wait),
            sockets=sockets,
            metrics=metrics, tracing=tracing, jobs=Jobs(), outage=DatabaseOutage(pool),
        )


class _HubGraphQL(StrictJsonGraphQL):
    graphql_transport_ws_handler_class = GuardedWSHandler

    def __init__(self, services: Services) -> None:
        limits = QueryLimits.from_settings(services.settings)
        # graphql-transport-ws only: the legacy subscriptions-transport-ws would bypass trusted documents
        super().__init__(hub_schema(limits), graphql_ide="graphiql" if limits.introspection else None,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         allowed_origins=services.settings.cors_origins)  # strawberry checks a socket's Origin
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        s = self.services
        body = await request.body() if request.scope["type"] == "http" else b""
        credentials = Credentials(authorization=request.headers.get("authorization"), headers=request.headers,
                                  method=request.scope.get("method", "GET"), path=request_target(request.scope),
                                  body=body)
        return Context(
            credentials=credentials, client=client_address(request), websocket=request.scope["type"] == "websocket",
            settings=s.settings, pool=s.pool, federation=s.federation, index=s.index, router=s.router,
            forwarding=s.forwarding, events=s.events, guard=s.guard, passwords=s.passwords,
            trusted_documents=s.trusted_documents, metrics=s.metrics, outage=s.outage)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Refuse connection_init with a key or token that is not good (graphql-transport-ws closes with 4403),
        past the caller's open sockets (TooManySockets: 4429) or while the database is away (SocketUnavailable:
        1013, retried by clients); count and watch the socket from now on."""
        if self.services.outage.down:  # answer at once rather than wait on the database per socket
            raise SocketUnavailable
        try:
            principal = await self.services.guard.principal(context)
        except PublicError:
            raise ConnectionRejectionError from None
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.services.outage.noted(exc)
            raise SocketUnavailable from None
        assert context.held is not None and context.close_socket is not None  # set by guard.principal, the handler
        context.socket = self.services.sockets.open(principal, context.held, context.client, context.close_socket)
        return await super().on_ws_connect(context)

    async def execute_single(  # noqa: PLR0917
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter, sub_response: Response,
        context: Context, root_value: None, request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            check_document_size(request_data.query, self.services.settings.max_document_bytes)
            request_data.query = await trusted_query(request_data.query, getattr(request_data, "document_id", None),
                                                     request_data.extensions, context)
        except PublicError as exc:
            return graphql_error(str(exc), exc.code)
        outage = self.services.outage
        if outage.down:  # answer at once rather than wait on the database once per request
            return answer_outage(ExecutionResult(data=None, errors=[unavailable()]))
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                              request_data)
        return answer_outage(result, outage)


async def _gone(request: Request, exc: Exception) -> Response:
    """A client that went away before its request was read (a phone losing signal) is no defect of ours: nobody
    to answer and no traceback to log. 499 is the status proxies count such requests under."""
    return Response(status_code=499)


def build_app(services: Services, readiness: Readiness) -> ASGIApp:
    """The hub's routes: /graphql (with GraphiQL, and subscriptions over WebSocket), node endpoints, /healthz,
    /readyz, /metrics; every request gets an id (response header, logs, audit log) and a bounded body, is counted
    and, with tracing on, is a span."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    api = NodeApi(services.pool, services.hub_key, DEFAULT_MAX_SKEW, services.feeds.poke,
                  node_endpoints(services.settings.allow_insecure_nodes), services.federation.client.breakers.heard,
                  services.feeds.heard)
    graphql = _HubGraphQL(services)
    gauges = DatabaseGauges(services.pool, services.metrics, services.settings.heartbeat_grace)
    metrics = MetricsEndpoint(services.metrics, gauges, services.settings.metrics_token,
                              services.settings.metrics_loopback_only)
    routes = Starlette(exception_handlers={**outage_handlers(services.outage), ClientDisconnect: _gone}, routes=[
        Route("/", home),
        Route("/healthz", healthz),
        Route("/readyz", readiness.respond),
        Route("/metrics", metrics.respond),
        *api.routes(),
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # a Route matches HTTP only
        Mount("/open311/v2", routes=Open311Facade(services.pool, services.guard, services.forwarding, services.router,
                                                   SlaDays.from_settings(services.settings)).routes()),
        *Dashboard(services.pool, services.settings, services.guard).routes(),
    ])
    limited = BodyLimit(Budgets(routes), services.settings.max_body_bytes)
    # CORS outside the limits: a page on an allowed origin can read a refusal (413, a bad budget) too
    app = RequestIds(BrowserOrigins(limited, services.settings.cors_origins, BROWSER_PATHS))
    return traced(CountRequests(app, services.metrics), services.tracing)


def _background(services: Services, database_url: str) -> list[tuple[str, Coroutine[Any, Any, None]]]:
    """The process's background jobs by the names /readyz reports them under."""
    settings = services.settings
    wake = asyncio.Event()
    return [
        ("nonces", forget_old_nonces(PgNonceStore(services.pool), DEFAULT_MAX_SKEW)),
        ("sockets", services.sockets.run()),
        ("delivery-wakeup", listen_for_deliveries(database_url, wake)),
        ("feeds", services.feeds.run(settings.pull_interval)),
        ("index-counts", run_folding(services.pool)),
        ("events", services.events.run(database_url)),
        ("reachability", ReachabilityWatch(services.pool, settings.heartbeat_grace).run()),
        ("deadlines", DeadlineWatch(services.pool, SlaDays.from_settings(settings)).run(settings.deadline_interval)),
        ("selesai", SelesaiWatch(services.pool, settings.sla_response_days, settings.cuti_bersama_days_off)
         .run(settings.deadline_interval)),
        *(("delivery", services.delivery.run(wake)) for _ in range(settings.delivery_workers)),
    ]


def announce(url: str) -> None:
    print(f"hub listening on {url} (GraphiQL at /graphql)", flush=True)


async def _stop_when_a_job_ends(jobs: Jobs, server: uvicorn.Server) -> None:
    await jobs.ended.wait()
    server.should_exit = True


async def serve(settings: HubSettings, database_url: str, sock: socket.socket | None = None,
                listening: Callable[[str], None] = announce) -> None:
    """Migrate, then serve and work until SIGINT/SIGTERM; on `sock` when given (bound by the caller,
    as hub workers sharing one port do), else on settings.host:port. `listening` hears the hub's URL."""
    await migrate_hub(database_url)
    tracing = start_tracing("simpul-hub", settings.otlp_endpoint)
    pulls = PULLS_AT_ONCE + POKED_PULLS_AT_ONCE
    pool = await create_pool(database_url, SCHEMA, max_size=settings.delivery_workers + pulls + 16)
    try:
        async with node_session(settings.node_timeout, settings.node_ca_file) as session:
            services = Services.build(pool, session, settings, HubKey.load_or_create(settings.key_file), tracing)
            await services.passwords.start()
            quiet = OutageLogFilter(services.outage)
            for handler in logging.getLogger().handlers:
                handler.filters.insert(0, quiet)  # before redaction merges a record's arguments into its text
            await seal_clear_identities(pool, services.forwarding.seal)
            readiness = Readiness(database_url, services.jobs)
            config = uvicorn.Config(build_app(services, readiness), host=settings.host, port=settings.port,
                                    lifespan="off", log_level="warning", access_log=False, log_config=None,
                                    timeout_keep_alive=KEEP_ALIVE, ws_max_size=settings.max_body_bytes)
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve(sockets=[sock] if sock else None))
            while not server.started and not serving.done():
                await asyncio.sleep(0.02)
            if not server.started:
                await serving
                raise OSError(f"hub could not listen on {settings.host}:{settings.port}")
            port = server.servers[0].sockets[0].getsockname()[1]
            listening(f"http://{settings.host}:{port}")
            services.jobs.start(_background(services, database_url))
            watch = asyncio.create_task(_stop_when_a_job_ends(services.jobs, server))
            try:
                await serving
            finally:
                watch.cancel()
                await services.jobs.stop()
                await services.federation.client.close()
                await readiness.close()
                await services.outage.close()
                for handler in logging.getLogger().handlers:
                    handler.removeFilter(quiet)
            if services.jobs.ended_name is not None:
                raise SystemExit(f"simpul hub: background job {services.jobs.ended_name} ended (logged above); "
                                 "the hub stopped so that its supervisor restarts it")
    finally:
        await pool.close()
        if tracing is not None:
            await asyncio.to_thread(tracing.shutdown)  # the spans still queued go to the collector
