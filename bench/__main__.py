"""`python -m bench [scenario ...] [--quick]`: run benchmark scenarios and print their results tables.

`make bench` runs them all. Each scenario starts its own database, hub and
nodes on 127.0.0.1, is bounded in requests and time, and stops what it
started; its tables (Markdown, dated, with the machine) go to standard
output and, with --record, into bench/README.md under "Results".
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

SCENARIOS = {
    "fanout": "federated reports and stats over 1 to 1,000 nodes against direct node latency",
    "throughput": "one-node queries per second through the hub (1 and 2 workers) against the node itself",
    "forwarding": "durable forwards per second end to end against pgbench TPC-B on the same PostgreSQL",
    "memory": "hub RSS with 10, 100 and 1,000 registered nodes, idle and under load",
    "idle": "hub CPU with 1,000 idle nodes, with and without the nodes' feed checks at their heartbeats",
    "index": "a million reports indexed through the feeds, national reads from the index against the same SQL, "
             "and the index's freshness under 50 status changes/s",
    "sql": "the sql connector on MariaDB with 1,000,000 reports against the same reads written by hand",
    "portal": "a province's counts live on 300 open pages (the stats subscription), shared counts against none",
    "dashboard": "the compliance dashboard's reads, a whole page view and the monitoring report's PDF over a "
                 "national year of 600,000 ledger rows: wall time, hub and PostgreSQL CPU, ledger reads",
}
README = Path(__file__).with_name("README.md")
RESULTS = "## Results"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="scenario",
                        help=f"any of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller, faster variants (a smoke run)")
    parser.add_argument("--record", action="store_true", help="also add the tables to bench/README.md")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"no scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    tables: list[str] = []
    for name in args.scenarios or list(SCENARIOS):
        print(f"== {name}: {SCENARIOS[name]}", flush=True)
        run: Callable[[bool], list[str]] = importlib.import_module(f"bench.{name}").run
        start = time.monotonic()
        found = run(args.quick)
        print(f"== {name} done in {time.monotonic() - start:.0f} s\n", flush=True)
        for text in found:
            print(text, flush=True)
        tables += found
    if args.record and not args.quick:
        _record(tables)


def _record(tables: list[str]) -> None:
    """Put the newest tables first under the Results heading of bench/README.md."""
    text = README.read_text(encoding="utf-8")
    head, sep, rest = text.partition(RESULTS + "\n")
    if not sep:
        head, sep, rest = text.rstrip("\n") + "\n\n", RESULTS + "\n", ""
    README.write_text(head + sep + "\n" + "\n".join(tables) + rest, encoding="utf-8")
    print(f"recorded in {README}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
