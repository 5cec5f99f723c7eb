"""Real processes for tests: a hub and desk nodes on free 127.0.0.1 ports.

Each process is the `simpul` command itself, started the way a user starts
it; tests reach them only over HTTP, GraphQL and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.hublink import Credentials
from hub.access.keys import issue_key
from hub.access.policy import INTEGRATOR_OPERATIONS
from hub.access.principal import Principal, Role
from hub.db.migrate import migrate_hub
from hub.nodes.enrolment import create_token as issue_token
from hub.settings import SCHEMA
from simpul import setting
from simpul.cli.access_command import cli_principal
from simpul.processes import ChildProcess
from simpul.signing import TO_HUB, TO_NODE, private_key, public_key_bytes, sign
from simpul.wire import NodeLevel


def postgres_serving(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL server processes running on the data folder `pgdata`."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(pgdata) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "simpul", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, input=input)


def create_token(database_url: str, region: str | None = None, ttl: str = "1d", node: str | None = None,
                 categories: Sequence[str] = (), level: str | None = None) -> str:
    """A token enrolling a node in `region`, or renewing the secret of `node`, granting `categories` (a renewal:
    also the node's own) and binding `level` when given: issued straight into the hub's database as `simpul token
    create` does (the command itself is tested in test_enrolment), since a process per desk cost the suite a
    Python start each."""
    async def issue() -> str:
        await migrate_hub(database_url)
        conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
        try:
            issued = await issue_token(conn, cli_principal(), None if node else region or "", setting.duration(ttl),
                                       None, node, list(categories) or None, NodeLevel(level) if level else None)
        finally:
            await conn.close()
        return issued.token

    with ThreadPoolExecutor(1) as thread:  # a caller may be inside a running event loop
        return thread.submit(asyncio.run, issue()).result()


@dataclass
class Hub:
    process: ChildProcess
    url: str
    database_url: str

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"


@dataclass
class Desk:
    process: ChildProcess
    url: str
    code: str
    region: str
    operator_key: str
    data_dir: Path
    level: str
    parent: str | None = None


# Every hub a test starts on one database is one hub (a replica, or the same hub again): it reads the key file
# the first one made, as replicas share one Kubernetes Secret. Tests sign as a hub with the key a desk pinned.
_HUB_KEY_FILES: dict[str, Path] = {}
_HUB_KEYS: dict[str, Ed25519PrivateKey] = {}


def start_hub(database_url: str, data_dir: Path, *extra: str) -> Hub:
    key_file = _HUB_KEY_FILES.setdefault(database_url, data_dir / "hub.key")
    key_args = [] if "--hub-key-file" in extra else ["--hub-key-file", str(key_file)]
    process = ChildProcess(["hub", "--port", "0", "--database-url", database_url, "--data-dir", str(data_dir),
                            "--pull-interval", "0.5", "--backoff-base", "0.2", "--backoff-cap", "1",
                            "--node-timeout", "2", "--deadline", "4", "--heartbeat-grace", "3",
                            "--rate-public", "100000/minute", *key_args, *extra])
    url = process.wait_for(r"hub listening on (http://\S+)")[1]
    hub = Hub(process, url, database_url)
    _HUBS[hub.graphql_url] = hub
    if key_args:
        key = private_key(key_file.read_text().strip())
        _HUB_KEYS[public_key_bytes(key).hex()] = key
    return hub


def hub_key_file(hub: Hub) -> Path:
    """The key file of the hub (and of every hub on its database), for a command that calls nodes as the hub."""
    return _HUB_KEY_FILES[hub.database_url]


def desk_credentials(desk: Desk) -> Credentials:
    """What the desk keeps in its credentials file: its private key and the hub key it pinned."""
    credentials = Credentials.load(desk.data_dir / "nodes" / desk.code / "credentials.json")
    assert credentials is not None, "node is not enrolled"
    return credentials


def as_hub(credentials: Credentials, method: str, target: str, body: bytes) -> dict[str, str]:
    """Signature headers of a call from the hub that node pinned, as that hub signs it."""
    assert credentials.hub_public_key is not None, "node has not pinned a hub key"
    return sign(_HUB_KEYS[credentials.hub_public_key], TO_NODE, credentials.code, method, target, body)


def as_node(credentials: Credentials, method: str, target: str, body: bytes) -> dict[str, str]:
    """Signature headers of a request from the node itself, signed with its private key."""
    return sign(credentials.key, TO_HUB, credentials.code, method, target, body)


# Tests speak to a hub they started as its national admin unless they say otherwise: graphql() makes the key on
# first use. A hub that has stopped is forgotten there: another hub (the demo's) may later get its port.
_HUBS: dict[str, Hub] = {}
_NATIONAL_KEYS: dict[tuple[str, str], str] = {}


async def create_key(database_url: str, role: str = "admin", region: str = "",
                     operations: list[str] | None = None, name: str | None = None, published: bool = False) -> str:
    """An API key issued straight into the hub's database, as `simpul key create` does."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "hub"})
    try:
        cli = Principal(role=Role.ADMIN, name="tests")
        _, secret = await issue_key(conn, cli, Role(role.upper()), name or f"{role} {region or 'national'}",
                                    region, operations, INTEGRATOR_OPERATIONS, published)
    finally:
        await conn.close()
    return secret


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def national_admin(url: str) -> dict[str, str]:
    """Headers of the national admin of the hub at GraphQL address `url` (made once per hub)."""
    hub = (url, _HUBS[url].database_url)  # a later test's hub may get the same port, never the same database
    if hub not in _NATIONAL_KEYS:
        _NATIONAL_KEYS[hub] = await create_key(hub[1])
    return bearer(_NATIONAL_KEYS[hub])


def desk_args(
    hub: Hub, data_dir: Path, code: str, region: str, level: str, token: str | None,
    parent: str | None = None, name: str | None = None,
) -> list[str]:
    """`simpul node desk ...` arguments for a test desk; --token only when one is given."""
    args = ["node", "desk", "--code", code, "--name", name or f"Desk {code}", "--level", level,
            "--region", region, "--hub-url", hub.url, "--database-url", hub.database_url,
            "--data-dir", str(data_dir), "--heartbeat", "0.5", "--port", "0"]
    if parent:
        args += ["--parent", parent]
    if token is not None:
        args += ["--token", token]
    return args


def start_desk(
    hub: Hub,
    data_dir: Path,
    code: str,
    region: str,
    level: str,
    token: str | None = None,
    parent: str | None = None,
    name: str | None = None,
    extra: Sequence[str] = (),
) -> Desk:
    """Start a desk node, enrolling it with a fresh token for its region unless one is given."""
    operator_key = secrets.token_urlsafe(16)
    token = token or create_token(hub.database_url, region, level=level)
    args = [*desk_args(hub, data_dir, code, region, level, token, parent, name), *extra]
    process = ChildProcess(args, env={"SIMPUL_DESK_OPERATOR_KEY": operator_key})
    url = process.wait_for(r"node \S+ serving on (http://\S+)")[1]
    return Desk(process, url, code, region, operator_key, data_dir, level, parent)


def refused_desk(
    hub: Hub, data_dir: Path, code: str, region: str, level: str, token: str, parent: str | None = None
) -> str:
    """Start a desk that must fail to enrol; return its one error line."""
    args = desk_args(hub, data_dir, code, region, level, token, parent)
    try:
        result = run_cli(*args, timeout=20)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"node {code} kept running although its enrolment should be refused") from exc
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "serving on" not in result.stdout, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("simpul: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def restart_desk(hub: Hub, desk: Desk, same_port: bool = False) -> Desk:
    """The same node started again after a stop or a crash: no token, its stored credentials."""
    args = desk_args(hub, desk.data_dir, desk.code, desk.region, desk.level, None, desk.parent)
    if same_port:
        args += ["--port", desk.url.rsplit(":", 1)[1]]
    process = ChildProcess(args, env={"SIMPUL_DESK_OPERATOR_KEY": desk.operator_key})
    url = process.wait_for(r"node \S+ serving on (http://\S+)")[1]
    return replace(desk, process=process, url=url)


@dataclass
class Federation:
    hub: Hub
    desks: dict[str, Desk] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the desks side by side (each waits for its graceful exit), then the hub."""
        with ThreadPoolExecutor() as stopping:
            list(stopping.map(lambda desk: desk.process.stop(), self.desks.values()))
        self.hub.process.stop()

    def __enter__(self) -> Federation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Leaving a `with` block stops every process the federation holds then, however the block ended."""
        self.stop()


def start_federation(database_url: str, data_dir: Path) -> Federation:
    """A hub and three desks: Kaltara (65), Kaltim (64) and Kutai Timur (64.08) under Kaltim."""
    running = Federation(start_hub(database_url, data_dir))

    def kaltim() -> None:  # Kutai Timur enrols under Kaltim, so after it
        running.desks["64"] = start_desk(running.hub, data_dir, "64", "64", "PROVINSI")
        running.desks["64.08"] = start_desk(running.hub, data_dir, "64.08", "64.08", "KABKOTA", parent="64")

    def kaltara() -> None:
        running.desks["65"] = start_desk(running.hub, data_dir, "65", "65", "PROVINSI")

    try:
        with ThreadPoolExecutor() as starting:  # side by side: a desk's start is mostly waiting
            for started in [starting.submit(kaltara), starting.submit(kaltim)]:
                started.result()
    except BaseException:
        running.stop()
        raise
    return running


def start_desks(federation: Federation, data_dir: Path, levels: dict[str, str], named: str = "Desk") -> None:
    """Start a desk for each code (its own region) at its level side by side, named `named` and the code; every
    desk that started is in `federation.desks`, for stop(), before the first that did not start fails the caller."""
    with ThreadPoolExecutor() as starting:
        futures = [starting.submit(start_desk, federation.hub, data_dir, code, code, level, name=f"{named} {code}")
                   for code, level in levels.items()]
    federation.desks.update({f.result().code: f.result() for f in futures if f.exception() is None})
    for future in futures:
        future.result()


async def graphql(
    session: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request; return the whole response body. To a hub a test started, without
    `headers`, it goes as that hub's national admin; `headers={}` sends it as the public."""
    if headers is None:
        started = _HUBS.get(url)
        headers = await national_admin(url) if started is not None and started.process.running else {}
    async with session.post(url, json={"query": query, "variables": variables or {}}, headers=headers) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def all_pages(session: aiohttp.ClientSession, hub: Hub, query: str, first: int,
                    **variables: Any) -> list[dict[str, Any]]:
    """Every report `query` lists (a `reports` page with its pageInfo), read page after page of at most `first`."""
    reports: list[dict[str, Any]] = []
    after = None
    while True:
        body = await graphql(session, hub.graphql_url, query, {"first": first, "after": after, **variables})
        assert "errors" not in body, body
        page = body["data"]["reports"]
        assert len(page["reports"]) <= first
        reports += page["reports"]
        if not page["pageInfo"]["hasNextPage"]:
            return reports
        after = page["pageInfo"]["endCursor"]


async def hub_ok(session: aiohttp.ClientSession, fed: Federation, query: str,
                 variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The data of a request to the federation's hub that must succeed (as its national admin unless told)."""
    body = await graphql(session, fed.hub.graphql_url, query, variables, headers=headers)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def submit(
    session: aiohttp.ClientSession, desk: Desk, as_operator: bool = False, **fields: Any
) -> dict[str, Any]:
    """Enter a report at a desk over its HTTP form endpoint; return its id and tracking number."""
    report = {"kind": "PENGADUAN", "title": "Jalan rusak", "body": "Jalan berlubang di depan sekolah.",
              "category": "infrastruktur", **fields}
    headers = {"authorization": f"Bearer {desk.operator_key}"} if as_operator else {}
    async with session.post(desk.url + "/reports", json=report, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
        return body


async def node_graphql(
    session: aiohttp.ClientSession, desk: Desk, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call a node's contract as the hub does: signed with the hub's key."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {**as_hub(desk_credentials(desk), "POST", "/graphql", body), "content-type": "application/json"}
    async with session.post(desk.url + "/graphql", data=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout}s; last: {last}")


async def scrape(session: aiohttp.ClientSession, hub_url: str, token: str | None = None) -> dict[str, float]:
    """Every sample of the hub's /metrics: `name{label="value",...}` (labels sorted, as the client writes them)
    -> value."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with session.get(hub_url + "/metrics", headers=headers) as response:
        assert response.status == 200, await response.text()
        text = await response.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples
