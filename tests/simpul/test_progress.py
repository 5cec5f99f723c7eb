"""Progress of long work: a rich bar on a terminal, a few plain lines (ending with the totals) anywhere else."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from simpul import progress as progress_module
from simpul.progress import progress
from tests.terminal import NOT_PASSED, TERMINAL_ENV, read_terminal

TOOK = r"in \d+\.\d s"


class Clock:
    """The time the module reads, moved on by hand: a test of minutes that takes milliseconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress_module, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def test_a_quick_job_in_a_pipe_prints_only_its_totals() -> None:
    out = io.StringIO()
    with progress("enrolment tokens", 3, "tokens", stream=out) as shown:
        for _ in range(3):
            shown.advance()

    assert re.fullmatch(rf"enrolment tokens: 3 of 3 tokens \(100%\) {TOOK}\n", out.getvalue()), out.getvalue()


def test_a_long_job_in_a_pipe_prints_a_plain_line_per_tenth_then_its_totals(clock: Clock) -> None:
    out = io.StringIO()
    with progress("sql: loading", 200_000, "reports", stream=out) as shown:
        for _ in range(20):
            clock.now += 0.5
            shown.note("a batch of 10,000")
            shown.advance(10_000)

    tenths = [f"sql: loading: {n * 20_000:,} of 200,000 reports ({n * 10}%), a batch of 10,000" for n in range(1, 10)]
    assert out.getvalue().splitlines() == [*tenths, "sql: loading: 200,000 of 200,000 reports (100%), a batch of "
                                                     "10,000 in 10.0 s"]


def test_a_job_of_unknown_size_prints_a_line_every_few_seconds(clock: Clock) -> None:
    out = io.StringIO()
    with progress("ingest", unit="changes", stream=out) as shown:
        for _ in range(12):
            clock.now += 1.0
            shown.advance(100)

    assert out.getvalue().splitlines() == ["ingest: 500 changes", "ingest: 1,000 changes",
                                           "ingest: 1,200 changes in 12.0 s"]


def test_work_that_fails_part_way_says_how_far_it_got_and_work_that_never_began_says_nothing(clock: Clock) -> None:
    out = io.StringIO()
    with pytest.raises(ConnectionError), progress("index rebuild", unit="nodes", stream=out) as shown:
        shown.set_total(4)
        shown.advance()
        clock.now += 0.5
        raise ConnectionError("database gone")
    assert out.getvalue() == "index rebuild: 1 of 4 nodes (25%) stopped after 0.5 s\n"

    quiet = io.StringIO()
    with pytest.raises(ConnectionError), progress("index rebuild", unit="nodes", stream=quiet):
        raise ConnectionError("database gone")
    assert quiet.getvalue() == ""


def test_a_line_said_meanwhile_is_a_line_of_its_own() -> None:
    out = io.StringIO()
    with progress("index rebuild", 2, "nodes", stream=out) as shown:
        shown.advance()
        shown.say("65: not rebuilt, the hub cannot call it: NODE_UNREACHABLE: refused")
        shown.advance()

    assert out.getvalue().splitlines()[0] == "65: not rebuilt, the hub cannot call it: NODE_UNREACHABLE: refused"
    assert out.getvalue().splitlines()[1].startswith("index rebuild: 2 of 2 nodes (100%) in ")


class Terminal:
    """A pseudo-terminal to write to, read meanwhile so that no write blocks."""

    def __init__(self) -> None:
        leader, follower = os.openpty()
        self.leader, self.stream = leader, os.fdopen(follower, "w", encoding="utf-8")
        self.written: list[str] = []
        self.reader = threading.Thread(target=lambda: self.written.append(read_terminal(leader, time.monotonic() + 10)))
        self.reader.start()

    def drawn(self) -> str:
        """Everything written there, once the terminal is closed."""
        self.stream.close()
        self.reader.join(10)
        return self.written[0]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    for name, value in TERMINAL_ENV.items():
        monkeypatch.setenv(name, value)
    for name in NOT_PASSED:
        monkeypatch.delenv(name, raising=False)
    opened = Terminal()
    try:
        yield opened
    finally:
        opened.stream.close()
        opened.reader.join(10)
        os.close(opened.leader)


def test_on_a_terminal_a_rich_bar_is_drawn_and_left_full(terminal: Terminal) -> None:
    with progress("enrolment tokens", 4, "tokens", stream=terminal.stream) as shown:
        for _ in range(4):
            shown.advance()
            time.sleep(0.05)

    drawn = terminal.drawn()
    assert "\x1b[" in drawn and "\r" in drawn  # redrawn in place
    assert "enrolment tokens" in drawn and "100%" in drawn and "4/4" in drawn
    assert "━" in drawn  # the bar itself


def test_on_a_terminal_log_lines_meanwhile_are_printed_above_the_bar(terminal: Terminal) -> None:
    stream = terminal.stream
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with progress("index rebuild", 2, "nodes", stream=stream) as shown:
            shown.advance()
            logging.getLogger("hub").warning("feed of 65 not read again")
            shown.advance()
        assert handler.stream is stream  # as it was, once the bar is done
    finally:
        root.removeHandler(handler)

    drawn = terminal.drawn()
    assert "\r\x1b[2KWARNING feed of 65 not read again\r\n" in drawn, repr(drawn)  # the bar's line cleared first
