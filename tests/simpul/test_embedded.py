"""The default path: no DATABASE_URL, a real PostgreSQL from the wheel, stopped on exit."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import stat
from pathlib import Path

import pytest

from simpul.db.embedded import embedded_postgres, socket_folder
from tests.databases import connection
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


@pytest.mark.skipif(os.geteuid() != 0, reason="as another user the server runs as that user, its socket folder 0700")
def test_run_as_root_only_the_servers_user_may_reach_its_socket_even_when_the_data_folder_path_is_long() -> None:
    data_dir = Path("/tmp") / f"simpul-embedded-{secrets.token_hex(4)}" / ("a-long-folder-name-" * 5)
    try:
        with embedded_postgres(data_dir) as url:
            folder = socket_folder(url)
            assert folder != (data_dir / "pg").resolve(), "the path is too long for a socket in the data folder"
            mode = folder.stat()
            assert stat.S_IMODE(mode.st_mode) == 0o700 and mode.st_uid != 0, oct(mode.st_mode)
            assert asyncio.run(_answers(url)) == 1, "root (the hub) still connects"
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


async def _answers(url: str) -> int:
    async with connection(url) as conn:
        answer: int = await conn.fetchval("SELECT 1")
        return answer
