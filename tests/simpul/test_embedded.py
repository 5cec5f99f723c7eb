"""The default path: no DATABASE_URL, a real PostgreSQL from the wheel, stopped on exit."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from tests.federation import postgres_serving, run_cli


def test_migrate_without_database_url_runs_embedded_postgres_and_stops_it() -> None:
    data_dir = Path("/tmp") / f"simpul-embedded-{secrets.token_hex(4)}"
    env = {"DATABASE_URL": "", "SIMPUL_DATA_DIR": str(data_dir)}
    try:
        first = run_cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        assert "applied 0001_registry" in first.stdout
        assert (data_dir / "pg" / "PG_VERSION").exists()
        assert postgres_serving(data_dir / "pg") == []

        again = run_cli("migrate", env=env)
        assert again.returncode == 0, again.stderr
        assert "up to date (0 applied)" in again.stdout
        assert postgres_serving(data_dir / "pg") == []
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
