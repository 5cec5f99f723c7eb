"""HTTP endpoints nodes call on the hub: enrolment, the one-time rekey of a v1 node, and signed heartbeats."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.forwarding.routing import shared_authority
from hub.nodes.enrolment import EnrolmentRefused, EnrolmentRequest, enrol, rekey
from hub.nodes.nonces import PgNonceStore
from hub.nodes.registry import NodeRecord, Registry
from hub.nodes.signatures import HubKey, verify_node
from hub.nodes.status import NodeStatus
from simpul.endpoints import UrlPolicy
from simpul.errors import InvalidInput
from simpul.signing import SignatureError, SignedRequest, parse_public_key, request_target
from simpul.signing_v1 import verify_v1
from simpul.wire import FeedCheck

log = logging.getLogger("simpul.hub")

MAX_BODY = 64_000


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class NodeApi:
    """What a node may ask of the hub."""

    def __init__(self, pool: asyncpg.Pool, hub_key: HubKey, max_skew: float, on_poke: Callable[[str], None],
                 endpoints: UrlPolicy, on_heard: Callable[[str], bool],
                 on_feed: Callable[[str, FeedCheck | None], Awaitable[str | None]]) -> None:
        self.pool = pool
        self.on_feed = on_feed  # a heartbeat's feed check; gives the watermark the node checks after next
        self.hub_key = hub_key
        self.endpoints = endpoints
        self.on_poke = on_poke
        self.on_heard = on_heard  # a heartbeat: True when calls to the node had been skipped
        self.registry = Registry(pool)
        self.nonces = PgNonceStore(pool)
        self.max_skew = max_skew

    def routes(self) -> list[Route]:
        return [
            Route("/enrol", self.enrol, methods=["POST"]),
            Route("/node/rekey", self.rekey, methods=["POST"]),
            Route("/node/heartbeat", self.heartbeat, methods=["POST"]),
            Route("/node/poke", self.poke, methods=["POST"]),
        ]

    async def enrol(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "request body too large")
        try:
            enrolment = EnrolmentRequest.from_json(json.loads(body), self.endpoints)
            await self.endpoints.check_resolved(enrolment.endpoint)
        except (ValueError, RecursionError) as exc:  # InvalidInput and JSON errors alike
            message = str(exc) if isinstance(exc, InvalidInput) else "body is not valid JSON"
            return _error(400, message)
        try:
            await enrol(self.pool, enrolment)
        except EnrolmentRefused as exc:
            log.warning("enrolment of %s refused: %s", enrolment.code, exc)
            return _error(exc.status, str(exc))
        log.info("node %s enrolled its public key (enrolled or renewed; endpoint %s)", enrolment.code,
                 enrolment.endpoint)
        for warning in await shared_authority(self.pool, enrolment.code):
            log.warning("%s", warning)
        return self._hub_public_key(enrolment.code)

    def _hub_public_key(self, code: str) -> JSONResponse:
        """What a node pins: the key every call the hub makes to it is signed with."""
        return JSONResponse({"code": code, "hub_public_key": self.hub_key.public_key.hex()})

    async def rekey(self, request: Request) -> Response:
        """A node enrolled before key pairs sends its new public key, signed with its HMAC key (simpul-v1), and
        gets the hub's public key to pin."""
        signed = await self._signed(request, v1=True)
        if isinstance(signed, Response):
            return signed
        node, body = signed
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return _error(400, "body is not valid JSON")
        try:
            public_key = parse_public_key(data.get("public_key") if isinstance(data, dict) else None)
        except ValueError as exc:
            return _error(400, str(exc))
        try:
            await rekey(self.pool, node, public_key)
        except EnrolmentRefused as exc:
            return _error(exc.status, str(exc))
        log.info("node %s rekeyed: it signs with a key pair from now on", node.code)
        return self._hub_public_key(node.code)

    async def _signed(self, request: Request, v1: bool = False) -> tuple[NodeRecord, bytes] | Response:
        """The enrolled, active node that signed this request, with the body; or the refusal. `v1`: signed with
        the HMAC key of a node enrolled before key pairs (only its rekey is)."""
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "request body too large")
        try:
            signed = SignedRequest.from_headers(request.headers)
            node = await self.registry.signer(signed.node)
            if node is None:
                raise SignatureError("unknown node")
            if not v1:
                await verify_node(self.registry, node, signed, request.method, request_target(request.scope), body,
                                  self.nonces, self.max_skew)
            elif node.signing_key is None:
                raise SignatureError("node has no HMAC key to rekey with")
            else:
                await verify_v1(node.signing_key, signed, request.method, request.url.path, body, self.nonces,
                                self.max_skew)
        except SignatureError as exc:
            log.warning("refused %s: %s", request.url.path, exc)
            return _error(401, str(exc))
        if node.status == NodeStatus.SUSPENDED:
            return _error(403, "node is suspended")
        return node, body

    async def heartbeat(self, request: Request) -> Response:
        signed = await self._signed(request)
        if isinstance(signed, Response):
            return signed
        node, body = signed
        try:
            data = json.loads(body)
            endpoint, healthy = data["endpoint"], data["healthy"]
            if not isinstance(endpoint, str) or not isinstance(healthy, bool):
                raise ValueError
            feed = _feed_check(data.get("feed"))
        except (ValueError, KeyError, TypeError):
            return _error(400, "heartbeat body must be {endpoint: URL, healthy: bool, feed?: {cursor: string or "
                               "null, news: bool}}")
        try:
            endpoint = self.endpoints.check(endpoint)
            if endpoint != node.endpoint:
                await self.endpoints.check_resolved(endpoint)
        except InvalidInput as exc:
            log.warning("heartbeat of %s refused: %s", node.code, exc)
            return _error(400, str(exc))
        _, cursor = await asyncio.gather(self.registry.record_heartbeat(node, endpoint, healthy),
                                         self.on_feed(node.code, feed))  # each written with the window's others
        if self.on_heard(node.code) or node.called_at is None or endpoint != node.endpoint:
            self.on_poke(node.code)  # a node just enrolled, moved or back: find out now whether the hub can call it
        return JSONResponse({"ok": True, "feedCursor": cursor})

    async def poke(self, request: Request) -> Response:
        """A node has news in its change feed: pull it now rather than at the next round."""
        signed = await self._signed(request)
        if isinstance(signed, Response):
            return signed
        self.on_poke(signed[0].code)
        return JSONResponse({"ok": True})


def _feed_check(given: object) -> FeedCheck | None:
    """A heartbeat's `feed` ({cursor, news}) as sent, or None when it has none; ValueError when malformed."""
    if given is None:
        return None
    if not isinstance(given, dict) or given.keys() != {"cursor", "news"}:
        raise ValueError
    cursor, news = given["cursor"], given["news"]
    if not (cursor is None or isinstance(cursor, str) and len(cursor) <= 1000) or not isinstance(news, bool):
        raise ValueError
    return FeedCheck(cursor, news)
