"""Progress of long work: a rich bar on a terminal, a few plain lines anywhere else.

A command that may take more than a second wraps its work in `progress(...)`
and tells the `Progress` it gets how far it is. On a terminal that is a
rich.progress bar, redrawn in place. Written to a pipe, a file or a CI log it
is, after a first quiet second, a plain line each time another tenth is done
or INTERVAL seconds have passed, and a last line with the totals (or, when the
work failed part way, how far it got): no escape codes, so logs read (and
grep) as lines.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import rich.console
    import rich.progress

QUIET = 1.0  # seconds of work before the first plain line: a quick command prints only its totals
INTERVAL = 5.0  # seconds between plain lines while no tenth is crossed


class Progress:
    """How far a piece of work is: what a command tells as it goes, whoever shows it."""

    def __init__(self, description: str, total: int | None, unit: str) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.completed = 0
        self.doing = ""

    def set_total(self, total: int) -> None:
        """The work's size, once known (the nodes to rebuild are counted after the database answers)."""
        self.total = total
        self._changed()

    def advance(self, steps: int = 1) -> None:
        self.completed += steps
        self._changed()

    def update(self, completed: int) -> None:
        """How much is done, counted anew (a count read from the database)."""
        self.completed = completed
        self._changed()

    def note(self, doing: str) -> None:
        """What is under way now, shown beside the count (a node's changes read so far)."""
        self.doing = doing
        self._changed()

    def say(self, line: str) -> None:
        """A line of its own, kept in the output above the progress (a node that was skipped)."""
        raise NotImplementedError

    def _changed(self) -> None:
        raise NotImplementedError

    def _finish(self, ok: bool) -> None:
        raise NotImplementedError


@contextlib.contextmanager
def progress(description: str, total: int | None = None, unit: str = "",
             stream: TextIO | None = None) -> Iterator[Progress]:
    """Show the progress of the work in the `with` block on `stream` (default standard error): a bar when it
    is a terminal, plain lines otherwise. `total` may be set later (`set_total`); `unit` names what is counted."""
    out = stream if stream is not None else sys.stderr
    shown: Progress = _Bar(description, total, unit, out) if _is_terminal(out) else \
        _Lines(description, total, unit, out)
    try:
        yield shown
    except BaseException:
        shown._finish(ok=False)
        raise
    shown._finish(ok=True)


def _is_terminal(stream: TextIO) -> bool:
    """A terminal that can redraw a line: not a pipe, a file, nor TERM=dumb (as rich judges it)."""
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
    from rich.console import Console

    console = Console(file=stream)
    return console.is_terminal and not console.is_dumb_terminal


class _Lines(Progress):
    """Plain lines: one per tenth done, or per INTERVAL seconds, and one with the totals at the end."""

    def __init__(self, description: str, total: int | None, unit: str, stream: TextIO) -> None:
        super().__init__(description, total, unit)
        self.stream = stream
        self.started = self.shown_at = time.monotonic()
        self.tenth = 0

    def say(self, line: str) -> None:
        self._write(line)

    def _changed(self) -> None:
        now = time.monotonic()
        if now - self.started < QUIET:
            return
        tenth = self.completed * 10 // self.total if self.total else 0
        if (self.total and tenth > self.tenth and self.completed < self.total) or now - self.shown_at >= INTERVAL:
            self.tenth = max(self.tenth, tenth)
            self.shown_at = now
            self._write(self._line())

    def _finish(self, ok: bool) -> None:
        if not ok and not self.completed:
            return  # the error says it: a line of nothing done adds nothing
        took = time.monotonic() - self.started
        self._write(f"{self._line()} {'in' if ok else 'stopped after'} {took:.1f} s")

    def _line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            count = f"{self.completed:,} of {self.total:,}{unit} ({self.completed * 100 // self.total}%)"
        else:
            count = f"{self.completed:,}{unit}"
        return f"{self.description}: {count}" + (f", {self.doing}" if self.doing else "")

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


class _Bar(Progress):
    """A rich.progress bar redrawn in place; left on the screen, full, when the work is done. Log lines written
    to the same terminal meanwhile are printed above it, not over it."""

    def __init__(self, description: str, total: int | None, unit: str, stream: TextIO) -> None:
        super().__init__(description, total, unit)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bar: rich.progress.Progress = RichProgress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), MofNCompleteColumn(),
            TextColumn(unit), TimeElapsedColumn(), TextColumn("{task.fields[doing]}"),
            console=Console(file=stream), redirect_stdout=False, redirect_stderr=stream is sys.stderr)
        self.task = self.bar.add_task(description, total=total, doing="")
        self.logs = _LogsAbove(self.bar.console, stream)
        self.bar.start()

    def say(self, line: str) -> None:
        self.bar.console.print(line, markup=False, highlight=False)

    def _changed(self) -> None:
        self.bar.update(self.task, total=self.total, completed=self.completed, doing=self.doing)

    def _finish(self, ok: bool) -> None:
        self._changed()
        self.bar.stop()
        self.logs.restore()


class _LogsAbove:
    """The root logger's handlers that write to `stream`, writing through the bar's console meanwhile: a
    handler keeps the stream it was made with, so rich's redirection of sys.stderr does not reach it."""

    def __init__(self, console: rich.console.Console, stream: TextIO) -> None:
        from rich.file_proxy import FileProxy

        self.handlers = [h for h in logging.getLogger().handlers
                         if isinstance(h, logging.StreamHandler) and h.stream is stream]
        for handler in self.handlers:
            handler.setStream(FileProxy(console, stream))
        self.stream = stream

    def restore(self) -> None:
        for handler in self.handlers:
            handler.setStream(self.stream)
