"""Commands run on a pseudo-terminal, as a person at a terminal runs them."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

# A terminal that can redraw a line, with no NO_COLOR or FORCE_COLOR from the environment to change what rich draws.
TERMINAL_ENV = {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
NOT_PASSED = ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def run_cli_on_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """`simpul <args>` with its standard output and error on one pseudo-terminal: its exit status and all it
    wrote there, escape codes and all."""
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED}
    try:
        process = subprocess.Popen([sys.executable, "-m", "simpul", *args], stdin=subprocess.DEVNULL,
                                   stdout=follower, stderr=follower, env={**env, **TERMINAL_ENV})
    finally:
        os.close(follower)
    try:
        written = read_terminal(leader, time.monotonic() + timeout)
        return process.wait(timeout), written
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()


def read_terminal(leader: int, end: float) -> str:
    """What is written to the terminal until every writer has closed it (EIO on its leader end) or `end`."""
    got = bytearray()
    while time.monotonic() < end:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got.decode("utf-8", "replace")
