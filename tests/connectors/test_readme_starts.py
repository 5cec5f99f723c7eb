"""Every kind's README starts its node as written: the README's own `simpul node <kind>` line, run in a folder
holding the kind's example config, with only what differs on this machine filled in (the hub's address, a real
enrolment token made as the README says, a free port, the outside system's address and secret). Each node
enrols under the hub and the hub can read it.

The desk's README node (Kutai Timur, 64.08) starts first: it is the `parent` the other examples name. sql's
step-by-step and demo commands run in tests/connectors/sql/test_sql_join.py.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from simpul.processes import ChildProcess
from tests.connectors.hub.conftest import admin_key
from tests.connectors.open311.conftest import API_KEY, FakeOpen311, fake_process  # noqa: F401 (the fake's fixture)
from tests.connectors.rest.conftest import (  # noqa: F401 (the fake's fixture)
    TOKEN,
    TOKEN_ENV,
    FakeAgency,
    fake_agency_url,
)
from tests.connectors.sms.conftest import GATEWAY_TOKEN, start_gateway
from tests.databases import connection, fresh_database
from tests.federation import Hub, create_token, graphql, start_hub

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
# Flags a reader sets for their own machine, and what they are here (None: left out, as its default serves).
MACHINE = {"--host": "127.0.0.1", "--port": "0", "--public-url": None}
LIVE = "query($code: String!) { reports(first: 5, live: true, scope: {nodeCodes: [$code]}) { reports { id } } }"


@dataclass(frozen=True)
class Start:
    """A README's start command: the environment it sets and the arguments after `simpul`."""

    env: dict[str, str]
    args: list[str]

    def flag(self, name: str) -> str | None:
        return self.args[self.args.index(name) + 1] if name in self.args else None


def readme_start(kind: str) -> Start:
    """The first `simpul node <kind>` command line of the kind's README (continuations joined), not a comment
    and not inline prose."""
    text = (CONNECTORS / kind / "README.md").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(rf"([A-Z0-9_]+=\S+ +)*simpul node {kind}\b", stripped):
            words = shlex.split(re.sub(r"<[^>]*>", "PLACEHOLDER", stripped))  # <enrolment token>: one word
            at = words.index("simpul")
            return Start(dict(w.split("=", 1) for w in words[:at]), words[at + 1:])
    raise AssertionError(f"connectors/{kind}/README.md shows no `simpul node {kind}` command")


def as_here(start: Start, folder: Path, values: dict[str, str | None]) -> list[str]:
    """The command's arguments with each flag in `values` (and MACHINE) given this machine's value; the node's
    state goes in `folder`, never where the README keeps it on a server."""
    values = {**MACHINE, "--data-dir": str(folder / "node"), **values}
    if "--data-dir" not in start.args:
        start = Start(start.env, [*start.args, "--data-dir", "given"])
    args: list[str] = []
    words = iter(start.args)
    for word in words:
        if word in values:
            next(words)
            if values[word] is not None:
                args += [word, str(values[word])]
        else:
            args.append(word)
    return args


def example(kind: str, folder: Path, start: Start, hub: Hub, **replace: str) -> dict[str, object]:
    """The kind's example config copied where the command reads it, its `[node] hub_url` pointed at this hub
    (unless the command names one) and each `replace`d text given this machine's; its parsed content."""
    text = (CONNECTORS / kind / "example.toml").read_text()
    for old, new in replace.items():
        assert old in text, f"connectors/{kind}/example.toml has no {old!r}"
        text = text.replace(old, new)
    text = re.sub(r'(?m)^hub_url = ".*"$', f'hub_url = "{hub.url}"', text)
    config = start.flag("--config")
    assert config is not None, f"the {kind} README's command names no --config"
    (folder / config).write_text(text)
    return tomllib.loads(text)


@contextmanager
def started_as_written(kind: str, folder: Path, hub: Hub, env: dict[str, str], **replace: str) -> Iterator[Node]:
    """The kind's README command, run in `folder` beside its example config (`replace`d for this machine), enrolled
    with `hub`; stopped after."""
    start = readme_start(kind)
    node = example(kind, folder, start, hub, **replace)["node"]
    assert isinstance(node, dict)
    process = ChildProcess(as_here(start, folder, {"--hub-url": hub.url, "--token": token_for(hub, node)}),
                           env={**start.env, **env}, cwd=folder)
    try:
        url = process.wait_for(rf"node {re.escape(str(node['code']))} serving on (http://\S+)")[1]
        yield Node(str(node["code"]), url, start)
    finally:
        process.stop()


@dataclass(frozen=True)
class Node:
    code: str
    url: str
    start: Start  # the README's command it was started by


def token_for(hub: Hub, node: dict[str, object]) -> str:
    """The enrolment token the README has the hub's admin make for the example's [node]."""
    categories = node.get("categories") or []
    assert isinstance(categories, list)
    return create_token(hub.database_url, str(node["region"]), categories=categories, level=str(node["level"]))


@pytest.fixture(scope="module")
def readme_hub(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub, with the desk README's node (Kutai Timur, 64.08) enrolled as that README starts it."""
    hub = start_hub(module_database, tmp_path_factory.mktemp("hub"))
    folder = tmp_path_factory.mktemp("desk")
    start = readme_start("desk")
    token = create_token(hub.database_url, "64.08", categories=("kesehatan", "infrastruktur"), level="KABKOTA")
    desk = ChildProcess(as_here(start, folder, {"--hub-url": hub.url, "--token": token}),
                        env={**start.env, "DATABASE_URL": module_database}, cwd=folder)
    try:
        desk.wait_for(r"node 64\.08 serving on http://")
        yield hub
    finally:
        desk.stop()
        hub.process.stop()


async def _serves(session: aiohttp.ClientSession, hub: Hub, code: str) -> None:
    """The hub lists the node and reads it now without an error."""
    body = await graphql(session, hub.graphql_url, "{ nodes { code status } }")
    assert code in [n["code"] for n in body["data"]["nodes"]], body
    body = await graphql(session, hub.graphql_url, LIVE, {"code": code})
    assert "errors" not in body, body


@pytest.mark.parametrize("kind", ["desk", "sql", "rest", "open311", "sms", "hub"])
def test_the_readme_shows_how_to_set_where_the_node_listens_and_keeps_its_state(kind: str) -> None:
    text = (CONNECTORS / kind / "README.md").read_text()
    for flag in ("--token", "--host", "--port", "--public-url", "--data-dir"):
        assert flag in text, f"connectors/{kind}/README.md never mentions {flag}"
    assert readme_start(kind).flag("--token") is not None


async def test_the_desk_starts_as_its_readme_says(readme_hub: Hub, session: aiohttp.ClientSession) -> None:
    await _serves(session, readme_hub, "64.08")


async def test_the_sql_node_starts_as_its_readme_says_on_the_readmes_schema(
    readme_hub: Hub, pg_server: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    readme = (CONNECTORS / "sql" / "README.md").read_text()
    ddl = readme.split("## Example: SIPP", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    async with fresh_database(pg_server, "simpul_sipp") as agency:
        async with connection(agency) as conn:
            await conn.execute(ddl)
        with started_as_written("sql", tmp_path, readme_hub, {"SIPP_DATABASE_URL": agency}) as node:
            await _serves(session, readme_hub, node.code)


async def test_the_open311_node_starts_as_its_readme_says(
    readme_hub: Hub, request: pytest.FixtureRequest, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    fake: FakeOpen311 = request.getfixturevalue("fake_process")
    await fake.reset()
    try:
        with started_as_written("open311", tmp_path, readme_hub, {"KUTIM_OPEN311_KEY": API_KEY},
                                **{"https://lapor.kutaitimurkab.go.id/open311/v2": fake.url}) as node:
            await _serves(session, readme_hub, node.code)
    finally:
        await fake.close()


async def test_the_rest_node_starts_as_its_readme_says(
    readme_hub: Hub, request: pytest.FixtureRequest, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    agency = FakeAgency(request.getfixturevalue("fake_agency_url"), session)
    await agency.reset()
    with started_as_written("rest", tmp_path, readme_hub, {TOKEN_ENV: TOKEN},
                            **{"https://sipakar.kutaitimurkab.go.id/api/v1": agency.api_url}) as node:
        await _serves(session, readme_hub, node.code)


async def test_the_sms_node_starts_as_its_readme_says(
    readme_hub: Hub, module_database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    gateway = start_gateway()
    env = {"SIMPUL_SMS_SECRET": "rahasia-gateway", "SIMPUL_SMS_GATEWAY_KEY": GATEWAY_TOKEN,
           "DATABASE_URL": module_database}
    try:
        with started_as_written("sms", tmp_path, readme_hub, env,
                                **{"https://gateway.example.co.id": gateway.url}) as node:
            assert set(node.start.env) == {"SIMPUL_SMS_SECRET", "SIMPUL_SMS_GATEWAY_KEY"}
            await _serves(session, readme_hub, node.code)
            sms = {"id": "m-1", "from": "081234567890", "text": "LAPORKALTARA Jalan rusak di Tanjung Selor"}
            async with session.post(node.url + "/sms/inbound", data=sms,
                                    headers={"X-Gateway-Secret": "rahasia-gateway"}) as response:
                answer = await response.json()
            assert (response.status, answer["replySent"]) == (200, True), answer
    finally:
        gateway.stop()


@pytest.fixture
async def child_hub(pg_server: str, tmp_path: Path) -> AsyncIterator[tuple[Hub, str]]:
    """The Kaltim hub on its own database, and the national admin key the README has its admin make."""
    async with fresh_database(pg_server, "simpul_kaltim") as database:
        hub = start_hub(database, tmp_path / "kaltim")
        try:
            yield hub, admin_key(database)
        finally:
            hub.process.stop()


async def test_a_child_hub_joins_as_its_readme_says(
    readme_hub: Hub, child_hub: tuple[Hub, str], tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    kaltim, key = child_hub
    with started_as_written("hub", tmp_path, readme_hub, {"KALTIM_HUB_ADMIN_KEY": key},
                            **{"http://hub.kaltimprov.go.id:8000": kaltim.url}) as node:
        assert set(node.start.env) == {"KALTIM_HUB_ADMIN_KEY"}
        await _serves(session, readme_hub, "64")
