"""`simpul demo` started as a reader starts it, for the tests that use the running demo federation."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from simpul.cli.demo_data import DemoData
from simpul.processes import ChildProcess
from tests.federation import postgres_serving

DEMO_STARTUP = 120.0  # seconds: PostgreSQL, the hub, eight desks, seeding and the wrong-door story
DEMO = DemoData.load()
NODES, REPORTS = DEMO.nodes, DEMO.reports


@dataclass
class RunningDemo:
    process: ChildProcess  # `simpul demo`, in a process group of its own as a terminal's job
    data_dir: Path
    children: list[psutil.Process]  # the hub and the desks, as they were once the demo was ready

    @property
    def banner(self) -> str:
        return self.process.output

    def child(self, *words: str) -> psutil.Process:
        """The child whose command line holds `words` in a row, e.g. ("--code", "64.08")."""
        return next(c for c in self.children if " ".join(words) in " ".join(c.cmdline()))

    def url(self, pattern: str) -> str:
        found = re.search(pattern, self.banner)
        assert found is not None, self.banner
        return found[1]


@contextmanager
def running_demo() -> Iterator[RunningDemo]:
    """`simpul demo` on a free port, ready: its banner printed. Whatever the test did, nothing is left running."""
    data_dir = Path("/tmp") / f"simpul-demo-{secrets.token_hex(4)}"  # short: PostgreSQL's socket lives in it
    process = ChildProcess(["demo", "--port", "0", "--data-dir", str(data_dir)], env={"DATABASE_URL": ""},
                           new_session=True)
    try:
        process.wait_for("Ctrl-C stops everything", timeout=DEMO_STARTUP)
        children = psutil.Process(process.popen.pid).children(recursive=True)
        assert len(children) == 1 + len(NODES), [c.cmdline() for c in children]
        yield RunningDemo(process, data_dir, children)
    finally:
        if process.running:
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.wait_exit()
        for server in postgres_serving(data_dir / "pg"):
            server.kill()
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)


