"""Serve any Connector as a node: the node contract over signed HTTP, enrolment, heartbeats."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.base import Connector, ConnectorError
from connectors.contract import NodeContext, node_schema
from connectors.hublink import (
    Credentials,
    EnrolmentError,
    HeartbeatAnswer,
    enrol,
    rekey,
    send_heartbeat,
    send_poke,
    token_digest,
)
from connectors.nonces import KeptNonces
from simpul.asgi.bodylimit import BodyLimit
from simpul.asgi.budget import Budgets
from simpul.asgi.http import HttpMiddleware
from simpul.asgi.requestid import RequestIds
from simpul.asgi.tracing import Tracing, traced
from simpul.endpoints import hub_urls
from simpul.errors import InvalidInput, MaskInternalErrors
from simpul.graphql_json import StrictJsonGraphQL
from simpul.signing import (
    DEFAULT_MAX_SKEW,
    TO_NODE,
    NonceStore,
    SignatureError,
    SignedRequest,
    request_target,
    verify,
)
from simpul.wire import TOKEN_ALREADY_USED, FeedCheck

log = logging.getLogger("simpul.node")

MAX_BODY = 1 << 20


@dataclass(frozen=True)
class NodeSettings:
    """How a node process runs and finds its hub."""

    hub_url: str
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 8100
    public_url: str | None = None
    token: str | None = None
    renew: bool = False  # trade `token` for a new key pair although credentials are stored
    heartbeat_interval: float = 15.0
    max_skew: float = DEFAULT_MAX_SKEW
    max_body: int = MAX_BODY
    tls_cert: Path | None = None  # serve https with this certificate chain and tls_key
    tls_key: Path | None = None
    allow_insecure_hub: bool = False  # enrol with and call a plain-http hub off loopback (labs only)

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


def _deny(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


class SignedOnly(HttpMiddleware):
    """ASGI middleware that lets through only requests the hub signed for this node, with the key the node pinned.

    Nonces are kept across restarts (`KeptNonces`), and a request signed before this process started is refused
    as well, so one captured before a restart cannot be replayed after it."""

    def __init__(
        self,
        app: ASGIApp,
        code: str,
        credentials: Callable[[], Credentials | None],
        nonces: NonceStore,
        max_skew: float,
    ) -> None:
        super().__init__(app)
        self.code = code
        self.credentials = credentials
        self.max_skew = max_skew
        self.nonces = nonces
        self.started = time.time()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        credentials = self.credentials()
        if credentials is None:
            await _deny(503, "node is not enrolled yet")(scope, receive, send)
            return
        body = await request.body()  # bounded by the app's BodyLimit
        try:
            signed = SignedRequest.from_headers(request.headers)
            if signed.node != self.code:
                raise SignatureError("request signed for another node")
            await verify(credentials.hub_key, signed, TO_NODE, request.method, request_target(scope), body,
                         self.nonces, self.max_skew, not_before=self.started)
        except SignatureError as exc:
            log.warning("refused request to %s: %s", scope["path"], exc)
            await _deny(401, str(exc))(scope, receive, send)
            return

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _NodeGraphQL(StrictJsonGraphQL):
    def __init__(self, connector: Connector) -> None:
        schema = node_schema(extensions=[MaskInternalErrors(public=(ConnectorError,))])
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False)
        self.connector = connector

    async def get_context(self, request: Any, response: Any) -> NodeContext:
        return NodeContext(connector=self.connector)


class NodeServer:
    """Owns one node process: the connector, the HTTP server and the hub link."""

    def __init__(
        self, connector: Connector, settings: NodeSettings, routes: Sequence[BaseRoute] = (),
        tracing: Tracing | None = None,
    ) -> None:
        self.connector = connector
        self.settings = settings
        self.routes = list(routes)
        self.tracing = tracing
        self.credentials: Credentials | None = None
        self.endpoint = settings.public_url or ""
        self._session: aiohttp.ClientSession | None = None
        self._pokes: set[asyncio.Task[None]] = set()

    @property
    def credentials_path(self) -> Path:
        return self.settings.state_dir / "credentials.json"

    def app(self) -> ASGIApp:
        """The node's HTTP app: every request gets an id, a bounded body and the hub's time budget and, with
        tracing on, is a span continuing the hub's trace."""
        code = self.connector.identity.code
        nonces = KeptNonces(self.settings.state_dir, self.settings.max_skew)
        graphql = SignedOnly(_NodeGraphQL(self.connector), code, lambda: self.credentials, nonces,
                             self.settings.max_skew)
        routes: list[BaseRoute] = [
            Route("/healthz", self._healthz),
            Route("/graphql", graphql),
            *self.routes,
        ]
        return traced(RequestIds(BodyLimit(Budgets(Starlette(routes=routes)), self.settings.max_body)), self.tracing)

    async def _healthz(self, request: Request) -> Response:
        health = await self.connector.health()
        return JSONResponse({"ok": health.ok, "detail": health.detail,
                             "enrolled": self.credentials is not None},
                            status_code=200 if health.ok else 503)

    async def run(self) -> None:
        """Start the connector, serve HTTP(S), enrol if needed, heartbeat until stopped."""
        try:
            hub_urls(self.settings.allow_insecure_hub).check(self.settings.hub_url)
        except InvalidInput as exc:
            raise EnrolmentError(str(exc)) from None
        await self.connector.start()
        try:
            # Stored credentials before listening: the hub may call a restarted node the moment its port opens.
            stored = self.credentials = self._stored_credentials()
            config = uvicorn.Config(self.app(), host=self.settings.host, port=self.settings.port,
                                    lifespan="off", log_level="warning", access_log=False,
                                    ssl_certfile=self.settings.tls_cert, ssl_keyfile=self.settings.tls_key,
                                    log_config=None)  # uvicorn's records go through our handlers: redacted
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve())
            while not server.started:
                if serving.done():
                    await serving
                    raise EnrolmentError(f"could not listen on port {self.settings.port}")
                await asyncio.sleep(0.02)
            port = server.servers[0].sockets[0].getsockname()[1]
            self.endpoint = self.settings.public_url or f"{self.settings.scheme}://{self.settings.host}:{port}"
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                try:
                    self.credentials = await self._credentials(session, stored)
                except BaseException:
                    server.should_exit = True
                    await serving
                    raise
                self._session = session
                code = self.connector.identity.code
                print(f"node {code} serving on {self.endpoint}", flush=True)
                beating = asyncio.create_task(self._heartbeats(session))
                try:
                    await serving
                finally:
                    beating.cancel()
        finally:
            await self.connector.stop()

    def _stored_credentials(self) -> Credentials | None:
        """This node's stored credentials, if any, following the hub to a new URL."""
        identity = self.connector.identity
        stored = Credentials.load(self.credentials_path)
        if stored is None:
            return None
        if stored.code != identity.code:
            raise EnrolmentError(
                f"{self.credentials_path} holds credentials of node {stored.code}, not {identity.code}")
        if stored.hub_url != self.settings.hub_url:
            log.info("hub moved from %s to %s; keeping this node's credentials",
                     stored.hub_url, self.settings.hub_url)
            stored = replace(stored, hub_url=self.settings.hub_url)
            stored.save(self.credentials_path)
        return stored

    async def _credentials(self, session: aiohttp.ClientSession, stored: Credentials | None) -> Credentials:
        """The stored credentials; new ones when there are none, or with --renew when --token is not the token
        they came from (a token the hub made for this node renews its key pair)."""
        identity = self.connector.identity
        if stored is not None:
            if not self.settings.renew:
                return await self._rekeyed(session, stored)
            token = self.settings.token
            if not token:
                raise EnrolmentError(f"--renew needs --token from `simpul token create --node {identity.code}`")
            if stored.token_digest == token_digest(token):
                return await self._rekeyed(session, stored)  # renewed with this token before: a plain restart
            return await self._renew(session, token)
        if not self.settings.token:
            raise EnrolmentError(
                f"node {identity.code} is not enrolled: pass --token from `simpul token create`"
            )
        credentials = await enrol(session, self.settings.hub_url, self.settings.token, identity,
                                  self.endpoint)
        credentials.save(self.credentials_path)
        log.info("enrolled with hub %s as %s", credentials.hub_url, credentials.code)
        return credentials

    async def _rekeyed(self, session: aiohttp.ClientSession, stored: Credentials) -> Credentials:
        """Stored credentials with a key pair: as they are, or a v1 node's, moved to one now (once)."""
        if stored.rekeyed:
            return stored
        rekeyed = await rekey(session, stored, self.credentials_path)
        log.info("node %s moved from its v1 secret to a key pair", rekeyed.code)
        return rekeyed

    async def _renew(self, session: aiohttp.ClientSession, token: str) -> Credentials:
        """Trade a token made for this node for a new key pair; the hub refuses the old one from then on."""
        code = self.connector.identity.code
        try:
            renewed = await enrol(session, self.settings.hub_url, token, self.connector.identity, self.endpoint)
        except EnrolmentError as exc:
            if exc.status == TOKEN_ALREADY_USED:
                raise EnrolmentError(f"{exc}; if this node used it and did not keep the answer, its key is "
                                     f"renewed but unknown here: create another (simpul token create --node "
                                     f"{code})", exc.status) from None
            raise
        renewed.save(self.credentials_path)
        log.info("renewed the key pair of node %s with a new token", renewed.code)
        return renewed

    def poke_soon(self) -> None:
        """Tell the hub there is news in the change feed; if it does not hear, the next heartbeat's check of the
        feed pokes again."""
        if self._session is None or self.credentials is None:
            return
        task = asyncio.create_task(self._poke(self._session, self.credentials))
        self._pokes.add(task)
        task.add_done_callback(self._pokes.discard)

    async def _poke(self, session: aiohttp.ClientSession, credentials: Credentials) -> None:
        try:
            status = await send_poke(session, credentials)
            if status != 200:
                log.warning("hub answered poke with HTTP %d", status)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.info("poke not delivered: %s", exc.__class__.__name__)

    async def _heartbeats(self, session: aiohttp.ClientSession) -> None:
        """Tell the hub we are here (and where) every interval; survive a hub that is away.

        Each heartbeat also says whether the change feed has news after the watermark the hub gave in its last
        answer (and pokes when it has): the hub then pulls this node only when told, not on every round."""
        assert self.credentials is not None
        watermark: HeartbeatAnswer | None = None
        while True:
            try:
                try:
                    healthy = (await self.connector.health()).ok
                except ConnectorError:
                    healthy = False
                feed = await self._check_feed(watermark.feed_cursor) if watermark and watermark.knows_feed else None
                watermark = await send_heartbeat(session, self.credentials, self.endpoint, healthy, feed)
                if watermark.status != 200:
                    log.warning("hub answered heartbeat with HTTP %d", watermark.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("heartbeat failed: %s", exc.__class__.__name__)
                watermark = None
            await asyncio.sleep(self.settings.heartbeat_interval)

    async def _check_feed(self, cursor: str | None) -> FeedCheck | None:
        """Whether the feed has news after the hub's `cursor` (or no longer reaches it); None when the feed
        cannot be read now (the hub's rounds then pull this node as before)."""
        try:
            news = bool(await self.connector.changes(cursor, 1)) or (
                cursor is not None and await self.connector.cursor_past_end(cursor))
        except Exception as exc:  # whatever the feed's store says now, the heartbeats go on
            log.info("change feed not checked: %s", exc.__class__.__name__)
            return None
        if news:
            self.poke_soon()
        return FeedCheck(cursor, news)
