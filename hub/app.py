"""Build and run the hub: Starlette routes over one pool and one aiohttp session, plus its workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from hub.access.authn import Authenticator, Credentials
from hub.access.guard import WEBSOCKET, Guard
from hub.api.schema import Context, hub_schema
from hub.broadcast import Broadcaster
from hub.db.migrate import migrate_hub
from hub.deadlines import DeadlineWatch
from hub.delivery import Backoff, DeliveryWorker
from hub.federation.client import NodeClient
from hub.federation.queries import Federation
from hub.feeds import PULLS_AT_ONCE, FeedPuller
from hub.forwarding import Forwarding
from hub.ledger import NOTIFY_DELIVERY, Ledger
from hub.nodeapi import NodeApi
from hub.reachability import ReachabilityWatch
from hub.registry import PgNonceStore, Registry
from hub.routing import Router
from hub.settings import SCHEMA, HubSettings
from hub.sla import SlaDays
from simpul.bodylimit import BodyLimit
from simpul.db.pool import create_pool
from simpul.graphql_json import StrictJsonGraphQL
from simpul.requestid import RequestIds

log = logging.getLogger("simpul.hub")



@dataclass(frozen=True)
class Services:
    """The hub's parts, built once per process over one pool and one HTTP session."""

    settings: HubSettings
    pool: asyncpg.Pool
    federation: Federation
    router: Router
    forwarding: Forwarding
    feeds: FeedPuller
    delivery: DeliveryWorker
    events: Broadcaster
    guard: Guard

    @classmethod
    def build(cls, pool: asyncpg.Pool, session: aiohttp.ClientSession, settings: HubSettings) -> Services:
        client = NodeClient(session)
        router = Router(pool)
        ledger = Ledger(router, settings.max_hops)
        backoff = Backoff(settings.backoff_base, settings.backoff_cap, settings.delivery_max_attempts)
        return cls(
            settings=settings, pool=pool,
            federation=Federation(Registry(pool), client, settings.node_timeout, settings.deadline),
            router=router, forwarding=Forwarding(pool, router, ledger),
            feeds=FeedPuller(pool, client, ledger), delivery=DeliveryWorker(pool, client, backoff),
            events=Broadcaster(),
            guard=Guard(Authenticator(pool, settings.max_skew), Registry(pool), settings.limits),
        )


class _HubGraphQL(StrictJsonGraphQL):
    def __init__(self, services: Services) -> None:
        limits = services.settings.query_limits
        super().__init__(hub_schema(limits), graphql_ide="graphiql" if limits.introspection else None)
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        s = self.services
        body = await request.body() if request.scope["type"] == "http" else b""
        credentials = Credentials(authorization=request.headers.get("authorization"), headers=request.headers,
                                  method=request.scope.get("method", "GET"), path=request.url.path, body=body)
        return {"federation": s.federation, "settings": s.settings, "node_errors": [], "pool": s.pool,
                "router": s.router, "forwarding": s.forwarding, "events": s.events, "guard": s.guard,
                "credentials": credentials, "client": request.client.host if request.client else "unknown",
                WEBSOCKET: request.scope["type"] == "websocket"}


def build_app(services: Services) -> ASGIApp:
    """The hub's routes: /graphql (with GraphiQL, and subscriptions over WebSocket), node endpoints, /healthz;
    every request gets an id (response header, logs, audit log) and a bounded body."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    api = NodeApi(services.pool, services.settings.max_skew, services.feeds.poked.put_nowait)
    graphql = _HubGraphQL(services)
    routes = Starlette(routes=[
        Route("/", home),
        Route("/healthz", healthz),
        *api.routes(),
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # a Route matches HTTP only
    ])
    return RequestIds(BodyLimit(routes, services.settings.max_body_bytes))


async def _forget_old_nonces(nonces: PgNonceStore, max_skew: float) -> None:
    while True:
        await asyncio.sleep(60)
        try:
            await nonces.forget_older_than(2 * max_skew)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("could not prune nonces: %s", exc)


async def _listen_for_deliveries(database_url: str, wake: asyncio.Event) -> None:
    """Wake the delivery workers whenever any hub process commits a delivery row."""
    while True:
        try:
            conn = await asyncpg.connect(database_url)
            try:
                await conn.add_listener(NOTIFY_DELIVERY, lambda *_: wake.set())
                wake.set()  # catch up on anything queued while not listening
                while not conn.is_closed():
                    await asyncio.sleep(5)
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("delivery notifications lost, reconnecting: %s", exc)
            await asyncio.sleep(2)


def _background(services: Services, database_url: str) -> list[Coroutine[Any, Any, None]]:
    settings = services.settings
    wake = asyncio.Event()
    return [
        _forget_old_nonces(PgNonceStore(services.pool), settings.max_skew),
        _listen_for_deliveries(database_url, wake),
        services.feeds.run(settings.pull_interval),
        services.events.run(database_url),
        ReachabilityWatch(services.pool, settings.heartbeat_grace).run(),
        DeadlineWatch(services.pool, SlaDays.from_settings(settings)).run(settings.deadline_interval),
        *(services.delivery.run(wake) for _ in range(settings.delivery_workers)),
    ]


def announce(url: str) -> None:
    print(f"hub listening on {url} (GraphiQL at /graphql)", flush=True)


async def serve(settings: HubSettings, database_url: str, sock: socket.socket | None = None,
                listening: Callable[[str], None] = announce) -> None:
    """Migrate, then serve and work until SIGINT/SIGTERM; on `sock` when given (bound by the caller,
    as hub workers sharing one port do), else on settings.host:port. `listening` hears the hub's URL."""
    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA, max_size=settings.delivery_workers + PULLS_AT_ONCE + 16)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=16)
    timeout = aiohttp.ClientTimeout(total=settings.node_timeout, sock_connect=2)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            services = Services.build(pool, session, settings)
            config = uvicorn.Config(build_app(services), host=settings.host, port=settings.port, lifespan="off",
                                    log_level="warning", access_log=False, log_config=None)
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve(sockets=[sock] if sock else None))
            while not server.started and not serving.done():
                await asyncio.sleep(0.02)
            if not server.started:
                await serving
                raise OSError(f"hub could not listen on {settings.host}:{settings.port}")
            port = server.servers[0].sockets[0].getsockname()[1]
            listening(f"http://{settings.host}:{port}")
            workers = [asyncio.create_task(job) for job in _background(services, database_url)]
            try:
                await serving
            finally:
                for task in workers:
                    task.cancel()
                for task in workers:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    finally:
        await pool.close()
