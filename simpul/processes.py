"""Child `simpul` processes, watched line by line: used by the demo and the tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

STARTUP_TIMEOUT = 30.0


class ProcessFailed(Exception):
    """A child process ended or stayed silent when it should have started."""


class ChildProcess:
    """A `python -m <module> <args>` subprocess (`simpul` unless told) whose output lines are collected;
    `program <args>` instead when a program (an executable's path, e.g. node for tests) is given.
    `on_exit` is called, from a thread of its own, as soon as the process has ended, however it ended;
    `new_session` starts it in a session (and process group) of its own, as a terminal's job; `cwd` is the
    folder it starts in (default: this process's)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, log_path: Path | None = None,
                 module: str = "simpul", program: Path | None = None,
                 on_exit: Callable[[ChildProcess], None] | None = None, new_session: bool = False,
                 cwd: Path | None = None) -> None:
        self.args = args
        self.module = module if program is None else program.name
        self.log_path = log_path
        command = [sys.executable, "-m", module] if program is None else [str(program)]
        self.popen = subprocess.Popen(
            [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**os.environ, **(env or {})}, start_new_session=new_session, cwd=cwd,
        )
        self.lines: list[str] = []
        self._log: TextIO | None = log_path.open("a", encoding="utf-8") if log_path else None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if on_exit is not None:
            threading.Thread(target=self._watch, args=(on_exit,), daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))
            if self._log is not None:
                self._log.write(line)
                self._log.flush()

    def _watch(self, on_exit: Callable[[ChildProcess], None]) -> None:
        """Wait on the process itself, not for the end of its output: a child of it may hold the pipe open
        after it died. Its last lines are read first, if they come at once, so that `output` holds them."""
        self.popen.wait()
        self._reader.join(2)
        on_exit(self)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def wait_for(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """The first output line matching `pattern`; raise if the process ends first."""
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(self.lines):
                match = regex.search(line)
                if match:
                    return match
            if not self.running:
                self._reader.join(2)
                raise ProcessFailed(f"{self._name} exited {self.popen.returncode}:\n{self.output}")
            time.sleep(0.05)
        raise ProcessFailed(f"{self._name} printed no {pattern!r} in {timeout:g} s:\n{self.output}")

    @property
    def exit_status(self) -> str:
        """How the process ended, as a person reads it: "killed by SIGKILL", "exited with status 1"."""
        code = self.popen.returncode
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:  # a real-time signal has no name of its own
                return f"killed by signal {-code}"
        return f"exited with status {code}"

    @property
    def _name(self) -> str:
        return f"{self.module} {' '.join(self.args[:2])}"

    def wait_exit(self, timeout: float = STARTUP_TIMEOUT) -> int:
        code = self.popen.wait(timeout)
        self._close()
        return code

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not gone within `grace` seconds."""
        if self.running:
            self.popen.send_signal(signal.SIGCONT)
            self.popen.terminate()
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._close()

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(5)
        self._close()

    def pause(self) -> None:
        """Freeze the process: its socket still accepts connections, but nothing answers."""
        self.popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused process run again."""
        self.popen.send_signal(signal.SIGCONT)

    def _close(self) -> None:
        self._reader.join(5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
