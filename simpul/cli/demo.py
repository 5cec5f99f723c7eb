"""`simpul demo`: a hub and a demo federation of Kalimantan desks, as separate processes.

Every node enrols through the real flow (a one-time token, then a signed
heartbeat), and the reports drawn from the seed stories are entered through
each desk's own HTTP endpoints, as a desk officer would.
"""

from __future__ import annotations

import asyncio
import queue
import secrets
import shutil
import signal
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import aiohttp
import asyncpg

from hub.access.keys import issue_key
from hub.access.policy import INTEGRATOR_OPERATIONS
from hub.access.principal import Principal, Role
from hub.access.users import create_user
from hub.coverage.register import declare_unit
from hub.db.migrate import migrate_hub
from hub.nodes.enrolment import create_token
from hub.settings import SCHEMA
from simpul.cli.demo_data import DemoData, DemoReport, DemoUnit
from simpul.db.embedded import embedded_postgres
from simpul.processes import ChildProcess, ProcessFailed
from simpul.wire import NodeIdentity

EXAMPLES = (
    ("Every node of Kalimantan Timur, whether the hub can call it, and how fresh its part of the index is",
     '{ nodes(filter: {regionPrefix: "64"}) { code name level reachable lastHeartbeat indexAsOf } }'),
    ("The newest reports of the whole federation, five per page, each once, at the unit holding it",
     "{ reports(first: 5) { reports { id node trackingNumber title status receivedAt }\n"
     "    pageInfo { hasNextPage endCursor } coverage { asked source asOf stale { node lagSeconds reason } } } }"),
    ("Reports about Kaltara by status (14: 8 completed, 6 in process)",
     '{ stats(groupBy: [STATUS], filter: {regionPrefix: "65"}) { total buckets { status count } } }'),
    ("Connection coverage of Kaltara: its governments and nine OPDs, and which are not connected",
     '{ coverage(regionPrefix: "65") { region { expected connected share notConnected { name } } } }'),
    ("National figures: complete while a desk is down, which is then named stale (after 30 s)",
     "{ stats(groupBy: [STATUS]) { total buckets { status count }\n"
     "    coverage { asOf stale { node lagSeconds reason } } } }"),
)
# The reference portal (examples/portal), served on its own origin, which the demo hub allows (CORS).
PORTAL_ORIGIN = "http://127.0.0.1:8080"
PORTAL_COMMAND = "python3 -m http.server 8080 --bind 127.0.0.1 --directory examples/portal"
PORTAL_REGION = "64"
NODE_STOPPED = "node {code} {name} stopped: {status}; its log is {log}. The hub and the other desks keep running."
HUB_STOPPED = "the hub stopped: {status}; the demo cannot go on without it. Its log is {log}:\n{tail}"


@dataclass(frozen=True)
class DemoAccess:
    tokens: dict[str, str]  # node code -> enrolment token
    supervisor_key: str  # national, read-only: for GraphiQL
    admin_password: str  # of the national admin user "admin"
    portal_key: str  # Kaltim's counts only (`stats`): for examples/portal, which publishes it


async def _access(database_url: str, nodes: tuple[NodeIdentity, ...], units: tuple[DemoUnit, ...]) -> DemoAccess:
    """Enrolment tokens, a read-only key for GraphiQL and an admin login, made as the CLI makes them; the units
    that should be connected, declared as an admin declares them."""
    await migrate_hub(database_url)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        demo = Principal(role=Role.ADMIN, name="demo")
        tokens = {n.code: (await create_token(conn, demo, n.region_code, timedelta(hours=1), f"demo {n.code}",
                                              categories=n.categories, level=n.level)).token
                  for n in nodes}
        _, key = await issue_key(conn, demo, Role.SUPERVISOR, "demo GraphiQL", "", None, frozenset())
        _, portal_key = await issue_key(conn, demo, Role.INTEGRATOR, "demo portal Kaltim", PORTAL_REGION, ["stats"],
                                        INTEGRATOR_OPERATIONS, published=True)
        password = secrets.token_urlsafe(12)
        await create_user(conn, demo, "admin", "Admin nasional (demo)", Role.ADMIN, "", password)
        for unit in units:
            await declare_unit(conn, demo, unit.declaration, require_sk=False)
        return DemoAccess(tokens, key, password, portal_key)
    finally:
        await conn.close()


async def _enter(session: aiohttp.ClientSession, desk_url: str, operator_key: str, report: DemoReport) -> None:
    """Enter one report at its desk, then walk it through its steps."""
    auth = {"authorization": f"Bearer {operator_key}"}
    async with session.post(f"{desk_url}/reports", json=report.desk_form(), headers=auth) as response:
        created = await response.json()
        if response.status != 201:
            raise ProcessFailed(f"demo report refused by {report.node}: {created}")
    local_id = created["id"].split(":", 1)[1]
    for step in report.steps:
        at = report.received_at + timedelta(days=step.days_after)
        change = {"status": step.status, "note": step.note, "at": at.isoformat(), "actor": "admin"}
        async with session.post(f"{desk_url}/reports/{local_id}/status", json=change, headers=auth) as response:
            if response.status != 200:
                raise ProcessFailed(f"demo step refused by {report.node}: {await response.text()}")


async def _seed(desks: dict[str, str], operator_key: str, reports: tuple[DemoReport, ...]) -> None:
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(_enter(session, desks[r.node], operator_key, r) for r in reports))


async def _tracked(session: aiohttp.ClientSession, hub_url: str, key: str, tracking: str) -> dict[str, Any]:
    """The report as tracking shows it, asked with the demo's supervisor key: polling as the public would spend
    the 30 calls a minute that the reporter (and the test of the demo) has from this same address."""
    query = "query T($tn: String!) { trackReport(trackingNumber: $tn) { status holder routing } }"
    async with session.post(f"{hub_url}/graphql", json={"query": query, "variables": {"tn": tracking}},
                            headers={"authorization": f"Bearer {key}"}) as response:
        body = await response.json()
    if body.get("errors"):
        raise ProcessFailed(f"the hub refused to track {tracking}: {body['errors'][0].get('message')}")
    return (body.get("data") or {}).get("trackReport") or {}


async def _until(session: aiohttp.ClientSession, hub_url: str, key: str, tracking: str, **expected: str) -> None:
    """Wait until the hub's ledger shows `expected` for the report (the hub pulls on each poke)."""
    for _ in range(150):
        track = await _tracked(session, hub_url, key, tracking)
        if all(track.get(k) == v for k, v in expected.items()):
            return
        await asyncio.sleep(0.2)
    raise ProcessFailed(f"report {tracking} did not reach {expected}; the hub shows {track}")


async def _wrong_door(hub_url: str, key: str, desks: dict[str, str], operator_key: str, report: DemoReport,
                      handler: str) -> str:
    """A Kutai Timur clinic complaint entered at the Kaltara desk reaches Kutai Timur and is answered."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{desks[report.node]}/reports", json=report.desk_form()) as response:
            tracking: str = (await response.json())["trackingNumber"]
        await _until(session, hub_url, key, tracking, holder=handler, routing="HELD")
        auth = {"authorization": f"Bearer {operator_key}"}
        for step in report.steps:
            async with session.post(f"{desks[handler]}/reports/{tracking}/status", headers=auth,
                                    json={"status": step.status, "note": step.note, "actor": "admin"}) as response:
                if response.status != 200:
                    raise ProcessFailed(f"{handler} refused {step.status}: {await response.text()}")
        await _until(session, hub_url, key, tracking, status="COMPLETED")
    return tracking


def _banner(hub_url: str, desks: dict[str, str], tracking: str, access: DemoAccess, data_dir: Path) -> str:
    lines = ["", "simpul demo federation is running.", "",
             f"  GraphiQL:  {hub_url}/graphql",
             "  In GraphiQL's Headers tab (a national supervisor key: reads everything, changes nothing):",
             f'    {{"Authorization": "Bearer {access.supervisor_key}"}}',
             f'  Admin login: mutation {{ login(username: "admin", password: "{access.admin_password}") {{ token }} }}',
             f"  Dashboard: {hub_url}/dashboard  (log in as admin with the password above)",
             ""]
    lines += [f"  desk {code:<10} {url}/  (public complaint form)" for code, url in desks.items()]
    lines += ["", "A province's portal on its own origin (examples/portal/README.md), in another terminal:",
              f"  {PORTAL_COMMAND}",
              f"  then open {PORTAL_ORIGIN}/#hub={hub_url}&key={access.portal_key}"]
    lines += ["", "Join a node of your own (each kind's README, e.g. connectors/sql/README.md, \"On the demo\"):",
              f"  simpul token create --data-dir {data_dir} --region 64.08 --level UNIT --categories jalan",
              f"  simpul node <kind> --config <file> --hub-url {hub_url} --token <the token>"]
    lines += ["", "Try these in GraphiQL:"]
    track = (f'{{ trackReport(trackingNumber: "{tracking}") {{ status holder\n'
             "    timeline { at event node status note } } }")
    for title, query in (*EXAMPLES, ("The wrong-door report, as its reporter tracks it", track)):
        lines += ["", f"  # {title}", *("  " + line for line in query.splitlines())]
    lines += ["", "Ctrl-C stops everything."]
    return "\n".join(lines)


def _serve(hub: ChildProcess, nodes: dict[ChildProcess, NodeIdentity], ended: queue.Queue[ChildProcess]) -> NoReturn:
    """Run until Ctrl-C. A desk that ends is named and the federation goes on without it, as a real one
    goes on without an unreachable unit; the hub is essential, so its end ends the demo."""
    while True:
        child = ended.get()
        if child is hub:
            raise ProcessFailed(HUB_STOPPED.format(status=hub.exit_status, log=hub.log_path, tail=hub.output[-2000:]))
        node = nodes[child]
        print(NODE_STOPPED.format(code=node.code, name=node.name, status=child.exit_status, log=child.log_path),
              flush=True)


def run_demo(port: int, data_dir: Path, logging_env: dict[str, str]) -> None:
    """Start PostgreSQL, the hub and every demo node; seed; run until Ctrl-C. The children log as
    `logging_env` (SIMPUL_LOG_LEVEL, SIMPUL_LOG_FORMAT) says: as the demo was told to."""
    data = DemoData.load()
    shutil.rmtree(data_dir, ignore_errors=True)
    logs = data_dir / "logs"
    logs.mkdir(parents=True)
    operator_key = secrets.token_urlsafe(16)
    # Ctrl-C must stop the demo even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    children: list[ChildProcess] = []
    nodes: dict[ChildProcess, NodeIdentity] = {}
    ended: queue.Queue[ChildProcess] = queue.Queue()
    with embedded_postgres(data_dir) as database_url:
        try:
            print(f"starting the hub on 127.0.0.1:{port} (logs in {logs})", flush=True)
            hub = ChildProcess(["hub", "--port", str(port), "--database-url", database_url,
                                "--data-dir", str(data_dir), "--cors-origins", PORTAL_ORIGIN],
                               env=logging_env, log_path=logs / "hub.log",
                               on_exit=ended.put)
            children.append(hub)
            hub_url = hub.wait_for(r"hub listening on (http://\S+)")[1]
            access = asyncio.run(_access(database_url, data.nodes, data.declared_units))
            desks: dict[str, str] = {}
            for node in data.nodes:
                args = ["node", "desk", "--code", node.code, "--name", node.name, "--level", node.level.value,
                        "--region", node.region_code, "--categories", ",".join(node.categories),
                        "--hub-url", hub_url, "--token", access.tokens[node.code], "--database-url", database_url,
                        "--data-dir", str(data_dir), "--heartbeat", "5"]
                if node.parent_code:
                    args += ["--parent", node.parent_code]
                desk = ChildProcess(args, env={**logging_env, "SIMPUL_DESK_OPERATOR_KEY": operator_key},
                                    log_path=logs / f"node-{node.code}.log", on_exit=ended.put)
                children.append(desk)
                nodes[desk] = node
                desks[node.code] = desk.wait_for(r"serving on (http://\S+)")[1]
                print(f"  node {node.code:<10} enrolled  {node.name}", flush=True)
            asyncio.run(_seed(desks, operator_key, data.reports))
            print(f"  {len(data.reports)} reports entered at their desks", flush=True)
            print(f"  {len(data.declared_units)} OPDs declared as units that should be connected; the ones without "
                  "a desk lower Kaltara's connection coverage", flush=True)
            tracking = asyncio.run(_wrong_door(hub_url, access.supervisor_key, desks, operator_key, data.wrong_door,
                                               data.handler))
            print(f"  wrong door: a Kutai Timur clinic complaint entered at the Kaltara desk went to {data.handler},\n"
                  f"  was followed up there, and its reporter tracks it as {tracking}", flush=True)
            print(_banner(hub_url, desks, tracking, access, data_dir), flush=True)
            _serve(hub, nodes, ended)
        except KeyboardInterrupt:
            print("\nstopping the demo federation ...", flush=True)
        finally:
            for child in reversed(children):
                child.stop()
    print("demo stopped; nothing left running.", flush=True)
