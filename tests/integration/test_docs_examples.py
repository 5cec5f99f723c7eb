"""The docs tell the truth: their examples run, their commands parse, their links lead somewhere.

Every ```graphql block of docs/api.md and docs/getting-started.md starts with
a comment naming the role that runs it (`# admin: ...`); a ```json block right
under it is its variables. Each is validated against the hub's schema, then
run in document order, as that role, against a live hub and two desks, and
must answer without errors. A doc example that goes stale fails `make test`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import FieldNode, OperationDefinitionNode, OperationType, parse, validate
from graphql.execution.values import get_variable_values

from hub.access.policy import INTEGRATOR_OPERATIONS, POLICY
from hub.access.principal import Role
from hub.api.schema import hub_schema
from simpul.cli.main import build_parser
from tests.federation import (
    Desk,
    Hub,
    bearer,
    create_key,
    eventually,
    graphql,
    restart_desk,
    run_cli,
    start_desk,
    start_hub,
    submit,
)
from tests.graphql_ws import Subscription, registered

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLE_DOCS = ("getting-started.md", "api.md")  # run in this order: a reader's order
# connectors.md is left out: it runs a connector kind of the reader's own
COMMAND_DOCS = ("README.md", "getting-started.md", "concepts.md", "api.md", "operations.md", "observability.md",
                "dashboard.md", "open311.md", "graphql-http.md", "apollo-federation.md", "security.md")

# simpul run as another user (`sudo -u simpul simpul ...`); in a container it follows `--` (`kubectl exec ... --`).
AS_USER = {"sudo", "runuser", "systemd-run"}

ROLE = re.compile(r"#\s*(public|admin|supervisor|integrator)\s*:")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)

# The login the docs show for the national admin budi (getting-started.md, api.md).
BUDI_PASSWORD = "sandi-panjang-budi-2026"
# A report entered at Kutai Timur's desk first, as getting-started.md does: its id is fixed, its tracking number
# random (the examples' variables show one; the live one replaces it).
DESK_REPORT_ID = "64.08:1"


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    role: str
    text: str
    variables: dict[str, Any]

    @property
    def operation(self) -> OperationDefinitionNode:
        [operation] = [d for d in parse(self.text).definitions if isinstance(d, OperationDefinitionNode)]
        return operation

    @property
    def name(self) -> str:
        operation = self.operation
        return operation.name.value if operation.name else f"{self.doc}:{self.line}"

    def __str__(self) -> str:
        return f"{self.doc} line {self.line} ({self.name})"


def _fenced(path: Path) -> list[tuple[str, int, str, int]]:
    """(language, first line of the body, body, end offset) of every fenced block."""
    text = path.read_text("utf-8")
    return [(m[1], text.count("\n", 0, m.start(2)) + 1, m[2], m.end()) for m in FENCE.finditer(text)]


def examples(doc: str) -> list[Example]:
    path = DOCS / doc
    text = path.read_text("utf-8")
    blocks = _fenced(path)
    found = []
    for i, (language, line, body, end) in enumerate(blocks):
        if language != "graphql":
            continue
        role = ROLE.match(body)
        assert role, f"{doc} line {line}: a graphql example starts with '# <role>: ...' (public, admin, ...)"
        variables: dict[str, Any] = {}
        if i + 1 < len(blocks) and blocks[i + 1][0] == "json":
            following = FENCE.search(text, end)
            assert following is not None
            if not text[end:following.start()].strip():  # right under the example: its variables
                variables = json.loads(blocks[i + 1][2])
        found.append(Example(doc, line, role[1], body, variables))
    return found


ALL = [e for doc in EXAMPLE_DOCS if (DOCS / doc).exists() for e in examples(doc)]


def test_every_example_is_valid_names_a_role_the_policy_allows_and_has_good_variables() -> None:
    schema = hub_schema()._schema
    names = [e.name for e in ALL]
    assert len(names) == len(set(names)), "operation names must be unique across the examples"
    assert len(ALL) >= 25, "the API guide lost its examples"
    for example in ALL:
        document = parse(example.text)
        assert not validate(schema, document), (str(example), validate(schema, document))
        operation = example.operation
        coerced = get_variable_values(schema, operation.variable_definitions or (), example.variables)
        assert not isinstance(coerced, list), (str(example), coerced)
        role = Role(example.role.upper())
        for field in operation.selection_set.selections:
            assert isinstance(field, FieldNode), f"{example}: name root fields, no fragments"
            assert role in POLICY[field.name.value].roles, f"{example}: {example.role} may not use {field.name.value}"


# Values the docs cannot know (ids made while the examples run): (operation, variable) -> value from the run.
LIVE: dict[tuple[str, str], Callable[[World, dict[str, Any]], Any]] = {
    ("RemoveRule", "id"): lambda w, done: done["AddRule"]["addRoutingRule"]["id"],
    ("Revoke", "id"): lambda w, done: done["IssueKey"]["issueApiKey"]["key"]["id"],
    ("Retry", "deliveryId"): lambda w, done: w.dead_deliveries[0],
    ("Reroute", "tn"): lambda w, done: w.dead_tracking[1],
    ("MyTrack", "tn"): lambda w, done: w.desk_tracking,
    ("Track", "tn"): lambda w, done: w.desk_tracking,
    ("Reassign", "tn"): lambda w, done: w.desk_tracking,
    ("Chain", "tn"): lambda w, done: w.desk_tracking,
    ("Verify", "tn"): lambda w, done: w.desk_tracking,
}


def test_every_live_value_is_used_by_an_example() -> None:
    used = {(e.name, v) for e in ALL for v in e.variables}
    assert set(LIVE) <= used, set(LIVE) - used


@dataclass
class World:
    hub: Hub
    desks: dict[str, Desk]
    headers: dict[str, dict[str, str]]  # role -> headers
    dead_deliveries: list[int]
    dead_tracking: list[str]
    desk_tracking: str  # the desk report's random tracking number


@pytest.fixture(scope="module")
def running(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, dict[str, Desk]]]:
    """A hub that gives a delivery up after one attempt, Kaltim's desk and Kutai Timur's under it."""
    data_dir = tmp_path_factory.mktemp("docs")
    hub = start_hub(module_database, data_dir, "--delivery-max-attempts", "1")
    desks: dict[str, Desk] = {}
    try:
        desks["64"] = start_desk(hub, data_dir, "64", "64", "PROVINSI", name="Pemprov Kalimantan Timur")
        desks["64.08"] = start_desk(hub, data_dir, "64.08", "64.08", "KABKOTA", parent="64",
                                    name="Pemkab Kutai Timur")
        yield hub, desks
    finally:
        for desk in desks.values():
            desk.process.stop()
        hub.process.stop()


@pytest.fixture(scope="module")
async def world(running: tuple[Hub, dict[str, Desk]]) -> World:
    """What the examples refer to: the desk report 64.08:1, two dead deliveries, budi, keys per role."""
    hub, desks = running
    db, url = hub.database_url, hub.graphql_url
    headers = {
        "public": {},
        "admin": bearer(await create_key(db, "admin", "64", name="Biro Organisasi Kaltim")),
        "supervisor": bearer(await create_key(db, "supervisor", "64", name="Ombudsman Kaltim")),
        "integrator": bearer(await create_key(db, "integrator", "64", sorted(INTEGRATOR_OPERATIONS),
                                              name="Portal Kaltim")),
    }
    made = run_cli("user", "create", "--username", "budi", "--name", "Budi, Kemenpan-RB", "--role", "admin",
                   "--region", "national", "--password-stdin", "--database-url", db, input=BUDI_PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        entered = await submit(session, desks["64.08"], title="Puskesmas tutup siang", category="kesehatan",
                               regionCode="64.08.04", body="Puskesmas Sangatta Utara tutup pukul 12.")
        assert entered["id"] == DESK_REPORT_ID
        desk_tracking = entered["trackingNumber"]

        # Two reports for Kaltim's desk while it is down: with one attempt allowed, both deliveries die.
        desks["64"].process.stop()
        dead = []
        for title in ("Izin usaha lambat", "Izin bangunan lambat"):
            body = await graphql(session, url, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                                 "{ trackingNumber routing { target } } }",
                                 {"r": {"kind": "PENGADUAN", "title": title, "body": "Sudah tiga bulan.",
                                        "category": "perizinan", "regionCode": "64.72"}}, headers={})
            assert body["data"]["submitReport"]["routing"]["target"] == "64", body
            dead.append(body["data"]["submitReport"]["trackingNumber"])

        async def dead_letters() -> list[dict[str, Any]] | None:
            body = await graphql(session, url, "{ deadLetters { deliveryId trackingNumber } }")
            letters: list[dict[str, Any]] = body["data"]["deadLetters"]
            return letters if len(letters) == 2 else None

        letters = {d["trackingNumber"]: d["deliveryId"] for d in await eventually(dead_letters)}
        desks["64"] = restart_desk(hub, desks["64"])

        async def all_answer() -> bool:
            body = await graphql(session, url, "{ reports(first: 1) { coverage { asked answered } } "
                                 f'trackReport(trackingNumber: "{desk_tracking}") {{ holder }} }}')
            coverage = body["data"]["reports"]["coverage"]
            return (not body.get("errors") and coverage == {"asked": 2, "answered": 2}
                    and body["data"]["trackReport"] is not None)

        await eventually(all_answer)
    return World(hub, desks, headers, [letters[t] for t in dead], dead, desk_tracking)


async def _subscribe_and_hear(session: aiohttp.ClientSession, world: World, example: Example) -> dict[str, Any]:
    """Open the subscription, make a report be forwarded in Kaltim, and return the first event heard."""
    await registered(session, world.hub.url, 0)  # the example before has ended its subscription
    subscription = await Subscription.open(session, world.hub.graphql_url, example.text, example.variables,
                                           headers=world.headers[example.role])
    try:
        await registered(session, world.hub.url, 1, or_ended=subscription)  # or refused, as some roles are
        await graphql(session, world.hub.graphql_url, "mutation($r: SubmitReportInput!) { submitReport(report: $r) "
                      "{ trackingNumber } }", {"r": {"kind": "ASPIRASI", "title": "Taman kota", "body": "Usul.",
                                                     "category": "lingkungan", "regionCode": "64.08"}}, headers={})
        messages = await subscription.wait_for(lambda s: s.messages if s.ended or s.data else None)
        return {"data": next((m["payload"].get("data") for m in messages if m["type"] == "next"), None),
                "errors": [e for m in messages if m["type"] == "error" for e in m["payload"]]
                + [e for m in messages if m["type"] == "next" for e in m["payload"].get("errors") or []]}
    finally:
        await subscription.close()


@pytest.mark.timeout(180)
async def test_every_example_runs_as_its_role_without_errors(world: World) -> None:
    done: dict[str, dict[str, Any]] = {}
    failed = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for example in ALL:
            variables = dict(example.variables)
            for (operation, name), live in LIVE.items():
                if operation == example.name:
                    variables[name] = live(world, done)
            if example.operation.operation is OperationType.SUBSCRIPTION:
                body = await _subscribe_and_hear(session, world, example)
            else:
                body = await graphql(session, world.hub.graphql_url, example.text, variables,
                                     headers=world.headers[example.role])
            data = body.get("data")
            if body.get("errors") or not data or any(value is None for value in data.values()):
                failed.append(f"{example}: {body}")
                continue
            done[example.name] = data
    assert not failed, "\n".join(failed)


def command_lines(doc: Path) -> Iterator[tuple[int, list[str]]]:
    """Every `simpul ...` command in the shell blocks of `doc`, as argument lists (line continuations joined)."""
    for language, line, body, _ in _fenced(doc):
        if language not in ("sh", "shell", "bash", "console"):
            continue
        for offset, command in enumerate(body.replace("\\\n", " ").splitlines()):
            try:
                words = shlex.split(command.removeprefix("$ "), comments=True)
            except ValueError:  # a quoted argument spanning lines, as in a curl -d body
                assert "simpul" not in command, f"{doc.name} line {line + offset}: cannot split {command!r}"
                continue
            segment: list[str] = []
            for word in [*words, "|"]:
                if word in ("|", "&&", ";"):
                    while segment and re.fullmatch(r"[A-Z_]+=.*", segment[0]):
                        segment.pop(0)  # environment assignments before the command
                    at = next((i for i, w in enumerate(segment) if w.rsplit("/", 1)[-1] == "simpul"
                               and (i == 0 or segment[0] in AS_USER or segment[i - 1] == "--")), None)
                    if at is not None and "..." not in segment:  # "..." marks an elided example
                        yield line + offset, segment[at + 1:]
                    segment = []
                else:
                    segment.append(word)


def test_every_simpul_command_in_the_docs_parses() -> None:
    parser = build_parser()
    checked, wrong = 0, []
    for name in COMMAND_DOCS:
        doc = ROOT / name if name == "README.md" else DOCS / name
        for line, args in command_lines(doc):
            checked += 1
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    parser.parse_args(args)
            except SystemExit as exc:
                if exc.code:  # --help exits 0
                    wrong.append(f"{name} line {line}: simpul {' '.join(args)}")
    assert checked >= 10
    assert not wrong, "\n".join(wrong)


def test_a_wrong_command_would_be_caught() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["token", "create", "--ttl", "7 days"])


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text("utf-8"))
    return {_anchor(m[1]) for m in re.finditer(r"^#+\s+(.+)$", text, re.M)}


def test_every_relative_link_in_the_docs_leads_to_a_file_and_heading() -> None:
    wrong = []
    for doc in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for target in LINK.findall(FENCE.sub("", doc.read_text("utf-8"))):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file, _, anchor = target.partition("#")
            path = (doc.parent / file).resolve() if file else doc
            if not path.exists():
                wrong.append(f"{doc.name}: {target}")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                wrong.append(f"{doc.name}: {target} (no such heading)")
    assert not wrong, "\n".join(wrong)
