"""Long commands show their progress: a rich bar on a terminal, plain lines ending with the totals in a pipe."""

from __future__ import annotations

import re
from pathlib import Path

from tests.federation import Federation, hub_key_file, run_cli
from tests.terminal import run_cli_on_terminal

TOOK = r"in \d+\.\d s"


def _plain(text: str) -> list[str]:
    """The lines of output meant for a log: no escape codes, no carriage returns redrawing a line."""
    assert "\x1b" not in text and "\r" not in text, repr(text)
    return text.splitlines()


def test_holidays_load_in_a_pipe_ends_with_the_totals_and_on_a_terminal_draws_a_bar(
    database: str, tmp_path: Path
) -> None:
    calendar = tmp_path / "libur-1945.csv"
    calendar.write_text("date,name\n1945-01-01,Tahun Baru 1945 Masehi\n1945-08-17,Proklamasi Kemerdekaan\n")
    load = ("holidays", "load", "--year", "1945", "--file", str(calendar), "--database-url", database)

    piped = run_cli(*load)

    assert piped.returncode == 0, piped.stderr
    assert _plain(piped.stdout) == [f"loaded 2 national holidays for 1945 from {calendar}"]
    assert re.fullmatch(rf"holidays 1945: 3 of 3 steps \(100%\), 2 days written {TOOK}", _plain(piped.stderr)[-1])

    status, drawn = run_cli_on_terminal(*load)

    assert status == 0, drawn
    assert "\x1b[" in drawn and "holidays 1945" in drawn and "100%" in drawn and "3/3" in drawn
    assert "2 days written" in drawn
    assert f"loaded 2 national holidays for 1945 from {calendar}" in drawn


def test_index_rebuild_counts_the_nodes_in_a_pipe_and_on_a_terminal(federation: Federation) -> None:
    rebuild = ("index", "rebuild", "--database-url", federation.hub.database_url,
               "--hub-key-file", str(hub_key_file(federation.hub)))

    piped = run_cli(*rebuild)

    assert piped.returncode == 0, piped.stderr
    codes = sorted(federation.desks)
    assert sorted(line.split(":")[0] for line in _plain(piped.stdout)) == codes  # a line of totals per node
    assert re.fullmatch(rf"index rebuild: 3 of 3 nodes \(100%\), [\d.]+: \d+ changes read, \d+ reports {TOOK}",
                        _plain(piped.stderr)[-1]), piped.stderr

    status, drawn = run_cli_on_terminal(*rebuild)

    assert status == 0, drawn
    assert "\x1b[" in drawn and "index rebuild" in drawn and "100%" in drawn and "3/3" in drawn
    assert all(f"{code}: 0 added, 0 corrected" in drawn for code in codes), drawn
