"""Build and run the hub: Starlette routes over one pool and one aiohttp session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from hub.api.schema import Context, hub_schema
from hub.db.migrate import migrate_hub
from hub.federation.client import NodeClient
from hub.federation.queries import Federation
from hub.nodeapi import NodeApi
from hub.registry import PgNonceStore, Registry
from hub.settings import SCHEMA, HubSettings
from simpul.db.pool import create_pool

log = logging.getLogger("simpul.hub")


class _HubGraphQL(GraphQL[Context, None]):
    def __init__(self, federation: Federation, settings: HubSettings) -> None:
        super().__init__(hub_schema(), graphql_ide="graphiql")
        self.federation = federation
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        return {"federation": self.federation, "settings": self.settings, "node_errors": []}


def build_app(pool: asyncpg.Pool, session: aiohttp.ClientSession, settings: HubSettings) -> Starlette:
    """The hub's routes: /graphql (with GraphiQL), node endpoints, /healthz."""
    federation = Federation(Registry(pool), NodeClient(session), settings.node_timeout,
                            settings.deadline)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    return Starlette(routes=[
        Route("/", home),
        Route("/healthz", healthz),
        *NodeApi(pool, settings.max_skew).routes(),
        Route("/graphql", _HubGraphQL(federation, settings)),
    ])


async def _forget_old_nonces(nonces: PgNonceStore, max_skew: float) -> None:
    while True:
        await asyncio.sleep(60)
        try:
            await nonces.forget_older_than(2 * max_skew)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("could not prune nonces: %s", exc)


async def serve(settings: HubSettings, database_url: str) -> None:
    """Migrate, then serve until SIGINT/SIGTERM."""
    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA, max_size=20)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=16)
    timeout = aiohttp.ClientTimeout(total=settings.node_timeout, sock_connect=2)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            config = uvicorn.Config(build_app(pool, session, settings), host=settings.host,
                                    port=settings.port, lifespan="off", log_level="warning",
                                    access_log=False)
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve())
            while not server.started and not serving.done():
                await asyncio.sleep(0.02)
            if not server.started:
                await serving
                raise OSError(f"hub could not listen on {settings.host}:{settings.port}")
            port = server.servers[0].sockets[0].getsockname()[1]
            print(f"hub listening on http://{settings.host}:{port} (GraphiQL at /graphql)",
                  flush=True)
            pruning = asyncio.create_task(_forget_old_nonces(PgNonceStore(pool), settings.max_skew))
            try:
                await serving
            finally:
                pruning.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pruning
    finally:
        await pool.close()
