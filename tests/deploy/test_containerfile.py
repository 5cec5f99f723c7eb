"""deploy/Containerfile, checked as a definition (no image is built here: no registry for base images):
what it copies exists and reaches the build, it installs pinned, runs `simpul` as non-root, and its port
and health check are the hub's and the manifests'."""

from __future__ import annotations

import fnmatch
import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from dockerfile_parse import DockerfileParser

from simpul.processes import ChildProcess
from tests.deploy.files import (
    DEPLOY,
    LIVENESS,
    PORT,
    REPO,
    kubernetes_objects,
    one,
    simpul_args,
    simpul_usage_error,
)

CONTAINERFILE = DEPLOY / "Containerfile"
IGNORE = DEPLOY / "Containerfile.dockerignore"  # docker reads <Containerfile>.dockerignore beside it
BASE = "python:3.11-slim"
INSTALL = "pip install -c constraints.txt ."


def _ignored(path: str) -> bool:
    """Whether the build context leaves `path` out, by the ignore file's last matching line."""
    ignored = False
    for line in IGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
            ignored = not negated
    return ignored


def _parse(text: str) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(text.encode()))


def _final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return steps[max(i for i, (kind, _) in enumerate(steps) if kind == "FROM"):]


def containerfile_problems(text: str) -> list[str]:
    """Why an image built from `text` would not be the simpul image the manifests run."""
    parser = _parse(text)
    steps = [(s["instruction"], s["value"]) for s in parser.structure if s["instruction"] != "COMMENT"]
    problems = []
    if parser.parent_images != [BASE, BASE]:
        problems.append(f"not a two-stage build on {BASE}: {parser.parent_images}")
    if not any(kind == "RUN" and INSTALL in value for kind, value in steps):
        problems.append(f"does not install with `{INSTALL}` (every package pinned)")
    for kind, value in steps:
        if kind != "COPY" or value.startswith("--from="):
            continue
        *sources, _ = shlex.split(value)
        for source in sources:
            if not (REPO / source).exists():
                problems.append(f"COPY {source}: no such file in the repository")
            elif _ignored(source):
                problems.append(f"COPY {source}: left out of the build context by {IGNORE.name}")
    final = _final_stage(steps)
    users = [value for kind, value in final if kind == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the image runs as root")
    if [value for kind, value in final if kind == "EXPOSE"] != [str(PORT)]:
        problems.append(f"does not expose port {PORT}")
    health = " ".join(value for kind, value in final if kind == "HEALTHCHECK")
    if f"127.0.0.1:{PORT}{LIVENESS}'" not in health:
        problems.append(f"the health check does not ask {LIVENESS} on port {PORT}")
    entrypoint = [json.loads(value) for kind, value in final if kind == "ENTRYPOINT"]
    command = [json.loads(value) for kind, value in final if kind == "CMD"]
    if entrypoint != [["simpul"]] or len(command) != 1:
        problems.append("the entrypoint is not `simpul` with one default command")
    elif error := simpul_usage_error(command[0]):
        problems.append(f"CMD {command[0]}: {error}")
    elif (simpul_args(command[0]).host, simpul_args(command[0]).port) != ("0.0.0.0", PORT):
        problems.append(f"the default command does not listen on 0.0.0.0:{PORT}")
    elif simpul_args(command[0]).introspection:
        problems.append("the default command serves GraphiQL and introspection")
    elif not (simpul_args(command[0]).metrics_loopback_only or simpul_args(command[0]).metrics_token):
        problems.append("the default command answers /metrics to anyone who reaches the port")
    return problems


def test_the_containerfile_builds_the_image_the_manifests_run() -> None:
    assert containerfile_problems(CONTAINERFILE.read_text(encoding="utf-8")) == []


def test_the_image_runs_the_manifests_user() -> None:
    structure = _parse(CONTAINERFILE.read_text(encoding="utf-8")).structure
    user = [s["value"] for s in structure if s["instruction"] == "USER"]
    pod = one(kubernetes_objects("hub"), "Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert user == [f"{pod['runAsUser']}:{pod['runAsGroup']}"]


def test_the_default_command_is_a_real_simpul_command() -> None:
    structure = _parse(CONTAINERFILE.read_text(encoding="utf-8")).structure
    command = [part for kind in ("ENTRYPOINT", "CMD") for s in structure if s["instruction"] == kind
               for part in json.loads(s["value"])]
    simpul = Path(sys.executable).parent / command[0]
    result = subprocess.run([str(simpul), *command[1:], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--host" in result.stdout and "--database-url" in result.stdout


async def test_the_default_command_serves_no_graphiql_no_introspection_and_metrics_to_the_container_only(
    database: str, tmp_path: Path
) -> None:
    """The image's own command, run as `docker run` would (on a free port, over this test's database); a
    trusted proxy's X-Forwarded-For stands for a caller outside the container."""
    command = next(json.loads(s["value"]) for s in _parse(CONTAINERFILE.read_text(encoding="utf-8")).structure
                   if s["instruction"] == "CMD")
    hub = ChildProcess([*command, "--port", "0", "--database-url", database, "--data-dir", str(tmp_path)],
                       env={"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    try:
        url = hub.wait_for(r"hub listening on http://\S+:(\d+)")[1]
        base = f"http://127.0.0.1:{url}"
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/graphql", headers={"accept": "text/html"}) as response:
                assert "graphiql" not in (await response.text()).lower()
            async with session.post(base + "/graphql", json={"query": "{ __schema { types { name } } }"}) as response:
                assert "errors" in await response.json()
            async with session.get(base + "/metrics") as response:
                assert response.status == 200  # the container itself (a sidecar, `docker exec`)
            async with session.get(base + "/metrics", headers={"x-forwarded-for": "203.0.113.7"}) as response:
                assert response.status == 403, await response.text()
    finally:
        hub.stop()


@pytest.mark.parametrize("change, broken, problem", [
    ("USER 10001:10001", "USER root", "runs as root"),
    ("COPY simpul ./simpul", "COPY simpul_cli ./simpul", "no such file"),
    ("COPY hub ./hub", "COPY .venv ./hub", "left out of the build context"),
    ('"--port", "8000",', '"--listen", "0.0.0.0",', "unrecognized arguments: --listen"),
    ('CMD ["hub", "--host", "0.0.0.0", "--port", "8000",', 'CMD ["hub",', "does not listen on 0.0.0.0"),
    (' "--no-introspection",', "", "serves GraphiQL and introspection"),
    (', "--metrics-loopback-only"', "", "answers /metrics to anyone"),
    ("EXPOSE 8000", "EXPOSE 8080", "does not expose port 8000"),
    ("8000/healthz'", "8000/health'", "health check"),
    ("pip install -c constraints.txt .", "pip install .", "every package pinned"),
])
def test_a_broken_containerfile_is_caught(change: str, broken: str, problem: str) -> None:
    text = CONTAINERFILE.read_text(encoding="utf-8")
    assert change in text
    problems = containerfile_problems(text.replace(change, broken))
    assert any(problem in p for p in problems), problems
